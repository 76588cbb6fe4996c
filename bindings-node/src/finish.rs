//! `finishTrace(handle, text, nums, count)`, the one call per trace, as a plain N-API
//! function. The callbacks napi-rs generates open a borrow-tracking scope on every call (an
//! allocation, a mutex, thread-local bookkeeping: about 4% of the JS thread's samples in
//! `bench/node`), which this call does not need: it copies its arguments before it returns
//! and keeps no JS value. It hands a finished trace, packed by the facade (`text`, and the
//! first `count` entries of `nums`; see `lib/crossing.ts`), to the pipeline of the client
//! whose `handle` is given. Never blocks on I/O; in remote mode the trace is unpacked off
//! the JS thread. Bad arguments throw an `Error` (the facade reports it), never panic.

use std::ffi::CString;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::handles;

const NAME: &str = "finishTrace";

/// Adds `finishTrace` to the addon's exports (its type is declared in `lib/native.ts`: the
/// generated `binding.d.ts` lists only what napi-rs registers).
#[napi(module_exports)]
pub fn register_finish_trace(exports: Object, env: Env) -> Result<()> {
    let mut function = ptr::null_mut();
    // SAFETY: env is the live env of this module-exports call; the name is valid for its length.
    check_status!(unsafe {
        sys::napi_create_function(env.raw(), NAME.as_ptr().cast(), NAME.len() as isize, Some(finish_trace), ptr::null_mut(), &mut function)
    })?;
    let name = CString::new(NAME).expect("no NUL in the name");
    // SAFETY: exports and function are live values of this env.
    check_status!(unsafe { sys::napi_set_named_property(env.raw(), exports.raw(), name.as_ptr(), function) })
}

unsafe extern "C" fn finish_trace(env: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // SAFETY: napi calls this with the env and callback info of a live call.
    let failed = match std::panic::catch_unwind(|| unsafe { finish(env, info) }) {
        Ok(Ok(())) => return ptr::null_mut(),
        Ok(Err(message)) => message,
        Err(_) => "finishTrace: internal error".to_owned(),
    };
    let message = CString::new(failed.replace('\0', " ")).expect("NULs replaced");
    // SAFETY: env is live; nothing is pending (every napi call above returned).
    unsafe { sys::napi_throw_error(env, ptr::null(), message.as_ptr()) };
    ptr::null_mut()
}

/// The call's work; errors are the messages to throw.
///
/// # Safety
/// `env` and `info` must be those napi passed to the running callback.
unsafe fn finish(env: sys::napi_env, info: sys::napi_callback_info) -> std::result::Result<(), String> {
    let mut argc = 4;
    let mut argv = [ptr::null_mut(); 4];
    // SAFETY: argv has room for argc values.
    let status = unsafe { sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()) };
    if status != sys::Status::napi_ok || argc < 4 {
        return Err("finishTrace expects (handle, text, nums, count)".to_owned());
    }
    let [handle, text, nums, count] = argv;
    // SAFETY: each value is an argument of this call.
    let (handle, count) = unsafe { (uint32(env, handle, "handle")?, uint32(env, count, "count")?) };
    // SAFETY: as above; the slice is read before the call returns, while JS cannot run.
    let nums = unsafe { float64s(env, nums)? };
    let nums = nums.get(..count as usize).ok_or("finishTrace: count exceeds nums")?;
    // SAFETY: text is an argument of this call.
    let pushed = handles::with(handle, |intake| intake.push(|buffer| unsafe { append_utf16(env, text, buffer) }, nums));
    pushed.ok_or("finishTrace: unknown client handle")?
}

/// # Safety
/// `value` must be a live value of `env`.
unsafe fn uint32(env: sys::napi_env, value: sys::napi_value, what: &str) -> std::result::Result<u32, String> {
    let mut n = 0;
    match unsafe { sys::napi_get_value_uint32(env, value, &mut n) } {
        sys::Status::napi_ok => Ok(n),
        _ => Err(format!("finishTrace: {what} must be a number")),
    }
}

/// The numbers of a `Float64Array`, borrowed for the call.
///
/// # Safety
/// `value` must be a live value of `env`, and the slice must not outlive the call.
unsafe fn float64s<'a>(env: sys::napi_env, value: sys::napi_value) -> std::result::Result<&'a [f64], String> {
    let (mut kind, mut length, mut data, mut buffer, mut offset) = (0, 0, ptr::null_mut(), ptr::null_mut(), 0);
    // SAFETY: every out-pointer is valid.
    let status = unsafe { sys::napi_get_typedarray_info(env, value, &mut kind, &mut length, &mut data, &mut buffer, &mut offset) };
    if status != sys::Status::napi_ok || kind != sys::TypedarrayType::float64_array {
        return Err("finishTrace: nums must be a Float64Array".to_owned());
    }
    if length == 0 || data.is_null() {
        return Ok(&[]);
    }
    // SAFETY: napi reports `length` f64 elements at `data` (aligned: a Float64Array's offset
    // is a multiple of 8), valid until JS runs again.
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<f64>(), length) })
}

/// Appends the code units of a JS string to `buffer` (no UTF-8 conversion, no allocation
/// once the buffer has grown).
///
/// # Safety
/// `value` must be a live value of `env`.
unsafe fn append_utf16(env: sys::napi_env, value: sys::napi_value, buffer: &mut Vec<u16>) -> std::result::Result<(), String> {
    let not_a_string = || "finishTrace: text must be a string".to_owned();
    let mut len = 0;
    // SAFETY: a null buffer asks for the length.
    if unsafe { sys::napi_get_value_string_utf16(env, value, ptr::null_mut(), 0, &mut len) } != sys::Status::napi_ok {
        return Err(not_a_string());
    }
    buffer.reserve(len + 1);
    let start = buffer.len();
    let mut written = 0;
    // SAFETY: the spare capacity holds len units and the terminating NUL napi writes.
    let status = unsafe { sys::napi_get_value_string_utf16(env, value, buffer.as_mut_ptr().add(start), len + 1, &mut written) };
    if status != sys::Status::napi_ok {
        return Err(not_a_string());
    }
    // SAFETY: napi initialized `written` (<= len) units after `start`.
    unsafe { buffer.set_len(start + written.min(len)) };
    Ok(())
}
