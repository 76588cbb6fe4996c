//! `tl_span`: a timed step inside a trace, nested under another span or at the top level.
//!
//! Ownership for every function here: string arguments are borrowed for the call and copied;
//! the tl_span handle is owned by the caller from tl_span_start until tl_span_end, which
//! consumes it. Thread: any; a span may end on another thread than the one that started it.

use std::ffi::c_char;
use std::sync::Arc;

use serde_json::Value;
use trulayer_core::{SpanRecord, SpanType, Stopwatch};

use crate::args::{c_str, c_str_or_null, cost, metadata_json, payload_json};
use crate::handles::Registry;
use crate::scope::{event_from_args, set_text, set_with, update, write_id, Scope};
use crate::status::{ffi, ffi_status, tl_status, Failure, Outcome};
use crate::trace::{error_info, tl_trace, TraceScope, TRACES};

/// An opaque open span.
#[allow(non_camel_case_types)]
pub struct tl_span {
    _private: [u8; 0],
}

type SpanScope = Scope<Arc<TraceScope>, SpanRecord>;

static SPANS: Registry<SpanScope> = Registry::new("tl_span");

fn set(span: *mut tl_span, f: impl FnOnce(&mut SpanRecord)) -> Outcome<()> {
    update(&SPANS, span, "span", f)
}

/// Starts a span of `trace` named `name`, nested under `parent` (NULL: a top-level span).
/// `span_type` is "llm", "retrieval", "tool", "agent", "custom" or any other label (NULL or
/// "": "custom"). Returns NULL on failure: TL_ERR_CLOSED if the trace or the parent has
/// ended, TL_ERR_INVALID_ARGUMENT if the parent belongs to another trace.
/// Ownership: the caller owns the returned handle and must end it with tl_span_end.
#[no_mangle]
pub unsafe extern "C" fn tl_span_start(
    trace: *mut tl_trace,
    parent: *mut tl_span,
    name: *const c_char,
    span_type: *const c_char,
) -> *mut tl_span {
    ffi(
        |_| std::ptr::null_mut(),
        || {
            let trace = TRACES.get(trace)?;
            let name = c_str(name, "the span name")?;
            let span_type = SpanType::parse(&c_str_or_null(span_type, "the span type")?.unwrap_or_default());
            let parent_id = if parent.is_null() {
                None
            } else {
                let parent = SPANS.get(parent)?;
                if !Arc::ptr_eq(&parent.owner, &trace) {
                    return Err(Failure::new(
                        tl_status::TL_ERR_INVALID_ARGUMENT,
                        "the parent span belongs to another trace",
                    ));
                }
                Some(parent.with("parent span", |r| r.id)?)
            };
            // A span of an ended trace could never be delivered: refuse it now, not at end.
            trace.with("trace", |_| ())?;
            let watch = Stopwatch::start();
            let mut record = SpanRecord::new(name, span_type);
            record.parent_span_id = parent_id;
            record.start_time = watch.started_at();
            Ok(SPANS.insert(Scope::new(trace, record, watch)))
        },
    )
}

/// Sets the span input: `len` bytes of UTF-8, sent as a string.
#[no_mangle]
pub unsafe extern "C" fn tl_span_set_input(span: *mut tl_span, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&SPANS, span, (utf8_text, len), "the input", |r, text| r.input = Some(Value::String(text)))
}

/// Sets the span output: `len` bytes of UTF-8, sent as a string.
#[no_mangle]
pub unsafe extern "C" fn tl_span_set_output(span: *mut tl_span, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&SPANS, span, (utf8_text, len), "the output", |r, text| r.output = Some(Value::String(text)))
}

/// Sets the span input from JSON text, as tl_trace_set_input_json does for a trace.
#[no_mangle]
pub unsafe extern "C" fn tl_span_set_input_json(span: *mut tl_span, json: *const c_char, len: usize) -> tl_status {
    set_with(&SPANS, span, || payload_json(json, len, "the input"), |r, v| r.input = Some(v))
}

/// Sets the span output from JSON text, as tl_span_set_input_json does for the input.
#[no_mangle]
pub unsafe extern "C" fn tl_span_set_output_json(span: *mut tl_span, json: *const c_char, len: usize) -> tl_status {
    set_with(&SPANS, span, || payload_json(json, len, "the output"), |r, v| r.output = Some(v))
}

