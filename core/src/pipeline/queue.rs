//! The bounded queue between application threads and the worker.
//!
//! Bounded twice: by count (the channel's capacity) and by bytes (an estimate of what the
//! queued records hold). Offering never blocks; when either bound is reached the newest trace
//! is refused and the caller counts the drop. Memory stays bounded whatever the endpoint does.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::model::TraceRecord;

pub struct Queued {
    pub trace: TraceRecord,
    pub bytes: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    Accepted,
    Full,
    OverBytes,
    /// The worker is gone (shut down).
    Closed,
}

pub struct Queue {
    tx: mpsc::Sender<Queued>,
    bytes: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// The worker's end: takes items and releases their bytes.
pub struct QueueReceiver {
    rx: mpsc::Receiver<Queued>,
    bytes: Arc<AtomicUsize>,
}

impl Queue {
    pub fn bounded(max_items: usize, max_bytes: usize) -> (Queue, QueueReceiver) {
        let (tx, rx) = mpsc::channel(max_items.max(1));
        let bytes = Arc::new(AtomicUsize::new(0));
        (Queue { tx, bytes: bytes.clone(), max_bytes }, QueueReceiver { rx, bytes })
    }

    pub fn offer(&self, trace: TraceRecord) -> Offer {
        let size = trace.approx_bytes();
        // Reserve the bytes first so concurrent offers cannot overshoot together.
        let before = self.bytes.fetch_add(size, Ordering::AcqRel);
        if before + size > self.max_bytes && before > 0 {
            self.bytes.fetch_sub(size, Ordering::AcqRel);
            return Offer::OverBytes;
        }
        match self.tx.try_send(Queued { trace, bytes: size }) {
            Ok(()) => Offer::Accepted,
            Err(e) => {
                self.bytes.fetch_sub(size, Ordering::AcqRel);
                match e {
                    mpsc::error::TrySendError::Full(_) => Offer::Full,
                    mpsc::error::TrySendError::Closed(_) => Offer::Closed,
                }
            }
        }
    }

    pub fn queued_bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }
}

impl QueueReceiver {
    pub async fn recv(&mut self) -> Option<TraceRecord> {
        let q = self.rx.recv().await?;
        Some(self.release(q))
    }

    pub fn try_recv(&mut self) -> Option<TraceRecord> {
        self.rx.try_recv().ok().map(|q| self.release(q))
    }

    /// Refuses new items; those already queued can still be taken.
    pub fn close(&mut self) {
        self.rx.close();
    }

    fn release(&self, q: Queued) -> TraceRecord {
        self.bytes.fetch_sub(q.bytes, Ordering::AcqRel);
        q.trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_the_newest_when_full_by_count() {
        let (q, mut rx) = Queue::bounded(2, usize::MAX);
        assert_eq!(q.offer(TraceRecord::new("a")), Offer::Accepted);
        assert_eq!(q.offer(TraceRecord::new("b")), Offer::Accepted);
        assert_eq!(q.offer(TraceRecord::new("c")), Offer::Full);
        assert_eq!(rx.try_recv().unwrap().name, "a");
        assert_eq!(q.offer(TraceRecord::new("d")), Offer::Accepted);
    }

    #[test]
    fn refuses_when_full_by_bytes_and_releases_on_take() {
        let mut big = TraceRecord::new("big");
        big.input = Some(serde_json::Value::String("x".repeat(10_000)));
        let (q, mut rx) = Queue::bounded(100, 15_000);
        assert_eq!(q.offer(big.clone()), Offer::Accepted);
        assert_eq!(q.offer(big.clone()), Offer::OverBytes);
        assert!(q.queued_bytes() > 10_000);
        rx.try_recv().unwrap();
        assert_eq!(q.queued_bytes(), 0);
        assert_eq!(q.offer(big), Offer::Accepted);
    }

    #[test]
    fn a_single_trace_larger_than_the_bound_is_still_taken_when_empty() {
        let mut big = TraceRecord::new("big");
        big.input = Some(serde_json::Value::String("x".repeat(50_000)));
        let (q, _rx) = Queue::bounded(10, 1024);
        assert_eq!(q.offer(big), Offer::Accepted);
    }
}
