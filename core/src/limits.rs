//! Size limits, enforced the same way for every language.
//!
//! Oversize values are cut, never rejected: the kept text ends with a visible marker naming
//! the original size, the cut lands on a UTF-8 character boundary, and every cut is counted.

/// The limits the API sets (see `api/trulayer-api.md` §2 and §8).
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest input/output/error string, in bytes, after encoding.
    pub max_field_bytes: usize,
    pub max_tags: usize,
    /// Longest tag key or value, in characters.
    pub max_tag_chars: usize,
    pub max_session_chars: usize,
    /// Traces per ingest request.
    pub max_batch_traces: usize,
    /// Bytes per ingest request body (before compression).
    pub max_batch_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: 1024 * 1024,
            max_tags: 20,
            max_tag_chars: 64,
            max_session_chars: 256,
            max_batch_traces: 100,
            max_batch_bytes: 5 * 1024 * 1024,
        }
    }
}

/// Cuts `s` to at most `max_bytes` bytes including the marker. Returns true when it cut.
pub fn truncate_bytes(s: &mut String, max_bytes: usize) -> bool {
    if s.len() <= max_bytes {
        return false;
    }
    let marker = format!("…[truncated, {} bytes]", s.len());
    let keep = floor_char_boundary(s, max_bytes.saturating_sub(marker.len()));
    s.truncate(keep);
    s.push_str(&marker);
    true
}

/// Cuts `s` to at most `max_chars` characters (tags and ids are limited in characters).
pub fn truncate_chars(s: &mut String, max_chars: usize) -> bool {
    match s.char_indices().nth(max_chars) {
        Some((byte_idx, _)) => {
            s.truncate(byte_idx);
            true
        }
        None => false,
    }
}

fn floor_char_boundary(s: &str, mut idx: usize) -> usize {
    if idx >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(idx) {
        idx -= 1;
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_untouched() {
        let mut s = "hello".to_string();
        assert!(!truncate_bytes(&mut s, 5));
        assert_eq!(s, "hello");
    }

    #[test]
    fn long_strings_keep_a_marker_with_the_original_size_within_the_limit() {
        let mut s = "x".repeat(1000);
        assert!(truncate_bytes(&mut s, 100));
        assert!(s.len() <= 100);
        assert!(s.ends_with("…[truncated, 1000 bytes]"), "{s}");
        assert!(s.starts_with("xxxx"));
    }

    #[test]
    fn cuts_never_split_a_character() {
        let mut s = "é".repeat(500); // 2 bytes each
        assert!(truncate_bytes(&mut s, 101));
        assert!(s.len() <= 101);
        assert!(std::str::from_utf8(s.as_bytes()).is_ok());
        let mut t = "日本語テキスト".to_string();
        assert!(truncate_chars(&mut t, 3));
        assert_eq!(t, "日本語");
    }
}
