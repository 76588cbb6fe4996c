//! Typed access to the fields of a JSON object from a request, with 400 errors that name the
//! offending path (`traces[2].spans[0].name`), so a client can see which record is wrong.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::timefmt;

pub struct Fields<'a> {
    pub obj: &'a mut Map<String, Value>,
    pub path: String,
}

/// `path.key`, or just `key` at the top level.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn invalid(path: &str, key: &str, what: &str) -> ApiError {
    ApiError::bad_request("invalid_field", format!("{}: {what}", join(path, key)))
}

impl<'a> Fields<'a> {
    pub fn of(value: &'a mut Value, path: String) -> Result<Self, ApiError> {
        match value {
            Value::Object(obj) => Ok(Fields { obj, path }),
            _ => Err(ApiError::bad_request("invalid_field", format!("{}: must be a JSON object", if path.is_empty() { "body" } else { &path }))),
        }
    }

    pub fn err(&self, key: &str, what: &str) -> ApiError {
        invalid(&self.path, key, what)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.err(key, "must be a string")),
        }
    }

    pub fn required_string(&self, key: &str) -> Result<String, ApiError> {
        match self.string(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ApiError::bad_request("missing_field", format!("{}: required", join(&self.path, key)))),
        }
    }

    /// A payload field: strings are kept, structured values are stored as compact JSON text
    /// (the coercion the wire format documents for payloads).
    pub fn payload(&mut self, key: &str) {
        if let Some(v) = self.obj.get_mut(key) {
            if !(v.is_string() || v.is_null()) {
                *v = Value::String(v.to_string());
            }
        }
    }

    /// A non-negative integer. A whole float (`12.0`, as some JavaScript senders produce) is
    /// accepted and stored as an integer.
    pub fn count(&mut self, key: &str) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.get(key) else { return Ok(None) };
        let whole = |f: f64| (f.fract() == 0.0 && (0.0..9.0e15).contains(&f)).then_some(f as i64);
        let n = v.as_i64().filter(|n| *n >= 0).or_else(|| v.as_f64().and_then(whole));
        let n = n.ok_or_else(|| self.err(key, "must be a non-negative integer"))?;
        self.obj.insert(key.into(), Value::from(n));
        Ok(Some(n))
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| self.err(key, "must be a number")),
        }
    }

    /// An RFC 3339 time as Unix microseconds; the stored text is rewritten to the canonical
    /// UTC form so every reader sees one format.
    pub fn time(&mut self, key: &str) -> Result<Option<i64>, ApiError> {
        let Some(text) = self.string(key)? else { return Ok(None) };
        let micros = timefmt::parse(&text).ok_or_else(|| self.err(key, "must be an RFC 3339 date-time"))?;
        self.obj.insert(key.into(), Value::String(timefmt::format(micros)));
        Ok(Some(micros))
    }

    /// A UUID, or a fresh UUIDv7 stored in its place when absent.
    pub fn id_or_new(&mut self, key: &str) -> Result<String, ApiError> {
        let id = match self.uuid(key)? {
            Some(id) => id,
            None => trulayer_core::new_id().to_string(),
        };
        self.obj.insert(key.into(), Value::String(id.clone()));
        Ok(id)
    }

    /// An optional UUID in canonical (lower-case, hyphenated) form.
    pub fn uuid(&mut self, key: &str) -> Result<Option<String>, ApiError> {
        let Some(text) = self.string(key)? else { return Ok(None) };
        let id = trulayer_core::ids::parse_id(&text).ok_or_else(|| invalid_id(&self.path, key))?.to_string();
        self.obj.insert(key.into(), Value::String(id.clone()));
        Ok(Some(id))
    }

    pub fn required_uuid(&mut self, key: &str) -> Result<String, ApiError> {
        self.uuid(key)?.ok_or_else(|| ApiError::bad_request("missing_field", format!("{}: required", join(&self.path, key))))
    }

    pub fn object(&mut self, key: &str) -> Result<(), ApiError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => {
                self.obj.insert(key.into(), Value::Object(Map::new()));
                Ok(())
            }
            Some(Value::Object(_)) => Ok(()),
            Some(_) => Err(self.err(key, "must be an object")),
        }
    }

    /// Takes an optional array out of the object for element-wise checking.
    pub fn take_array(&mut self, key: &str) -> Result<Vec<Value>, ApiError> {
        match self.obj.remove(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.err(key, "must be an array")),
        }
    }
}

pub fn invalid_id(path: &str, key: &str) -> ApiError {
    ApiError::bad_request("invalid_id", format!("{}: must be a UUID", join(path, key)))
}
