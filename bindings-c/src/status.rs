//! Status codes, the per-thread last error, and the panic barrier every exported function
//! runs its body behind.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of every call. `TL_OK` is 0; every other value is a failure whose message
/// `tl_last_error()` returns on the same thread.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum tl_status {
    TL_OK = 0,
    /// A required pointer was NULL, or an argument is out of range.
    TL_ERR_INVALID_ARGUMENT = 1,
    /// A string argument is not valid UTF-8.
    TL_ERR_INVALID_UTF8 = 2,
    /// A JSON argument does not parse, or is not of the expected shape.
    TL_ERR_INVALID_JSON = 3,
    /// An unknown option key or a bad option value (the message is the core's).
    TL_ERR_INVALID_OPTION = 4,
    /// The handle has ended or been freed, or the client was shut down.
    TL_ERR_CLOSED = 5,
    /// flush or shutdown did not finish within its timeout.
    TL_ERR_TIMEOUT = 6,
    /// The trace ended but was not queued (queue full, client shut down...); counted in stats.
    TL_ERR_DROPPED = 7,
    /// The caller's buffer is too small; the needed length was written to the length out-argument.
    TL_ERR_BUFFER_TOO_SMALL = 8,
    /// A bug inside libtrulayer was caught at the boundary; the host keeps running.
    TL_ERR_PANIC = 9,
}

/// A failed call: its status and the message `tl_last_error` will show.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: tl_status,
    pub message: String,
}

impl Failure {
    pub fn new(status: tl_status, message: impl Into<String>) -> Self {
        Failure { status, message: message.into() }
    }
}

pub(crate) type Outcome<T> = Result<T, Failure>;

struct LastError {
    status: tl_status,
    message: CString,
}

thread_local! {
    static LAST_ERROR: RefCell<LastError> =
        RefCell::new(LastError { status: tl_status::TL_OK, message: CString::default() });
}

fn remember(failure: Failure) -> tl_status {
    let status = failure.status;
    // A message with an interior NUL would be cut by C; replace it rather than lose the text.
    let message = CString::new(failure.message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    // try_with: during thread teardown the slot may be gone; the status still reaches the caller.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = LastError { status, message });
    status
}

fn panic_failure(payload: Box<dyn std::any::Any + Send>) -> Failure {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Failure::new(tl_status::TL_ERR_PANIC, format!("internal error in libtrulayer (please report it): {detail}"))
}

/// Runs `body` so that no panic crosses into C. On failure the error is remembered for this
/// thread and `on_error` is returned (NULL, `()`, or the failure's status via [`status_of`]).
pub(crate) fn ffi<T>(on_error: impl FnOnce(tl_status) -> T, body: impl FnOnce() -> Outcome<T>) -> T {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => return value,
        Ok(Err(failure)) => failure,
        Err(payload) => panic_failure(payload),
    };
    on_error(remember(failure))
}

/// [`ffi`] for functions that return a status.
pub(crate) fn ffi_status(body: impl FnOnce() -> Outcome<()>) -> tl_status {
    ffi(|status| status, || body().map(|()| tl_status::TL_OK))
}

/// The status of the latest failed call on this thread (`TL_OK` if none failed yet).
/// Calls that succeed leave it unchanged, like errno.
#[no_mangle]
pub extern "C" fn tl_last_status() -> tl_status {
    LAST_ERROR.try_with(|slot| slot.borrow().status).unwrap_or(tl_status::TL_OK)
}

/// The message of the latest failed call on this thread, or "" if none failed yet.
/// Owned by the library: valid until the next failing call on this thread or until the
/// thread exits; copy it to keep it. Never NULL.
#[no_mangle]
pub extern "C" fn tl_last_error() -> *const c_char {
    LAST_ERROR.try_with(|slot| slot.borrow().message.as_ptr()).unwrap_or(c"".as_ptr())
}

/// Panics inside the library on purpose, behind the same barrier as every other call, and
/// returns TL_ERR_PANIC. Lets a host (and the test suite) check that a panic never crosses
/// the ABI with the library build it links.
#[no_mangle]
pub extern "C" fn tl_selftest_panic() -> tl_status {
    ffi_status(|| panic!("tl_selftest_panic was called"))
}
