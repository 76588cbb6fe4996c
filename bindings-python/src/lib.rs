//! `trulayer._native`: the Python binding's private extension module.
//!
//! The Python package (`python/trulayer/`) owns the public API; this module holds the hot
//! path: `TraceContext`/`SpanContext` (records converted once, at set time, and the context
//! managers over the context variables made in `scope.rs`) and the core client. A finished trace crosses into the core in one call. The core's worker never calls
//! Python: error reports are queued here and picked up by a Python thread (see `errors.rs`).

use pyo3::prelude::*;

mod client;
mod clock;
mod convert;
mod errors;
mod records;
mod scope;
mod shared;

/// Every finished trace is allocated on the calling thread and freed by the engine's worker
/// thread. With the system allocator each such cross-thread free sends the calling thread's
/// next allocations down the slow path (arena lock, consolidation, fresh pages); mimalloc's
/// per-thread heaps take remote frees without that cost.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CORE_VERSION", trulayer_core::VERSION)?;
    m.add_class::<client::Client>()?;
    m.add_class::<records::Trace>()?;
    m.add_class::<records::Span>()?;
    m.add_function(wrap_pyfunction!(records::classify_failure, m)?)?;
    scope::add_to_module(m)?;
    Ok(())
}
