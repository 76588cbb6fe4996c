//! Delivery errors, from the core's worker thread to JS subscribers.
//!
//! The core calls subscribers on its worker thread; a JS function may only run on the JS
//! thread, so each subscriber is a weak (unref'd) ThreadsafeFunction: the report is queued
//! to the event loop without blocking the worker, and a subscription never keeps Node alive.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use trulayer_core::report::Subscriber;
use trulayer_core::{ErrorKind, ErrorReport};

/// What an `onError` subscriber receives.
#[napi_derive::napi(object)]
#[derive(Clone)]
pub struct DeliveryError {
    /// authentication, rate_limit, validation, payload_too_large, network, queue_full,
    /// scrub, metadata or delivery.
    pub kind: String,
    pub message: String,
    /// The HTTP status that caused it, if any.
    pub status: Option<u32>,
    /// The traces lost with this failure.
    pub trace_ids: Vec<String>,
}

impl From<&ErrorReport> for DeliveryError {
    fn from(r: &ErrorReport) -> Self {
        DeliveryError {
            kind: r.kind.as_str().to_owned(),
            message: r.message.clone(),
            status: r.status.map(u32::from),
            trace_ids: r.trace_ids.iter().map(ToString::to_string).collect(),
        }
    }
}

type Callback = ThreadsafeFunction<DeliveryError, (), DeliveryError, Status, false, true>;

/// Wraps a JS callback as a core subscriber that never blocks the worker.
pub fn subscriber(callback: Function<DeliveryError, ()>) -> Result<Subscriber> {
    let tsfn: Callback = callback.build_threadsafe_function().weak::<true>().build()?;
    Ok(std::sync::Arc::new(move |report: &ErrorReport| {
        tsfn.call(DeliveryError::from(report), ThreadsafeFunctionCallMode::NonBlocking);
    }))
}

/// The kinds a facade may report itself (failures of callbacks that run in JS).
pub fn binding_error_kind(kind: &str) -> Result<ErrorKind> {
    match kind {
        "metadata" => Ok(ErrorKind::Metadata),
        "scrub" => Ok(ErrorKind::Scrub),
        other => Err(Error::from_reason(format!("unknown error kind {other:?}; use \"metadata\" or \"scrub\""))),
    }
}
