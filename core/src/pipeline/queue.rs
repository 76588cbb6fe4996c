//! The bounded queue between application threads and the worker.
//!
//! Bounded twice: by count and by bytes (an estimate of what a queued record holds, exact for
//! a trace already encoded).
//! Offering never blocks on the worker; when either bound is reached the newest trace is
//! refused and the caller counts the drop. Memory stays bounded whatever the endpoint does.
//! A trace encoded before it is offered joins the body of the batch at the back of the queue
//! (see `batch.rs`), so the worker sends it as it is; a record waits as it is for the worker
//! to scrub and encode it. The worker is woken only when a full batch's worth is waiting
//! (its interval tick takes partial ones), so the application thread does not pay a wake-up
//! per trace.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::batch::Batch;
use crate::config::Config;
use crate::ids::Uuid;
use crate::model::TraceRecord;

/// What the queue holds at most, and how its batches are cut.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub max_traces: usize,
    pub max_bytes: usize,
    /// Traces per request.
    pub batch_size: usize,
    /// Bytes per request body.
    pub max_batch_bytes: usize,
}

impl Bounds {
    pub fn of(config: &Config) -> Bounds {
        Bounds {
            max_traces: config.max_queue_size,
            max_bytes: config.max_queue_bytes,
            batch_size: config.batch_size,
            max_batch_bytes: config.limits.max_batch_bytes,
        }
    }
}

/// What the worker takes: a batch ready to send, or records to scrub and encode first.
#[derive(Debug)]
pub enum Taken {
    Batch(Batch),
    Records(Vec<TraceRecord>),
}

#[derive(Debug)]
enum Entry {
    Batch(Batch),
    Record { trace: TraceRecord, bytes: usize },
}

impl Entry {
    fn traces(&self) -> usize {
        match self {
            Entry::Batch(b) => b.len(),
            Entry::Record { .. } => 1,
        }
    }
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
    entries: VecDeque<Entry>,
    traces: usize,
    bytes: usize,
    closed: bool,
}

struct Inner {
    items: Mutex<Items>,
    ready: Notify,
    bounds: Bounds,
}

/// Cloned by the client (offers) and the worker (takes).
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

impl Queue {
    pub fn bounded(bounds: Bounds) -> Queue {
        let bounds = Bounds { max_traces: bounds.max_traces.max(1), batch_size: bounds.batch_size.max(1), ..bounds };
        Queue { inner: Arc::new(Inner { items: Mutex::new(Items::default()), ready: Notify::new(), bounds }) }
    }

    fn lock(&self) -> MutexGuard<'_, Items> {
        self.inner.items.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a record for the worker to scrub and encode.
    pub fn offer_record(&self, trace: TraceRecord) -> Offer {
        let bytes = trace.approx_bytes();
        self.offer(bytes, |entries| entries.push_back(Entry::Record { trace, bytes }))
    }

    /// Queues a trace's wire JSON: it is copied into the batch at the back of the queue.
    pub fn offer_json(&self, id: Uuid, json: &[u8]) -> Offer {
        let Bounds { batch_size, max_batch_bytes, .. } = self.inner.bounds;
        self.offer(json.len(), |entries| match entries.back_mut() {
            Some(Entry::Batch(batch)) if batch.has_room(json.len(), batch_size, max_batch_bytes) => batch.push(id, json),
            _ => {
                let mut batch = Batch::with_room(batch_size, json.len(), max_batch_bytes);
                batch.push(id, json);
                entries.push_back(Entry::Batch(batch));
            }
        })
    }

    /// Adds one trace of `bytes` with `add` unless a bound refuses it.
    fn offer(&self, bytes: usize, add: impl FnOnce(&mut VecDeque<Entry>)) -> Offer {
        let bounds = &self.inner.bounds;
        let traces = {
            let mut items = self.lock();
            if items.closed {
                return Offer::Closed;
            }
            if items.traces >= bounds.max_traces {
                return Offer::Full;
            }
            // A single trace larger than the bound is still taken by an empty queue.
            if items.bytes > 0 && items.bytes + bytes > bounds.max_bytes {
                return Offer::OverBytes;
            }
            add(&mut items.entries);
            items.bytes += bytes;
            items.traces += 1;
            items.traces
        };
        if traces % bounds.batch_size == 0 {
            self.inner.ready.notify_one();
        }
        Offer::Accepted
    }

    /// Takes the oldest batch, or up to a batch's worth of the oldest records.
    pub fn take(&self) -> Option<Taken> {
        let mut items = self.lock();
        match items.entries.pop_front()? {
            Entry::Batch(batch) => {
                items.traces -= batch.len();
                items.bytes -= batch.trace_bytes();
                Some(Taken::Batch(batch))
            }
            Entry::Record { trace, bytes } => {
                let (mut records, mut freed) = (vec![trace], bytes);
                while records.len() < self.inner.bounds.batch_size {
                    match items.entries.pop_front() {
                        Some(Entry::Record { trace, bytes }) => {
                            records.push(trace);
                            freed += bytes;
                        }
                        Some(batch) => {
                            items.entries.push_front(batch);
                            break;
                        }
                        None => break,
                    }
                }
                items.traces -= records.len();
                items.bytes -= freed;
                Some(Taken::Records(records))
            }
        }
    }

    /// Empties the queue; returns how many traces it held.
    pub fn discard(&self) -> usize {
        let mut items = self.lock();
        let traces = items.entries.drain(..).map(|e| e.traces()).sum();
        items.traces = 0;
        items.bytes = 0;
        traces
    }

