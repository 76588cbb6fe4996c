//! The bounded queue between application threads and the worker.
//!
//! Bounded twice: by count and by bytes (an estimate of what a queued record holds, exact for
//! a trace already encoded).
//! Offering never blocks on the worker; when either bound is reached the newest trace is
//! refused and the caller counts the drop. Memory stays bounded whatever the endpoint does.
//! The worker is woken only when a full batch is waiting (its interval tick takes partial
//! ones), so the application thread does not pay a wake-up per trace.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::prepare::Encoded;
use crate::model::TraceRecord;

/// A finished trace waiting for the worker: a record the worker scrubs and encodes, or one
/// that a binding's own thread already encoded (`Client::finish_view`).
#[derive(Debug)]
pub enum Pending {
    Record(TraceRecord),
    Encoded(Encoded),
}

impl Pending {
    fn bytes(&self) -> usize {
        match self {
            Pending::Record(t) => t.approx_bytes(),
            Pending::Encoded(e) => e.bytes.len(),
        }
    }
}

impl From<TraceRecord> for Pending {
    fn from(t: TraceRecord) -> Self {
        Pending::Record(t)
    }
}

struct Queued {
    item: Pending,
    bytes: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    Accepted,
    Full,
    OverBytes,
    /// The worker is gone (shut down).
    Closed,
}

#[derive(Default)]
struct Items {
    queue: VecDeque<Queued>,
    bytes: usize,
    closed: bool,
}

struct Inner {
    items: Mutex<Items>,
    ready: Notify,
    max_items: usize,
    max_bytes: usize,
    batch_size: usize,
}

/// Cloned by the client (offers) and the worker (takes).
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

impl Queue {
    pub fn bounded(max_items: usize, max_bytes: usize, batch_size: usize) -> Queue {
        Queue {
            inner: Arc::new(Inner {
                items: Mutex::new(Items::default()),
                ready: Notify::new(),
                max_items: max_items.max(1),
                max_bytes,
                batch_size: batch_size.max(1),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Items> {
        self.inner.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn offer(&self, item: impl Into<Pending>) -> Offer {
        let item = item.into();
        let bytes = item.bytes();
        let len = {
            let mut items = self.lock();
            if items.closed {
                return Offer::Closed;
            }
            if items.queue.len() >= self.inner.max_items {
                return Offer::Full;
            }
            // A single trace larger than the bound is still taken by an empty queue.
            if items.bytes > 0 && items.bytes + bytes > self.inner.max_bytes {
                return Offer::OverBytes;
            }
            items.bytes += bytes;
            items.queue.push_back(Queued { item, bytes });
            items.queue.len()
        };
        if len % self.inner.batch_size == 0 {
            self.inner.ready.notify_one();
        }
        Offer::Accepted
    }

    /// Takes up to `max` traces, oldest first.
    pub fn take(&self, max: usize) -> Vec<Pending> {
        let mut items = self.lock();
        let n = max.min(items.queue.len());
        let taken: Vec<Queued> = items.queue.drain(..n).collect();
        items.bytes -= taken.iter().map(|q| q.bytes).sum::<usize>();
        taken.into_iter().map(|q| q.item).collect()
    }

    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn queued_bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Refuses new traces; those already queued can still be taken.
    pub fn close(&self) {
        self.lock().closed = true;
    }

    /// Resolves when a full batch may be waiting.
    pub async fn batch_ready(&self) {
        self.inner.ready.notified().await
    }

    pub fn batch_size(&self) -> usize {
        self.inner.batch_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::new_id;

    fn names(taken: Vec<Pending>) -> Vec<String> {
        taken
            .into_iter()
            .map(|p| match p {
                Pending::Record(t) => t.name,
                Pending::Encoded(e) => String::from_utf8(e.bytes).unwrap(),
            })
            .collect()
    }

    #[test]
    fn refuses_the_newest_when_full_by_count() {
        let q = Queue::bounded(2, usize::MAX, 10);
        assert_eq!(q.offer(TraceRecord::new("a")), Offer::Accepted);
        assert_eq!(q.offer(TraceRecord::new("b")), Offer::Accepted);
        assert_eq!(q.offer(TraceRecord::new("c")), Offer::Full);
        assert_eq!(names(q.take(1)), ["a"]);
        assert_eq!(q.offer(TraceRecord::new("d")), Offer::Accepted);
        assert_eq!(names(q.take(10)), ["b", "d"]);
    }

    #[test]
    fn refuses_when_full_by_bytes_and_releases_on_take() {
        let mut big = TraceRecord::new("big");
        big.input = Some(serde_json::Value::String("x".repeat(10_000)));
        let q = Queue::bounded(100, 15_000, 10);
        assert_eq!(q.offer(big.clone()), Offer::Accepted);
        assert_eq!(q.offer(big.clone()), Offer::OverBytes);
        assert!(q.queued_bytes() > 10_000);
        q.take(10);
        assert_eq!(q.queued_bytes(), 0);
        assert_eq!(q.offer(big), Offer::Accepted);
    }

    #[test]
    fn an_encoded_trace_counts_its_exact_size_and_keeps_its_place() {
        let q = Queue::bounded(10, 10_000, 10);
        q.offer(TraceRecord::new("record"));
        let encoded = Encoded { id: new_id(), bytes: b"{\"id\":1}".to_vec() };
        let before = q.queued_bytes();
        assert_eq!(q.offer(Pending::Encoded(encoded)), Offer::Accepted);
        assert_eq!(q.queued_bytes() - before, 8);
        assert_eq!(names(q.take(10)), ["record", "{\"id\":1}"]);
    }

    #[test]
    fn a_single_trace_larger_than_the_bound_is_still_taken_when_empty() {
        let mut big = TraceRecord::new("big");
        big.input = Some(serde_json::Value::String("x".repeat(50_000)));
        let q = Queue::bounded(10, 1024, 10);
        assert_eq!(q.offer(big), Offer::Accepted);
    }

    #[test]
    fn closed_queues_refuse_but_still_give_what_they_hold() {
        let q = Queue::bounded(10, usize::MAX, 10);
        q.offer(TraceRecord::new("kept"));
        q.close();
        assert_eq!(q.offer(TraceRecord::new("late")), Offer::Closed);
        assert_eq!(q.take(10).len(), 1);
    }
}
