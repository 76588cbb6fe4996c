//! Recognizes JSON text that is already the encoder's rendering of the value it denotes.
//!
//! A structured payload travels as its compact JSON text, which the encoder writes from the
//! parsed value: object keys in sorted order, integers as plain digits, strings with the
//! escapes of [`super::json::write_str`]. A binding that receives payloads as JSON text
//! (Node's `JSON.stringify` output) can keep text that already has that form instead of
//! parsing it and rendering it again: the wire bytes are the same. The check is
//! conservative; whatever it does not accept takes the parsing path.

/// Containers serde_json nests at most (deeper, the parsing path keeps the text as a string).
const MAX_DEPTH: usize = 127;

/// At most 15 digits: below 2^53, so every language reads the number as the same integer.
const MAX_DIGITS: usize = 15;

/// Whether `text` is an object or array exactly as the encoder writes it: compact, object keys
/// in strictly increasing byte order and free of escapes, numbers that are integers of at
/// most 15 digits, and only the string escapes the encoder writes. A top-level string is not
/// accepted: the encoder writes a string payload without its JSON quotes.
pub fn is_canonical_json(text: &str) -> bool {
    let mut scan = Scan { bytes: text.as_bytes(), at: 0 };
    matches!(scan.peek(), Some(b'{' | b'[')) && scan.value(0) && scan.at == scan.bytes.len()
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let found = self.peek() == Some(b);
        self.at += usize::from(found);
        found
    }

    fn word(&mut self, word: &[u8]) -> bool {
        let found = self.bytes[self.at..].starts_with(word);
        self.at += if found { word.len() } else { 0 };
        found
    }

    fn value(&mut self, depth: usize) -> bool {
        match self.peek() {
            Some(b'{') => depth < MAX_DEPTH && self.object(depth + 1),
            Some(b'[') => depth < MAX_DEPTH && self.array(depth + 1),
            Some(b'"') => self.string().is_some(),
            Some(b't') => self.word(b"true"),
            Some(b'f') => self.word(b"false"),
            Some(b'n') => self.word(b"null"),
            Some(b'-' | b'0'..=b'9') => self.integer(),
            _ => false,
        }
    }

    fn object(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b'}') {
            return true;
        }
        let mut previous: Option<&[u8]> = None;
        loop {
            // Sorted order is the order of the unescaped keys: a key with an escape is left
            // to the parsing path rather than unescaped here.
            let Some(key) = self.string() else { return false };
            if key.contains(&b'\\') || previous.is_some_and(|p| p >= key) {
                return false;
            }
            previous = Some(key);
            if !self.eat(b':') || !self.value(depth) {
                return false;
            }
            if self.eat(b'}') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    fn array(&mut self, depth: usize) -> bool {
        self.at += 1;
        if self.eat(b']') {
            return true;
        }
        loop {
            if !self.value(depth) {
                return false;
            }
            if self.eat(b']') {
                return true;
            }
            if !self.eat(b',') {
                return false;
            }
        }
    }

    /// A string whose escapes are all ones the encoder writes; returns its raw contents.
    fn string(&mut self) -> Option<&'a [u8]> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.at;
        loop {
            let at = super::escapes::escapes(self.bytes, self.at).next()?;
            match self.bytes[at] {
                b'"' => {
                    self.at = at + 1;
                    return Some(&self.bytes[start..at]);
                }
                b'\\' => self.at = at + 1 + escape_len(&self.bytes[at + 1..])?,
                _ => return None, // a raw control character: not JSON
            }
        }
    }

    /// Digits with an optional minus sign, no fraction or exponent, no leading zero, not -0.
    fn integer(&mut self) -> bool {
        let negative = self.eat(b'-');
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = &self.bytes[start..self.at];
        let plain = match digits {
            [] => false,
            [b'0'] => !negative,
            [first, ..] => *first != b'0' && digits.len() <= MAX_DIGITS,
        };
        plain && !matches!(self.peek(), Some(b'.' | b'e' | b'E'))
    }
}

