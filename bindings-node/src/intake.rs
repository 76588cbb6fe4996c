//! The hand-off of finished traces from the JS thread to the core.
//!
//! In remote mode, `push` only moves the trace's JSON text into a pending list; a binding
//! thread parses it into a `TraceRecord` and calls `Client::finish`, so the JS thread pays
//! for a string copy, not for parsing. The thread is woken once per `BATCH` traces (a
//! wake-up is a syscall, dearer than the push) and otherwise picks up a trickle of traces
//! within `LINGER`; the core batches for much longer (flush_interval) anyway. Every call that must see all finished traces (flush,
//! shutdown, stats, local reads) calls `drain` first, which finishes whatever is pending on
//! the calling thread and waits for a batch the parser thread is working on. In local mode
//! traces are parsed inline, so a test sees its trace as soon as the trace ends.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use trulayer_core::{Client, ErrorKind, ErrorReport, Mode};

use crate::record::parse_trace;

const BATCH: usize = 64;
const LINGER: Duration = Duration::from_millis(50);

pub struct Intake {
    client: Client,
    pending: Mutex<Pending>,
    ready: Condvar,
    /// Held while a batch is parsed and finished, so `drain` can wait for it.
    working: Mutex<()>,
}

#[derive(Default)]
struct Pending {
    traces: Vec<String>,
    parser_started: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Intake {
    pub fn new(client: Client) -> Arc<Intake> {
        Arc::new(Intake { client, pending: Mutex::new(Pending::default()), ready: Condvar::new(), working: Mutex::new(()) })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Accepts one finished trace. Errors (local mode only) mean malformed JSON.
    pub fn push(self: &Arc<Self>, json: String) -> Result<(), String> {
        if self.client.config().mode == Mode::Local {
            self.client.finish(parse_trace(&json)?);
            return Ok(());
        }
        let mut pending = lock(&self.pending);
        pending.traces.push(json);
        let wake = pending.traces.len() == BATCH;
        if !pending.parser_started {
            pending.parser_started = true;
            let me = Arc::clone(self);
            if std::thread::Builder::new().name("trulayer-intake".into()).spawn(move || me.run()).is_err() {
                pending.parser_started = false; // traces stay pending; the next drain finishes them
            }
        }
        drop(pending);
        if wake {
            self.ready.notify_one();
        }
        Ok(())
    }

    /// Finishes every trace pushed before this call (on this thread if still pending).
    pub fn drain(&self) {
        let _working = lock(&self.working);
        let batch = std::mem::take(&mut lock(&self.pending).traces);
        self.finish_all(batch);
    }

    fn run(self: Arc<Self>) {
        loop {
            {
                let mut pending = lock(&self.pending);
                loop {
                    if pending.traces.len() >= BATCH {
                        break;
                    }
                    let (p, waited) = self.ready.wait_timeout(pending, LINGER).unwrap_or_else(|e| e.into_inner());
                    pending = p;
                    if waited.timed_out() && !pending.traces.is_empty() {
                        break;
                    }
                }
            }
            // The lock order of `drain`: working, then pending. A drain may have taken the
            // traces meanwhile; this batch is then empty and the loop waits again.
            let _working = lock(&self.working);
            let batch = std::mem::take(&mut lock(&self.pending).traces);
            self.finish_all(batch);
        }
    }

    fn finish_all(&self, batch: Vec<String>) {
        for json in batch {
            match parse_trace(&json) {
                Ok(record) => {
                    self.client.finish(record);
                }
                Err(message) => self.client.report(ErrorReport { kind: ErrorKind::Delivery, message, status: None, trace_ids: vec![] }),
            }
        }
    }
}
