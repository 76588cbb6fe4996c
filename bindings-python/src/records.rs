//! `TraceContext` and `SpanContext`, the public classes: the records being filled and the
//! (sync and async) context-manager protocol that makes them current. Everything on the hot
//! path is native: entering, leaving, starting a span and the setters cost one call each.
//!
//! Setters convert the user's value immediately (running `scrub_fn` over nested strings and
//! `metadata_validator` over metadata, on the calling thread). A span's record joins its
//! trace when the span ends; the trace crosses into the core once, in `finish`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use trulayer_core::model::{FailureType, SpanRecord, SpanType, TraceRecord};
use trulayer_core::{Client as CoreClient, ErrorKind, Finished};

use crate::clock::{new_span, new_trace, Anchor, Started};

use crate::client::Client;
use crate::scope::{vars, Ready};
use crate::shared::{Hooks, TraceShared};

/// What traces and spans share (their records have the same field names), written once;
/// pyo3 allows one `#[pymethods]` block per class, so the macro emits the whole block.
/// Each class brings its own `__enter__` and `leave` (the end of its `with` block); the async
/// forms do the same work when called and return an awaitable that is already done.
macro_rules! recorded_methods {
    ($ty:ident $([$set_tags:ident])? { $($own:tt)* }) => {
        #[pymethods]
        impl $ty {
            // The trace's varargs method is written here, not at the call site: pyo3's
            // generated names for `*args` must share the hygiene of the `#[pymethods]` above.
            $(
            /// Plain labels (`set_tags("prod", "v2")`) and key→value tags
            /// (`set_tags(plan="pro")`, values as text).
            #[pyo3(signature = (*tags, **tag_map))]
            fn $set_tags(&mut self, tags: &Bound<'_, PyTuple>, tag_map: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
                self.add_tags(tags.extract()?);
                for (key, value) in tag_map.into_iter().flatten() {
                    self.set_tag(key.extract()?, value.str()?.to_string_lossy().into_owned());
                }
                Ok(())
            }
            )?

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

            /// An exception leaving the block is recorded and re-raised (the result is None).
            fn __exit__(
                slf: &Bound<'_, Self>,
                _exc_type: &Bound<'_, PyAny>,
                exc: &Bound<'_, PyAny>,
                _tb: &Bound<'_, PyAny>,
            ) -> PyResult<()> {
                if !exc.is_none() {
                    slf.borrow_mut().set_error(slf.py(), exc);
                }
                Self::leave(slf)
            }

            /// Makes this the current scope for one step of a generator; undo with `_deactivate`.
            fn _activate(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
                vars(slf.py()).enter(slf.py(), slf)
            }

            fn _deactivate(&self, py: Python<'_>, token: Py<PyAny>) -> PyResult<()> {
                vars(py).leave(py, Some(token))
            }

            fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Ready> {
                Ok(Ready::new(Self::__enter__(slf)?.into_any().unbind()))
            }

            fn __aexit__(
                slf: &Bound<'_, Self>,
                exc_type: &Bound<'_, PyAny>,
                exc: &Bound<'_, PyAny>,
                tb: &Bound<'_, PyAny>,
            ) -> PyResult<Ready> {
                Self::__exit__(slf, exc_type, exc, tb)?;
                Ok(Ready::new(slf.py().None()))
            }

            $($own)*
        }
    };
}

/// One unit of work. Use it as a (sync or async) context manager; the trace is handed to the
/// engine when the block ends.
#[pyclass(name = "TraceContext", module = "trulayer")]
pub struct Trace {
    record: TraceRecord,
    stopwatch: Started,
    shared: Arc<TraceShared>,
    /// Set while the trace is the current scope (between `__enter__` and `__exit__`).
    token: Option<Py<PyAny>>,
}

