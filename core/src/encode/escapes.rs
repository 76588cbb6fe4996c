//! Finding the bytes JSON requires escaped (below 0x20, a quote, a backslash), which is most
//! of the encoder's work: almost every byte of a trace needs none.
//!
//! The scan tests a whole chunk at once (16 bytes with SSE2 on x86_64, else 8 in a `u64`) and
//! keeps a mask of every marked byte in it, so a string with several escapes (JSON text sent
//! as a string has one per quote) is scanned once, not once per escape. The bytes past the
//! last whole chunk are read as the string's last chunk, which overlaps bytes already
//! scanned, and a string shorter than a chunk is read in a few overlapping words: no byte is
//! copied to pad a chunk. UTF-8 lead and continuation bytes are all 0x80 or above, so
//! multi-byte text never matches.

/// Whether JSON requires `b` escaped: what the scans below find a chunk at a time.
#[inline]
pub(super) fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The positions of the bytes to escape in `bytes` at or after `from`, in order.
#[inline]
pub(super) fn escapes(bytes: &[u8], from: usize) -> Escapes<'_> {
    Escapes::new(bytes, from)
}

/// How a chunk is tested: a mask with `BITS` bits per byte, the lowest set for each byte
/// to escape.
pub(super) trait Scan {
    const WIDTH: usize;
    const BITS: u32;
    /// The marks of exactly `WIDTH` bytes.
    fn marks(chunk: &[u8]) -> u64;
    /// The marks of a whole string shorter than `WIDTH` (and not empty).
    fn short_marks(bytes: &[u8]) -> u64;
}

/// The scan this target runs.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
pub(super) type Native = Sse2;
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(super) type Native = Swar;

/// The widest chunk of any scan.
pub(super) const MAX_WIDTH: usize = 16;

pub(super) struct Escapes<'a, S: Scan = Native> {
    bytes: &'a [u8],
    /// Where the chunk of `marks` starts.
    base: usize,
    /// The chunk's marked bytes not yet reported.
    marks: u64,
    /// Where the next chunk starts.
    next: usize,
    scan: std::marker::PhantomData<S>,
}

impl<'a, S: Scan> Escapes<'a, S> {
    #[inline]
    fn new(bytes: &'a [u8], from: usize) -> Self {
        Escapes { bytes, base: from, marks: 0, next: from, scan: std::marker::PhantomData }
    }

    /// The marks of the chunk at `at`, or of the bytes left when they are fewer.
    #[inline]
    fn marks_at(&self, at: usize) -> u64 {
        let bytes = self.bytes;
        if let Some(chunk) = bytes.get(at..at + S::WIDTH) {
            return S::marks(chunk);
        }
        let left = bytes.len() - at;
        if bytes.len() >= S::WIDTH {
            // The last chunk, shifted past the bytes before `at` (scanned already).
            return S::marks(&bytes[bytes.len() - S::WIDTH..]) >> (S::BITS as usize * (S::WIDTH - left));
        }
        S::short_marks(&bytes[at..])
    }
}

impl<S: Scan> Iterator for Escapes<'_, S> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.marks == 0 {
            if self.next >= self.bytes.len() {
                return None;
            }
            self.base = self.next;
            self.marks = self.marks_at(self.next);
            self.next += S::WIDTH;
        }
        let at = self.base + (self.marks.trailing_zeros() / S::BITS) as usize;
        self.marks &= self.marks - 1; // each marked byte has exactly one bit set
        Some(at)
    }
}

/// Eight bytes as a little-endian word.
#[inline]
pub(super) fn word(bytes: &[u8]) -> u64 {
    u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
}

/// Eight spaces: padding that needs no escape.
pub(super) const SPACES: u64 = 0x2020_2020_2020_2020;

/// Eight or fewer bytes as a little-endian word, the positions past them filled with spaces
/// (which need no escape). Read in two overlapping loads (or three single bytes): bytes read
/// twice land on the same position, so OR-ing them together is exact.
#[inline]
pub(super) fn short_word(b: &[u8]) -> u64 {
    let n = b.len();
    debug_assert!((1..=8).contains(&n));
    let word = if n >= 4 {
        let lo = u64::from(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")));
        let hi = u64::from(u32::from_le_bytes(b[n - 4..].try_into().expect("4 bytes")));
        lo | hi << (8 * (n - 4))
    } else {
        u64::from(b[0]) | u64::from(b[n / 2]) << (8 * (n / 2)) | u64::from(b[n - 1]) << (8 * (n - 1))
    };
    if n == 8 {
        word
    } else {
        word | SPACES << (8 * n)
    }
}

/// SSE2, part of every x86_64 CPU: sixteen bytes per step, one mask bit per byte.
#[cfg(target_arch = "x86_64")]
pub(super) struct Sse2;

#[cfg(target_arch = "x86_64")]
impl Sse2 {
    #[inline]
    fn marks_of(lo: u64, hi: u64) -> u64 {
        // SAFETY: SSE2 is in the baseline of every x86_64 target; the intrinsics work on
        // values only.
        unsafe { Self::marks_sse2(lo, hi) }
    }

    #[target_feature(enable = "sse2")]
    fn marks_sse2(lo: u64, hi: u64) -> u64 {
        use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x};
        let v = _mm_set_epi64x(hi as i64, lo as i64);
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        u64::from(_mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) as u16)
    }
}

