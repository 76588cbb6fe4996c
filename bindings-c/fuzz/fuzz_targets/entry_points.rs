//! Arbitrary bytes through the JSON (metadata, payloads, event metadata) and string entry
//! points of the C ABI. Asserts the contract: no panic escapes (never TL_ERR_PANIC), and the
//! status is exactly what the bytes call for (UTF-8 checked, JSON values accepted where any
//! value is, objects where metadata is, everything else refused).
#![no_main]

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use trulayer::*;

/// One local-mode client for the whole run (a token, kept as an integer to be Sync).
fn client() -> *mut tl_client {
    static CLIENT: OnceLock<usize> = OnceLock::new();
    let token = *CLIENT.get_or_init(|| unsafe {
        let o = tl_options_new();
        for (k, v) in [(c"mode", c"local"), (c"local_buffer_size", c"4")] {
            assert_eq!(tl_options_set(o, k.as_ptr(), v.as_ptr()), tl_status::TL_OK);
        }
        let mut c = std::ptr::null_mut();
        assert_eq!(tl_client_new(o, &mut c), tl_status::TL_OK);
        tl_options_free(o);
        c as usize
    });
    token as *mut tl_client
}

fn expected_for_text(bytes: &[u8]) -> tl_status {
    if std::str::from_utf8(bytes).is_ok() { tl_status::TL_OK } else { tl_status::TL_ERR_INVALID_UTF8 }
}

/// The status for JSON text that `accept` must like (any value for a payload, an object for
/// metadata).
fn expected_for_json(bytes: &[u8], accept: fn(&serde_json::Value) -> bool) -> tl_status {
    match std::str::from_utf8(bytes) {
        Err(_) => tl_status::TL_ERR_INVALID_UTF8,
        Ok(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) if accept(&v) => tl_status::TL_OK,
            _ => tl_status::TL_ERR_INVALID_JSON,
        },
    }
}

fn expected_for_metadata(bytes: &[u8]) -> tl_status {
    expected_for_json(bytes, serde_json::Value::is_object)
}

fuzz_target!(|data: &[u8]| {
    let Some((&op, rest)) = data.split_first() else { return };
    let ptr = rest.as_ptr().cast::<c_char>();
    let len = rest.len();
    unsafe {
        let trace = tl_trace_start(client(), c"fuzz".as_ptr());
        let span = tl_span_start(trace, std::ptr::null_mut(), c"s".as_ptr(), c"llm".as_ptr());
        assert!(!trace.is_null() && !span.is_null());
        let (got, want) = match op % 8 {
            0 => (tl_trace_set_metadata_json(trace, ptr, len), expected_for_metadata(rest)),
            1 => (tl_span_set_metadata_json(span, ptr, len), expected_for_metadata(rest)),
            2 => (tl_trace_set_input(trace, ptr, len), expected_for_text(rest)),
            3 => (tl_span_set_model(span, ptr, len), expected_for_text(rest)),
            4 => (tl_trace_set_output_json(trace, ptr, len), expected_for_json(rest, |_| true)),
            5 => (tl_span_event(span, c"info".as_ptr(), c"m".as_ptr(), 1, ptr, len), expected_for_metadata(rest)),
            6 => {
                // NUL-terminated entry points: a name, and an option key/value pair.
                let text = CString::new(rest.iter().copied().filter(|&b| b != 0).collect::<Vec<u8>>()).unwrap();
                let started = tl_trace_start(client(), text.as_ptr());
                let want = expected_for_text(text.as_bytes());
                assert_eq!(started.is_null(), want != tl_status::TL_OK, "{:?}", tl_last_status());
                (if started.is_null() { tl_last_status() } else { tl_trace_end(started) }, want)
            }
            _ => {
                let text = CString::new(rest.iter().copied().filter(|&b| b != 0).collect::<Vec<u8>>()).unwrap();
                let o = tl_options_new();
                let got = tl_options_set(o, text.as_ptr(), text.as_ptr());
                tl_options_free(o);
                assert!(
                    matches!(got, tl_status::TL_OK | tl_status::TL_ERR_INVALID_OPTION | tl_status::TL_ERR_INVALID_UTF8),
                    "{got:?}"
                );
                (got, got)
            }
        };
        assert_eq!(got, want, "op {op}: {:?}", std::ffi::CStr::from_ptr(tl_last_error()));
        assert_eq!(tl_span_end(span), tl_status::TL_OK);
        assert_eq!(tl_trace_end(trace), tl_status::TL_OK);
    }
});
