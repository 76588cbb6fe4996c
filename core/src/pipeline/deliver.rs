//! Delivering one batch: retries within a budget, splits, the auth latch, shutdown deadlines.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{sleep_until, Instant};

use super::batch::Sealed;
use super::Shared;
use crate::export::{Attempt, Backoff, HttpExporter};
use crate::report::{ErrorKind, ErrorReport};
use crate::stats::DropReason;

/// When shutdown began, its deadline; `None` while running normally.
pub type Deadline = watch::Receiver<Option<std::time::Instant>>;

const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(30);

enum Outcome {
    Delivered { bytes: u64 },
    Split { status: u16, message: String },
    Unauthorized { status: u16, message: String },
    Rejected { status: u16, message: String },
    GaveUp { status: Option<u16>, reason: String, shutdown: bool },
}

pub struct Delivery<'a> {
    pub shared: &'a Shared,
    pub exporter: &'a HttpExporter,
    pub deadline: &'a mut Deadline,
}

impl Delivery<'_> {
    /// Delivers `batch`, splitting it as the server asks; every trace ends up sent or counted
    /// as dropped with a reason.
    pub async fn deliver(&mut self, batch: Sealed) {
        let mut stack = vec![batch];
        while let Some(batch) = stack.pop() {
            if batch.is_empty() {
                continue;
            }
            if self.shared.unauthorized.load(Ordering::Acquire) {
                self.drop_batch(&batch, DropReason::Auth);
                continue;
            }
            match self.send_with_retries(&batch).await {
                Outcome::Delivered { bytes } => {
                    self.shared.counters.sent(batch.len() as u64, bytes);
                    self.shared.reporter.recovered();
                }
                Outcome::Split { .. } if batch.len() > 1 => {
                    let (left, right) = batch.halves();
                    stack.push(right);
                    stack.push(left);
                }
                Outcome::Split { status: 413, message } => {
                    self.drop_batch(&batch, DropReason::TooLarge);
                    self.report(ErrorKind::PayloadTooLarge, Some(413), format!("trace too large for the server: {message}"), &batch);
                }
                Outcome::Split { status, message } => {
                    self.drop_batch(&batch, DropReason::Invalid);
                    self.report(ErrorKind::Validation, Some(status), format!("the server rejected the trace: {message}"), &batch);
                }
                Outcome::Unauthorized { status, message } => {
                    self.shared.unauthorized.store(true, Ordering::Release);
                    self.drop_batch(&batch, DropReason::Auth);
                    let report = ErrorReport {
                        kind: ErrorKind::Authentication,
                        message: format!("the API key was refused (HTTP {status}: {message}); no more traces will be sent by this client"),
                        status: Some(status),
                        trace_ids: batch.ids().to_vec(),
                    };
                    self.shared.reporter.report_once(report);
                }
                Outcome::Rejected { status, message } => {
                    self.drop_batch(&batch, DropReason::Rejected);
                    self.report(ErrorKind::Delivery, Some(status), format!("HTTP {status}: {message}"), &batch);
                }
                Outcome::GaveUp { status, reason, shutdown } => {
                    let (drop, kind) = match (shutdown, status) {
                        (true, _) => (DropReason::Shutdown, ErrorKind::Network),
                        (false, Some(429)) => (DropReason::RetryExhausted, ErrorKind::RateLimit),
                        (false, _) => (DropReason::RetryExhausted, ErrorKind::Network),
                    };
                    self.drop_batch(&batch, drop);
                    let why = if shutdown { "shutdown deadline passed" } else { "retry budget exhausted" };
                    let report = ErrorReport {
                        kind,
                        message: format!("{why}; last failure: {reason}"),
                        status,
                        trace_ids: batch.ids().to_vec(),
                    };
                    self.shared.reporter.report_once(report);
                }
            }
        }
    }

    async fn send_with_retries(&mut self, batch: &Sealed) -> Outcome {
        let config = &self.shared.config;
        let body = batch.body();
        let budget_end = Instant::now() + config.retry_budget;
        let mut backoff = Backoff::new(BACKOFF_BASE, BACKOFF_CAP);
        loop {
            let shutdown = self.shutdown_deadline();
            let mut timeout = config.timeout;
            if let Some(d) = shutdown {
                let now = Instant::now();
                if now >= d {
                    return Outcome::GaveUp { status: None, reason: "not attempted".into(), shutdown: true };
                }
                timeout = timeout.min(d - now);
            }
            let attempt = match or_shutdown(self.deadline, self.exporter.send(body, batch.len(), timeout)).await {
                Some(a) => a,
                None => return Outcome::GaveUp { status: None, reason: "request cancelled".into(), shutdown: true },
            };
            let (status, retry_after, reason) = match attempt {
                Attempt::Delivered => return Outcome::Delivered { bytes: body.len() as u64 },
                Attempt::Split { status, message } => return Outcome::Split { status, message },
                Attempt::Unauthorized { status, message } => return Outcome::Unauthorized { status, message },
                Attempt::Rejected { status, message } => return Outcome::Rejected { status, message },
                Attempt::Retry { status, retry_after, reason } => (status, retry_after, reason),
            };
            let wake = Instant::now() + backoff.next_delay(retry_after);
            if wake > budget_end {
                return Outcome::GaveUp { status, reason, shutdown: false };
            }
            if self.shutdown_deadline().is_some_and(|d| wake > d) {
                return Outcome::GaveUp { status, reason, shutdown: true };
            }
            self.shared.counters.retried();
            if or_shutdown(self.deadline, sleep_until(wake)).await.is_none() {
                return Outcome::GaveUp { status, reason, shutdown: true };
            }
        }
    }

    fn shutdown_deadline(&self) -> Option<Instant> {
        self.deadline.borrow().map(Instant::from_std)
    }

    fn drop_batch(&self, batch: &Sealed, reason: DropReason) {
        self.shared.counters.dropped(reason, batch.len() as u64);
    }

    fn report(&self, kind: ErrorKind, status: Option<u16>, message: String, batch: &Sealed) {
        let trace_ids = batch.ids().to_vec();
        self.shared.reporter.report(ErrorReport { kind, message, status, trace_ids });
    }
}

/// Runs `fut` unless the shutdown deadline passes first (`None` then). A deadline set while
/// waiting is honoured too.
async fn or_shutdown<F: Future>(deadline: &mut Deadline, fut: F) -> Option<F::Output> {
    tokio::pin!(fut);
    loop {
        let current = *deadline.borrow_and_update();
        let expiry = async move {
            match current {
                Some(d) => sleep_until(Instant::from_std(d)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            out = &mut fut => return Some(out),
            _ = expiry => return None,
            changed = deadline.changed() => {
                if changed.is_err() {
                    return Some(fut.await);
                }
            }
        }
    }
}
