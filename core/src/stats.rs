//! Counters for every outcome of every trace.
//!
//! The invariant tests rely on: `finished == sampled_out + sent + dropped_total + pending`,
//! where `pending` is what is queued or in flight. Nothing is lost without a counter moving.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

/// Why a trace was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The queue held `max_queue_size` traces.
    QueueFull,
    /// The queue held `max_queue_bytes`.
    QueueBytes,
    /// The server rejected the trace as invalid (400/422).
    Invalid,
    /// The trace alone is larger than the server accepts (413).
    TooLarge,
    /// The key was refused (401/403); the client stopped shipping.
    Auth,
    /// Retries did not succeed within the retry budget.
    RetryExhausted,
    /// Shutdown's deadline passed before the trace could be sent.
    Shutdown,
    /// The server refused it with another non-retryable status.
    Rejected,
}

impl DropReason {
    pub const ALL: [DropReason; 8] = [
        DropReason::QueueFull,
        DropReason::QueueBytes,
        DropReason::Invalid,
        DropReason::TooLarge,
        DropReason::Auth,
        DropReason::RetryExhausted,
        DropReason::Shutdown,
        DropReason::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::QueueBytes => "queue_bytes",
            DropReason::Invalid => "invalid",
            DropReason::TooLarge => "too_large",
            DropReason::Auth => "auth",
            DropReason::RetryExhausted => "retry_exhausted",
            DropReason::Shutdown => "shutdown",
            DropReason::Rejected => "rejected",
        }
    }

    fn index(self) -> usize {
        DropReason::ALL.iter().position(|r| *r == self).expect("listed")
    }
}

#[derive(Debug, Default)]
pub struct Counters {
    finished: AtomicU64,
    sampled_out: AtomicU64,
    queued: AtomicU64,
    sent: AtomicU64,
    dropped: [AtomicU64; 8],
    retries: AtomicU64,
    batches_sent: AtomicU64,
    bytes_sent: AtomicU64,
    truncated_fields: AtomicU64,
    dropped_tags: AtomicU64,
    scrub_failures: AtomicU64,
    late_spans: AtomicU64,
    metadata_rejected: AtomicU64,
}

impl Counters {
    pub fn finished(&self) {
        self.finished.fetch_add(1, Relaxed);
    }
    pub fn sampled_out(&self) {
        self.sampled_out.fetch_add(1, Relaxed);
    }
    pub fn queued(&self) {
        self.queued.fetch_add(1, Relaxed);
    }
    pub fn sent(&self, traces: u64, bytes: u64) {
        self.sent.fetch_add(traces, Relaxed);
        self.batches_sent.fetch_add(1, Relaxed);
        self.bytes_sent.fetch_add(bytes, Relaxed);
    }
    pub fn dropped(&self, reason: DropReason, traces: u64) {
        self.dropped[reason.index()].fetch_add(traces, Relaxed);
    }
    pub fn retried(&self) {
        self.retries.fetch_add(1, Relaxed);
    }
    pub fn cuts(&self, truncated_fields: u64, dropped_tags: u64) {
        if truncated_fields > 0 {
            self.truncated_fields.fetch_add(truncated_fields, Relaxed);
        }
        if dropped_tags > 0 {
            self.dropped_tags.fetch_add(dropped_tags, Relaxed);
        }
    }
    pub fn scrub_failed(&self, n: u64) {
        self.scrub_failures.fetch_add(n, Relaxed);
    }
    pub fn late_span(&self) {
        self.late_spans.fetch_add(1, Relaxed);
    }
    pub fn metadata_rejected(&self) {
        self.metadata_rejected.fetch_add(1, Relaxed);
    }

    /// Zeroes every counter (a forked child starts its own accounting).
    pub fn reset(&self) {
        let all = [
            &self.finished, &self.sampled_out, &self.queued, &self.sent, &self.retries, &self.batches_sent,
            &self.bytes_sent, &self.truncated_fields, &self.dropped_tags, &self.scrub_failures, &self.late_spans,
            &self.metadata_rejected,
        ];
        for c in all.into_iter().chain(self.dropped.iter()) {
            c.store(0, Relaxed);
        }
    }

    pub fn snapshot(&self) -> Stats {
        let dropped: Vec<(&'static str, u64)> =
            DropReason::ALL.iter().map(|r| (r.as_str(), self.dropped[r.index()].load(Relaxed))).collect();
        let dropped_total = dropped.iter().map(|(_, n)| n).sum();
        let finished = self.finished.load(Relaxed);
        let sampled_out = self.sampled_out.load(Relaxed);
        let sent = self.sent.load(Relaxed);
        Stats {
            finished,
            sampled_out,
            queued: self.queued.load(Relaxed),
            sent,
            dropped_total,
            pending: finished.saturating_sub(sampled_out + sent + dropped_total),
            dropped: dropped.into_iter().collect(),
            retries: self.retries.load(Relaxed),
            batches_sent: self.batches_sent.load(Relaxed),
            bytes_sent: self.bytes_sent.load(Relaxed),
            truncated_fields: self.truncated_fields.load(Relaxed),
            dropped_tags: self.dropped_tags.load(Relaxed),
            scrub_failures: self.scrub_failures.load(Relaxed),
            late_spans: self.late_spans.load(Relaxed),
            metadata_rejected: self.metadata_rejected.load(Relaxed),
        }
    }
}

/// A point-in-time copy of the counters; serializes to the dict/object bindings return.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Traces whose root scope ended.
    pub finished: u64,
    /// Traces not kept by sampling.
    pub sampled_out: u64,
    /// Traces accepted into the queue (or the local buffer).
    pub queued: u64,
    /// Traces the server acknowledged.
    pub sent: u64,
    pub dropped_total: u64,
    /// Queued or in flight: `finished - sampled_out - sent - dropped_total`.
    pub pending: u64,
    /// Drops by reason (every reason present, zero included).
    pub dropped: std::collections::BTreeMap<&'static str, u64>,
    pub retries: u64,
    pub batches_sent: u64,
    pub bytes_sent: u64,
    pub truncated_fields: u64,
    pub dropped_tags: u64,
    pub scrub_failures: u64,
    /// Spans ended after their trace had already been finished.
    pub late_spans: u64,
    pub metadata_rejected: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_is_what_is_neither_sent_nor_dropped() {
        let c = Counters::default();
        for _ in 0..10 {
            c.finished();
        }
        c.sampled_out();
        c.sent(5, 100);
        c.dropped(DropReason::QueueFull, 2);
        let s = c.snapshot();
        assert_eq!((s.sent, s.dropped_total, s.pending), (5, 2, 2));
        assert_eq!(s.dropped["queue_full"], 2);
        assert_eq!(s.dropped.len(), DropReason::ALL.len());
    }
}
