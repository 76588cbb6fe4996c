//! The core client as a Python object: configuration, lifecycle, stats, error reports and
//! the synchronous API calls. Everything that can wait releases the GIL.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyConnectionError, PyValueError};
use pyo3::prelude::*;
use trulayer_core::{Client as CoreClient, Config, ErrorKind, ErrorReport, Mode};

use crate::errors::ReportQueue;
use crate::records::Trace;
use crate::shared::Hooks;

#[pyclass(module = "trulayer._native", frozen)]
pub struct Client {
    pub core: CoreClient,
    /// The user's callables, shared with every trace of this client.
    pub hooks: Arc<Hooks>,
    reports: Arc<ReportQueue>,
}

/// A report as Python sees it: (kind, message, HTTP status, lost trace ids).
type ReportTuple = (&'static str, String, Option<u16>, Vec<String>);

#[pymethods]
impl Client {
    /// `options` holds only what the user passed explicitly, as strings; the core reads the
    /// `TRULAYER_*` environment for the rest and validates everything with its own messages.
    #[new]
    #[pyo3(signature = (options, scrub_fn=None, metadata_validator=None, sampler=None))]
    fn new(
        options: HashMap<String, String>,
        scrub_fn: Option<Py<PyAny>>,
        metadata_validator: Option<Py<PyAny>>,
        sampler: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let mut builder = Config::builder();
        for (key, value) in &options {
            builder.set(key, value).map_err(|e| PyValueError::new_err(e.to_string()))?;
        }
        let config = builder.build().map_err(|e| PyValueError::new_err(e.to_string()))?;
        let core = CoreClient::new(config);
        let reports = Arc::new(ReportQueue::default());
        let sink = reports.clone();
        core.on_error(Arc::new(move |r: &ErrorReport| sink.push(r)));
        let hooks = Arc::new(Hooks { scrub_fn, metadata_validator, sampler });
        Ok(Client { core, hooks, reports })
    }

    /// `TruLayerClient.trace`: a new trace (not yet current: `with` makes it so).
    #[pyo3(signature = (name, session_id=None, metadata=None, *, user_id=None, tags=None))]
    fn trace<'py>(
        &self,
        py: Python<'py>,
        name: String,
        session_id: Option<String>,
        metadata: Option<&Bound<'py, PyAny>>,
        user_id: Option<String>,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Trace>> {
        let trace = Bound::new(py, Trace::start(&self.core, &self.hooks, name, session_id))?;
        Trace::apply_options(&trace, metadata, user_id, tags)?;
        Ok(trace)
    }

    #[getter]
    fn project(&self) -> &str {
        &self.core.config().project
    }

    #[getter]
    fn environment(&self) -> &str {
        &self.core.config().environment
    }

    #[getter]
    fn endpoint(&self) -> &str {
        &self.core.config().endpoint
    }

    #[getter]
    fn local_mode(&self) -> bool {
        self.core.config().mode == Mode::Local
    }

    #[getter]
    fn shutdown_timeout(&self) -> f64 {
        self.core.config().shutdown_timeout.as_secs_f64()
    }

    fn flush(&self, py: Python<'_>, timeout: f64) -> bool {
        let timeout = seconds(timeout);
        py.detach(|| self.core.flush(timeout))
    }

    #[pyo3(signature = (timeout=None))]
    fn shutdown(&self, py: Python<'_>, timeout: Option<f64>) -> bool {
        let timeout = timeout.map(seconds).unwrap_or(self.core.config().shutdown_timeout);
        py.detach(|| self.core.shutdown(timeout))
    }

    /// The engine's counters as JSON text (the Python layer returns a dict).
    fn stats_json(&self) -> String {
        serde_json::to_string(&self.core.stats()).unwrap_or_else(|_| "{}".into())
    }

    /// The next error report, waiting at most `timeout` seconds with the GIL released.
    fn next_error(&self, py: Python<'_>, timeout: f64) -> Option<ReportTuple> {
        let timeout = seconds(timeout);
        let report = py.detach(|| self.reports.pop(timeout))?;
        Some((
            report.kind.as_str(),
            report.message,
            report.status,
            report.trace_ids.iter().map(|id| id.to_string()).collect(),
        ))
    }

    /// Reports a failure found in Python (a rejected metadata dict, a sampler that raised).
    fn report(&self, kind: &str, message: String) {
        let kind = match kind {
            "metadata" => ErrorKind::Metadata,
            "scrub" => ErrorKind::Scrub,
            "validation" => ErrorKind::Validation,
            _ => ErrorKind::Delivery,
        };
        self.core.report(ErrorReport { kind, message, status: None, trace_ids: vec![] });
    }

    /// Local mode: the wire JSON of the kept traces, oldest first.
    fn local_traces(&self) -> Vec<String> {
        self.core.local_traces().iter().map(|t| t.to_string()).collect()
    }

    fn clear_local_traces(&self) {
        self.core.clear_local_traces();
    }

    fn reset_after_fork(&self) {
        self.core.reset_after_fork();
    }

    fn is_sampled(&self, trace_id: &str) -> PyResult<bool> {
        let id = trulayer_core::ids::parse_id(trace_id)
            .ok_or_else(|| PyValueError::new_err(format!("not a UUID: {trace_id:?}")))?;
        Ok(self.core.is_sampled(&id))
    }

    /// A blocking call to the API: `(status, body)`. Network failures raise ConnectionError.
    #[pyo3(signature = (method, path_and_query, body=None, timeout=None))]
    fn api_request(
        &self,
        py: Python<'_>,
        method: &str,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        timeout: Option<f64>,
    ) -> PyResult<(u16, String)> {
        let timeout = timeout.map(seconds).unwrap_or(self.core.config().timeout);
        let result = py.detach(|| self.core.api_request(method, path_and_query, body, timeout));
        result.map(|r| (r.status, r.body)).map_err(PyConnectionError::new_err)
    }
}

/// Negative (or NaN) durations mean "do not wait"; infinite ones mean "as long as it takes".
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::from_secs(u32::MAX as u64))
}
