//! Wall-clock timestamps for the wire and monotonic stopwatches for latency.
//!
//! Timestamps are UTC microseconds since the Unix epoch and are rendered as RFC 3339 with
//! exactly six fractional digits, so every binding produces the same bytes. Latency is never
//! derived from two wall-clock readings (they jump); it comes from a [`Stopwatch`].

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A UTC instant with microsecond precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Self {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(d.as_micros() as i64),
            Err(e) => Timestamp(-(e.duration().as_micros() as i64)),
        }
    }

    pub const fn from_unix_micros(micros: i64) -> Self {
        Timestamp(micros)
    }

    pub const fn unix_micros(self) -> i64 {
        self.0
    }

    /// `self` moved forward by `d` (saturating), used to derive an end time from a start time
    /// and a monotonic duration so that end - start always equals the measured latency.
    pub fn add(self, d: Duration) -> Self {
        Timestamp(self.0.saturating_add(d.as_micros().min(i64::MAX as u128) as i64))
    }

    /// Parses RFC 3339 in UTC (`Z`), with or without fractional seconds.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = humantime::parse_rfc3339_weak(s.strip_suffix('Z').unwrap_or(s)).ok()?;
        let d = t.duration_since(UNIX_EPOCH).ok()?;
        Some(Timestamp(d.as_micros() as i64))
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    pub fn write_rfc3339(self, out: &mut String) {
        use std::fmt::Write;
        let t = if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_micros(self.0 as u64)
        } else {
            UNIX_EPOCH // pre-1970 clocks are a misconfigured host; clamp rather than panic
        };
        let _ = write!(out, "{}", humantime::format_rfc3339_micros(t));
    }

    pub fn to_rfc3339(self) -> String {
        let mut s = String::with_capacity(27);
        self.write_rfc3339(&mut s);
        s
    }
}

/// Measures elapsed time with the monotonic clock, anchored to the wall-clock start.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch {
    started_at: Timestamp,
    started: Instant,
}

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch { started_at: Timestamp::now(), started: Instant::now() }
    }

    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// `(end timestamp, latency in ms)` for a scope ending now.
    pub fn stop(&self) -> (Timestamp, u64) {
        let elapsed = self.started.elapsed();
        (self.started_at.add(elapsed), elapsed.as_millis() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_six_fractional_digits_in_utc() {
        let t = Timestamp::from_unix_micros(1_700_000_000_000_001);
        assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.000001Z");
        assert_eq!(Timestamp::from_unix_micros(0).to_rfc3339(), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn parses_what_it_renders() {
        let t = Timestamp::from_unix_micros(1_763_000_000_123_456);
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert_eq!(Timestamp::parse_rfc3339("not a time"), None);
    }

    #[test]
    fn stopwatch_end_minus_start_is_the_latency() {
        let sw = Stopwatch::start();
        std::thread::sleep(Duration::from_millis(3));
        let (end, ms) = sw.stop();
        assert!(ms >= 3);
        let diff_ms = (end.unix_micros() - sw.started_at().unix_micros()) / 1000;
        assert_eq!(diff_ms as u64, ms);
    }
}
