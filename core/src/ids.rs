//! Client-generated identifiers.
//!
//! Traces, spans and events get time-ordered UUIDv7 ids on the client, so a retried batch
//! carries the same ids and the server can deduplicate it, and ids sort by creation time.

pub use uuid::Uuid;

/// A UUIDv7: 48 bits of Unix milliseconds, then random bits from a thread-local generator.
/// Ids need to be unique and time-ordered, not secret, so no system call per id.
pub fn new_id() -> Uuid {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let random = fastrand::u128(..).to_le_bytes();
    uuid::Builder::from_unix_timestamp_millis(millis, random[..10].try_into().expect("10 bytes")).into_uuid()
}

/// Parses a hyphenated or simple UUID as given by a binding or a user.
pub fn parse_id(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_and_increase() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id();
        assert_eq!(a.get_version_num(), 7);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        let many: std::collections::HashSet<Uuid> = (0..10_000).map(|_| new_id()).collect();
        assert_eq!(many.len(), 10_000, "no collisions");
        assert!(b > a, "later ids sort after earlier ones");
    }
}
