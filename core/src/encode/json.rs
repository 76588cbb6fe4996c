//! The JSON writing under the wire encoder, straight into a byte buffer.
//!
//! Strings are escaped exactly as serde_json and `JSON.stringify` escape them (`\"`, `\\`,
//! the short forms `\b \f \n \r \t`, other control characters as lowercase `\u00XX`), so every
//! binding's bytes agree. Clean text is copied a whole chunk at a time as it is scanned
//! (the scans are [`super::escapes`]).
//!
//! Numbers are written the same whichever language produced them: JavaScript has no integer
//! type and Python tells `1` from `1.0`, so an integral float is written as an integer
//! (`1.0` → `1`, `-0.0` → `0`); other floats in their shortest round-trip form.

use std::ptr;

use serde_json::ser::{CompactFormatter, Formatter};
use serde_json::{Map, Value};

use super::escapes::{needs_escape, short_word, word, Native, Scan, MAX_WIDTH, SPACES};
use crate::ids::Uuid;

/// Writes the escape of `b` (a byte JSON requires escaped) at `dst`; returns its end.
///
/// # Safety
/// `dst` must have room for six bytes.
#[inline]
unsafe fn write_escape(dst: *mut u8, b: u8) -> *mut u8 {
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
            // SAFETY: the caller gives room for six bytes.
            unsafe { ptr::copy_nonoverlapping([b'\\', b'u', b'0', b'0', high, low].as_ptr(), dst, 6) };
            return dst.wrapping_add(6);
        }
    };
    // SAFETY: as above.
    unsafe { ptr::copy_nonoverlapping([b'\\', short].as_ptr(), dst, 2) };
    dst.wrapping_add(2)
}

/// Bytes of a string escaped per reservation: each block reserves room for its worst case
/// (every byte written as a six-byte escape), so a huge string never reserves six times its
/// size at once.
const BLOCK: usize = 4096;

/// `s` as a JSON string.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for block in s.as_bytes().chunks(BLOCK) {
        write_escaped::<Native>(out, block);
    }
    out.push(b'"');
}

/// Appends `bytes` with each byte JSON requires escaped written as its escape. A chunk is
/// stored whole before it is tested, so clean text (almost all of it) costs a load, a test
/// and a store per chunk, with no call per clean run; after an escape the scan resumes just
/// past it. The last bytes, fewer than a chunk, go the same way through a copy padded with
/// spaces (which need no escape).
#[inline]
fn write_escaped<S: Scan>(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(6 * bytes.len() + S::WIDTH);
    let start = out.len();
    // SAFETY: every write stays within the room reserved above. After consuming `n` input
    // bytes the output holds at most `6 * n` bytes; from there a chunk store writes
    // `S::WIDTH` bytes and an escape six, so nothing is written past `6 * len + S::WIDTH`.
    unsafe {
        let base = out.as_mut_ptr().add(start);
        let mut dst = base;
        let mut at = 0;
        while at + S::WIDTH <= bytes.len() {
            match escape_chunk::<S>(&bytes[at..at + S::WIDTH], dst) {
                None => {
                    dst = dst.add(S::WIDTH);
                    at += S::WIDTH;
                }
                Some((consumed, end)) => {
                    at += consumed;
                    dst = end;
                }
            }
        }
        let left = bytes.len() - at;
        if left > 0 {
            // Two chunks of spaces, the text over the start of the first (read as two words
            // rather than a copy of variable length, which is a call): a chunk read at any
            // offset within the text stays inside.
            let mut tail = [b' '; 2 * MAX_WIDTH];
            let rest = &bytes[at..];
            let (lo, hi) = if left <= 8 { (short_word(rest), SPACES) } else { (word(&rest[..8]), short_word(&rest[8..])) };
            tail[..8].copy_from_slice(&lo.to_le_bytes());
            tail[8..16].copy_from_slice(&hi.to_le_bytes());
            let mut at = 0;
            while at < left {
                match escape_chunk::<S>(&tail[at..at + S::WIDTH], dst) {
                    None => {
                        dst = dst.add(left - at); // the rest of the chunk is padding
                        break;
                    }
                    Some((consumed, end)) => {
                        at += consumed;
                        dst = end;
                    }
                }
            }
        }
        out.set_len(start + dst.offset_from(base) as usize);
    }
}

/// Stores `chunk` (`S::WIDTH` bytes) at `dst`. If it holds a byte to escape, writes the
/// escape of the first in its place and returns how many bytes of the chunk that consumed
/// and where the output now ends; `None` when the chunk is clean (the caller knows how many
/// of its bytes are text).
///
/// # Safety
/// `dst` must have room for `max(S::WIDTH, clean bytes + 6)` bytes.
#[inline(always)]
unsafe fn escape_chunk<S: Scan>(chunk: &[u8], dst: *mut u8) -> Option<(usize, *mut u8)> {
    // SAFETY: the caller gives room for the chunk and for an escape after its clean bytes.
    unsafe {
        ptr::copy_nonoverlapping(chunk.as_ptr(), dst, S::WIDTH);
        match S::marks(chunk) {
            0 => None,
            marks => {
                let clean = (marks.trailing_zeros() / S::BITS) as usize;
                Some((clean + 1, write_escape(dst.add(clean), chunk[clean])))
            }
        }
    }
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

    /// `write_escaped` with scan `S`, quoted like `write_str`.
    fn escaped_with<S: Scan>(s: &str) -> String {
        let mut out = b"prefix".to_vec();
        out.push(b'"');
        write_escaped::<S>(&mut out, s.as_bytes());
        out.push(b'"');
        assert!(out.starts_with(b"prefix"), "what was written before stays");
        String::from_utf8(out[6..].to_vec()).unwrap()
    }

    #[test]
    fn both_scans_escape_random_text_as_serde_json_does() {
        // Mostly clean text with escapes at random places, runs of them, multi-byte
        // characters, lengths around every chunk boundary and past a block.
        let alphabet: Vec<char> = "abc xyz\"\\\n\t\u{0}\u{1f}\u{7f}é€😀".chars().collect();
        let mut rng = fastrand::Rng::with_seed(7);
        let mut cases: Vec<String> = (0..40).map(|n| "\"".repeat(n)).collect();
        cases.push("x".repeat(BLOCK + 17) + "\"" + &"\n".repeat(BLOCK));
        for _ in 0..3000 {
            let len = if rng.bool() { rng.usize(0..40) } else { rng.usize(0..300) };
            let clean = rng.u8(0..=10);
            cases.push((0..len).map(|_| if rng.u8(0..10) < clean { 'a' } else { alphabet[rng.usize(..alphabet.len())] }).collect());
        }
        for s in &cases {
            let expected = serde_json::to_string(s).unwrap();
            #[cfg(target_arch = "x86_64")]
            assert_eq!(escaped_with::<super::super::escapes::Sse2>(s), expected, "{s:?}");
            assert_eq!(escaped_with::<super::super::escapes::Swar>(s), expected, "{s:?}");
        }
        // write_str escapes a block at a time: blocks that end inside a multi-byte character
        // or an escape run join up.
        for long in ["x".to_owned() + &"é".repeat(3 * BLOCK), "\"".repeat(BLOCK + 3), "a".repeat(BLOCK - 1) + "\n\u{1}é"] {
            assert_eq!(str_json(&long), serde_json::to_string(&long).unwrap());
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
