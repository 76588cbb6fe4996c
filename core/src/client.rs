//! The client: where finished traces enter the pipeline, and its lifecycle.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwapOption;

use crate::config::{Config, ConfigError, Mode};
use crate::encode::TraceView;
use crate::fork;
use crate::ids::Uuid;
use crate::local::LocalBuffer;
use crate::model::TraceRecord;
use crate::pipeline::{prepare, spawn_worker, with_encoded, Offer, Shared, WorkerHandle};
use crate::report::{ErrorKind, ErrorReport, Subscriber};
use crate::sampling;
use crate::stats::{DropReason, Stats};

/// What happened to a finished trace on the application thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finished {
    /// Queued for shipping (or kept, in local mode).
    Kept,
    SampledOut,
    Dropped(DropReason),
    /// `enabled = false`: nothing is recorded.
    Disabled,
}

/// Where an admitted trace goes.
enum Admitted<'c> {
    Local(&'c LocalBuffer),
    Worker(Arc<WorkerHandle>),
}

/// A handle to one configured pipeline. Cheap to clone; all clones share one worker.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    shared: Arc<Shared>,
    /// Lock-free so that a forked child can replace its parent's worker without waiting on a
    /// lock some thread of the parent held at fork time.
    worker: ArcSwapOption<WorkerHandle>,
    spawn_lock: Mutex<()>,
    local: Option<LocalBuffer>,
    closed: AtomicBool,
}

