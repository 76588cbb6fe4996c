//! What the spans and events of one trace share with it: the core client, the user's hooks
//! (run on the calling thread, at set time) and the records of ended spans and events.

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use pyo3::exceptions::{PyBaseException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use trulayer_core::model::{ErrorInfo, EventRecord, Level, Metadata, Payload, SpanRecord};
use trulayer_core::{Client as CoreClient, ErrorKind, ErrorReport, Uuid};

use crate::clock::Anchor;
use crate::convert::{to_value, type_name, Scrubber};

/// The callables a client was given; every trace of the client holds them.
#[derive(Default)]
pub struct Hooks {
    pub scrub_fn: Option<Py<PyAny>>,
    pub metadata_validator: Option<Py<PyAny>>,
    /// `sample_rate` given as a callable: called with the finished trace.
    pub sampler: Option<Py<PyAny>>,
}

/// What the spans and events of one trace share with it.
pub struct TraceShared {
    pub client: CoreClient,
    pub trace_id: Uuid,
    /// The trace's start, which its spans' times are measured from.
    pub anchor: Anchor,
    pub hooks: std::sync::Arc<Hooks>,
    pub spans: Mutex<Vec<SpanRecord>>,
    pub events: Mutex<Vec<EventRecord>>,
    /// Set when the trace was handed to the core; later spans are counted as late.
    pub finished: AtomicBool,
}

impl TraceShared {
    pub fn payload(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> Payload {
        let func = self.hooks.scrub_fn.as_ref().map(|f| f.bind(py));
        let mut scrub = Scrubber::new(func);
        let out = to_value(value, &mut scrub);
        if let Some(why) = scrub.failed {
            self.report(ErrorKind::Scrub, format!("scrub_fn failed, the value was replaced: {why}"));
        }
        out
    }

    pub fn report(&self, kind: ErrorKind, message: String) {
        self.client.report(ErrorReport { kind, message, status: None, trace_ids: vec![self.trace_id] });
    }

    /// Merges `kwargs` into `into` unless the metadata validator rejects them.
    pub fn merge_metadata(&self, py: Python<'_>, into: &mut Metadata, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let Some(kwargs) = kwargs else { return Ok(()) };
        if let Some(validator) = &self.hooks.metadata_validator {
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

    pub fn error(&self, py: Python<'_>, err: &Bound<'_, PyAny>) -> ErrorInfo {
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

    pub fn event(&self, py: Python<'_>, span_id: Option<Uuid>, message: String, level: &str, metadata: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let level = Level::parse(level)
            .ok_or_else(|| PyValueError::new_err(format!("level must be debug, info, warn or error, got {level:?}")))?;
        let mut e = EventRecord::new(level, message);
        e.span_id = span_id;
        self.merge_metadata(py, &mut e.metadata, metadata)?;
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(e);
        Ok(())
    }
}

