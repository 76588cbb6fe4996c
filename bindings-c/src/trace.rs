//! `tl_trace`: a root scope. Its spans join it as they end; the whole trace is handed to the
//! core's pipeline when tl_trace_end is called.
//!
//! Ownership for every function here: string arguments are borrowed for the call and copied;
//! the tl_trace handle is owned by the caller from tl_trace_start until tl_trace_end, which
//! consumes it. Thread: any; calls on one trace from several threads are serialised.

use std::ffi::c_char;

use serde_json::Value;
use trulayer_core::{Client, ErrorInfo, Finished, Stopwatch, TraceRecord};

use crate::args::{c_str, c_str_or_null, cost, metadata_json, payload_json, utf8};
use crate::client::{tl_client, CLIENTS};
use crate::handles::Registry;
use crate::scope::{event_from_args, set_text, set_with, update, write_id, Scope};
use crate::status::{ffi, ffi_status, tl_status, Failure, Outcome};

/// An opaque open trace.
#[allow(non_camel_case_types)]
pub struct tl_trace {
    _private: [u8; 0],
}

pub(crate) type TraceScope = Scope<Client, TraceRecord>;

pub(crate) static TRACES: Registry<TraceScope> = Registry::new("tl_trace");

fn set(trace: *mut tl_trace, f: impl FnOnce(&mut TraceRecord)) -> Outcome<()> {
    update(&TRACES, trace, "trace", f)
}

/// Starts a trace named `name` (NUL-terminated UTF-8) on `client`. Returns NULL on failure:
/// tl_last_status() says why (TL_ERR_INVALID_ARGUMENT, TL_ERR_INVALID_UTF8, TL_ERR_CLOSED
/// after tl_client_shutdown or tl_client_free).
/// Ownership: the caller owns the returned handle and must end it with tl_trace_end.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_start(client: *mut tl_client, name: *const c_char) -> *mut tl_trace {
    ffi(
        |_| std::ptr::null_mut(),
        || {
            let client = CLIENTS.get(client)?.open_client()?;
            let name = c_str(name, "the trace name")?;
            let watch = Stopwatch::start();
            let mut record = TraceRecord::new(name);
            record.started_at = watch.started_at();
            Ok(TRACES.insert(Scope::new(client, record, watch)))
        },
    )
}

/// Sets the trace input: `len` bytes of UTF-8, sent as a string.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_input(trace: *mut tl_trace, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&TRACES, trace, (utf8_text, len), "the input", |r, text| r.input = Some(Value::String(text)))
}

/// Sets the trace output: `len` bytes of UTF-8, sent as a string.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_output(trace: *mut tl_trace, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&TRACES, trace, (utf8_text, len), "the output", |r, text| r.output = Some(Value::String(text)))
}

/// Sets the trace input from `len` bytes of UTF-8 JSON holding any value: a JSON string is
/// sent as that string, anything else as compact JSON text with sorted keys (the same bytes
/// every SDK sends for the same value). Not JSON: TL_ERR_INVALID_JSON, input unchanged.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_input_json(trace: *mut tl_trace, json: *const c_char, len: usize) -> tl_status {
    set_with(&TRACES, trace, || payload_json(json, len, "the input"), |r, v| r.input = Some(v))
}

/// Sets the trace output from JSON text, as tl_trace_set_input_json does for the input.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_output_json(trace: *mut tl_trace, json: *const c_char, len: usize) -> tl_status {
    set_with(&TRACES, trace, || payload_json(json, len, "the output"), |r, v| r.output = Some(v))
}

/// Sets the session id that groups this trace with others of one conversation.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_session_id(trace: *mut tl_trace, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&TRACES, trace, (utf8_text, len), "the session id", |r, text| r.session_id = Some(text))
}

/// Sets the id of the end user the trace served.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_user_id(trace: *mut tl_trace, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&TRACES, trace, (utf8_text, len), "the user id", |r, text| r.user_id = Some(text))
}

/// Adds a plain tag (label) to the trace.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_add_tag(trace: *mut tl_trace, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&TRACES, trace, (utf8_text, len), "the tag", |r, text| r.tags.push(text))
}

/// Sets the caller's own id for this trace (e.g. a request id), to find it later.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_external_id(trace: *mut tl_trace, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&TRACES, trace, (utf8_text, len), "the external id", |r, text| r.external_id = Some(text))
}

/// Sets the model the trace as a whole used (e.g. "gpt-4o-mini").
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_model(trace: *mut tl_trace, utf8_text: *const c_char, len: usize) -> tl_status {
    set_text(&TRACES, trace, (utf8_text, len), "the model", |r, text| r.model = Some(text))
}

