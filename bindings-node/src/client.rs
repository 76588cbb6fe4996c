//! `NativeClient`: one core [`Client`] and the few calls the facade needs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use trulayer_core::{Client, Config, ErrorReport, Stats};

use crate::errors::{binding_error_kind, subscriber, DeliveryError};
use crate::handles;
use crate::intake::Intake;
use crate::tasks::{ApiTask, DrainTask};

#[napi]
pub struct NativeClient {
    client: Client,
    intake: Arc<Intake>,
    handle: u32,
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        handles::unregister(self.handle);
    }
}

/// Counters for every outcome of every trace (see the core's `Stats`).
#[napi(object)]
pub struct NativeStats {
    pub finished: i64,
    pub sampled_out: i64,
    pub queued: i64,
    pub sent: i64,
    pub dropped_total: i64,
    pub pending: i64,
    /// Drops by reason: queue_full, queue_bytes, invalid, too_large, auth, retry_exhausted,
    /// shutdown, rejected.
    pub dropped: HashMap<String, i64>,
    pub retries: i64,
    pub batches_sent: i64,
    pub bytes_sent: i64,
    pub truncated_fields: i64,
    pub dropped_tags: i64,
    pub scrub_failures: i64,
    pub late_spans: i64,
    pub metadata_rejected: i64,
}

impl From<Stats> for NativeStats {
    fn from(s: Stats) -> Self {
        let n = |v: u64| v.min(i64::MAX as u64) as i64;
        NativeStats {
            finished: n(s.finished),
            sampled_out: n(s.sampled_out),
            queued: n(s.queued),
            sent: n(s.sent),
            dropped_total: n(s.dropped_total),
            pending: n(s.pending),
            dropped: s.dropped.iter().map(|(k, v)| ((*k).to_owned(), n(*v))).collect(),
            retries: n(s.retries),
            batches_sent: n(s.batches_sent),
            bytes_sent: n(s.bytes_sent),
            truncated_fields: n(s.truncated_fields),
            dropped_tags: n(s.dropped_tags),
            scrub_failures: n(s.scrub_failures),
            late_spans: n(s.late_spans),
            metadata_rejected: n(s.metadata_rejected),
        }
    }
}

fn millis(ms: f64) -> Duration {
    Duration::from_millis(if ms.is_finite() && ms > 0.0 { ms as u64 } else { 0 })
}

#[napi]
impl NativeClient {
    /// `options` maps core option names (`api_key`, `batch_size`, `flush_interval_ms`, …) to
    /// their string forms; options not given come from `TRULAYER_*` variables. Throws the
    /// core's validation message (the same text in every language) for a bad value.
    #[napi(constructor)]
    pub fn new(options: HashMap<String, String>) -> Result<Self> {
        let mut builder = Config::builder();
        let mut keys: Vec<_> = options.keys().collect();
        keys.sort(); // deterministic: the first bad option reported is always the same
        for key in keys {
            builder.set(key, &options[key]).map_err(|e| Error::from_reason(e.to_string()))?;
        }
        let config = builder.build().map_err(|e| Error::from_reason(e.to_string()))?;
        let client = Client::new(config);
        let intake = Intake::new(client.clone());
        Ok(NativeClient { handle: handles::register(intake.clone()), intake, client })
    }

    /// The effective project, environment, endpoint and mode (never the key).
    #[napi]
    pub fn describe(&self) -> HashMap<String, String> {
        let c = self.client.config();
        let mode = match c.mode {
            trulayer_core::Mode::Local => "local",
            trulayer_core::Mode::Remote => "remote",
        };
        HashMap::from([
            ("project".to_owned(), c.project.clone()),
            ("environment".to_owned(), c.environment.clone()),
            ("endpoint".to_owned(), c.endpoint.clone()),
            ("mode".to_owned(), mode.to_owned()),
            ("enabled".to_owned(), c.enabled.to_string()),
            ("shutdown_timeout_ms".to_owned(), c.shutdown_timeout.as_millis().to_string()),
            ("timeout_ms".to_owned(), c.timeout.as_millis().to_string()),
        ])
    }

    /// The number `finishTrace` takes for this client.
    #[napi(getter)]
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// Resolves to true when everything finished before the call was answered in time.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn flush(&self, timeout_ms: f64) -> AsyncTask<DrainTask> {
        AsyncTask::new(DrainTask { intake: self.intake.clone(), timeout: millis(timeout_ms), stop: false })
    }

    /// Flushes for at most `timeout_ms`, then stops the worker.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn shutdown(&self, timeout_ms: f64) -> AsyncTask<DrainTask> {
        AsyncTask::new(DrainTask { intake: self.intake.clone(), timeout: millis(timeout_ms), stop: true })
    }

    /// Blocks the JS thread; only for `process.on('exit')`, where nothing async can run.
    #[napi]
    pub fn shutdown_sync(&self, timeout_ms: f64) -> bool {
        self.intake.drain();
        self.client.shutdown(millis(timeout_ms))
    }

    #[napi]
    pub fn stats(&self) -> NativeStats {
        self.intake.drain();
        self.client.stats().into()
    }

    /// Subscribes `callback` to delivery errors; it runs on the JS thread and never keeps the
    /// process alive. Returns an id for `removeErrorHandler`.
    #[napi]
    pub fn on_error(&self, callback: Function<DeliveryError, ()>) -> Result<u32> {
        let id = self.client.on_error(subscriber(callback)?);
        Ok(id as u32)
    }

    #[napi]
    pub fn remove_error_handler(&self, id: u32) {
        self.client.remove_error_handler(u64::from(id));
    }

    /// Reports a failure of a JS-side callback (`"metadata"` or `"scrub"`) to subscribers.
    #[napi]
    pub fn report(&self, kind: String, message: String) -> Result<()> {
        let kind = binding_error_kind(&kind)?;
        self.client.report(ErrorReport { kind, message, status: None, trace_ids: vec![] });
        Ok(())
    }

    /// Counts a span that ended after its trace.
    #[napi]
    pub fn note_late_span(&self) {
        self.client.note_late_span();
    }

    /// Local mode: the wire JSON of the kept traces, oldest first.
    #[napi]
    pub fn local_traces(&self) -> Vec<String> {
        self.client.local_traces().iter().map(|t| t.to_string()).collect()
    }

    #[napi]
    pub fn clear_local_traces(&self) {
        self.client.clear_local_traces();
    }

    /// `method path_and_query` against the endpoint with the client's key, off the JS thread.
    #[napi(ts_return_type = "Promise<ApiAnswer>")]
    pub fn api_request(&self, method: String, path: String, body: Option<String>, timeout_ms: f64) -> AsyncTask<ApiTask> {
        AsyncTask::new(ApiTask { client: self.client.clone(), method, path, body, timeout: millis(timeout_ms) })
    }
}
