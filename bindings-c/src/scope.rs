//! What traces and spans share: a record being filled under a lock until its scope ends.

use std::ffi::c_char;
use std::sync::Mutex;

use trulayer_core::{Stopwatch, Uuid};

use crate::args::{utf8, write_out};
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

/// The body of every `(const char *utf8, size_t len)` setter: check the text, then store it
/// in the open record behind `handle`.
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
    ffi_status(|| {
        let text = utf8(ptr, len, what)?;
        update(registry, handle, registry.kind_name(), |r| assign(r, text))
    })
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

