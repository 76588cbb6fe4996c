//! Fresh records with one wall-clock reading per trace. The core's `TraceRecord::new`,
//! `SpanRecord::new` and `Stopwatch` read the wall clock for the id and again for the start
//! time of every record (five clock reads per span with its stop); here a trace reads it once
//! and its spans are placed by a monotonic offset from that reading: two reads per span.
//! End minus start still equals the measured latency, as with the core's `Stopwatch`.

use std::sync::OnceLock;
use std::time::Instant;

use trulayer_core::model::{SpanRecord, SpanType, TraceRecord};
use trulayer_core::{Timestamp, Uuid};

/// A wall-clock reading and the monotonic instant it was taken at.
#[derive(Clone, Copy)]
pub struct Anchor {
    wall: Timestamp,
    mono: Instant,
}

impl Anchor {
    pub fn now() -> Self {
        Anchor { wall: Timestamp::now(), mono: Instant::now() }
    }

    /// The wall-clock time of `t`, a later monotonic instant.
    fn wall_at(&self, t: Instant) -> Timestamp {
        self.wall.add(t.saturating_duration_since(self.mono))
    }
}

/// When a record started, for its end time and latency.
pub struct Started {
    at: Timestamp,
    mono: Instant,
}

impl Started {
    /// `(end timestamp, latency in ms)` for a record ending now.
    pub fn stop(&self) -> (Timestamp, u64) {
        let elapsed = self.mono.elapsed();
        (self.at.add(elapsed), elapsed.as_millis() as u64)
    }
}

/// A UUIDv7 of `at`, as the core's `new_id` makes them (time-ordered, thread-local random
/// bits, no system call) but without reading the clock again.
fn id_at(at: Timestamp) -> Uuid {
    let millis = u64::try_from(at.unix_micros() / 1000).unwrap_or(0);
    let random = fastrand::u128(..).to_le_bytes();
    uuid::Builder::from_unix_timestamp_millis(millis, random[..10].try_into().expect("10 bytes")).into_uuid()
}

/// Records with nothing set, cloned for each new record: the struct update below then names
/// only what differs, and the core's constructors (which read the clock) run once.
#[inline]
fn blank_trace() -> TraceRecord {
    static BLANK: OnceLock<TraceRecord> = OnceLock::new();
    BLANK.get_or_init(|| TraceRecord::new("")).clone()
}

#[inline]
fn blank_span() -> SpanRecord {
    static BLANK: OnceLock<SpanRecord> = OnceLock::new();
    BLANK.get_or_init(|| SpanRecord::new("", SpanType::Custom)).clone()
}

#[inline]
pub fn new_trace(name: String, anchor: &Anchor) -> (TraceRecord, Started) {
    let record = TraceRecord { id: id_at(anchor.wall), name, started_at: anchor.wall, ..blank_trace() };
    (record, Started { at: anchor.wall, mono: anchor.mono })
}

#[inline]
pub fn new_span(name: String, span_type: SpanType, anchor: &Anchor) -> (SpanRecord, Started) {
    let mono = Instant::now();
    let at = anchor.wall_at(mono);
    let record = SpanRecord { id: id_at(at), name, span_type, start_time: at, ..blank_span() };
    (record, Started { at, mono })
}
