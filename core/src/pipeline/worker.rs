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

use super::batch::Batch;
use super::deliver::{Deadline, Delivery};
use super::prepare::prepare;
use super::queue::{Bounds, Queue, Taken};
use super::Shared;
use crate::export::HttpExporter;
use crate::stats::DropReason;

pub enum Control {
    /// Ship everything queued so far, then answer.
    Flush(std_mpsc::Sender<()>),
    /// Ship what the deadline allows, drop (and count) the rest, answer, stop.
    Shutdown(std_mpsc::Sender<()>),
}

/// The application side of a running worker.
pub struct WorkerHandle {
    /// The fork generation that started it: a forked child must not use its parent's worker.
    pub generation: u64,
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
    let queue = Queue::bounded(Bounds::of(config));
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (deadline_tx, deadline_rx) = watch::channel(None);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let worker_shared = shared.clone();
    let worker_queue = queue.clone();
    let thread = std::thread::Builder::new().name("trulayer-worker".into()).spawn(move || {
        let exporter = HttpExporter::new(&worker_shared.config);
        let worker = Worker {
            shared: worker_shared,
            queue: worker_queue,
            control: control_rx,
            deadline: deadline_rx,
            exporter,
        };
        runtime.block_on(worker.run());
    })?;
    Ok(WorkerHandle {
        generation: crate::fork::generation(),
        queue,
        control: control_tx,
        deadline: deadline_tx,
        thread: Mutex::new(Some(thread)),
    })
}

struct Worker {
    shared: Arc<Shared>,
    queue: Queue,
    control: mpsc::UnboundedReceiver<Control>,
    deadline: Deadline,
    exporter: HttpExporter,
}

impl Worker {
    async fn run(mut self) {
        let interval = self.shared.config.flush_interval;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                control = self.control.recv() => match control {
                    Some(Control::Flush(ack)) => {
                        self.drain().await;
                        let _ = ack.send(());
                    }
                    Some(Control::Shutdown(ack)) => {
                        self.queue.close();
                        self.drain().await;
                        let _ = ack.send(());
                        return;
                    }
                    // Every client handle is gone without a shutdown: ship what is left.
                    None => {
                        self.queue.close();
                        self.drain().await;
                        return;
                    }
                },
                _ = self.queue.batch_ready() => {
                    while self.queue.len() >= self.queue.bounds().batch_size {
                        self.take_and_ship().await;
                    }
                }
                _ = tick.tick() => self.drain().await,
            }
        }
    }

    /// Ships everything queued right now (for a flush: all of it was queued before the ask).
    async fn drain(&mut self) {
        while !self.queue.is_empty() {
            if self.past_shutdown_deadline() {
                let left = self.queue.discard();
                self.shared.counters.dropped(DropReason::Shutdown, left as u64);
                break;
            }
            self.take_and_ship().await;
        }
    }

    /// Ships the oldest batch, or the oldest records once scrubbed, encoded and batched.
    async fn take_and_ship(&mut self) {
        let Some(taken) = self.queue.take() else { return };
        if self.queue.is_empty() {
            self.shared.reporter.queue_drained();
        }
        match taken {
            Taken::Batch(batch) => self.ship(batch).await,
            Taken::Records(records) => {
                // At most a batch's worth of records: encoded first (a body limit may cut
                // them into more than one batch), then shipped in order.
                let Bounds { batch_size, max_batch_bytes, .. } = self.queue.bounds();
                let (mut full, mut batch) = (Vec::new(), Batch::default());
                for trace in records {
                    let id = trace.id;
                    prepare(trace, &self.shared, |json| {
                        if !batch.has_room(json.len(), batch_size, max_batch_bytes) {
                            full.push(std::mem::take(&mut batch));
                        }
                        batch.push(id, json);
                    });
                }
                for batch in full.into_iter().chain([batch]) {
                    self.ship(batch).await;
                }
            }
        }
    }

    async fn ship(&mut self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        let mut delivery = Delivery { shared: &self.shared, exporter: &self.exporter, deadline: &mut self.deadline };
        delivery.deliver(batch.seal()).await;
    }

    fn past_shutdown_deadline(&self) -> bool {
        self.deadline.borrow().is_some_and(|d| Instant::now() >= d)
    }
}
