//! Deterministic sampling, decided when a trace ends.
//!
//! With a rate, the decision is a pure function of the trace id, so every process, language
//! and retry agrees on it. A trace with an error is always kept. A binding that runs a user
//! callable stores its answer in `TraceRecord::sampled`, which wins over the rate.

use crate::ids::Uuid;

/// Maps a trace id to a number in [0, 1): splitmix64 over the id's low 64 bits (the random
/// part of a UUIDv7), top 53 bits as a fraction. Stable by definition, documented for peers.
pub fn sample_point(id: &Uuid) -> f64 {
    let low = u64::from_be_bytes(id.as_bytes()[8..16].try_into().expect("16-byte uuid"));
    let mut z = low.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// True when a trace with this id is kept at `rate` (0.0 keeps none, 1.0 keeps all).
pub fn is_sampled(id: &Uuid, rate: f64) -> bool {
    rate >= 1.0 || (rate > 0.0 && sample_point(id) < rate)
}

/// The final decision for a finished trace: kept when it has an error, else as the binding
/// decided (`sampled`), else by the rate.
pub fn keep(id: &Uuid, sampled: Option<bool>, has_error: bool, rate: f64) -> bool {
    has_error || sampled.unwrap_or_else(|| is_sampled(id, rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::new_id;

    const PINNED_POINT: f64 = 0.8206239974045014;

    #[test]
    fn the_same_id_always_gets_the_same_decision() {
        let id = Uuid::parse_str("0190b6a0-7c1e-7d2a-9b4f-3a5c6e7f8091").unwrap();
        let p = sample_point(&id);
        for _ in 0..100 {
            assert_eq!(sample_point(&id), p);
        }
        // Pinned: every process and language must agree, so the function may never drift.
        assert_eq!(p, PINNED_POINT);
    }

    #[test]
    fn the_kept_fraction_follows_the_rate() {
        let ids: Vec<Uuid> = (0..20_000).map(|_| new_id()).collect();
        for rate in [0.1, 0.5, 0.9] {
            let kept = ids.iter().filter(|id| is_sampled(id, rate)).count() as f64 / ids.len() as f64;
            assert!((kept - rate).abs() < 0.02, "rate {rate} kept {kept}");
        }
        assert!(ids.iter().all(|id| is_sampled(id, 1.0)));
        assert!(!ids.iter().any(|id| is_sampled(id, 0.0)));
    }

    #[test]
    fn errors_are_kept_and_callable_decisions_win_over_the_rate() {
        let id = new_id();
        assert!(keep(&id, None, true, 0.0));
        assert!(keep(&id, Some(false), true, 0.0));
        assert!(!keep(&id, Some(false), false, 1.0));
        assert!(keep(&id, Some(true), false, 0.0));
        assert!(keep(&id, None, false, 1.0) && !keep(&id, None, false, 0.0));
    }
}
