//! Exponential backoff with jitter, and the server's `Retry-After`.

use std::time::{Duration, SystemTime};

#[derive(Clone, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff { base, cap, attempt: 0 }
    }

    /// The wait before the next attempt: `base * 2^n` capped, with "equal jitter" (half fixed,
    /// half random) so a fleet of clients does not retry in lockstep but never retries at once.
    /// A server's `Retry-After` is a floor: no request goes out before it.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16)).min(self.cap);
        self.attempt += 1;
        let half = exp / 2;
        let jittered = half + half.mul_f64(fastrand::f64());
        match retry_after {
            Some(ra) => ra.max(jittered.min(ra + self.base)),
            None => jittered,
        }
    }
}

/// Parses `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_stay_within_jitter_bounds() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        let expected_max = [100u64, 200, 400, 800, 1000, 1000];
        for max in expected_max {
            let d = b.next_delay(None).as_millis() as u64;
            assert!(d >= max / 2 && d <= max, "delay {d} outside [{}, {max}]", max / 2);
        }
    }

    #[test]
    fn retry_after_is_a_floor() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        for _ in 0..20 {
            let d = b.next_delay(Some(Duration::from_secs(3)));
            assert!(d >= Duration::from_secs(3) && d <= Duration::from_millis(3100), "{d:?}");
        }
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 1.5 ", now), Some(Duration::from_millis(1500)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
