//! `trulayer._native`: the Python binding's private extension module.
//!
//! The Python package (`python/trulayer/`) owns the public API and the context variables;
//! this module holds the records being filled (converted once, at set time) and the core
//! client. A finished trace crosses into the core in one call. The core's worker never calls
//! Python: error reports are queued here and picked up by a Python thread (see `errors.rs`).

use pyo3::prelude::*;

mod client;
mod convert;
mod errors;
mod records;

#[pymodule(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("CORE_VERSION", trulayer_core::VERSION)?;
    m.add_class::<client::Client>()?;
    m.add_class::<records::Trace>()?;
    m.add_class::<records::Span>()?;
    m.add_function(wrap_pyfunction!(records::classify_failure, m)?)?;
    Ok(())
}
