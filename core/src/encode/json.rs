//! The JSON writing under the wire encoder, straight into a byte buffer.
//!
//! Strings are escaped exactly as serde_json and `JSON.stringify` escape them (`\"`, `\\`,
//! the short forms `\b \f \n \r \t`, other control characters as lowercase `\u00XX`), so every
//! binding's bytes agree. The clean run between two bytes to escape (found by
//! [`super::escapes`]) is copied in one go.
//!
//! Numbers are written the same whichever language produced them: JavaScript has no integer
//! type and Python tells `1` from `1.0`, so an integral float is written as an integer
//! (`1.0` → `1`, `-0.0` → `0`); other floats in their shortest round-trip form.

use serde_json::ser::{CompactFormatter, Formatter};
use serde_json::{Map, Value};

use super::escapes::{escapes, needs_escape};
use crate::ids::Uuid;

fn write_escape(out: &mut Vec<u8>, b: u8) {
    let short = match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            let [high, low] = HEX_PAIRS[usize::from(b)];
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', high, low]);
            return;
        }
    };
    out.extend_from_slice(&[b'\\', short]);
}

/// `s` as a JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut clean_from = 0;
    for at in escapes(bytes, 0) {
        out.extend_from_slice(&bytes[clean_from..at]);
        write_escape(out, bytes[at]);
        clean_from = at + 1;
    }
    out.extend_from_slice(&bytes[clean_from..]);
    out.push(b'"');
}

/// Text known to need no escaping (ids, timestamps, the API's enum names), quoted.
pub fn write_plain_str(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!s.bytes().any(needs_escape));
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// The two lowercase hex digits of every byte.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut b = 0;
    while b < 256 {
        pairs[b] = [HEX[b >> 4], HEX[b & 0xf]];
        b += 1;
    }
    pairs
};

/// A UUID as its JSON string: quoted, hyphenated, lowercase (as `Uuid::hyphenated` writes
/// it), each byte's two hex digits from a table.
pub fn uuid_json(id: &Uuid) -> [u8; 38] {
    /// Where each byte's two digits go, past the quote and the hyphens.
    const AT: [usize; 16] = [1, 3, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 29, 31, 33, 35];
    let mut text = *b"\"00000000-0000-0000-0000-000000000000\"";
    for (&b, at) in id.as_bytes().iter().zip(AT) {
        text[at..at + 2].copy_from_slice(&HEX_PAIRS[usize::from(b)]);
    }
    text
}

pub fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    if n < 10 {
        return out.push(b'0' + n as u8); // most latencies of fast spans, and many counts
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

pub fn write_f64(out: &mut Vec<u8>, value: f64) {
    const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53: beyond it floats are not exact integers
    if value.fract() == 0.0 && value.abs() < EXACT_INT {
        write_i64(out, value as i64);
    } else {
        CompactFormatter.write_f64(out, value).expect("writing to a Vec cannot fail");
    }
}

/// `Some(write)` or `null`.
pub fn write_opt<T>(out: &mut Vec<u8>, value: Option<T>, write: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        Some(v) => write(out, v),
        None => out.extend_from_slice(b"null"),
    }
}

pub fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => write_u64(out, u),
            (None, Some(i), _) => write_i64(out, i),
            (None, None, Some(f)) => write_f64(out, f),
            // Only with serde_json's arbitrary_precision, which this crate does not enable.
            (None, None, None) => out.extend_from_slice(n.to_string().as_bytes()),
        },
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_map(out, map),
    }
}

pub fn write_map(out: &mut Vec<u8>, map: &Map<String, Value>) {
    out.push(b'{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        write_value(out, value);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn str_json(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        // Every ASCII byte, and each special one at every offset of the scan's chunk (16 bytes
        // with SSE2, 8 without) and past it, with a clean tail shorter than a chunk.
        let ascii: String = (0u8..0x80).map(char::from).collect();
        let mut cases = vec![String::new(), ascii, "héllo \u{1F600} wörld\u{7f}".into()];
        for at in 0..34 {
            for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', ' ', '\u{7f}', 'é'] {
                let mut s = "a".repeat(at);
                s.push(special);
                s.push_str("tail");
                cases.push(s);
            }
        }
        for s in cases {
            assert_eq!(str_json(&s), serde_json::to_string(&s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn ids_and_integers_are_written_as_the_standard_forms() {
        let mut rng = fastrand::Rng::with_seed(9);
        for id in [Uuid::nil(), Uuid::max()].into_iter().chain((0..1000).map(|_| Uuid::from_u128(rng.u128(..)))) {
            assert_eq!(uuid_json(&id), format!("\"{}\"", id.hyphenated()).as_bytes());
        }
        for n in [0, 9, 10, 99, 100, u64::MAX].into_iter().chain((0..1000).map(|_| rng.u64(..) >> rng.u32(0..64))) {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn values_match_serde_json_except_integral_floats() {
        let value = json!({"b": [true, null, -3, 18446744073709551615u64, "x\"y"], "a": {"f": 0.1, "e": 1e21, "s": 1.5e-7}});
        let mut out = Vec::new();
        write_value(&mut out, &value);
        assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&value).unwrap());
        let mut out = Vec::new();
        write_value(&mut out, &json!([1.0, -0.0, 2.5, 9007199254740992.0]));
        assert_eq!(out, b"[1,0,2.5,9007199254740992.0]");
    }
}
