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

    /// Writes `YYYY-MM-DDTHH:MM:SS.ffffffZ` into `buf` (no allocation). Instants before 1970
    /// (a misconfigured host) are clamped to 1970.
    pub fn write_rfc3339(self, buf: &mut [u8; 27]) {
        let (secs, micros) = self.split();
        *buf = RFC3339_TEMPLATE;
        write_date_time(buf, secs);
        write_micros(buf, micros);
    }

    /// Whole seconds since the epoch and the microseconds past them, clamped to 1970.
    fn split(self) -> (u64, u64) {
        let micros = self.0.max(0) as u64;
        (micros / 1_000_000, micros % 1_000_000)
    }

    pub fn format_rfc3339(self, buf: &mut [u8; 27]) -> &str {
        self.write_rfc3339(buf);
        std::str::from_utf8(buf).expect("ASCII digits and separators")
    }

    pub fn to_rfc3339(self) -> String {
        self.format_rfc3339(&mut [0; 27]).to_owned()
    }
}

/// Renders the timestamps of one trace, which almost always share their date and second:
/// the calendar arithmetic runs only when the second changes (the encoder writes eight of
/// these per 3-span trace).
pub(crate) struct Rfc3339Writer {
    secs: Option<u64>,
    text: [u8; 27],
}

impl Rfc3339Writer {
    pub fn new() -> Self {
        Rfc3339Writer { secs: None, text: RFC3339_TEMPLATE }
    }

    /// `t` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as `Timestamp::write_rfc3339` writes it.
    pub fn format(&mut self, t: Timestamp) -> &[u8; 27] {
        let (secs, micros) = t.split();
        if self.secs != Some(secs) {
            write_date_time(&mut self.text, secs);
            self.secs = Some(secs);
        }
        write_micros(&mut self.text, micros);
        &self.text
    }
}

const RFC3339_TEMPLATE: [u8; 27] = *b"0000-00-00T00:00:00.000000Z";

/// Fills the date and time of day of `secs` into a buffer holding the template.
fn write_date_time(buf: &mut [u8; 27], secs: u64) {
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let (year, sod) = (year as u64 % 10_000, secs % 86_400);
    let pairs = [(0, year / 100), (2, year % 100), (5, u64::from(month)), (8, u64::from(day)), (11, sod / 3600), (14, sod / 60 % 60), (17, sod % 60)];
    write_pairs(buf, pairs);
}

fn write_micros(buf: &mut [u8; 27], micros: u64) {
    write_pairs(buf, [(20, micros / 10_000), (22, micros / 100 % 100), (24, micros % 100)]);
}

/// Two digits at a time, from a table.
fn write_pairs<const N: usize>(buf: &mut [u8; 27], pairs: [(usize, u64); N]) {
    for (at, value) in pairs {
        let digits = value as usize * 2;
        buf[at..at + 2].copy_from_slice(&DIGIT_PAIRS[digits..digits + 2]);
    }
}

const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
    5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// (year, month, day) of a day count since 1970-01-01, in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
    fn the_per_trace_writer_formats_as_write_rfc3339_does() {
        let mut writer = Rfc3339Writer::new();
        // Same second, the next second, across midnight and a year end, and back again.
        let micros = [1_700_000_000_000_001, 1_700_000_000_999_999, 1_700_000_001_000_000, 1_704_067_199_999_999, 1_704_067_200_000_000, 17_000_000_005, 0, -5];
        for m in micros {
            let t = Timestamp::from_unix_micros(m);
            assert_eq!(std::str::from_utf8(writer.format(t)).unwrap(), t.to_rfc3339(), "{m}");
        }
    }

    #[test]
    fn renders_six_fractional_digits_in_utc() {
        let t = Timestamp::from_unix_micros(1_700_000_000_000_001);
        assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.000001Z");
        assert_eq!(Timestamp::from_unix_micros(0).to_rfc3339(), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn hand_formatting_agrees_with_humantime_across_calendar_edges() {
        let days = |d: u64| d * 86_400 * 1_000_000;
        let mut samples = vec![0, 1, 999_999, days(59), days(365 * 30 + 7), 4_102_444_799_999_999, 4_102_444_800_000_000];
        // 2024-02-29 (leap day), 2100-03-01 (not a leap year), 2000-02-29 (a leap year).
        samples.extend([1_709_164_800_123_456, 4_107_542_400_000_001, 951_782_400_500_000]);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            samples.push(x % 8_000_000_000_000_000); // up to about 2223
        }
        for micros in samples {
            let want = humantime::format_rfc3339_micros(UNIX_EPOCH + Duration::from_micros(micros)).to_string();
            assert_eq!(Timestamp::from_unix_micros(micros as i64).to_rfc3339(), want, "{micros}");
        }
        assert_eq!(Timestamp::from_unix_micros(-5).to_rfc3339(), "1970-01-01T00:00:00.000000Z");
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