#[cfg(target_arch = "x86_64")]
impl Scan for Sse2 {
    const WIDTH: usize = 16;
    const BITS: u32 = 1;

    #[inline]
    fn marks(chunk: &[u8]) -> u64 {
        Self::marks_of(word(&chunk[..8]), word(&chunk[8..16]))
    }

    /// The first and last eight bytes, overlapping (or one padded word).
    #[inline]
    fn short_marks(b: &[u8]) -> u64 {
        let n = b.len();
        if n <= 8 {
            return Self::marks_of(short_word(b), SPACES);
        }
        let m = Self::marks_of(word(&b[..8]), word(&b[n - 8..]));
        (m & 0xff) | (m >> 8) << (n - 8)
    }
}

/// Anywhere: eight bytes per step in a plain `u64` (SWAR), the high bit of each byte its mark.
/// (Compiled on x86_64 too, where only its tests use it.)
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2", not(test)), allow(dead_code))]
pub(super) struct Swar;

#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2", not(test)), allow(dead_code))]
impl Swar {
    /// Exact per byte: every sum stays within its byte (no carry reaches the next one).
    #[inline]
    fn marks_of(word: u64) -> u64 {
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        const HIGH: u64 = !LOW7;
        const ONES: u64 = 0x0101_0101_0101_0101;
        // For a byte below 0x80, adding 0x60 sets its high bit exactly when it is 0x20 or more.
        let control = !(((word & LOW7) + ONES * 0x60) | word) & HIGH;
        // Adding 0x7f sets the high bit of every byte but zero.
        let zero = |w: u64| !(((w & LOW7) + LOW7) | w) & HIGH;
        control | zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')))
    }
}

impl Scan for Swar {
    const WIDTH: usize = 8;
    const BITS: u32 = 8;

    #[inline]
    fn marks(chunk: &[u8]) -> u64 {
        Self::marks_of(word(chunk))
    }

    #[inline]
    fn short_marks(b: &[u8]) -> u64 {
        Self::marks_of(short_word(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found<S: Scan>(bytes: &[u8], from: usize) -> Vec<usize> {
        Escapes::<S>::new(bytes, from).collect()
    }

    /// Both scans (SSE2 only where it runs).
    fn check(bytes: &[u8], from: usize, expected: &[usize]) {
        assert_eq!(found::<Swar>(bytes, from), expected, "swar: {bytes:?} from {from}");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(found::<Sse2>(bytes, from), expected, "sse2: {bytes:?} from {from}");
        assert_eq!(escapes(bytes, from).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn every_position_is_found_in_order_from_any_start() {
        // Strings of every length up to three chunks, with the bytes to escape at every
        // position, alone and in runs, among ASCII and UTF-8 bytes that need none.
        let fillers: [&[u8]; 3] = [b"a", "é".as_bytes(), b"\x7f"];
        let specials = [b'"', b'\\', b'\n', 0x00, 0x1f, b' '];
        let mut rng = fastrand::Rng::with_seed(3);
        for len in 0..50 {
            for _ in 0..40 {
                let mut bytes = Vec::new();
                while bytes.len() < len {
                    if rng.u8(0..4) == 0 {
                        bytes.push(specials[rng.usize(0..specials.len())]);
                    } else {
                        bytes.extend_from_slice(fillers[rng.usize(0..fillers.len())]);
                    }
                }
                for from in 0..=bytes.len() {
                    let expected: Vec<usize> = (from..bytes.len()).filter(|&i| needs_escape(bytes[i])).collect();
                    check(&bytes, from, &expected);
                }
            }
        }
    }

    #[test]
    fn every_byte_value_is_classified() {
        for b in 0..=255u8 {
            for len in 1..=33 {
                for at in 0..len {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = b;
                    let expected = if needs_escape(b) { vec![at] } else { vec![] };
                    check(&bytes, 0, &expected);
                }
            }
        }
    }
}
