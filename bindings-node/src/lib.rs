//! The raw napi binding behind `@trulayer/sdk`.
//!
//! This crate is a thin adapter: the TypeScript facade (`lib/`) keeps every open trace and
//! span in JavaScript objects and crosses into Rust once per finished trace, packed into one
//! string and one number array ([`record`]). Everything that outlives a call — config,
//! queue, worker thread, HTTP, stats — is the core's. Nothing here blocks the JS thread on
//! I/O: flush, shutdown and API requests run on libuv's thread pool ([`tasks`]), and finished
//! traces are unpacked and encoded on a binding thread ([`intake`]).

mod client;
mod errors;
mod finish;
mod handles;
mod intake;
mod record;
mod tasks;

pub use client::NativeClient;

/// The version of the engine this addon was built from.
#[napi_derive::napi]
pub fn engine_version() -> &'static str {
    trulayer_core::VERSION
}

/// Classifies a provider failure from its error type name, HTTP status and message into
/// `timeout`, `rate_limit`, `invalid_response` or `context_length` (the core's rules, shared
/// by every language), or null when none fits. Called only when a provider call failed.
#[napi_derive::napi]
pub fn classify_failure(kind: String, status: Option<u32>, message: String) -> Option<&'static str> {
    let status = status.and_then(|s| u16::try_from(s).ok());
    trulayer_core::FailureType::classify(&kind, status, &message).map(trulayer_core::FailureType::as_str)
}

/// The engine's threads free what the intake thread allocates (every finished trace): the
/// system allocator pays for each such cross-thread free, mimalloc does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
