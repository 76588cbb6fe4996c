//! A batch as the request body it will be sent as, assembled while its traces are queued.
//!
//! Each trace's JSON is appended to the body as it arrives, so the worker hands the finished
//! body to the HTTP client as it is: no buffer per trace to allocate, hold, join and free on
//! another thread (in `bench/node` those were a third of the worker's CPU). The id and the
//! end of each trace are kept beside the body, for error reports and for splitting a batch
//! the server refuses as a whole.

use bytes::Bytes;

use crate::ids::Uuid;

const OPEN: &[u8] = b"{\"traces\":[";
const CLOSE: &[u8] = b"]}";

/// Traces joined into an unfinished `{"traces":[...]}` body.
#[derive(Debug, Default)]
pub struct Batch {
    body: Vec<u8>,
    ids: Vec<Uuid>,
    /// Where each trace's JSON ends in `body`.
    ends: Vec<usize>,
}

impl Batch {
    /// An empty batch with room for `traces` traces of about `each` bytes, at most
    /// `max_bytes`: a full batch is written without regrowing its body.
    pub fn with_room(traces: usize, each: usize, max_bytes: usize) -> Batch {
        let size = traces.saturating_mul(each.saturating_add(1)).saturating_add(OPEN.len() + CLOSE.len());
        let size = size.min(max_bytes.saturating_add(CLOSE.len()));
        Batch { body: Vec::with_capacity(size), ids: Vec::with_capacity(traces), ends: Vec::with_capacity(traces) }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The bytes of the traces' JSON alone.
    pub fn trace_bytes(&self) -> usize {
        self.ends.last().map_or(0, |end| end - OPEN.len() - (self.len() - 1))
    }

    /// Whether a trace of `json_len` bytes may join without the batch passing `max_traces`
    /// or a body of `max_bytes`. An empty batch takes any trace (one too large for the server
    /// is then refused alone).
    pub fn has_room(&self, json_len: usize, max_traces: usize, max_bytes: usize) -> bool {
        self.is_empty() || (self.len() < max_traces && json_len.saturating_add(self.body.len() + 1 + CLOSE.len()) <= max_bytes)
    }

    pub fn push(&mut self, id: Uuid, json: &[u8]) {
        if self.is_empty() {
            self.body.extend_from_slice(OPEN);
        } else {
            self.body.push(b',');
        }
        self.body.extend_from_slice(json);
        self.ids.push(id);
        self.ends.push(self.body.len());
    }

    /// Closes the body; it is then shared, not copied, with every attempt to send it.
    pub fn seal(mut self) -> Sealed {
        if self.is_empty() {
            self.body.extend_from_slice(OPEN);
        }
        self.body.extend_from_slice(CLOSE);
        Sealed { body: Bytes::from(self.body), ids: self.ids, ends: self.ends }
    }
}

/// A batch ready to send: `{"traces":[...]}`.
#[derive(Debug)]
pub struct Sealed {
    body: Bytes,
    ids: Vec<Uuid>,
    ends: Vec<usize>,
}

impl Sealed {
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn ids(&self) -> &[Uuid] {
        &self.ids
    }

    /// The first and the second half of the traces, each a batch of its own. The halves
    /// are copied out: only a batch the server refuses is split.
    pub fn halves(self) -> (Sealed, Sealed) {
        let mid = self.len() / 2;
        let (mut left, mut right) = (Batch::default(), Batch::default());
        for (i, &id) in self.ids.iter().enumerate() {
            let half = if i < mid { &mut left } else { &mut right };
            half.push(id, self.trace(i));
        }
        (left.seal(), right.seal())
    }

    fn trace(&self, i: usize) -> &[u8] {
        let start = if i == 0 { OPEN.len() } else { self.ends[i - 1] + 1 };
        &self.body[start..self.ends[i]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::new_id;

    fn batch(traces: &[&str]) -> Batch {
        let mut b = Batch::with_room(traces.len(), 8, usize::MAX);
        for t in traces {
            b.push(new_id(), t.as_bytes());
        }
        b
    }

    fn body(s: &Sealed) -> &str {
        std::str::from_utf8(s.body()).unwrap()
    }

    #[test]
    fn joins_traces_into_one_body() {
        let b = batch(&[r#"{"a":1}"#, "{}", r#"{"b":[2]}"#]);
        assert_eq!(b.trace_bytes(), 7 + 2 + 9);
        assert_eq!(body(&b.seal()), r#"{"traces":[{"a":1},{},{"b":[2]}]}"#);
        assert_eq!(body(&Batch::default().seal()), r#"{"traces":[]}"#);
    }

    #[test]
    fn halves_keep_each_trace_with_its_id() {
        let b = batch(&[r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#]);
        let ids = b.ids.clone();
        let (left, right) = b.seal().halves();
        assert_eq!((body(&left), left.ids()), (r#"{"traces":[{"n":1}]}"#, &ids[..1]));
        assert_eq!((body(&right), right.ids()), (r#"{"traces":[{"n":2},{"n":3}]}"#, &ids[1..]));
        let (single, rest) = right.halves();
        assert_eq!((body(&single), body(&rest)), (r#"{"traces":[{"n":2}]}"#, r#"{"traces":[{"n":3}]}"#));
    }

    #[test]
    fn room_is_bounded_by_count_and_by_body_size() {
        let b = batch(&["{}", "{}"]);
        assert!(b.has_room(2, 3, usize::MAX));
        assert!(!b.has_room(2, 2, usize::MAX));
        // `{"traces":[{},{},{}]}` is 21 bytes.
        assert!(b.has_room(2, 10, 21));
        assert!(!b.has_room(2, 10, 20));
        assert!(Batch::default().has_room(1 << 30, 1, 10), "an empty batch takes any trace");
    }
}
