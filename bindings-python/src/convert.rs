//! Python values to the core's JSON payloads, converted once at set time so that a later
//! mutation of the user's object does not change what was recorded.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deeper structures are cut with a marker rather than recursing without bound (cycles).
const MAX_DEPTH: usize = 64;

/// A user's `scrub_fn`, applied to every string nested in a payload.
pub struct Scrubber<'a, 'py> {
    pub func: Option<&'a Bound<'py, PyAny>>,
    /// Set when the function raised or returned a non-string: the value was dropped.
    pub failed: Option<String>,
}

impl<'a, 'py> Scrubber<'a, 'py> {
    pub fn new(func: Option<&'a Bound<'py, PyAny>>) -> Self {
        Scrubber { func, failed: None }
    }

    /// Scrubbing fails closed: a string the function cannot process is replaced.
    fn string(&mut self, s: &Bound<'py, PyString>) -> String {
        let Some(f) = self.func else {
            return s.to_string_lossy().into_owned();
        };
        match f.call1((s,)) {
            Ok(out) => match out.cast::<PyString>() {
                Ok(text) => text.to_string_lossy().into_owned(),
                Err(_) => match out.str() {
                    Ok(text) => text.to_string_lossy().into_owned(),
                    Err(e) => self.fail(e.to_string()),
                },
            },
            Err(e) => self.fail(e.to_string()),
        }
    }

    fn fail(&mut self, why: String) -> String {
        self.failed.get_or_insert(why);
        "[scrub_fn failed]".to_owned()
    }
}

pub fn to_value<'py>(obj: &Bound<'py, PyAny>, scrub: &mut Scrubber<'_, 'py>) -> Value {
    convert(obj, scrub, 0)
}

fn convert<'py>(obj: &Bound<'py, PyAny>, scrub: &mut Scrubber<'_, 'py>, depth: usize) -> Value {
    if obj.is_none() {
        return Value::Null;
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Value::String(scrub.string(s));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Value::Bool(b.is_true());
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Value::from(v);
        }
        if let Ok(v) = i.extract::<u64>() {
            return Value::from(v);
        }
        return Value::String(i.to_string());
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        // JSON has no NaN/Infinity: keep them readable as text.
        let v = f.value();
        return Number::from_f64(v).map(Value::Number).unwrap_or_else(|| Value::String(v.to_string()));
    }
    if depth >= MAX_DEPTH {
        return Value::String("[max depth]".into());
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            m.insert(key_text(&k), convert(&v, scrub, depth + 1));
        }
        return Value::Object(m);
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return Value::Array(l.iter().map(|v| convert(&v, scrub, depth + 1)).collect());
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return Value::Array(t.iter().map(|v| convert(&v, scrub, depth + 1)).collect());
    }
    if obj.cast::<PySet>().is_ok() || obj.cast::<PyFrozenSet>().is_ok() {
        if let Ok(iter) = obj.try_iter() {
            return Value::Array(iter.flatten().map(|v| convert(&v, scrub, depth + 1)).collect());
        }
    }
    // Pydantic models and the provider SDKs' response objects know their JSON form.
    if let Ok(dumped) = obj.call_method1("model_dump", ()) {
        if !dumped.is(obj) {
            return convert(&dumped, scrub, depth + 1);
        }
    }
    match obj.str() {
        Ok(s) => Value::String(scrub.string(&s)),
        Err(_) => Value::String(format!("<unprintable {}>", type_name(obj))),
    }
}

fn key_text(k: &Bound<'_, PyAny>) -> String {
    match k.cast::<PyString>() {
        Ok(s) => s.to_string_lossy().into_owned(),
        Err(_) => k.str().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
    }
}

pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
}
