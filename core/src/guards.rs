//! The Rust API: scopes as guards that end when dropped.
//!
//! ```
//! use trulayer_core::{Client, Config, SpanType};
//! let client = Client::new(Config::local("docs"));
//! {
//!     let trace = client.trace("answer_question");
//!     trace.set_input("why is the sky blue?");
//!     {
//!         let mut span = trace.span("generate", SpanType::Llm);
//!         span.set_model("gpt-4o-mini");
//!         span.set_tokens(12, 30);
//!     } // the span ends here
//! } // the trace ends here and is queued
//! assert_eq!(client.local_traces().len(), 1);
//! ```

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::client::Client;
use crate::clock::Stopwatch;
use crate::ids::Uuid;
use crate::model::{ErrorInfo, EventRecord, Level, Metadata, Payload, SpanRecord, SpanType, TraceRecord};

struct OpenTrace {
    /// `None` once the trace has ended.
    record: Mutex<Option<TraceRecord>>,
    watch: Stopwatch,
    id: Uuid,
}

impl OpenTrace {
    fn with<R>(&self, f: impl FnOnce(&mut TraceRecord) -> R) -> Option<R> {
        self.record.lock().unwrap_or_else(|e| e.into_inner()).as_mut().map(f)
    }
}

/// An open trace; ends (and is queued) when dropped or on [`TraceGuard::end`].
pub struct TraceGuard {
    client: Client,
    open: Arc<OpenTrace>,
}

impl Client {
    pub fn trace(&self, name: impl Into<String>) -> TraceGuard {
        let watch = Stopwatch::start();
        let mut record = TraceRecord::new(name);
        record.started_at = watch.started_at();
        let id = record.id;
        TraceGuard { client: self.clone(), open: Arc::new(OpenTrace { record: Mutex::new(Some(record)), watch, id }) }
    }
}

impl TraceGuard {
    pub fn id(&self) -> Uuid {
        self.open.id
    }

    pub fn set_input(&self, v: impl Into<Payload>) {
        let v = v.into();
        self.open.with(|r| r.input = Some(v));
    }

    pub fn set_output(&self, v: impl Into<Payload>) {
        let v = v.into();
        self.open.with(|r| r.output = Some(v));
    }

    pub fn set_metadata(&self, key: impl Into<String>, v: impl Into<Value>) {
        let (k, v) = (key.into(), v.into());
        self.open.with(|r| r.metadata.insert(k, v));
    }

    pub fn set_error(&self, kind: Option<&str>, message: impl Into<String>) {
        let e = ErrorInfo::new(kind, message);
        self.open.with(|r| r.error = Some(e));
    }

    pub fn set_session_id(&self, s: impl Into<String>) {
        let s = s.into();
        self.open.with(|r| r.session_id = Some(s));
    }

    pub fn set_external_id(&self, s: impl Into<String>) {
        let s = s.into();
        self.open.with(|r| r.external_id = Some(s));
    }

    pub fn set_user_id(&self, s: impl Into<String>) {
        let s = s.into();
        self.open.with(|r| r.user_id = Some(s));
    }

    pub fn add_tag(&self, tag: impl Into<String>) {
        let t = tag.into();
        self.open.with(|r| r.tags.push(t));
    }

    pub fn set_tag(&self, key: impl Into<String>, value: impl Into<String>) {
        let (k, v) = (key.into(), value.into());
        self.open.with(|r| r.tag_map.insert(k, v));
    }

    pub fn set_model(&self, model: impl Into<String>) {
        let m = model.into();
        self.open.with(|r| r.model = Some(m));
    }

    pub fn set_cost(&self, usd: f64) {
        self.open.with(|r| r.cost = Some(usd));
    }

    pub fn event(&self, level: Level, message: impl Into<String>) {
        self.event_with_metadata(level, message, Metadata::new());
    }

    pub fn event_with_metadata(&self, level: Level, message: impl Into<String>, metadata: Metadata) {
        let mut e = EventRecord::new(level, message);
        e.metadata = metadata;
        self.open.with(|r| r.events.push(e));
    }

    /// Opens a top-level span of this trace.
    pub fn span(&self, name: impl Into<String>, span_type: SpanType) -> SpanGuard {
        SpanGuard::open(self.client.clone(), self.open.clone(), None, name.into(), span_type)
    }

    /// Ends the trace now (the same as dropping it).
    pub fn end(self) {}
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        let taken = self.open.record.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut record) = taken {
            let (end, latency) = self.open.watch.stop();
            record.ended_at = Some(end);
            record.latency_ms = Some(latency);
            self.client.finish(record);
        }
    }
}

/// An open span; ends (and joins its trace) when dropped or on [`SpanGuard::end`].
pub struct SpanGuard {
    client: Client,
    trace: Arc<OpenTrace>,
    record: Option<SpanRecord>,
    watch: Stopwatch,
}

impl SpanGuard {
    fn open(client: Client, trace: Arc<OpenTrace>, parent: Option<Uuid>, name: String, span_type: SpanType) -> Self {
        let watch = Stopwatch::start();
        let mut record = SpanRecord::new(name, span_type);
        record.parent_span_id = parent;
        record.start_time = watch.started_at();
        SpanGuard { client, trace, record: Some(record), watch }
    }

    fn rec(&mut self) -> &mut SpanRecord {
        self.record.as_mut().expect("a span's record lives until drop")
    }

    pub fn id(&self) -> Uuid {
        self.record.as_ref().expect("live span").id
    }

    pub fn trace_id(&self) -> Uuid {
        self.trace.id
    }

    /// Opens a span nested under this one.
    pub fn child(&self, name: impl Into<String>, span_type: SpanType) -> SpanGuard {
        SpanGuard::open(self.client.clone(), self.trace.clone(), Some(self.id()), name.into(), span_type)
    }

    pub fn set_input(&mut self, v: impl Into<Payload>) {
        self.rec().input = Some(v.into());
    }

    pub fn set_output(&mut self, v: impl Into<Payload>) {
        self.rec().output = Some(v.into());
    }

    pub fn set_model(&mut self, model: impl Into<String>) {
        self.rec().model = Some(model.into());
    }

    pub fn set_tokens(&mut self, prompt: i64, completion: i64) {
        let r = self.rec();
        r.prompt_tokens = Some(prompt);
        r.completion_tokens = Some(completion);
    }

    pub fn set_cost(&mut self, usd: f64) {
        self.rec().cost = Some(usd);
    }

    pub fn set_metadata(&mut self, key: impl Into<String>, v: impl Into<Value>) {
        self.rec().metadata.insert(key.into(), v.into());
    }

    pub fn set_error(&mut self, kind: Option<&str>, message: impl Into<String>) {
        self.rec().error = Some(ErrorInfo::new(kind, message));
    }

    pub fn event(&self, level: Level, message: impl Into<String>) {
        self.event_with_metadata(level, message, Metadata::new());
    }

    pub fn event_with_metadata(&self, level: Level, message: impl Into<String>, metadata: Metadata) {
        let mut e = EventRecord::new(level, message);
        e.span_id = Some(self.id());
        e.metadata = metadata;
        self.trace.with(|r| r.events.push(e));
    }

    pub fn end(self) {}
}

impl Drop for SpanGuard {
    fn drop(&mut self) {
        if let Some(mut record) = self.record.take() {
            let (end, latency) = self.watch.stop();
            record.end_time = Some(end);
            record.latency_ms = Some(latency);
            if self.trace.with(|t| t.spans.push(record)).is_none() {
                self.client.note_late_span();
            }
        }
    }
}