/// Sets the trace's total cost in USD; a negative or non-finite cost is
/// TL_ERR_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn tl_trace_set_cost(trace: *mut tl_trace, usd: f64) -> tl_status {
    set_with(&TRACES, trace, || cost(usd), |r, usd| r.cost = Some(usd))
}

/// Sets the key/value tag `key` (`key_len` bytes of UTF-8) to `value` (`value_len` bytes);
/// setting a key again replaces its value. Once a trace has key/value tags they are sent as an
/// object, and plain tags (tl_trace_add_tag) join it as keys with an empty value. Limits on
/// tag count and length are the core's (tags over them are dropped and counted in
/// stats.dropped_tags).
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_tag(
    trace: *mut tl_trace,
    key: *const c_char,
    key_len: usize,
    value: *const c_char,
    value_len: usize,
) -> tl_status {
    let read = || Ok((utf8(key, key_len, "the tag key")?, utf8(value, value_len, "the tag value")?));
    set_with(&TRACES, trace, read, |r, (k, v)| {
        r.tag_map.insert(k, v);
    })
}

/// Records an event on the trace, timestamped now: `level` is "debug", "info", "warn" (or
/// "warning") or "error", NUL-terminated (anything else: TL_ERR_INVALID_ARGUMENT); `message`
/// is `message_len` bytes of UTF-8; `metadata_json` is a JSON object of `metadata_len` bytes
/// (NULL and 0: none).
#[no_mangle]
pub unsafe extern "C" fn tl_trace_event(
    trace: *mut tl_trace,
    level: *const c_char,
    message: *const c_char,
    message_len: usize,
    metadata_json: *const c_char,
    metadata_len: usize,
) -> tl_status {
    let read = || event_from_args(level, (message, message_len), (metadata_json, metadata_len));
    set_with(&TRACES, trace, read, |r, event| r.events.push(event))
}

/// Merges a JSON object (`len` bytes of UTF-8) into the trace metadata; later keys win.
/// Not an object, or not JSON: TL_ERR_INVALID_JSON and the metadata is left unchanged.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_metadata_json(trace: *mut tl_trace, json: *const c_char, len: usize) -> tl_status {
    set_with(&TRACES, trace, || metadata_json(json, len), |r, map| r.metadata.extend(map))
}

/// Records a handled failure: `type` (NUL-terminated, may be NULL) and `message`
/// (NUL-terminated). A trace with an error is always kept by sampling.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_error(trace: *mut tl_trace, r#type: *const c_char, message: *const c_char) -> tl_status {
    ffi_status(|| {
        let error = error_info(r#type, message)?;
        set(trace, |r| r.error = Some(error))
    })
}

/// Reads an error's type (may be NULL) and message arguments.
///
/// # Safety
/// Both must be NULL or NUL-terminated strings.
pub(crate) unsafe fn error_info(kind: *const c_char, message: *const c_char) -> Outcome<ErrorInfo> {
    let kind = c_str_or_null(kind, "the error type")?;
    let message = c_str(message, "the error message")?;
    Ok(ErrorInfo::new(kind.as_deref(), message))
}

/// Writes the trace id (a UUID, 36 characters) and a NUL into `out`, which must hold
/// TL_ID_BUFFER_LEN bytes. Works until the trace ends.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_id(trace: *mut tl_trace, out: *mut c_char) -> tl_status {
    ffi_status(|| {
        let id = update(&TRACES, trace, "trace", |r| r.id)?;
        write_id(id, out)
    })
}

/// Ends the trace and hands it, with every span that ended before, to the pipeline; returns
/// without waiting for I/O. Consumes the handle: any later use gives TL_ERR_CLOSED.
/// TL_ERR_DROPPED when the pipeline refused it (queue full, client shut down; see stats).
/// Spans still open are not part of the trace; ending them later counts them as late spans.
#[no_mangle]
pub extern "C" fn tl_trace_end(trace: *mut tl_trace) -> tl_status {
    ffi_status(|| {
        let scope = TRACES.remove(trace)?;
        let open = scope.take().ok_or_else(|| Failure::new(tl_status::TL_ERR_CLOSED, "the trace has already ended"))?;
        let mut record = open.record;
        let (end, latency) = open.watch.stop();
        record.ended_at = Some(end);
        record.latency_ms = Some(latency);
        match scope.owner.finish(record) {
            Finished::Kept | Finished::SampledOut | Finished::Disabled => Ok(()),
            Finished::Dropped(reason) => Err(Failure::new(
                tl_status::TL_ERR_DROPPED,
                format!("the trace was dropped ({}); see tl_client_stats_json", reason.as_str()),
            )),
        }
    })
}
