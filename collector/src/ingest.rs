//! Validation of ingest bodies: checks every field of a wire trace (api §2, §8), fills in
//! what a client may omit (ids, start time), and computes the roll-ups the filters need.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::fields::{self, Fields};
use crate::rollup;
use crate::timefmt;

pub const MAX_BATCH: usize = 100;
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 64;
const EVENT_LEVELS: [&str; 4] = ["debug", "info", "warn", "error"];

/// A checked trace, ready to store.
#[derive(Debug, Clone)]
pub struct NewTrace {
    pub id: String,
    pub started_us: i64,
    pub has_error: bool,
    pub latency_ms: Option<i64>,
    pub cost: Option<f64>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub span_count: i64,
    pub model: Option<String>,
    /// Filter facets: ("model" | "failure_type" | "tag", value).
    pub facets: Vec<(&'static str, String)>,
    /// The trace as sent, normalised (ids and times canonical, payloads as text).
    pub body: String,
}

/// Separates a tag's key and value inside one facet value.
pub const TAG_SEP: char = '\u{1f}';

pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request("invalid_json", format!("invalid JSON: {e}")))
}

/// `{"traces": [...]}` with 1..=100 traces.
pub fn batch(mut body: Value) -> Result<Vec<NewTrace>, ApiError> {
    let mut f = Fields::of(&mut body, String::new())?;
    if !f.obj.contains_key("traces") {
        return Err(ApiError::bad_request("missing_field", "traces: required"));
    }
    let traces = f.take_array("traces")?;
    if traces.is_empty() {
        return Err(ApiError::bad_request("empty_batch", "traces: at least one trace is required"));
    }
    if traces.len() > MAX_BATCH {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("traces: at most {MAX_BATCH} traces per batch, got {}", traces.len()),
        ));
    }
    traces.into_iter().enumerate().map(|(i, t)| trace(t, format!("traces[{i}]"))).collect()
}

pub fn trace(mut value: Value, path: String) -> Result<NewTrace, ApiError> {
    let mut f = Fields::of(&mut value, path)?;
    let id = f.id_or_new("id")?;
    // The API key decides the project; what the body claims is not stored.
    f.obj.remove("project_id");
    for key in ["name", "external_id", "session_id", "model", "error", "environment", "user_id"] {
        f.string(key)?;
    }
    f.payload("input");
    f.payload("output");
    let latency = f.count("latency_ms")?;
    let own_cost = f.number("cost")?;
    f.object("metadata")?;
    let started = f.time("started_at")?;
    let ended = f.time("ended_at")?;
    let tags = tags(&mut f)?;

    let path = f.path.clone();
    let mut spans = f.take_array("spans")?;
    let mut span_starts = Vec::new();
    let mut span_ends = Vec::new();
    for (i, s) in spans.iter_mut().enumerate() {
        let (start, end) = span(s, fields::join(&path, &format!("spans[{i}]")), &id)?;
        span_starts.extend(start);
        span_ends.extend(end.or(start));
    }
    let mut events = f.take_array("events")?;
    for (i, e) in events.iter_mut().enumerate() {
        event(e, fields::join(&path, &format!("events[{i}]")))?;
    }

    let started_us = started.or_else(|| span_starts.iter().copied().min()).unwrap_or_else(timefmt::now_micros);
    if started.is_none() {
        f.obj.insert("started_at".into(), Value::String(timefmt::format(started_us)));
    }
    let latency_ms = latency
        .or_else(|| ended.map(|e| (e - started_us) / 1000))
        .or_else(|| span_ends.iter().max().map(|e| (e - started_us) / 1000))
        .map(|l| l.max(0));

    let span_maps: Vec<&Map<String, Value>> = spans.iter().filter_map(Value::as_object).collect();
    let span_costs: Vec<f64> = span_maps.iter().filter_map(|s| rollup::span_cost(s)).collect();
    let cost = own_cost.or_else(|| (!span_costs.is_empty()).then(|| span_costs.iter().sum()));
    let model = rollup::trace_model(f.obj, &spans);

    let mut facets: Vec<(&'static str, String)> = Vec::new();
    let mut add = |kind: &'static str, value: String| {
        if !facets.iter().any(|(k, v)| *k == kind && *v == value) {
            facets.push((kind, value));
        }
    };
    let models = f.obj.get("model").into_iter().chain(span_maps.iter().filter_map(|s| s.get("model")));
    for m in models.filter_map(Value::as_str).filter(|m| !m.is_empty()) {
        add("model", m.to_owned());
    }
    for ft in span_maps.iter().filter_map(|s| rollup::span_failure(s)) {
        add("failure_type", ft.as_str().to_owned());
    }
    if let Some(ft) = rollup::span_failure(f.obj) {
        add("failure_type", ft.as_str().to_owned());
    }
    for (k, v) in &tags {
        add("tag", format!("{k}{TAG_SEP}{v}"));
    }

    let new = NewTrace {
        id,
        started_us,
        has_error: rollup::has_error(f.obj) || span_maps.iter().any(|s| rollup::has_error(s)),
        latency_ms,
        cost,
        prompt_tokens: span_maps.iter().map(|s| rollup::prompt_tokens(s)).sum(),
        completion_tokens: span_maps.iter().map(|s| rollup::completion_tokens(s)).sum(),
        span_count: spans.len() as i64,
        model,
        facets,
        body: String::new(),
    };
    f.obj.insert("spans".into(), Value::Array(spans));
    if !events.is_empty() {
        f.obj.insert("events".into(), Value::Array(events));
    }
    Ok(NewTrace { body: value.to_string(), ..new })
}

