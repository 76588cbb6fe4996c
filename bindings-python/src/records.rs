//! The trace and span being recorded. Python subclasses these (`TraceContext`,
//! `SpanContext`) to add the context-manager protocol and the context variables.
//!
//! Setters convert the user's value immediately (running `scrub_fn` over nested strings and
//! `metadata_validator` over metadata, on the calling thread). A span's record joins its
//! trace when the span ends; the trace crosses into the core once, in `finish`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::exceptions::PyBaseException;
use pyo3::types::{PyDict, PyString};
use trulayer_core::model::{ErrorInfo, EventRecord, FailureType, Level, Metadata, Payload, SpanRecord, SpanType, TraceRecord};
use trulayer_core::{Client as CoreClient, ErrorKind, ErrorReport, Finished, Stopwatch, Uuid};

use crate::client::Client;
use crate::convert::{to_value, type_name, Scrubber};

/// What the spans and events of one trace share with it.
struct TraceShared {
    client: CoreClient,
    trace_id: Uuid,
    scrub_fn: Option<Py<PyAny>>,
    metadata_validator: Option<Py<PyAny>>,
    spans: Mutex<Vec<SpanRecord>>,
    events: Mutex<Vec<EventRecord>>,
    /// Set when the trace was handed to the core; later spans are counted as late.
    finished: AtomicBool,
}

impl TraceShared {
    fn payload(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> Payload {
        let func = self.scrub_fn.as_ref().map(|f| f.bind(py));
        let mut scrub = Scrubber::new(func);
        let out = to_value(value, &mut scrub);
        if let Some(why) = scrub.failed {
            self.report(ErrorKind::Scrub, format!("scrub_fn failed, the value was replaced: {why}"));
        }
        out
    }

    fn report(&self, kind: ErrorKind, message: String) {
        self.client.report(ErrorReport { kind, message, status: None, trace_ids: vec![self.trace_id] });
    }

    /// Merges `kwargs` into `into` unless the metadata validator rejects them.
    fn merge_metadata(&self, py: Python<'_>, into: &mut Metadata, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let Some(kwargs) = kwargs else { return Ok(()) };
        if let Some(validator) = &self.metadata_validator {
            let verdict = validator.bind(py).call1((kwargs.copy()?,)).and_then(|v| v.is_truthy());
            let rejected = match verdict {
                Ok(true) => None,
                Ok(false) => Some("metadata_validator rejected the metadata; it was dropped".to_owned()),
                Err(e) => Some(format!("metadata_validator raised {e}; the metadata was dropped")),
            };
            if let Some(message) = rejected {
                self.report(ErrorKind::Metadata, message);
                return Ok(());
            }
        }
        let mut plain = Scrubber::new(None);
        for (k, v) in kwargs.iter() {
            let key = k.cast::<PyString>().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|_| k.to_string());
            into.insert(key, to_value(&v, &mut plain));
        }
        Ok(())
    }

