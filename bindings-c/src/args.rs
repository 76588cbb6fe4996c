//! Converting C arguments into Rust values, once, at the boundary.

use std::ffi::{c_char, CStr};

use serde_json::Value;
use trulayer_core::{Level, Metadata, Payload};

use crate::status::{tl_status, Failure, Outcome};

/// A `(const char *utf8, size_t len)` argument, copied. NULL is accepted only with len 0.
///
/// # Safety
/// `ptr` must point to `len` readable bytes (or be NULL with `len == 0`).
pub(crate) unsafe fn utf8(ptr: *const c_char, len: usize, what: &str) -> Outcome<String> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(String::new())
        } else {
            Err(Failure::new(tl_status::TL_ERR_INVALID_ARGUMENT, format!("{what} is NULL but its length is {len}")))
        };
    }
    let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len);
    checked_utf8(bytes, what).map(str::to_owned)
}

/// A NUL-terminated argument, copied. NULL is an error.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string.
pub(crate) unsafe fn c_str(ptr: *const c_char, what: &str) -> Outcome<String> {
    c_str_or_null(ptr, what)?
        .ok_or_else(|| Failure::new(tl_status::TL_ERR_INVALID_ARGUMENT, format!("{what} must not be NULL")))
}

/// A NUL-terminated argument that may be NULL.
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string.
pub(crate) unsafe fn c_str_or_null(ptr: *const c_char, what: &str) -> Outcome<Option<String>> {
    if ptr.is_null() {
        return Ok(None);
    }
    checked_utf8(CStr::from_ptr(ptr).to_bytes(), what).map(|s| Some(s.to_owned()))
}

pub(crate) fn checked_utf8<'a>(bytes: &'a [u8], what: &str) -> Outcome<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        Failure::new(
            tl_status::TL_ERR_INVALID_UTF8,
            format!("{what} is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()),
        )
    })
}

/// A metadata argument: UTF-8 JSON text holding one object.
///
/// # Safety
/// As for [`utf8`].
pub(crate) unsafe fn metadata_json(ptr: *const c_char, len: usize) -> Outcome<Metadata> {
    let text = utf8(ptr, len, "metadata")?;
    parse_metadata(&text)
}

pub(crate) fn parse_metadata(text: &str) -> Outcome<Metadata> {
    match parse_json(text, "metadata")? {
        Value::Object(map) => Ok(map),
        other => Err(Failure::new(
            tl_status::TL_ERR_INVALID_JSON,
            format!("metadata must be a JSON object, got {}", json_kind(&other)),
        )),
    }
}

/// Optional metadata: NULL with length 0 is none (an empty object), anything else must be a
/// JSON object as for [`metadata_json`].
///
/// # Safety
/// As for [`utf8`].
pub(crate) unsafe fn optional_metadata_json(ptr: *const c_char, len: usize) -> Outcome<Metadata> {
    if ptr.is_null() && len == 0 {
        return Ok(Metadata::new());
    }
    metadata_json(ptr, len)
}

/// A payload argument: UTF-8 JSON text holding any one value. The core encodes it like every
/// other language's native value (a JSON string stays a plain string on the wire).
///
/// # Safety
/// As for [`utf8`].
pub(crate) unsafe fn payload_json(ptr: *const c_char, len: usize, what: &str) -> Outcome<Payload> {
    parse_json(&utf8(ptr, len, what)?, what)
}

fn parse_json(text: &str, what: &str) -> Outcome<Value> {
    serde_json::from_str(text)
        .map_err(|e| Failure::new(tl_status::TL_ERR_INVALID_JSON, format!("{what} is not valid JSON: {e}")))
}

/// A cost in USD: finite and not negative.
pub(crate) fn cost(usd: f64) -> Outcome<f64> {
    if !usd.is_finite() || usd < 0.0 {
        return Err(Failure::new(tl_status::TL_ERR_INVALID_ARGUMENT, format!("cost must be a finite number >= 0, got {usd}")));
    }
    Ok(usd)
}

/// An event level (NUL-terminated): "debug", "info", "warn" (or "warning"), "error".
///
/// # Safety
/// As for [`c_str`].
pub(crate) unsafe fn level(ptr: *const c_char) -> Outcome<Level> {
    let text = c_str(ptr, "the event level")?;
    Level::parse(&text).ok_or_else(|| {
        Failure::new(
            tl_status::TL_ERR_INVALID_ARGUMENT,
            format!("the event level must be \"debug\", \"info\", \"warn\" or \"error\", got {text:?}"),
        )
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Writes `text` and a NUL into the caller's buffer of `cap` bytes; `*out_len` (if not NULL)
/// receives the length without the NUL, also when the buffer is too small.
///
/// # Safety
/// `buf` must be NULL or point to `cap` writable bytes; `out_len` NULL or writable.
pub(crate) unsafe fn write_out(text: &str, buf: *mut c_char, cap: usize, out_len: *mut usize) -> Outcome<()> {
    if let Some(len) = out_len.as_mut() {
        *len = text.len();
    }
    if buf.is_null() || cap <= text.len() {
        return Err(Failure::new(
            tl_status::TL_ERR_BUFFER_TOO_SMALL,
            format!("the buffer holds {cap} bytes; {} are needed (including the NUL)", text.len() + 1),
        ));
    }
    std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
    *buf.add(text.len()) = 0;
    Ok(())
}
