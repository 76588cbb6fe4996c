//! The current scope (the innermost open span, or the trace when no span of it is open) lives
//! in one `contextvars.ContextVar`, so it follows `await` and threads started with a copied
//! context; the current trace is the scope's trace. One variable rather than one for the trace
//! and one for the span: each write copies the context's trie, and with a single key of ours
//! that copy stays one small node. The variables are made here, once, and their bound methods
//! cached: entering and leaving a scope is then a native call with no Python frame. (The
//! PyContextVar C functions are outside the abi3 limited API, hence the methods.)

use pyo3::exceptions::{PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{IntoPyDict, PyModule};

pub struct ContextVars {
    pub scope_var: Py<PyAny>,
    scope_get: Py<PyAny>,
    scope_set: Py<PyAny>,
    scope_reset: Py<PyAny>,
    /// `using_attributes` blocks: what traces started inside them get (see `_scope.py`).
    pub attributes_var: Py<PyAny>,
    attributes_get: Py<PyAny>,
}

static VARS: PyOnceLock<ContextVars> = PyOnceLock::new();

pub fn vars(py: Python<'_>) -> &ContextVars {
    VARS.get_or_try_init(py, || ContextVars::new(py)).expect("contextvars is part of the standard library")
}

impl ContextVars {
    fn new(py: Python<'_>) -> PyResult<Self> {
        let make = py.import("contextvars")?.getattr("ContextVar")?;
        let default_none = [("default", py.None())].into_py_dict(py)?;
        let scope_var = make.call(("trulayer_scope",), Some(&default_none))?;
        let attributes_var = make.call(("trulayer_attributes",), Some(&default_none))?;
        let method = |v: &Bound<'_, PyAny>, name: &str| v.getattr(name).map(Bound::unbind);
        Ok(ContextVars {
            scope_get: method(&scope_var, "get")?,
            scope_set: method(&scope_var, "set")?,
            scope_reset: method(&scope_var, "reset")?,
            attributes_get: method(&attributes_var, "get")?,
            scope_var: scope_var.unbind(),
            attributes_var: attributes_var.unbind(),
        })
    }

    /// The innermost open span or trace of this context, or None.
    pub fn current<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.scope_get.bind(py).call0()
    }

    /// True inside a `using_attributes` block.
    pub fn in_attributes_block(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(!self.attributes_get.bind(py).call0()?.is_none())
    }

    /// Makes `scope` (a trace or a span) current; the token undoes it.
    pub fn enter(&self, py: Python<'_>, scope: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Ok(self.scope_set.bind(py).call1((scope,))?.unbind())
    }

    /// A scope closed from another context (a generator finalized by another task) cannot
    /// reset its token; ending the span still matters more than restoring that context.
    pub fn leave(&self, py: Python<'_>, token: Option<Py<PyAny>>) -> PyResult<()> {
        let Some(token) = token else { return Ok(()) };
        match self.scope_reset.bind(py).call1((token,)) {
            Err(e) if e.is_instance_of::<PyValueError>(py) => Ok(()),
            other => other.map(drop),
        }
    }
}

/// The variables, for `current_trace()`/`current_span()` and the Python scopes.
pub fn add_to_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let v = vars(m.py());
    m.add("_scope_var", v.scope_var.clone_ref(m.py()))?;
    m.add("_attributes_var", v.attributes_var.clone_ref(m.py()))
}

/// An awaitable that is already done: what `__aenter__`/`__aexit__` return, their work having
/// been done synchronously when called (`async with` awaits them at once).
#[pyclass(module = "trulayer._native")]
pub struct Ready {
    value: Option<Py<PyAny>>,
}

impl Ready {
    pub fn new(value: Py<PyAny>) -> Self {
        Ready { value: Some(value) }
    }
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let value = self.value.take().unwrap_or_else(|| py.None());
        Err(PyStopIteration::new_err((value,)))
    }
}
