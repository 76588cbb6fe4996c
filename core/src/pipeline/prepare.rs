//! The per-trace work done off the application thread: scrub, then encode.

use std::cell::RefCell;

use crate::encode::{encode_trace_into, TraceDefaults, TraceView};
use crate::model::{ErrorInfo, TraceRecord};
use crate::report::{ErrorKind, ErrorReport};
use crate::scrub::{scrub_str, scrub_value, Redactor, ScrubHook};

use super::Shared;

/// Scrubs every string a user supplied (built-in rules and hook), encodes the trace into
/// this thread's buffer and hands its JSON to `then` (which copies it where it goes).
pub fn prepare<R>(mut trace: TraceRecord, shared: &Shared, then: impl FnOnce(&[u8]) -> R) -> R {
    let config = &shared.config;
    let mut failed = 0;
    if config.scrubs() {
        failed = scrub_trace(&mut trace, &config.redactor, config.scrub_hook.as_ref(), config.redact_metadata);
    }
    if failed > 0 {
        shared.counters.scrub_failed(failed as u64);
        shared.reporter.report(ErrorReport {
            kind: ErrorKind::Scrub,
            message: format!("the scrub function failed on {failed} value(s); they were replaced, not sent"),
            status: None,
            trace_ids: vec![],
        });
    }
    with_encoded(&TraceView::from(&trace), shared, then)
}

/// Capacity a thread's encoding buffer keeps between traces: one huge trace must not pin
/// its size for the life of the thread.
const SCRATCH_RETAINED: usize = 1 << 20;

thread_local! {
    /// The encoding buffer of each thread that encodes traces: the JSON is copied from here
    /// into its batch (or a local copy), so encoding allocates nothing per trace.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Encodes a trace that needs no scrubbing (nothing to scrub is configured, or it is done)
/// into this thread's buffer and hands its JSON to `then`.
pub fn with_encoded<R>(trace: &TraceView<'_>, shared: &Shared, then: impl FnOnce(&[u8]) -> R) -> R {
    let config = &shared.config;
    SCRATCH.with(|scratch| {
        let mut out = scratch.take();
        let cuts = encode_trace_into(trace, TraceDefaults::of(config), &config.limits, &mut out);
        shared.counters.cuts(cuts.truncated_fields, cuts.dropped_tags);
        let result = then(&out);
        out.clear();
        out.shrink_to(SCRATCH_RETAINED);
        scratch.replace(out);
        result
    })
}

/// Returns how many values failed closed.
fn scrub_trace(t: &mut TraceRecord, redactor: &Redactor, hook: Option<&ScrubHook>, metadata: bool) -> usize {
    let mut failed = 0;
    let mut payload = |p: &mut Option<serde_json::Value>| {
        if let Some(v) = p {
            failed += scrub_value(v, redactor, hook);
        }
    };
    payload(&mut t.input);
    payload(&mut t.output);
    for s in &mut t.spans {
        payload(&mut s.input);
        payload(&mut s.output);
    }
    let mut error = |e: &mut Option<ErrorInfo>| {
        if let Some(e) = e {
            failed += usize::from(scrub_str(&mut e.message, redactor, hook).is_err());
        }
    };
    error(&mut t.error);
    for s in &mut t.spans {
        error(&mut s.error);
    }
    for e in &mut t.events {
        failed += usize::from(scrub_str(&mut e.message, redactor, hook).is_err());
    }
    if metadata {
        let mut meta = |m: &mut serde_json::Map<String, serde_json::Value>| {
            for v in m.values_mut() {
                failed += scrub_value(v, redactor, hook);
            }
        };
        meta(&mut t.metadata);
        for s in &mut t.spans {
            meta(&mut s.metadata);
        }
        for e in &mut t.events {
            meta(&mut e.metadata);
        }
    }
    failed
}
