//! Replays the conformance vectors of `tests/vectors/` through the Rust API, the way every
//! binding replays them through its own (see `tests/vectors/README.md` for the rules).
//! `TRULAYER_BLESS=1 cargo test -p trulayer-core --test vectors` rewrites `expected`.

use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::{Map, Value};
use trulayer_core::{Client, Config, Level, SpanGuard, SpanType, TraceGuard};

fn vector_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn error_parts(v: &Value) -> Option<(Option<String>, String)> {
    let e = v.as_object()?;
    Some((e.get("type").and_then(Value::as_str).map(str::to_owned), e["message"].as_str()?.to_owned()))
}

fn str_field<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

fn apply_span(span: &mut SpanGuard, s: &Map<String, Value>) {
    if let Some(v) = s.get("input") {
        span.set_input(v.clone());
    }
    if let Some(v) = s.get("output") {
        span.set_output(v.clone());
    }
    if let Some(m) = str_field(s, "model") {
        span.set_model(m);
    }
    if let (Some(p), Some(c)) = (s.get("prompt_tokens").and_then(Value::as_i64), s.get("completion_tokens").and_then(Value::as_i64)) {
        span.set_tokens(p, c);
    }
    if let Some(c) = s.get("cost").and_then(Value::as_f64) {
        span.set_cost(c);
    }
    if let Some((kind, message)) = s.get("error").and_then(error_parts) {
        span.set_error(kind.as_deref(), message);
    }
    for (k, v) in s.get("metadata").and_then(Value::as_object).into_iter().flatten() {
        span.set_metadata(k.clone(), v.clone());
    }
}

fn apply_trace(trace: &TraceGuard, t: &Map<String, Value>) {
    if let Some(s) = str_field(t, "session_id") {
        trace.set_session_id(s);
    }
    if let Some(s) = str_field(t, "user_id") {
        trace.set_user_id(s);
    }
    if let Some(s) = str_field(t, "external_id") {
        trace.set_external_id(s);
    }
    if let Some(v) = t.get("input") {
        trace.set_input(v.clone());
    }
    if let Some(v) = t.get("output") {
        trace.set_output(v.clone());
    }
    if let Some(m) = str_field(t, "model") {
        trace.set_model(m);
    }
    if let Some(c) = t.get("cost").and_then(Value::as_f64) {
        trace.set_cost(c);
    }
    if let Some((kind, message)) = t.get("error").and_then(error_parts) {
        trace.set_error(kind.as_deref(), message);
    }
    for (k, v) in t.get("metadata").and_then(Value::as_object).into_iter().flatten() {
        trace.set_metadata(k.clone(), v.clone());
    }
    for tag in t.get("tags").and_then(Value::as_array).into_iter().flatten() {
        trace.add_tag(tag.as_str().unwrap());
    }
    for (k, v) in t.get("tag_map").and_then(Value::as_object).into_iter().flatten() {
        trace.set_tag(k.clone(), v.as_str().unwrap());
    }
}

/// Runs one case; returns the wire JSON (or None when not kept) and the ids to normalize.
fn replay(case: &Value) -> (Option<String>, Vec<(String, String)>) {
    let mut b = Config::builder();
    b.set("mode", "local").unwrap().set("project", "vectors").unwrap().set("environment", "test").unwrap();
    for (k, v) in case["options"].as_object().unwrap() {
        b.set(k, v.as_str().expect("options are strings")).unwrap();
    }
    let client = Client::new(b.build_without_env().unwrap());
    let t = case["trace"].as_object().unwrap();
    let trace = client.trace(t["name"].as_str().unwrap());
    let mut ids = vec![(trace.id().to_string(), "00000000-0000-7000-8000-000000000000".to_owned())];
    apply_trace(&trace, t);
    let spans = t.get("spans").and_then(Value::as_array).cloned().unwrap_or_default();
    let events = t.get("events").and_then(Value::as_array).cloned().unwrap_or_default();
    // Open spans as a stack of (index, guard); events are recorded once their span is open.
    let mut open: Vec<(usize, SpanGuard)> = Vec::new();
    let mut span_ids = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        let s = s.as_object().unwrap();
        let parent = s.get("parent").and_then(Value::as_u64).map(|p| p as usize);
        while open.last().is_some_and(|(idx, _)| Some(*idx) != parent) {
            open.pop();
        }
        let span_type = SpanType::parse(s["type"].as_str().unwrap());
        let mut span = match open.last() {
            Some((_, p)) => p.child(s["name"].as_str().unwrap(), span_type),
            None => trace.span(s["name"].as_str().unwrap(), span_type),
        };
        apply_span(&mut span, s);
        ids.push((span.id().to_string(), format!("00000000-0000-7000-8000-{:012}", i + 1)));
        span_ids.push(span.id());
        for e in events.iter().filter(|e| e["span"].as_u64() == Some(i as u64)) {
            span.event_with_metadata(level(e), e["message"].as_str().unwrap(), e["metadata"].as_object().cloned().unwrap_or_default());
        }
        open.push((i, span));
    }
    while open.pop().is_some() {}
    for e in events.iter().filter(|e| e["span"].is_null()) {
        trace.event_with_metadata(level(e), e["message"].as_str().unwrap(), e["metadata"].as_object().cloned().unwrap_or_default());
    }
    trace.end();
    let wire = client.local_traces().first().map(|s| s.to_string());
    // Event ids are known only from the output: map them in order of appearance.
    if let Some(w) = &wire {
        let v: Value = serde_json::from_str(w).unwrap();
        for (i, e) in v["events"].as_array().into_iter().flatten().enumerate() {
            ids.push((e["id"].as_str().unwrap().to_owned(), format!("00000000-0000-7000-8001-{:012}", i + 1)));
        }
    }
    (wire, ids)
}

fn level(e: &Value) -> Level {
    Level::parse(e["level"].as_str().unwrap()).unwrap()
}

fn normalize(wire: &str, ids: &[(String, String)]) -> String {
    let mut out = wire.to_owned();
    for (real, placeholder) in ids {
        out = out.replace(real.as_str(), placeholder);
    }
    let times = Regex::new(r#""\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z""#).unwrap();
    let out = times.replace_all(&out, "\"1970-01-01T00:00:00.000000Z\"");
    Regex::new(r#""latency_ms":\d+"#).unwrap().replace_all(&out, "\"latency_ms\":0").into_owned()
}

#[test]
fn every_vector_produces_its_exact_wire_json() {
    let bless = std::env::var("TRULAYER_BLESS").is_ok_and(|v| v == "1");
    let mut files: Vec<PathBuf> =
        fs::read_dir(vector_dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
    files.sort();
    assert!(files.len() >= 10, "the vectors are missing: {files:?}");
    let mut failures = Vec::new();
    for path in files {
        let mut case: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let (wire, ids) = replay(&case);
        let got = wire.map(|w| normalize(&w, &ids));
        if bless {
            case["expected"] = got.map(Value::String).unwrap_or(Value::Null);
            fs::write(&path, serde_json::to_string_pretty(&case).unwrap() + "\n").unwrap();
            continue;
        }
        let want = case["expected"].as_str().map(str::to_owned);
        if got != want {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