/// Tags as a list of labels or a key→value map; labels are stored as keys with "" values.
fn tags(f: &mut Fields<'_>) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = match f.obj.get("tags") {
        None | Some(Value::Null) => {
            f.obj.insert("tags".into(), Value::Array(Vec::new()));
            Vec::new()
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(|s| (s.to_owned(), String::new())).ok_or_else(|| f.err("tags", "list items must be strings")))
            .collect::<Result<_, _>>()?,
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())).ok_or_else(|| f.err("tags", "map values must be strings")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(f.err("tags", "must be a list of strings or an object of strings")),
    };
    if pairs.len() > MAX_TAGS {
        return Err(f.err("tags", &format!("at most {MAX_TAGS} tags")));
    }
    if pairs.iter().any(|(k, v)| k.chars().count() > MAX_TAG_CHARS || v.chars().count() > MAX_TAG_CHARS) {
        return Err(f.err("tags", &format!("keys and values are at most {MAX_TAG_CHARS} characters")));
    }
    Ok(pairs)
}

/// Checks one span; returns its start and end time.
fn span(value: &mut Value, path: String, trace_id: &str) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let mut f = Fields::of(value, path)?;
    f.id_or_new("id")?;
    if let Some(tid) = f.uuid("trace_id")? {
        if tid != trace_id {
            return Err(f.err("trace_id", "does not match the trace's id"));
        }
    }
    f.obj.insert("trace_id".into(), Value::String(trace_id.to_owned()));
    f.uuid("parent_span_id")?;
    f.required_string("name")?;
    f.required_string("type")?;
    for key in ["model", "error"] {
        f.string(key)?;
    }
    f.payload("input");
    f.payload("output");
    f.count("latency_ms")?;
    f.count("prompt_tokens")?;
    f.count("completion_tokens")?;
    if f.number("cost")?.is_some_and(|c| c < 0.0) {
        return Err(f.err("cost", "must not be negative"));
    }
    f.object("metadata")?;
    Ok((f.time("start_time")?, f.time("end_time")?))
}

fn event(value: &mut Value, path: String) -> Result<(), ApiError> {
    let mut f = Fields::of(value, path)?;
    f.id_or_new("id")?;
    f.uuid("span_id")?;
    f.required_string("message")?;
    match f.string("level")? {
        None => {
            f.obj.insert("level".into(), Value::String("info".into()));
        }
        Some(l) if EVENT_LEVELS.contains(&l.as_str()) => {}
        Some(_) => return Err(f.err("level", "must be one of debug, info, warn, error")),
    }
    f.object("metadata")?;
    f.time("timestamp")?;
    Ok(())
}
