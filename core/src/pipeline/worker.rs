//! The worker: one OS thread with its own single-threaded tokio runtime.
//!
//! It never touches the host's event loop or interpreter lock. It batches by count, bytes
//! and interval, and answers flush and shutdown requests that arrive on a control channel
//! separate from the data, so a full queue never delays them.

use std::io;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::deliver::{Deadline, Delivery};
use super::prepare::{prepare, Encoded};
use super::queue::{Queue, QueueReceiver};
use super::Shared;
use crate::export::HttpExporter;
use crate::model::TraceRecord;
use crate::stats::DropReason;

pub enum Control {
    /// Ship everything queued so far, then answer.
    Flush(std_mpsc::Sender<()>),
    /// Ship what the deadline allows, drop (and count) the rest, answer, stop.
    Shutdown(std_mpsc::Sender<()>),
}

/// The application side of a running worker.
pub struct WorkerHandle {
    /// The process that started it: a forked child must not use its parent's worker.
    pub pid: u32,
    pub queue: Queue,
    control: mpsc::UnboundedSender<Control>,
    deadline: watch::Sender<Option<Instant>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl WorkerHandle {
    /// True when everything queued before the call was answered within `timeout`.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = std_mpsc::channel();
        if self.control.send(Control::Flush(tx)).is_err() {
            return true;
        }
        rx.recv_timeout(timeout).is_ok()
    }

    /// Stops the worker; returns within `timeout` (plus scheduling slack) whatever the endpoint
    /// does. True when it stopped cleanly.
    pub fn shutdown(&self, timeout: Duration) -> bool {
        self.deadline.send_replace(Some(Instant::now() + timeout));
        let (tx, rx) = std_mpsc::channel();
        if self.control.send(Control::Shutdown(tx)).is_err() {
            return true;
        }
        let stopped = rx.recv_timeout(timeout + Duration::from_millis(200)).is_ok();
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let (true, Some(t)) = (stopped, thread) {
            let _ = t.join();
        }
        stopped
    }
}

pub fn spawn_worker(shared: Arc<Shared>) -> io::Result<WorkerHandle> {
    let config = &shared.config;
    let (queue, rx) = Queue::bounded(config.max_queue_size, config.max_queue_bytes);
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (deadline_tx, deadline_rx) = watch::channel(None);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let worker_shared = shared.clone();
    let thread = std::thread::Builder::new().name("trulayer-worker".into()).spawn(move || {
        let exporter = HttpExporter::new(&worker_shared.config);
        let worker = Worker {
            shared: worker_shared,
            rx,
            control: control_rx,
            deadline: deadline_rx,
            exporter,
            batch: Vec::new(),
            batch_bytes: 0,
        };
        runtime.block_on(worker.run());
    })?;
    Ok(WorkerHandle {
        pid: std::process::id(),
        queue,
        control: control_tx,
        deadline: deadline_tx,
        thread: Mutex::new(Some(thread)),
    })
}

struct Worker {
    shared: Arc<Shared>,
    rx: QueueReceiver,
    control: mpsc::UnboundedReceiver<Control>,
    deadline: Deadline,
    exporter: HttpExporter,
    batch: Vec<Encoded>,
    batch_bytes: usize,
}

impl Worker {
    async fn run(mut self) {
        let interval = self.shared.config.flush_interval;
        let mut next_flush = tokio::time::Instant::now() + interval;
        loop {
            tokio::select! {
                biased;
                Some(control) = self.control.recv() => match control {
                    Control::Flush(ack) => {
                        self.drain().await;
                        self.ship().await;
                        next_flush = tokio::time::Instant::now() + interval;
                        let _ = ack.send(());
                    }
                    Control::Shutdown(ack) => {
                        self.rx.close();
                        self.drain().await;
                        self.ship().await;
                        let _ = ack.send(());
                        return;
                    }
                },
                _ = tokio::time::sleep_until(next_flush), if !self.batch.is_empty() => {
                    self.ship().await;
                    next_flush = tokio::time::Instant::now() + interval;
                }
                trace = self.rx.recv() => match trace {
                    Some(trace) => {
                        if self.batch.is_empty() {
                            next_flush = tokio::time::Instant::now() + interval;
                        }
                        self.accept(trace).await;
                    }
                    None => {
                        // Every client handle is gone: ship what is left and stop.
                        self.ship().await;
                        return;
                    }
                },
            }
        }
    }

    /// Takes everything queued right now (all of it was queued before a flush was asked).
    async fn drain(&mut self) {
        while let Some(trace) = self.rx.try_recv() {
            if self.past_shutdown_deadline() {
                self.shared.counters.dropped(DropReason::Shutdown, 1);
                continue;
            }
            self.accept(trace).await;
        }
    }

    async fn accept(&mut self, trace: TraceRecord) {
        let encoded = prepare(trace, &self.shared);
        let limits = &self.shared.config.limits;
        if !self.batch.is_empty() && self.batch_bytes + encoded.bytes.len() > limits.max_batch_bytes {
            self.ship().await;
        }
        self.batch_bytes += encoded.bytes.len();
        self.batch.push(encoded);
        if self.batch.len() >= self.shared.config.batch_size {
            self.ship().await;
        }
    }

    async fn ship(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        self.batch_bytes = 0;
        let mut delivery = Delivery { shared: &self.shared, exporter: &self.exporter, deadline: &mut self.deadline };
        delivery.deliver(batch).await;
    }

    fn past_shutdown_deadline(&self) -> bool {
        self.deadline.borrow().is_some_and(|d| Instant::now() >= d)
    }
}