    fn error(&self, py: Python<'_>, err: &Bound<'_, PyAny>) -> ErrorInfo {
        let (kind, message) = if err.cast::<PyBaseException>().is_ok() {
            (Some(type_name(err)), err.str().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default())
        } else {
            (None, err.str().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default())
        };
        let message = match self.payload(py, &PyString::new(py, &message)) {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        ErrorInfo::new(kind.as_deref(), message)
    }

    fn event(&self, py: Python<'_>, span_id: Option<Uuid>, message: String, level: &str, metadata: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let level = Level::parse(level)
            .ok_or_else(|| PyValueError::new_err(format!("level must be debug, info, warn or error, got {level:?}")))?;
        let mut e = EventRecord::new(level, message);
        e.span_id = span_id;
        self.merge_metadata(py, &mut e.metadata, metadata)?;
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(e);
        Ok(())
    }
}

/// The setters traces and spans share (their records have the same field names), written
/// once; pyo3 allows one `#[pymethods]` block per class, so the macro emits the whole block.
macro_rules! recorded_methods {
    ($ty:ident { $($own:tt)* }) => {
        #[pymethods]
        impl $ty {
            fn set_input(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) {
                self.record.input = Some(self.shared.payload(py, value));
            }

            fn set_output(&mut self, py: Python<'_>, value: &Bound<'_, PyAny>) {
                self.record.output = Some(self.shared.payload(py, value));
            }

            #[pyo3(signature = (**metadata))]
            fn set_metadata(&mut self, py: Python<'_>, metadata: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
                self.shared.merge_metadata(py, &mut self.record.metadata, metadata)
            }

            fn set_error(&mut self, py: Python<'_>, error: &Bound<'_, PyAny>) {
                self.record.error = Some(self.shared.error(py, error));
            }

            fn set_model(&mut self, model: Option<String>) {
                self.record.model = model;
            }

            fn set_cost(&mut self, cost: Option<f64>) {
                self.record.cost = cost;
            }

            #[getter]
            fn name(&self) -> &str {
                &self.record.name
            }

            #[setter]
            fn set_name(&mut self, name: String) {
                self.record.name = name;
            }

            $($own)*
        }
    };
}

#[pyclass(module = "trulayer._native", subclass)]
pub struct Trace {
    record: TraceRecord,
    stopwatch: Stopwatch,
    shared: Arc<TraceShared>,
}

recorded_methods! { Trace {
    #[new]
    #[pyo3(signature = (client, name, session_id=None, scrub_fn=None, metadata_validator=None))]
    fn new(
        client: &Client,
        name: String,
        session_id: Option<String>,
        scrub_fn: Option<Py<PyAny>>,
        metadata_validator: Option<Py<PyAny>>,
    ) -> Self {
        let mut record = TraceRecord::new(name);
        record.session_id = session_id;
        let stopwatch = Stopwatch::start();
        record.started_at = stopwatch.started_at();
        let shared = Arc::new(TraceShared {
            client: client.core.clone(),
            trace_id: record.id,
            scrub_fn,
            metadata_validator,
            spans: Mutex::new(Vec::new()),
            events: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
        });
        Trace { record, stopwatch, shared }
    }

    #[getter]
    fn id(&self) -> String {
        self.record.id.to_string()
    }

    #[getter]
    fn session_id(&self) -> Option<&str> {
        self.record.session_id.as_deref()
    }

    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.record.user_id.as_deref()
    }

    #[getter]
    fn tags(&self) -> Vec<String> {
        self.record.tags.clone()
    }

    /// True when the trace or one of its ended spans recorded an error (for samplers).
    #[getter]
    fn has_error(&self) -> bool {
        self.record.error.is_some()
            || self.shared.spans.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|s| s.error.is_some())
    }

    #[getter]
    fn is_finished(&self) -> bool {
        self.shared.finished.load(Ordering::Acquire)
    }



    fn set_session_id(&mut self, session_id: Option<String>) {
        self.record.session_id = session_id;
    }

    fn set_user_id(&mut self, user_id: Option<String>) {
        self.record.user_id = user_id;
    }

    fn set_external_id(&mut self, external_id: Option<String>) {
        self.record.external_id = external_id;
    }

    /// Adds plain labels, keeping the first occurrence of each.
    fn add_tags(&mut self, tags: Vec<String>) {
        for t in tags {
            if !self.record.tags.contains(&t) {
                self.record.tags.push(t);
            }
        }
    }

    /// A key→value tag (the API's tag map).
    fn set_tag(&mut self, key: String, value: String) {
        self.record.tag_map.insert(key, value);
    }

    #[pyo3(signature = (message, level="info", metadata=None))]
    fn add_event(&self, py: Python<'_>, message: String, level: &str, metadata: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        self.shared.event(py, None, message, level, metadata)
    }

    /// Hands the trace to the core: `"kept"`, `"sampled_out"`, `"disabled"`, `"dropped:<reason>"`
    /// or `"already_finished"`. `sampled` is a decision made by a user's sampler.
    #[pyo3(signature = (sampled=None))]
    fn finish(&mut self, sampled: Option<bool>) -> String {
        if self.shared.finished.swap(true, Ordering::AcqRel) {
            return "already_finished".into();
        }
        let (ended_at, latency) = self.stopwatch.stop();
        // Payloads move to the core; what Python may still read (id, name, session, error)
        // stays. No copy of the user's data is made.
        let r = &mut self.record;
        let record = TraceRecord {
            id: r.id,
            project: r.project.take(),
            environment: r.environment.take(),
            session_id: r.session_id.clone(),
            external_id: r.external_id.take(),
            user_id: r.user_id.clone(),
            name: r.name.clone(),
            input: r.input.take(),
            output: r.output.take(),
            model: r.model.take(),
            cost: r.cost,
            error: r.error.clone(),
            tags: std::mem::take(&mut r.tags),
            tag_map: std::mem::take(&mut r.tag_map),
            metadata: std::mem::take(&mut r.metadata),
            started_at: r.started_at,
            ended_at: Some(ended_at),
            latency_ms: Some(latency),
            spans: std::mem::take(&mut *self.shared.spans.lock().unwrap_or_else(|e| e.into_inner())),
            events: std::mem::take(&mut *self.shared.events.lock().unwrap_or_else(|e| e.into_inner())),
            sampled,
        };
        match self.shared.client.finish(record) {
            Finished::Kept => "kept".into(),
            Finished::SampledOut => "sampled_out".into(),
            Finished::Disabled => "disabled".into(),
            Finished::Dropped(reason) => format!("dropped:{reason:?}"),
        }
    }
}}