/// Sets the model name (e.g. "gpt-4o-mini").
#[no_mangle]
pub unsafe extern "C" fn tl_span_set_model(span: *mut tl_span, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&SPANS, span, (utf8_text, len), "the model", |r, text| r.model = Some(text))
}

/// Sets the token counts; negative counts are TL_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn tl_span_set_tokens(span: *mut tl_span, prompt: i64, completion: i64) -> tl_status {
    ffi_status(|| {
        if prompt < 0 || completion < 0 {
            return Err(Failure::new(
                tl_status::TL_ERR_INVALID_ARGUMENT,
                format!("token counts must not be negative, got {prompt} and {completion}"),
            ));
        }
        set(span, |r| {
            r.prompt_tokens = Some(prompt);
            r.completion_tokens = Some(completion);
        })
    })
}

/// Sets the cost in USD; a negative or non-finite cost is TL_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn tl_span_set_cost(span: *mut tl_span, usd: f64) -> tl_status {
    set_with(&SPANS, span, || cost(usd), |r, usd| r.cost = Some(usd))
}

/// Merges a JSON object (`len` bytes of UTF-8) into the span metadata; later keys win.
/// Not an object, or not JSON: TL_ERR_INVALID_JSON and the metadata is left unchanged.
#[no_mangle]
pub unsafe extern "C" fn tl_span_set_metadata_json(span: *mut tl_span, json: *const c_char, len: usize) -> tl_status {
    set_with(&SPANS, span, || metadata_json(json, len), |r, map| r.metadata.extend(map))
}

/// Records a handled failure of this span: `type` (NUL-terminated, may be NULL) and
/// `message` (NUL-terminated). The trace is then always kept by sampling.
#[no_mangle]
pub unsafe extern "C" fn tl_span_set_error(span: *mut tl_span, r#type: *const c_char, message: *const c_char) -> tl_status {
    ffi_status(|| {
        let error = error_info(r#type, message)?;
        set(span, |r| r.error = Some(error))
    })
}

/// Records an event on the span (it travels with the trace, tagged with this span's id):
/// arguments as for tl_trace_event. TL_ERR_CLOSED once the span or its trace has ended.
#[no_mangle]
pub unsafe extern "C" fn tl_span_event(
    span: *mut tl_span,
    level: *const c_char,
    message: *const c_char,
    message_len: usize,
    metadata_json: *const c_char,
    metadata_len: usize,
) -> tl_status {
    ffi_status(|| {
        let mut event = event_from_args(level, (message, message_len), (metadata_json, metadata_len))?;
        let scope = SPANS.get(span)?;
        event.span_id = Some(scope.with("span", |r| r.id)?);
        scope.owner.with("span's trace", |t| t.events.push(event))
    })
}

/// Writes the span id (36 characters) and a NUL into `out` (TL_ID_BUFFER_LEN bytes).
#[no_mangle]
pub unsafe extern "C" fn tl_span_id(span: *mut tl_span, out: *mut c_char) -> tl_status {
    ffi_status(|| {
        let id = update(&SPANS, span, "span", |r| r.id)?;
        write_id(id, out)
    })
}

/// Ends the span and adds it to its trace. Consumes the handle: any later use gives
/// TL_ERR_CLOSED. If the trace has already ended, the span is not delivered: it is counted in
/// stats.late_spans and TL_ERR_CLOSED is returned.
#[no_mangle]
pub extern "C" fn tl_span_end(span: *mut tl_span) -> tl_status {
    ffi_status(|| {
        let scope = SPANS.remove(span)?;
        let open = scope.take().ok_or_else(|| Failure::new(tl_status::TL_ERR_CLOSED, "the span has already ended"))?;
        let mut record = open.record;
        let (end, latency) = open.watch.stop();
        record.end_time = Some(end);
        record.latency_ms = Some(latency);
        let trace = &scope.owner;
        if trace.with("trace", |t| t.spans.push(record)).is_err() {
            trace.owner.note_late_span();
            return Err(Failure::new(
                tl_status::TL_ERR_CLOSED,
                "the span's trace had already ended; the span was dropped (counted in late_spans)",
            ));
        }
        Ok(())
    })
}
