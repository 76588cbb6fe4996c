//! From a finished trace to an acknowledged request.
//!
//! ```text
//! app thread: Client::finish ─ sample ─► Queue::offer_record (bounded: count and bytes; full = drop newest)
//! worker thread: scrub ─ encode ─ batch (count, bytes, interval) ─ HttpExporter::send
//! (a binding thread that is not the app's may encode before offering, Client::finish_view:
//! Queue::offer_json appends the trace to the body of the batch it joins)
//!                 ↘ retry with backoff / Retry-After ↘ split on 400/413 ↘ latch on 401/403
//! ```
//! Flush and shutdown travel on a separate control channel so they never wait behind data.

mod batch;
mod deliver;
mod prepare;
mod queue;
mod worker;

pub use prepare::{prepare, with_encoded};
pub use queue::{Bounds, Offer, Queue};
pub use worker::{spawn_worker, Control, WorkerHandle};

use std::sync::atomic::AtomicBool;

use crate::config::Config;
use crate::report::Reporter;
use crate::stats::Counters;

/// State shared by the client (app threads) and its worker.
pub struct Shared {
    pub config: Config,
    pub counters: Counters,
    pub reporter: Reporter,
    /// Set on 401/403: the key is refused and nothing more is shipped.
    pub unauthorized: AtomicBool,
}

impl Shared {
    pub fn new(config: Config) -> Self {
        Shared { config, counters: Counters::default(), reporter: Reporter::default(), unauthorized: AtomicBool::new(false) }
    }
}
