//! Local mode's sink: finished traces kept in process, newest last, bounded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub struct LocalBuffer {
    traces: Mutex<VecDeque<Arc<str>>>,
    capacity: usize,
}

impl LocalBuffer {
    pub fn new(capacity: usize) -> Self {
        LocalBuffer { traces: Mutex::new(VecDeque::new()), capacity: capacity.max(1) }
    }

    /// Keeps the wire JSON of a trace; past capacity the oldest is forgotten.
    pub fn push(&self, wire_json: Arc<str>) {
        let mut q = self.traces.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() == self.capacity {
            q.pop_front();
        }
        q.push_back(wire_json);
    }

    pub fn snapshot(&self) -> Vec<Arc<str>> {
        self.traces.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.traces.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_up_to_capacity() {
        let b = LocalBuffer::new(2);
        for s in ["a", "b", "c"] {
            b.push(Arc::from(s));
        }
        assert_eq!(b.snapshot().iter().map(|s| &**s).collect::<Vec<_>>(), ["b", "c"]);
        b.clear();
        assert!(b.snapshot().is_empty());
    }
}