/// The length of the escape after a backslash when it is one the encoder writes: the short
/// forms, or `\u00XX` in lowercase hex for the other control characters.
fn escape_len(rest: &[u8]) -> Option<usize> {
    match rest {
        [b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't', ..] => Some(1),
        [b'u', b'0', b'0', high @ (b'0' | b'1'), low, ..] => {
            let low = match low {
                b'0'..=b'9' => low - b'0',
                b'a'..=b'f' => low - b'a' + 10,
                _ => return None,
            };
            let code = (high - b'0') << 4 | low;
            (!matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d)).then_some(5)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::json::write_value;
    use serde_json::{json, Value};

    fn render(v: &Value) -> String {
        let mut out = Vec::new();
        write_value(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    /// The property the parsing path is skipped on: accepted text is its own rendering.
    fn check(text: &str) -> bool {
        let accepted = is_canonical_json(text);
        if accepted {
            let parsed: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("accepted invalid JSON {text:?}: {e}"));
            assert_eq!(render(&parsed), text, "accepted text that renders differently");
        }
        accepted
    }

    #[test]
    fn the_encoders_own_rendering_is_accepted() {
        let values = [
            json!({}),
            json!([]),
            json!({"answer": "Rayleigh scattering", "doc_count": 5}),
            json!([1, -2, 0, 999_999_999_999_999i64, true, false, null, "x"]),
            json!({"a": {"b": [{"c": "d"}]}, "e": []}),
            json!({"quote\"d": 1}), // a key with an escape: left to the parsing path
            json!({"text": "tab\there \"quoted\" back\\slash \u{1} \u{1f} é ✓ \u{1F600} \u{7f}"}),
            json!({"Z": 1, "a": 2, "é": 3, "ä": 4}),
        ];
        let accepted: Vec<bool> = values.iter().map(|v| check(&render(v))).collect();
        assert_eq!(accepted, [true, true, true, true, true, false, true, true]);
    }

    #[test]
    fn text_the_encoder_would_write_differently_is_refused() {
        let refused = [
            r#""a top-level string""#,
            "42",
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e21}"#,
            r#"{"a":1E2}"#,
            r#"{"a":1234567890123456}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\ud800"}"#,
            "{\"a\":\"raw\u{1}control\"}",
            r#"{ "a":1}"#,
            r#"{"a":1,}"#,
            r#"[1,2"#,
            r#"{"a":1}x"#,
            r#"{"a":tru}"#,
        ];
        for text in refused {
            assert!(!check(text), "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(!check(&deep));
        let deepest_accepted = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(check(&deepest_accepted));
    }

    #[test]
    fn accepted_text_always_renders_as_itself() {
        // Random values in the shapes JSON.stringify writes, keys in insertion order (so some
        // objects are sorted and some are not), with numbers and strings of every kind.
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..3000 {
            let text = js_like(&mut rng, 0);
            if check(&text) {
                accepted += 1;
            } else {
                refused += 1;
            }
        }
        assert!(accepted > 300 && refused > 300, "both paths exercised: {accepted} accepted, {refused} refused");
    }

    /// JSON text as `JSON.stringify` writes it: keys in the order given, its number forms.
    fn js_like(rng: &mut fastrand::Rng, depth: usize) -> String {
        let pick = if depth == 0 { rng.usize(0..2) } else { rng.usize(0..8) };
        match pick {
            0 => {
                let n = rng.usize(0..4);
                let mut keys: Vec<String> = (0..n).map(|_| js_string_text(rng, 3)).collect();
                keys.dedup();
                let fields: Vec<String> = keys.iter().map(|k| format!("{k}:{}", js_like(rng, depth + 1))).collect();
                format!("{{{}}}", fields.join(","))
            }
            1 => {
                let items: Vec<String> = (0..rng.usize(0..4)).map(|_| js_like(rng, depth + 1)).collect();
                format!("[{}]", items.join(","))
            }
            2 => js_string_text(rng, 12),
            3 => ["true", "false", "null"][rng.usize(0..3)].to_owned(),
            4 => rng.i64(-1000..1000).to_string(),
            5 => ["1.5", "-0.25", "1e+21", "123456789012345678", "0", "9007199254740993"][rng.usize(0..6)].to_owned(),
            _ => rng.i64(-999_999_999_999_999..=999_999_999_999_999).to_string(),
        }
    }

    fn js_string_text(rng: &mut fastrand::Rng, max: usize) -> String {
        const CHARS: [&str; 12] = ["a", "b", "Z", "é", "✓", "\\\"", "\\\\", "\\n", "\\u0001", "\\u001f", "/", "\u{1F600}"];
        let body: String = (0..rng.usize(0..max)).map(|_| CHARS[rng.usize(0..CHARS.len())]).collect();
        format!("\"{body}\"")
    }
}
