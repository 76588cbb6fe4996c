//! `tl_trace`: a root scope. Its spans join it as they end; the whole trace is handed to the
//! core's pipeline when tl_trace_end is called.
//!
//! Ownership for every function here: string arguments are borrowed for the call and copied;
//! the tl_trace handle is owned by the caller from tl_trace_start until tl_trace_end, which
//! consumes it. Thread: any; calls on one trace from several threads are serialised.

use std::ffi::c_char;

use serde_json::Value;
use trulayer_core::{Client, ErrorInfo, Finished, Stopwatch, TraceRecord};

use crate::args::{c_str, c_str_or_null, metadata_json};
use crate::client::{tl_client, CLIENTS};
use crate::handles::Registry;
use crate::scope::{set_text, update, write_id, Scope};
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

/// Merges a JSON object (`len` bytes of UTF-8) into the trace metadata; later keys win.
/// Not an object, or not JSON: TL_ERR_INVALID_JSON and the metadata is left unchanged.
#[no_mangle]
pub unsafe extern "C" fn tl_trace_set_metadata_json(trace: *mut tl_trace, json: *const c_char, len: usize) -> tl_status {
    ffi_status(|| {
        let map = metadata_json(json, len)?;
        set(trace, |r| r.metadata.extend(map))
    })
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
