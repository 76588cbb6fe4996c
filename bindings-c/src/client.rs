//! `tl_client`: one configured pipeline (queue, worker thread, exporter) of the core.

use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use trulayer_core::{Client, ConfigBuilder};

use crate::args::write_out;
use crate::handles::Registry;
use crate::options::{tl_options, OPTIONS};
use crate::status::{ffi, ffi_status, tl_status, Failure, Outcome};

/// An opaque client.
#[allow(non_camel_case_types)]
pub struct tl_client {
    _private: [u8; 0],
}

pub(crate) struct ClientSlot {
    pub client: Client,
    /// Set by tl_client_shutdown: no new traces start afterwards.
    closed: AtomicBool,
}

impl ClientSlot {
    pub fn open_client(&self) -> Outcome<Client> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Failure::new(tl_status::TL_ERR_CLOSED, "the client has been shut down"));
        }
        Ok(self.client.clone())
    }
}

pub(crate) static CLIENTS: Registry<ClientSlot> = Registry::new("tl_client");

/// Creates a client from `options` (NULL: from the TRULAYER_* environment alone). Options not
/// set explicitly are read from the environment. A missing API key in remote mode or a bad
/// environment value returns TL_ERR_INVALID_OPTION with the core's message.
/// No thread starts until the first trace ends.
/// Ownership: `options` is only read (free it whenever you like); on success *out receives a
/// client the caller owns and releases with tl_client_free; on failure *out is set to NULL.
#[no_mangle]
pub unsafe extern "C" fn tl_client_new(options: *const tl_options, out: *mut *mut tl_client) -> tl_status {
    ffi_status(|| {
        let out = out
            .as_mut()
            .ok_or_else(|| Failure::new(tl_status::TL_ERR_INVALID_ARGUMENT, "the out pointer is NULL"))?;
        *out = std::ptr::null_mut();
        let builder = if options.is_null() {
            ConfigBuilder::default()
        } else {
            OPTIONS.get(options)?.lock().unwrap_or_else(|e| e.into_inner()).clone()
        };
        let config = builder.build().map_err(|e| Failure::new(tl_status::TL_ERR_INVALID_OPTION, e.to_string()))?;
        *out = CLIENTS.insert(ClientSlot { client: Client::new(config), closed: AtomicBool::new(false) });
        Ok(())
    })
}

fn millis(timeout_ms: u32) -> Duration {
    Duration::from_millis(u64::from(timeout_ms))
}

/// Waits until every trace ended before this call has been answered by the endpoint
/// (delivered, or dropped and counted), at most `timeout_ms`. TL_ERR_TIMEOUT if time ran out.
/// Thread: any; blocks the calling thread, never the worker.
#[no_mangle]
pub extern "C" fn tl_client_flush(client: *mut tl_client, timeout_ms: u32) -> tl_status {
    ffi_status(|| {
        let slot = CLIENTS.get(client)?;
        if slot.client.flush(millis(timeout_ms)) {
            Ok(())
        } else {
            Err(Failure::new(tl_status::TL_ERR_TIMEOUT, format!("flush did not finish within {timeout_ms} ms")))
        }
    })
}

/// Flushes for at most `timeout_ms`, then stops the worker. Afterwards tl_trace_start on this
/// client fails with TL_ERR_CLOSED and traces still open are dropped (and counted) when they
/// end. Calling it again is harmless. The handle stays valid until tl_client_free.
#[no_mangle]
pub extern "C" fn tl_client_shutdown(client: *mut tl_client, timeout_ms: u32) -> tl_status {
    ffi_status(|| {
        let slot = CLIENTS.get(client)?;
        slot.closed.store(true, Ordering::Release);
        if slot.client.shutdown(millis(timeout_ms)) {
            Ok(())
        } else {
            Err(Failure::new(tl_status::TL_ERR_TIMEOUT, format!("shutdown did not finish flushing within {timeout_ms} ms")))
        }
    })
}

/// Releases the caller's client handle. If the client was not shut down, the last reference
/// (this handle, or the last open trace) shuts it down with its shutdown_timeout option,
/// blocking at most that long. NULL is ignored; a handle already freed sets TL_ERR_CLOSED as
/// the last error and is otherwise ignored.
#[no_mangle]
pub extern "C" fn tl_client_free(client: *mut tl_client) {
    if client.is_null() {
        return;
    }
    ffi(|_| (), || CLIENTS.remove(client).map(drop));
}

/// Writes the client's counters as a JSON object (finished, sampled_out, queued, sent,
/// dropped_total, pending, dropped{reason: n}, retries, batches_sent, bytes_sent,
/// truncated_fields, dropped_tags, scrub_failures, late_spans, metadata_rejected) and a NUL
/// into `buf` (`cap` bytes). *out_len (if not NULL) receives the JSON length without the
/// NUL; TL_ERR_BUFFER_TOO_SMALL when it does not fit (call with buf NULL, cap 0 to ask).
/// Ownership: the caller owns buf. Thread: any.
#[no_mangle]
pub unsafe extern "C" fn tl_client_stats_json(
    client: *mut tl_client,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> tl_status {
    write_client_text(client, buf, cap, out_len, |c| serde_json::to_string(&c.stats()).expect("stats serialize"))
}

/// Renders text from the client behind `client` into the caller's buffer (see write_out).
///
/// # Safety
/// As for tl_client_stats_json.
unsafe fn write_client_text(
    client: *mut tl_client,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    render: impl FnOnce(&Client) -> String,
) -> tl_status {
    ffi_status(|| write_out(&render(&CLIENTS.get(client)?.client), buf, cap, out_len))
}

/// Runs `f` on the client behind `client`.
fn on_client(client: *mut tl_client, f: impl FnOnce(&Client)) -> tl_status {
    ffi_status(|| {
        f(&CLIENTS.get(client)?.client);
        Ok(())
    })
}

/// Call in the child after fork() if the parent used this client: the child forgets the
/// parent's queue and counters and starts its own worker on the next trace. (A fork the host
/// did not report is also detected on the next trace.)
#[no_mangle]
pub extern "C" fn tl_client_after_fork_child(client: *mut tl_client) -> tl_status {
    on_client(client, Client::reset_after_fork)
}

/// Local mode (option mode=local): writes the wire JSON of the traces kept in process, oldest
/// first, as one JSON array, and a NUL into `buf` (`cap` bytes); `[]` in remote mode. Sizes
/// and TL_ERR_BUFFER_TOO_SMALL as in tl_client_stats_json. For tests of code that traces.
/// Ownership: the caller owns buf. Thread: any.
#[no_mangle]
pub unsafe extern "C" fn tl_client_local_traces_json(
    client: *mut tl_client,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> tl_status {
    write_client_text(client, buf, cap, out_len, |c| {
        let traces = c.local_traces();
        format!("[{}]", traces.iter().map(|t| &**t).collect::<Vec<_>>().join(","))
    })
}

/// Local mode: forgets the traces kept so far.
#[no_mangle]
pub extern "C" fn tl_client_clear_local_traces(client: *mut tl_client) -> tl_status {
    on_client(client, Client::clear_local_traces)
}
