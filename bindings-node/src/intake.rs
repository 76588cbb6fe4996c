//! The hand-off of finished traces from the JS thread to the core.
//!
//! In remote mode, `push` only appends the packed trace to two buffers shared with a binding
//! thread, which reads it as a `TraceView` and hands it over with `Client::finish_view`: the
//! JS thread pays for a copy, not for reading the trace, and the trace is encoded on the
//! thread that reads it, while it is in that core's cache (encoded on the engine's worker
//! instead, the two threads together took twice the CPU). The buffers are swapped, not reallocated,
//! so in a steady state the JS thread allocates nothing per trace. The thread is woken once
//! per `BATCH` traces (a wake-up is a syscall, dearer than the push) and otherwise picks up a
//! trickle of traces within `LINGER`; the core batches for much longer (flush_interval)
//! anyway; if the thread falls `MAX_PENDING` traces behind, the JS thread catches up
//! itself. Every call that must see all finished traces (flush, shutdown, stats, local
//! reads) calls `drain` first, which finishes whatever is pending on the calling thread and
//! waits for a batch the intake thread is working on. In local mode traces are unpacked
//! inline, so a test sees its trace as soon as the trace ends.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use trulayer_core::{Client, ErrorKind, ErrorReport, Mode};

use crate::record::{unpack, Packed, Scratch};

const BATCH: usize = 64;
const LINGER: Duration = Duration::from_millis(50);
/// Traces that may wait for the intake thread; past this (the thread is starved of CPU),
/// the JS thread finishes them itself, so memory stays bounded on a saturated machine.
const MAX_PENDING: usize = 64 * BATCH;
/// Text capacity (UTF-16 units) each set of buffers keeps once emptied: 4 MiB, room for
/// `MAX_PENDING` traces of about 500 characters (numbers: a quarter as many, 4 MiB).
const RETAINED_TEXT: usize = 1 << 21;

pub struct Intake {
    client: Client,
    pending: Mutex<Pending>,
    ready: Condvar,
    /// The batch being unpacked and finished, by the intake thread or by `drain` (which so
    /// waits for a batch in progress). Swapped with the pending buffers, so both keep their
    /// capacity: regrowing them after each drain cost the JS thread page faults and copies.
    working: Mutex<Traces>,
}

/// Packed traces back to back: each trace's text and numbers end where `ends` says.
#[derive(Default)]
struct Traces {
    text: Vec<u16>,
    nums: Vec<f64>,
    ends: Vec<(usize, usize)>,
}

impl Traces {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn iter(&self) -> impl Iterator<Item = Packed<'_>> {
        let mut start = (0, 0);
        self.ends.iter().map(move |&(text_end, nums_end)| {
            let p = Packed { text: &self.text[start.0..text_end], nums: &self.nums[start.1..nums_end] };
            start = (text_end, nums_end);
            p
        })
    }

    /// Empties the buffers, keeping up to `RETAINED_TEXT` units of text capacity (and the
    /// numbers' in proportion): a burst of huge traces must not pin its memory forever.
    fn clear(&mut self) {
        self.text.clear();
        self.nums.clear();
        self.ends.clear();
        if self.text.capacity() > RETAINED_TEXT {
            self.text.shrink_to(RETAINED_TEXT);
            self.nums.shrink_to(RETAINED_TEXT / 4);
            self.ends.shrink_to(MAX_PENDING);
        }
    }
}

#[derive(Default)]
struct Pending {
    traces: Traces,
    thread_started: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Intake {
    pub fn new(client: Client) -> Arc<Intake> {
        Arc::new(Intake { client, pending: Mutex::new(Pending::default()), ready: Condvar::new(), working: Mutex::new(Traces::default()) })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Accepts one finished trace: `append_text` appends its text to the buffer it is given,
    /// `nums` are its numbers. Errors are the text's, or (local mode only) a malformed trace.
    pub fn push(self: &Arc<Self>, append_text: impl FnOnce(&mut Vec<u16>) -> Result<(), String>, nums: &[f64]) -> Result<(), String> {
        if self.client.config().mode == Mode::Local {
            let mut text = Vec::new();
            append_text(&mut text)?;
            self.client.finish_view(&unpack(Packed { text: &text, nums }, &mut Scratch::default())?);
            return Ok(());
        }
        let mut pending = lock(&self.pending);
        let traces = &mut pending.traces;
        let text_start = traces.text.len();
        if let Err(e) = append_text(&mut traces.text) {
            traces.text.truncate(text_start);
            return Err(e);
        }
        traces.nums.extend_from_slice(nums);
        traces.ends.push((traces.text.len(), traces.nums.len()));
        let waiting = traces.len();
        let wake = waiting == BATCH;
        if !pending.thread_started {
            pending.thread_started = true;
            let me = Arc::clone(self);
            if std::thread::Builder::new().name("trulayer-intake".into()).spawn(move || me.run()).is_err() {
                pending.thread_started = false; // traces stay pending; the next drain finishes them
            }
        }
        drop(pending);
        if wake {
            self.ready.notify_one();
        }
        if waiting >= MAX_PENDING {
            self.drain();
        }
        Ok(())
    }

    /// Finishes every trace pushed before this call (on this thread if still pending, after
    /// the batch in progress). Lock order: working, then pending.
    pub fn drain(&self) {
        let mut batch = lock(&self.working);
        std::mem::swap(&mut *batch, &mut lock(&self.pending).traces);
        self.finish_all(&batch);
        batch.clear();
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
                    if waited.timed_out() && pending.traces.len() > 0 {
                        break;
                    }
                }
            }
            // A drain may have taken the traces meanwhile; this batch is then empty and the
            // loop waits again.
            self.drain();
        }
    }

    fn finish_all(&self, batch: &Traces) {
        let mut scratch = Scratch::default(); // reused: each view borrows it in turn
        for trace in batch.iter() {
            match unpack(trace, &mut scratch) {
                Ok(view) => {
                    self.client.finish_view(&view);
                }
                Err(message) => self.client.report(ErrorReport { kind: ErrorKind::Delivery, message, status: None, trace_ids: vec![] }),
            }
        }
    }
}