    /// Traces queued.
    pub fn len(&self) -> usize {
        self.lock().traces
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

    pub fn bounds(&self) -> Bounds {
        self.inner.bounds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::new_id;

    fn bounds(max_traces: usize, max_bytes: usize, batch_size: usize) -> Bounds {
        Bounds { max_traces, max_bytes, batch_size, max_batch_bytes: usize::MAX }
    }

    /// Each take: record names, or a batch's sealed body.
    fn takes(q: &Queue) -> Vec<String> {
        std::iter::from_fn(|| q.take())
            .map(|taken| match taken {
                Taken::Records(r) => r.into_iter().map(|t| t.name).collect::<Vec<_>>().join(" "),
                Taken::Batch(b) => String::from_utf8(b.seal().body().to_vec()).unwrap(),
            })
            .collect()
    }

    #[test]
    fn refuses_the_newest_when_full_by_count() {
        let q = Queue::bounded(bounds(2, usize::MAX, 1));
        assert_eq!(q.offer_record(TraceRecord::new("a")), Offer::Accepted);
        assert_eq!(q.offer_json(new_id(), b"{}"), Offer::Accepted);
        assert_eq!(q.offer_record(TraceRecord::new("c")), Offer::Full);
        assert!(matches!(q.take(), Some(Taken::Records(r)) if r.len() == 1));
        assert_eq!(q.offer_record(TraceRecord::new("d")), Offer::Accepted);
        assert_eq!(takes(&q), [r#"{"traces":[{}]}"#, "d"]);
        assert!(q.is_empty());
    }

    #[test]
    fn refuses_when_full_by_bytes_and_releases_on_take() {
        let mut big = TraceRecord::new("big");
        big.input = Some(serde_json::Value::String("x".repeat(10_000)));
        let q = Queue::bounded(bounds(100, 15_000, 10));
        assert_eq!(q.offer_record(big.clone()), Offer::Accepted);
        assert_eq!(q.offer_record(big.clone()), Offer::OverBytes);
        assert!(q.queued_bytes() > 10_000);
        q.take();
        assert_eq!(q.queued_bytes(), 0);
        assert_eq!(q.offer_json(new_id(), &[b' '; 12_000]), Offer::Accepted);
        assert_eq!(q.offer_json(new_id(), &[b' '; 3_001]), Offer::OverBytes);
        assert_eq!(q.offer_json(new_id(), &[b' '; 3_000]), Offer::Accepted);
        assert_eq!(q.queued_bytes(), 15_000, "encoded traces count their exact size");
        q.take();
        assert_eq!((q.queued_bytes(), q.len()), (0, 0));
    }

    #[test]
    fn encoded_traces_join_batches_cut_by_count_and_bytes_in_order_with_records() {
        let q = Queue::bounded(Bounds { max_traces: 100, max_bytes: usize::MAX, batch_size: 3, max_batch_bytes: 40 });
        let offer = |json: &str| assert_eq!(q.offer_json(new_id(), json.as_bytes()), Offer::Accepted);
        for json in [r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#, r#"{"n":4}"#] {
            offer(json);
        }
        q.offer_record(TraceRecord::new("r1"));
        q.offer_record(TraceRecord::new("r2"));
        // Each of these would take its batch's body past 40 bytes.
        offer(r#"{"n":5}"#);
        offer(r#"{"n":"0123456789abc"}"#);
        offer(r#"{"n":7}"#);
        assert_eq!(q.len(), 9);
        assert_eq!(
            takes(&q),
            [
                r#"{"traces":[{"n":1},{"n":2},{"n":3}]}"#,
                r#"{"traces":[{"n":4}]}"#,
                "r1 r2",
                r#"{"traces":[{"n":5}]}"#,
                r#"{"traces":[{"n":"0123456789abc"}]}"#,
                r#"{"traces":[{"n":7}]}"#,
            ]
        );
    }

    #[test]
    fn records_are_taken_a_batch_at_a_time() {
        let q = Queue::bounded(bounds(100, usize::MAX, 2));
        for name in ["a", "b", "c"] {
            q.offer_record(TraceRecord::new(name));
        }
        assert_eq!(takes(&q), ["a b", "c"]);
    }

    #[test]
    fn a_single_trace_larger_than_the_bound_is_still_taken_when_empty() {
        let mut big = TraceRecord::new("big");
        big.input = Some(serde_json::Value::String("x".repeat(50_000)));
        let q = Queue::bounded(bounds(10, 1024, 10));
        assert_eq!(q.offer_record(big), Offer::Accepted);
        let q = Queue::bounded(Bounds { max_batch_bytes: 100, ..bounds(10, 1024, 10) });
        assert_eq!(q.offer_json(new_id(), &[b' '; 5_000]), Offer::Accepted);
        assert_eq!(q.take().map(|t| matches!(t, Taken::Batch(b) if b.len() == 1)), Some(true));
    }

    #[test]
    fn closed_queues_refuse_but_still_give_what_they_hold() {
        let q = Queue::bounded(bounds(10, usize::MAX, 10));
        q.offer_record(TraceRecord::new("kept"));
        q.offer_json(new_id(), b"{}");
        q.close();
        assert_eq!(q.offer_record(TraceRecord::new("late")), Offer::Closed);
        assert_eq!(q.offer_json(new_id(), b"{}"), Offer::Closed);
        assert_eq!(q.discard(), 2);
        assert!(q.take().is_none());
    }
}
