//! What traces and spans share: a record being filled under a lock until its scope ends.

use std::ffi::c_char;
use std::sync::Mutex;

use trulayer_core::{EventRecord, Stopwatch, Uuid};

use crate::args::{self, optional_metadata_json, utf8, write_out};
use crate::handles::Registry;
use crate::status::{ffi_status, tl_status, Failure, Outcome};

/// The length of the buffer tl_trace_id / tl_span_id write: 36 characters and a NUL.
pub const TL_ID_BUFFER_LEN: usize = 37;

/// A trace or span scope: `owner` is what it belongs to (the client for a trace, the trace for
/// a span); `open` holds the record until the scope ends, then `None`.
pub(crate) struct Scope<O, R> {
    pub owner: O,
    pub open: Mutex<Option<Open<R>>>,
}

pub(crate) struct Open<R> {
    pub record: R,
    pub watch: Stopwatch,
}

impl<O, R> Scope<O, R> {
    pub fn new(owner: O, record: R, watch: Stopwatch) -> Self {
        Scope { owner, open: Mutex::new(Some(Open { record, watch })) }
    }

    /// Runs `f` on the open record; TL_ERR_CLOSED once the scope has ended.
    pub fn with<T>(&self, what: &str, f: impl FnOnce(&mut R) -> T) -> Outcome<T> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        match open.as_mut() {
            Some(o) => Ok(f(&mut o.record)),
            None => Err(Failure::new(tl_status::TL_ERR_CLOSED, format!("the {what} has already ended"))),
        }
    }

    /// Takes the record out, ending the scope. `None` if it had already ended.
    pub fn take(&self) -> Option<Open<R>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Looks `handle` up in `registry` and applies `f` to its open record.
pub(crate) fn update<H, O, R, T>(
    registry: &Registry<Scope<O, R>>,
    handle: *const H,
    what: &str,
    f: impl FnOnce(&mut R) -> T,
) -> Outcome<T> {
    registry.get(handle)?.with(what, f)
}

/// The body of every setter: convert the C arguments (`read`), then store the value in the
/// open record behind `handle`. Nothing is stored when either step fails.
pub(crate) fn set_with<H, O, R, T>(
    registry: &Registry<Scope<O, R>>,
    handle: *const H,
    read: impl FnOnce() -> Outcome<T>,
    assign: impl FnOnce(&mut R, T),
) -> tl_status {
    ffi_status(|| {
        let value = read()?;
        update(registry, handle, registry.kind_name(), |r| assign(r, value))
    })
}

/// The body of every `(const char *utf8, size_t len)` setter: check the text, then store it.
///
/// # Safety
/// As for [`crate::args::utf8`].
pub(crate) unsafe fn set_text<H, O, R>(
    registry: &Registry<Scope<O, R>>,
    handle: *const H,
    (ptr, len): (*const c_char, usize),
    what: &str,
    assign: impl FnOnce(&mut R, String),
) -> tl_status {
    set_with(registry, handle, || utf8(ptr, len, what), assign)
}

/// An event from the arguments of tl_trace_event / tl_span_event: level (NUL-terminated),
/// message (`message_len` bytes of UTF-8), metadata (a JSON object, or NULL with length 0).
///
/// # Safety
/// As for [`crate::args::level`], [`crate::args::utf8`] and [`crate::args::optional_metadata_json`].
pub(crate) unsafe fn event_from_args(
    level: *const c_char,
    (message, message_len): (*const c_char, usize),
    (metadata, metadata_len): (*const c_char, usize),
) -> Outcome<EventRecord> {
    let level = args::level(level)?;
    let message = utf8(message, message_len, "the event message")?;
    let mut event = EventRecord::new(level, message);
    event.metadata = optional_metadata_json(metadata, metadata_len)?;
    Ok(event)
}

/// Writes an id as 36 characters and a NUL into a caller buffer of TL_ID_BUFFER_LEN bytes.
///
/// # Safety
/// `out` must be NULL or point to TL_ID_BUFFER_LEN writable bytes.
pub(crate) unsafe fn write_id(id: Uuid, out: *mut c_char) -> Outcome<()> {
    if out.is_null() {
        return Err(Failure::new(tl_status::TL_ERR_INVALID_ARGUMENT, "the id buffer is NULL"));
    }
    write_out(&id.to_string(), out, TL_ID_BUFFER_LEN, std::ptr::null_mut())
}

