//! `tl_options`: the configuration builder. No struct layout enters the ABI: options are set
//! by name with string values and validated by the core, with the core's messages.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, Mutex};

use trulayer_core::ConfigBuilder;

use crate::args::{c_str, utf8 as utf8_arg};
use crate::handles::Registry;
use crate::status::{ffi, ffi_status, tl_status, Failure};

/// An opaque configuration builder.
#[allow(non_camel_case_types)]
pub struct tl_options {
    _private: [u8; 0],
}

pub(crate) static OPTIONS: Registry<Mutex<ConfigBuilder>> = Registry::new("tl_options");

/// Creates an empty option set. Options not set here are read from the TRULAYER_*
/// environment variables when the client is created.
/// Ownership: the caller owns the handle and frees it with tl_options_free (it may be freed
/// right after tl_client_new). Returns NULL only if the library failed internally.
#[no_mangle]
pub extern "C" fn tl_options_new() -> *mut tl_options {
    ffi(|_| std::ptr::null_mut(), || Ok(OPTIONS.insert(Mutex::new(ConfigBuilder::default()))))
}

/// Sets one option by name (api_key, project, environment, endpoint, batch_size,
/// flush_interval_ms, timeout_ms, sample_rate, mode, debug, enabled, max_queue_size, redact,
/// ... the same keys as every SDK). The value is checked now: an unknown key or a bad value
/// returns TL_ERR_INVALID_OPTION with the core's message.
/// Ownership: key and value are NUL-terminated strings borrowed for the call only.
/// Thread: any; calls on one handle are serialised.
#[no_mangle]
pub unsafe extern "C" fn tl_options_set(options: *mut tl_options, key: *const c_char, value: *const c_char) -> tl_status {
    ffi_status(|| {
        let builder = OPTIONS.get(options)?;
        let key = c_str(key, "the option key")?;
        let value = c_str(value, "the option value")?;
        let mut builder = builder.lock().unwrap_or_else(|e| e.into_inner());
        builder.set(&key, &value).map_err(|e| Failure::new(tl_status::TL_ERR_INVALID_OPTION, e.to_string()))?;
        Ok(())
    })
}

/// Where a scrub callback writes its replacement. Valid only during the callback.
#[allow(non_camel_case_types)]
pub struct tl_scrub_output {
    replacement: Option<String>,
    failed: bool,
}

/// A user scrub function, run over every string of a trace's input, output and error
/// (strings nested in structured values too) before anything leaves the process.
/// `text` is `len` bytes of UTF-8, not NUL-terminated, valid during the call only.
/// Return 0 after calling tl_scrub_output_set(out, ...) to replace the text, 0 without it to
/// keep the text, or any other value to fail closed (the text is replaced by a marker and
/// counted in stats.scrub_failures). Runs on the SDK's worker thread, never the caller's:
/// user_data must be safe to use from that thread.
#[allow(non_camel_case_types)]
pub type tl_scrub_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, text: *const c_char, len: usize, out: *mut tl_scrub_output) -> i32>;

/// The user's pointer, handed back to the callback on the worker thread.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
// SAFETY: the contract of tl_options_set_scrub makes the caller responsible for user_data
// being usable from the worker thread; the library never dereferences it.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// The core fails a hook closed when it unwinds; `resume_unwind` unwinds without running the
/// panic hook, so a scrub function that reports failure prints nothing.
struct ScrubFailed;

/// Installs a scrub callback (see tl_scrub_fn). callback must not be NULL.
/// Ownership: user_data stays owned by the caller and must outlive every client created from
/// these options. Thread: the callback runs on the worker thread of each such client.
#[no_mangle]
pub unsafe extern "C" fn tl_options_set_scrub(
    options: *mut tl_options,
    callback: tl_scrub_fn,
    user_data: *mut c_void,
) -> tl_status {
    ffi_status(|| {
        let builder = OPTIONS.get(options)?;
        let callback = callback
            .ok_or_else(|| Failure::new(tl_status::TL_ERR_INVALID_ARGUMENT, "the scrub callback is NULL"))?;
        let user_data = UserData(user_data);
        let hook = move |text: &str| -> Option<String> {
            let data = user_data;
            let mut out = tl_scrub_output { replacement: None, failed: false };
            // SAFETY: the callback's contract (tl_scrub_fn); `out` outlives the call.
            let rc = unsafe { callback(data.0, text.as_ptr().cast(), text.len(), &mut out) };
            if rc != 0 || out.failed {
                std::panic::resume_unwind(Box::new(ScrubFailed));
            }
            out.replacement
        };
        builder.lock().unwrap_or_else(|e| e.into_inner()).scrub_hook(Arc::new(hook));
        Ok(())
    })
}

/// Inside a scrub callback: replaces the text with `len` bytes of UTF-8 (copied).
/// Invalid UTF-8 returns TL_ERR_INVALID_UTF8 and fails the value closed.
/// Ownership: `out` is the pointer the callback received; using it after the callback
/// returned is undefined behaviour (it is not a registry handle).
#[no_mangle]
pub unsafe extern "C" fn tl_scrub_output_set(out: *mut tl_scrub_output, utf8: *const c_char, len: usize) -> tl_status {
    ffi_status(|| {
        let out = out
            .as_mut()
            .ok_or_else(|| Failure::new(tl_status::TL_ERR_INVALID_ARGUMENT, "the tl_scrub_output is NULL"))?;
        match utf8_arg(utf8, len, "the replacement") {
            Ok(text) => {
                out.replacement = Some(text);
                Ok(())
            }
            Err(e) => {
                out.failed = true;
                Err(e)
            }
        }
    })
}

/// Frees an option set. NULL, or a handle already freed, is ignored (the latter sets the last
/// error to TL_ERR_CLOSED). Clients created from it are not affected.
#[no_mangle]
pub extern "C" fn tl_options_free(options: *mut tl_options) {
    if options.is_null() {
        return;
    }
    ffi(|_| (), || OPTIONS.remove(options).map(drop));
}
