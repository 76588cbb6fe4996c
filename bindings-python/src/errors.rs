//! Error reports from the core, handed to Python without ever calling Python from the worker.
//!
//! The core's subscriber (running on the worker thread) only pushes into this bounded queue; a
//! Python thread waits on it with the GIL released and runs the user's `on_error` handlers.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use trulayer_core::ErrorReport;

/// Reports beyond this many undelivered ones are dropped: a handler that cannot keep up must
/// not grow memory without bound.
const CAPACITY: usize = 1024;

#[derive(Default)]
pub struct ReportQueue {
    reports: Mutex<VecDeque<ErrorReport>>,
    ready: Condvar,
}

impl ReportQueue {
    pub fn push(&self, report: &ErrorReport) {
        let mut q = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() < CAPACITY {
            q.push_back(report.clone());
        }
        drop(q);
        self.ready.notify_one();
    }

    /// The oldest report, waiting at most `timeout` for one.
    pub fn pop(&self, timeout: Duration) -> Option<ErrorReport> {
        let q = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        let (mut q, _) = self
            .ready
            .wait_timeout_while(q, timeout, |q| q.is_empty())
            .unwrap_or_else(|e| e.into_inner());
        q.pop_front()
    }
}