impl Trace {
    #[inline]
    pub fn start(client: &CoreClient, hooks: &Arc<Hooks>, name: String, session_id: Option<String>) -> Self {
        let anchor = Anchor::now();
        let (mut record, stopwatch) = new_trace(name, &anchor);
        record.session_id = session_id;
        let shared = Arc::new(TraceShared {
            client: client.clone(),
            anchor,
            trace_id: record.id,
            hooks: hooks.clone(),
            spans: Mutex::new(Vec::new()),
            events: Mutex::new(Vec::new()),
            finished: AtomicBool::new(false),
        });
        Trace { record, stopwatch, shared, token: None }
    }

    /// What `TruLayerClient.trace` adds to a new trace: the attributes of the enclosing
    /// `using_attributes` blocks, then the caller's metadata, user and tags.
    pub fn apply_options(
        trace: &Bound<'_, Self>,
        metadata: Option<&Bound<'_, PyAny>>,
        user_id: Option<String>,
        tags: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let py = trace.py();
        if vars(py).in_attributes_block(py)? {
            py.import("trulayer._scope")?.getattr("apply_to_trace")?.call1((trace,))?;
        }
        let this = &mut *trace.borrow_mut();
        if let Some(m) = truthy(metadata) {
            let as_dict = match m.cast::<PyDict>() {
                Ok(d) => d.clone(),
                Err(_) => m.call_method0("items").and_then(|items| PyDict::from_sequence(&items))?,
            };
            this.shared.merge_metadata(py, &mut this.record.metadata, Some(&as_dict))?;
        }
        if user_id.is_some() {
            this.record.user_id = user_id;
        }
        if let Some(t) = truthy(tags) {
            this.add_tags(t.try_iter()?.map(|tag| tag?.extract()).collect::<PyResult<_>>()?);
        }
        Ok(())
    }

    /// The end of the `with` block: the context variables are restored and the trace ends.
    fn leave(slf: &Bound<'_, Self>) -> PyResult<()> {
        let token = slf.borrow_mut().token.take();
        let restored = vars(slf.py()).leave(slf.py(), token);
        Self::end(slf);
        restored
    }

    /// The user's sampler's verdict on the ended trace (None without a sampler). It reads the
    /// trace, so no borrow is held while it runs; a sampler that raises keeps the trace.
    fn sampler_verdict(slf: &Bound<'_, Self>) -> Option<bool> {
        let shared = slf.borrow().shared.clone();
        let sampler = shared.hooks.sampler.as_ref()?;
        match sampler.bind(slf.py()).call1((slf,)).and_then(|v| v.is_truthy()) {
            Ok(keep) => Some(keep),
            Err(e) => {
                let shown = e.value(slf.py()).repr().map(|r| r.to_string()).unwrap_or_else(|_| e.to_string());
                shared.report(ErrorKind::Delivery, format!("the sample_rate callable raised {shown}; the trace was kept"));
                Some(true)
            }
        }
    }
}

recorded_methods! { Trace [set_tags] {
    #[new]
    #[pyo3(signature = (client, name, session_id=None))]
    fn new(client: &Client, name: String, session_id: Option<String>) -> Self {
        Trace::start(&client.core, &client.hooks, name, session_id)
    }

    fn __enter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let token = vars(slf.py()).enter(slf.py(), slf)?;
        slf.borrow_mut().token = Some(token);
        Ok(slf.clone())
    }


    /// A span of this trace, child of `parent` or else of the span current in this context
    /// (when it belongs to this trace).
    #[pyo3(signature = (name, span_type="custom", parent=None))]
    fn span(slf: &Bound<'_, Self>, name: String, span_type: &str, parent: Option<&Bound<'_, Span>>) -> PyResult<Py<Span>> {
        let py = slf.py();
        let current;
        let parent = match parent {
            Some(p) => Some(p),
            None => {
                current = vars(py).current(py)?;
                match current.cast::<Span>() {
                    Ok(s) if s.try_borrow()?.trace.as_ptr() == slf.as_ptr() => Some(s),
                    _ => None,
                }
            }
        };
        Py::new(py, Span::start(slf, name, span_type, parent)?)
    }

    /// Ends a trace that was not used as a context manager.
    fn end(slf: &Bound<'_, Self>) {
        let sampled = Self::sampler_verdict(slf);
        slf.borrow_mut().finish(sampled);
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

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("<TraceContext {} id={}>", PyString::new(py, &self.record.name).repr()?, self.record.id))
    }
}}

