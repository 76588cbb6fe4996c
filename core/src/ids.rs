//! Client-generated identifiers.
//!
//! Traces, spans and events get time-ordered UUIDv7 ids on the client, so a retried batch
//! carries the same ids and the server can deduplicate it, and ids sort by creation time.

pub use uuid::Uuid;

pub fn new_id() -> Uuid {
    Uuid::now_v7()
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
        assert!(b > a, "later ids sort after earlier ones");
    }
}
