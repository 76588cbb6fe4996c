//! Local mode's sink: finished traces kept in process, oldest first, bounded.
//!
//! A trace is kept as its record and encoded the first time it is read, so recording in
//! local mode costs what recording costs, not what encoding costs.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crate::model::TraceRecord;

enum Slot {
    Recorded(Box<TraceRecord>),
    Encoded(Arc<str>),
}

pub struct LocalBuffer {
    traces: Mutex<VecDeque<Slot>>,
    capacity: usize,
}

impl LocalBuffer {
    pub fn new(capacity: usize) -> Self {
        LocalBuffer { traces: Mutex::new(VecDeque::new()), capacity: capacity.max(1) }
    }

    /// Keeps a finished trace; past capacity the oldest is forgotten.
    pub fn push(&self, trace: TraceRecord) {
        let mut q = self.traces.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() == self.capacity {
            q.pop_front();
        }
        q.push_back(Slot::Recorded(Box::new(trace)));
    }

    /// The wire JSON of every kept trace, encoding (once) those not read before.
    pub fn snapshot(&self, encode: impl Fn(TraceRecord) -> Arc<str>) -> Vec<Arc<str>> {
        let mut q = self.traces.lock().unwrap_or_else(|e| e.into_inner());
        q.iter_mut()
            .map(|slot| {
                let text = match std::mem::replace(slot, Slot::Encoded(Arc::from(""))) {
                    Slot::Recorded(t) => encode(*t),
                    Slot::Encoded(text) => text,
                };
                *slot = Slot::Encoded(text.clone());
                text
            })
            .collect()
    }

    pub fn clear(&self) {
        self.traces.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn keeps_the_newest_up_to_capacity_and_encodes_each_once() {
        let b = LocalBuffer::new(2);
        for name in ["a", "b", "c"] {
            b.push(TraceRecord::new(name));
        }
        let encoded = AtomicUsize::new(0);
        let encode = |t: TraceRecord| {
            encoded.fetch_add(1, Ordering::Relaxed);
            Arc::from(t.name.as_str())
        };
        assert_eq!(b.snapshot(encode).iter().map(|s| &**s).collect::<Vec<_>>(), ["b", "c"]);
        assert_eq!(b.snapshot(encode).len(), 2);
        assert_eq!(encoded.load(Ordering::Relaxed), 2, "a trace is encoded once, on first read");
        b.clear();
        assert!(b.snapshot(encode).is_empty());
    }
}
