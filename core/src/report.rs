//! Errors the pipeline reports instead of raising: to subscribers and, rate-limited, to stderr.
//!
//! Subscribers run on the thread that observed the failure (usually the worker); a binding
//! forwards the report to its own thread before calling user code. A panicking subscriber is
//! contained. Repeats of the same kind are reported once per outage window: the window
//! closes when a batch is delivered again or, for a full queue, when the queue has drained
//! (a healthy endpoint slower than the app delivers batches all through the overload).

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::ids::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 401/403: the key was refused; shipping stopped for this client.
    Authentication,
    /// 429 after the retry budget.
    RateLimit,
    /// 400/422: the server rejected a trace's fields.
    Validation,
    /// 413 for a single trace.
    PayloadTooLarge,
    /// Connection failures, timeouts and 5xx after the retry budget.
    Network,
    /// The queue was full; traces are being dropped.
    QueueFull,
    /// A user scrub hook failed; the value was replaced.
    Scrub,
    /// User metadata rejected by the validator.
    Metadata,
    /// Any other failure the SDK could not deliver around.
    Delivery,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Authentication => "authentication",
            ErrorKind::RateLimit => "rate_limit",
            ErrorKind::Validation => "validation",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::Network => "network",
            ErrorKind::QueueFull => "queue_full",
            ErrorKind::Scrub => "scrub",
            ErrorKind::Metadata => "metadata",
            ErrorKind::Delivery => "delivery",
        }
    }

    const ALL: [ErrorKind; 9] = [
        ErrorKind::Authentication,
        ErrorKind::RateLimit,
        ErrorKind::Validation,
        ErrorKind::PayloadTooLarge,
        ErrorKind::Network,
        ErrorKind::QueueFull,
        ErrorKind::Scrub,
        ErrorKind::Metadata,
        ErrorKind::Delivery,
    ];

    fn index(self) -> usize {
        ErrorKind::ALL.iter().position(|k| *k == self).expect("listed")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ErrorReport {
    pub kind: ErrorKind,
    pub message: String,
    /// The HTTP status that caused it, if any.
    pub status: Option<u16>,
    /// Traces lost with this failure (may be empty, e.g. for a scrub failure).
    pub trace_ids: Vec<Uuid>,
}

impl fmt::Display for ErrorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)?;
        if !self.trace_ids.is_empty() {
            write!(f, " ({} trace(s) dropped)", self.trace_ids.len())?;
        }
        Ok(())
    }
}

pub type Subscriber = Arc<dyn Fn(&ErrorReport) + Send + Sync>;

#[derive(Default)]
pub struct Reporter {
    subscribers: RwLock<Vec<(u64, Subscriber)>>,
    next_id: std::sync::atomic::AtomicU64,
    /// Per kind: already reported in the current outage window.
    latched: [AtomicBool; 9],
}

impl Reporter {
    pub fn subscribe(&self, f: Subscriber) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.subscribers.write().unwrap_or_else(|e| e.into_inner()).push((id, f));
        id
    }

    pub fn unsubscribe(&self, id: u64) {
        self.subscribers.write().unwrap_or_else(|e| e.into_inner()).retain(|(i, _)| *i != id);
    }

    /// Reports every time (validation failures name different traces each time).
    pub fn report(&self, report: ErrorReport) {
        let subs = self.subscribers.read().unwrap_or_else(|e| e.into_inner()).clone();
        if subs.is_empty() {
            eprintln!("trulayer: {report}");
        }
        for (_, s) in subs {
            let _ = catch_unwind(AssertUnwindSafe(|| s(&report)));
        }
    }

    /// Reports the first failure of this kind in the current outage window only.
    pub fn report_once(&self, report: ErrorReport) {
        if !self.latched[report.kind.index()].swap(true, Ordering::AcqRel) {
            self.report(report);
        }
    }

    /// A delivery succeeded: the outage window is over.
    pub fn recovered(&self) {
        for k in [ErrorKind::RateLimit, ErrorKind::Network, ErrorKind::Delivery] {
            self.latched[k.index()].store(false, Ordering::Release);
        }
    }

    /// The worker emptied the queue: the overload that filled it is over.
    pub fn queue_drained(&self) {
        self.latched[ErrorKind::QueueFull.index()].store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn report(kind: ErrorKind) -> ErrorReport {
        ErrorReport { kind, message: "x".into(), status: None, trace_ids: vec![] }
    }

    #[test]
    fn once_per_outage_window_and_panicking_subscribers_are_contained() {
        let r = Reporter::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        r.subscribe(Arc::new(|_| panic!("user bug")));
        r.subscribe(Arc::new(move |e: &ErrorReport| s2.lock().unwrap().push(e.kind)));
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        r.report_once(report(ErrorKind::Network));
        r.report_once(report(ErrorKind::Network));
        r.report_once(report(ErrorKind::QueueFull));
        r.recovered();
        r.report_once(report(ErrorKind::Network));
        r.report_once(report(ErrorKind::QueueFull));
        r.queue_drained();
        r.report_once(report(ErrorKind::QueueFull));
        r.report(report(ErrorKind::Validation));
        r.report(report(ErrorKind::Validation));
        std::panic::set_hook(prev);
        use ErrorKind::{Network, QueueFull, Validation};
        assert_eq!(*seen.lock().unwrap(), vec![Network, QueueFull, Network, QueueFull, Validation, Validation]);
    }
}