/// One step of a trace. Use it as a (sync or async) context manager; an exception leaving the
/// block is recorded on the span and re-raised.
#[pyclass(name = "SpanContext", module = "trulayer")]
pub struct Span {
    record: SpanRecord,
    stopwatch: Started,
    shared: Arc<TraceShared>,
    /// The TraceContext object (the parent test of `TraceContext.span` compares it).
    trace: Py<Trace>,
    /// Set while the span is the current scope.
    token: Option<Py<PyAny>>,
    ended: bool,
}

impl Span {
    /// A span of `trace`, child of `parent` when given (a span of the same trace).
    #[inline]
    fn start(trace: &Bound<'_, Trace>, name: String, span_type: &str, parent: Option<&Bound<'_, Span>>) -> PyResult<Self> {
        let shared = trace.try_borrow()?.shared.clone();
        let (mut record, stopwatch) = new_span(name, SpanType::parse(span_type), &shared.anchor);
        if let Some(p) = parent {
            let p = p.try_borrow()?;
            if p.trace.as_ptr() != trace.as_ptr() {
                return Err(PyValueError::new_err("the parent span belongs to another trace"));
            }
            record.parent_span_id = Some(p.record.id);
        }
        Ok(Span { record, stopwatch, shared, trace: trace.clone().unbind(), token: None, ended: false })
    }

    /// The end of the `with` block: the span ends and the context variable is restored.
    fn leave(slf: &Bound<'_, Self>) -> PyResult<()> {
        let token = {
            let mut this = slf.borrow_mut();
            this.end();
            this.token.take()
        };
        vars(slf.py()).leave(slf.py(), token)
    }
}

recorded_methods! { Span {
    #[new]
    #[pyo3(signature = (trace, name, span_type="custom", parent=None))]
    fn new(trace: &Bound<'_, Trace>, name: String, span_type: &str, parent: Option<&Bound<'_, Span>>) -> PyResult<Self> {
        Span::start(trace, name, span_type, parent)
    }

    fn __enter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, Self>> {
        let token = vars(slf.py()).enter(slf.py(), slf)?;
        slf.borrow_mut().token = Some(token);
        Ok(slf.clone())
    }


    /// A child of this span (use when this span is not the current one).
    #[pyo3(signature = (name, span_type="custom"))]
    #[allow(clippy::self_named_constructors)] // `span.span(...)` is the Python API
    fn span(slf: &Bound<'_, Self>, name: String, span_type: &str) -> PyResult<Py<Span>> {
        let py = slf.py();
        let trace = slf.try_borrow()?.trace.clone_ref(py);
        Py::new(py, Span::start(trace.bind(py), name, span_type, Some(slf))?)
    }

    /// The TraceContext this span belongs to.
    #[getter]
    fn _trace(&self, py: Python<'_>) -> Py<Trace> {
        self.trace.clone_ref(py)
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

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let name = PyString::new(py, &self.record.name).repr()?;
        Ok(format!("<SpanContext {name} type={} id={}>", self.record.span_type.as_str(), self.record.id))
    }
}}

/// The value unless Python would call it false (`if metadata:`).
fn truthy<'a, 'py>(value: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    value.filter(|v| v.is_truthy().unwrap_or(true))
}

/// The `failure_type` of a provider error (`rate_limit`, `timeout`, `context_length`,
/// `invalid_response`) or None, by the core's shared rules.
#[pyfunction]
#[pyo3(signature = (kind, status, message))]
pub fn classify_failure(kind: &str, status: Option<u16>, message: &str) -> Option<&'static str> {
    FailureType::classify(kind, status, message).map(FailureType::as_str)
}