impl Client {
    /// Starts nothing: the worker thread is started by the first trace that needs it.
    pub fn new(config: Config) -> Client {
        let local = (config.mode == Mode::Local).then(|| LocalBuffer::new(config.local_buffer_size));
        Client {
            inner: Arc::new(ClientInner {
                shared: Arc::new(Shared::new(config)),
                worker: ArcSwapOption::empty(),
                spawn_lock: Mutex::new(()),
                local,
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// A client configured from the `TRULAYER_*` environment alone.
    pub fn from_env() -> Result<Client, ConfigError> {
        Ok(Client::new(Config::builder().build()?))
    }

    pub fn config(&self) -> &Config {
        &self.inner.shared.config
    }

    /// Hands a finished trace to the pipeline. Never blocks on I/O, never fails: every outcome
    /// is counted in [`Client::stats`]. The worker scrubs and encodes it.
    pub fn finish(&self, trace: TraceRecord) -> Finished {
        match self.admit(&trace.id, trace.sampled, trace.has_error()) {
            Err(outcome) => outcome,
            Ok(Admitted::Local(local)) => self.keep_locally(local, trace),
            Ok(Admitted::Worker(worker)) => self.offered(worker.queue.offer_record(trace)),
        }
    }

    /// Hands over a finished trace that a binding holds in a form of its own, on a thread of
    /// the binding's that is not the application's (Node's intake thread): the trace is
    /// encoded here, straight from the view, into the body of the batch it joins; the worker
    /// only sends it. When traces are scrubbed, or kept locally, the view is first turned
    /// into a record.
    pub fn finish_view(&self, trace: &TraceView<'_>) -> Finished {
        let shared = &self.inner.shared;
        match self.admit(&trace.id, trace.sampled, trace.has_error()) {
            Err(outcome) => outcome,
            Ok(Admitted::Local(local)) => self.keep_locally(local, trace.to_record()),
            Ok(Admitted::Worker(worker)) if shared.config.scrubs() => {
                self.offered(prepare(trace.to_record(), shared, |json| worker.queue.offer_json(trace.id, json)))
            }
            Ok(Admitted::Worker(worker)) => self.offered(with_encoded(trace, shared, |json| worker.queue.offer_json(trace.id, json))),
        }
    }

    /// What every finished trace goes through before it is queued: the switch, the count,
    /// sampling, shutdown and the auth latch. Errs with the outcome when it goes no further.
    fn admit(&self, id: &Uuid, sampled: Option<bool>, has_error: bool) -> Result<Admitted<'_>, Finished> {
        let shared = &self.inner.shared;
        if !shared.config.enabled {
            return Err(Finished::Disabled);
        }
        // A fork no hook reported: start this process's accounting before counting anything.
        self.reset_after_fork();
        shared.counters.finished();
        if !sampling::keep(id, sampled, has_error, shared.config.sample_rate) {
            shared.counters.sampled_out();
            return Err(Finished::SampledOut);
        }
        if let Some(local) = &self.inner.local {
            return Ok(Admitted::Local(local));
        }
        let refused = if self.inner.closed.load(Ordering::Acquire) {
            Some(DropReason::Shutdown)
        } else if shared.unauthorized.load(Ordering::Acquire) {
            Some(DropReason::Auth)
        } else {
            None
        };
        if let Some(reason) = refused {
            shared.counters.dropped(reason, 1);
            return Err(Finished::Dropped(reason));
        }
        match self.worker() {
            Some(worker) => Ok(Admitted::Worker(worker)),
            None => {
                shared.counters.dropped(DropReason::Rejected, 1);
                Err(Finished::Dropped(DropReason::Rejected))
            }
        }
    }

    fn keep_locally(&self, local: &LocalBuffer, trace: TraceRecord) -> Finished {
        local.push(trace);
        self.inner.shared.counters.queued();
        self.inner.shared.counters.sent(1, 0);
        Finished::Kept
    }

    /// Counts what the queue made of an offered trace.
    fn offered(&self, offer: Offer) -> Finished {
        let shared = &self.inner.shared;
        let reason = match offer {
            Offer::Accepted => {
                shared.counters.queued();
                return Finished::Kept;
            }
            Offer::Full => DropReason::QueueFull,
            Offer::OverBytes => DropReason::QueueBytes,
            Offer::Closed => DropReason::Shutdown,
        };
        shared.counters.dropped(reason, 1);
        if reason != DropReason::Shutdown {
            let c = &shared.config;
            shared.reporter.report_once(ErrorReport {
                kind: ErrorKind::QueueFull,
                message: format!(
                    "the queue is full ({} traces / {} bytes at most); dropping new traces until the endpoint catches up",
                    c.max_queue_size, c.max_queue_bytes
                ),
                status: None,
                trace_ids: vec![],
            });
        }
        Finished::Dropped(reason)
    }

    /// The worker of this process, started on first use. A worker inherited through fork is
    /// abandoned (never joined, never drained): the child starts its own, with an empty queue.
    fn worker(&self) -> Option<Arc<WorkerHandle>> {
        let generation = fork::generation();
        if let Some(w) = &*self.inner.worker.load() {
            if w.generation == generation {
                return Some(w.clone());
            }
        }
        let _guard = self.inner.spawn_lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = &*self.inner.worker.load() {
            if w.generation == generation {
                return Some(w.clone());
            }
        }
        let fresh = match spawn_worker(self.inner.shared.clone()) {
            Ok(w) => Arc::new(w),
            Err(e) => {
                self.inner.shared.reporter.report_once(ErrorReport {
                    kind: ErrorKind::Delivery,
                    message: format!("could not start the worker thread: {e}"),
                    status: None,
                    trace_ids: vec![],
                });
                return None;
            }
        };
        if let Some(inherited) = self.inner.worker.swap(Some(fresh.clone())) {
            abandon_if_inherited(inherited, generation);
        }
        Some(fresh)
    }

    /// Call in a forked child (bindings do it from their at-fork hook; the generation check
    /// on the hot path catches forks no hook saw). Forgets the parent's queue and counters.
    pub fn reset_after_fork(&self) {
        let generation = fork::generation();
        let inherited = self.inner.worker.load().as_ref().is_some_and(|w| w.generation != generation);
        if inherited {
            if let Some(inherited) = self.inner.worker.swap(None) {
                abandon_if_inherited(inherited, generation);
            }
            self.inner.shared.counters.reset();
        }
    }

    /// Waits until everything finished before this call has been answered by the server, or
    /// `timeout` passes. True when everything was answered (delivered or dropped and counted).
    pub fn flush(&self, timeout: Duration) -> bool {
        match self.running_worker() {
            Some(w) => w.flush(timeout),
            None => true,
        }
    }

    /// Flushes for at most `timeout`, then stops the worker. Traces finished afterwards are
    /// dropped and counted. Returns within `timeout` whatever the endpoint does.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        self.inner.shutdown(timeout)
    }

    pub fn stats(&self) -> Stats {
        self.inner.shared.counters.snapshot()
    }

    /// Subscribes to delivery errors. The callback runs on the SDK's worker thread.
    pub fn on_error(&self, f: Subscriber) -> u64 {
        self.inner.shared.reporter.subscribe(f)
    }

    pub fn remove_error_handler(&self, id: u64) {
        self.inner.shared.reporter.unsubscribe(id);
    }

    /// Reports an error found by a binding (a metadata validator, say) through the same path.
    pub fn report(&self, report: ErrorReport) {
        if report.kind == ErrorKind::Metadata {
            self.inner.shared.counters.metadata_rejected();
        }
        self.inner.shared.reporter.report(report);
    }

    /// Counts a span that ended after its trace.
    pub fn note_late_span(&self) {
        self.inner.shared.counters.late_span();
    }

    /// Local mode: the wire JSON of the kept traces, oldest first. Empty otherwise.
    pub fn local_traces(&self) -> Vec<Arc<str>> {
        let shared = &self.inner.shared;
        let encode = |trace| prepare(trace, shared, |json| Arc::from(std::str::from_utf8(json).expect("the encoder writes UTF-8")));
        self.inner.local.as_ref().map(|l| l.snapshot(encode)).unwrap_or_default()
    }

    pub fn clear_local_traces(&self) {
        if let Some(l) = &self.inner.local {
            l.clear();
        }
    }

    /// The sampling decision a trace with this id gets at the configured rate.
    pub fn is_sampled(&self, id: &crate::ids::Uuid) -> bool {
        sampling::is_sampled(id, self.inner.shared.config.sample_rate)
    }

    fn running_worker(&self) -> Option<Arc<WorkerHandle>> {
        self.inner.worker.load_full().filter(|w| w.generation == fork::generation())
    }
}

impl ClientInner {
    fn shutdown(&self, timeout: Duration) -> bool {
        self.closed.store(true, Ordering::Release);
        match self.worker.swap(None) {
            Some(w) if w.generation == fork::generation() => w.shutdown(timeout),
            Some(inherited) => {
                abandon_if_inherited(inherited, fork::generation());
                true
            }
            None => true,
        }
    }
}

impl Drop for ClientInner {
    fn drop(&mut self) {
        if !self.closed.load(Ordering::Acquire) {
            self.shutdown(self.shared.config.shutdown_timeout);
        }
    }
}

/// A handle from the parent process owns a thread that does not exist here: never drop it
/// (dropping would touch the parent's runtime and locks), just leak it.
fn abandon_if_inherited(handle: Arc<WorkerHandle>, generation: u64) {
    if handle.generation != generation {
        std::mem::forget(handle);
    }
}
