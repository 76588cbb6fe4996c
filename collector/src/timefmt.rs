//! RFC 3339 times as Unix microseconds. Parsing accepts any offset (Python sends `+00:00`,
//! JavaScript `Z`); rendering is the core's canonical UTC form with six fractional digits.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use trulayer_core::Timestamp;

pub fn parse(text: &str) -> Option<i64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return i64::try_from(t.unix_timestamp_nanos() / 1000).ok();
    }
    // Times without an offset are read as UTC.
    Timestamp::parse_rfc3339(text).map(Timestamp::unix_micros)
}

pub fn format(micros: i64) -> String {
    Timestamp::from_unix_micros(micros).to_rfc3339()
}

pub fn now_micros() -> i64 {
    Timestamp::now().unix_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_normalised_to_utc() {
        let a = parse("2024-05-01T10:00:00.5+02:00").unwrap();
        assert_eq!(format(a), "2024-05-01T08:00:00.500000Z");
        assert_eq!(parse("2024-05-01T08:00:00.500000Z"), Some(a));
        assert_eq!(parse("2024-05-01T08:00:00.5"), Some(a));
        assert_eq!(parse("yesterday"), None);
    }
}