#[pyclass(module = "trulayer._native", subclass)]
pub struct Span {
    record: SpanRecord,
    stopwatch: Stopwatch,
    shared: Arc<TraceShared>,
    ended: bool,
}

recorded_methods! { Span {
    /// A span of `trace`, child of `parent` when given (a span of the same trace).
    #[new]
    #[pyo3(signature = (trace, name, span_type="custom", parent=None))]
    fn new(trace: &Trace, name: String, span_type: &str, parent: Option<PyRef<'_, Span>>) -> PyResult<Self> {
        let mut record = SpanRecord::new(name, SpanType::parse(span_type));
        if let Some(p) = parent {
            if !Arc::ptr_eq(&p.shared, &trace.shared) {
                return Err(PyValueError::new_err("the parent span belongs to another trace"));
            }
            record.parent_span_id = Some(p.record.id);
        }
        let stopwatch = Stopwatch::start();
        record.start_time = stopwatch.started_at();
        Ok(Span { record, stopwatch, shared: trace.shared.clone(), ended: false })
    }

    #[getter]
    fn id(&self) -> String {
        self.record.id.to_string()
    }

    #[getter]
    fn trace_id(&self) -> String {
        self.shared.trace_id.to_string()
    }

    #[getter]
    fn parent_span_id(&self) -> Option<String> {
        self.record.parent_span_id.map(|id| id.to_string())
    }

    #[getter]
    fn span_type(&self) -> &str {
        self.record.span_type.as_str()
    }

    #[getter]
    fn has_error(&self) -> bool {
        self.record.error.is_some()
    }


    #[pyo3(signature = (prompt_tokens=None, completion_tokens=None))]
    fn set_tokens(&mut self, prompt_tokens: Option<i64>, completion_tokens: Option<i64>) {
        if prompt_tokens.is_some() {
            self.record.prompt_tokens = prompt_tokens;
        }
        if completion_tokens.is_some() {
            self.record.completion_tokens = completion_tokens;
        }
    }


    #[pyo3(signature = (message, level="info", metadata=None))]
    fn add_event(&self, py: Python<'_>, message: String, level: &str, metadata: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        self.shared.event(py, Some(self.record.id), message, level, metadata)
    }

    /// Ends the span and adds it to its trace; a second call does nothing. False when the
    /// trace had already been finished (the span is counted as late and not sent).
    fn end(&mut self) -> bool {
        if self.ended {
            return true;
        }
        self.ended = true;
        if self.shared.finished.load(Ordering::Acquire) {
            self.shared.client.note_late_span();
            return false;
        }
        let (end, latency) = self.stopwatch.stop();
        // Payloads move into the trace; what Python may still read stays on the span.
        let r = &mut self.record;
        let record = SpanRecord {
            id: r.id,
            parent_span_id: r.parent_span_id,
            name: r.name.clone(),
            span_type: r.span_type.clone(),
            input: r.input.take(),
            output: r.output.take(),
            model: r.model.take(),
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            cost: r.cost,
            error: r.error.clone(),
            metadata: std::mem::take(&mut r.metadata),
            start_time: r.start_time,
            end_time: Some(end),
            latency_ms: Some(latency),
        };
        self.shared.spans.lock().unwrap_or_else(|e| e.into_inner()).push(record);
        true
    }
}}

/// The `failure_type` of a provider error (`rate_limit`, `timeout`, `context_length`,
/// `invalid_response`) or None, by the core's shared rules.
#[pyfunction]
#[pyo3(signature = (kind, status, message))]
pub fn classify_failure(kind: &str, status: Option<u16>, message: &str) -> Option<&'static str> {
    FailureType::classify(kind, status, message).map(FailureType::as_str)
}
