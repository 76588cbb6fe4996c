//! The one crossing per trace: the facade's JSON rendering of a finished trace, turned into
//! the core's [`TraceRecord`].
//!
//! The format is private to this package (the facade writes it, this module reads it) and
//! is shaped for cheap production in JS: `JSON.stringify` of plain objects whose unset
//! fields are absent, timestamps as integer microseconds, and each payload either as
//! `input` (a string payload, which stays a string on the wire) or `input_json` (a
//! structured one as JSON text, parsed here so scrubbing reaches the strings inside it).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use trulayer_core::{ErrorInfo, EventRecord, Level, Metadata, Payload, SpanRecord, SpanType, Timestamp, TraceRecord, Uuid};

#[derive(Deserialize)]
pub struct TraceIn<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    external_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    user_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    input: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    input_json: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    output: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    output_json: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    cost: Option<f64>,
    #[serde(default, borrow)]
    error: Option<ErrorIn<'a>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    tag_map: Option<BTreeMap<String, String>>,
    #[serde(default)]
    metadata: Option<Metadata>,
    start_us: i64,
    elapsed_us: i64,
    #[serde(default)]
    sampled: Option<bool>,
    #[serde(default, borrow)]
    spans: Option<Vec<SpanIn<'a>>>,
    #[serde(default, borrow)]
    events: Option<Vec<EventIn<'a>>>,
}

/// Repeats the payload fields of `TraceIn` on purpose: `#[serde(flatten)]` would buffer
/// every field of every span before deserializing it, on the hot path.
#[derive(Deserialize)]
struct SpanIn<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, borrow)]
    parent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow, rename = "type")]
    span_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    input: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    input_json: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    output: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    output_json: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    prompt_tokens: Option<i64>,
    #[serde(default)]
    completion_tokens: Option<i64>,
    #[serde(default)]
    cost: Option<f64>,
    #[serde(default, borrow)]
    error: Option<ErrorIn<'a>>,
    #[serde(default)]
    metadata: Option<Metadata>,
    start_us: i64,
    elapsed_us: i64,
}

#[derive(Deserialize)]
struct ErrorIn<'a> {
    #[serde(default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Cow<'a, str>,
}

#[derive(Deserialize)]
struct EventIn<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, borrow)]
    span_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    level: Cow<'a, str>,
    #[serde(borrow)]
    message: Cow<'a, str>,
    #[serde(default)]
    metadata: Option<Metadata>,
    ts_us: i64,
}

/// Parses the facade's JSON into a record. Errors name what was wrong; they mean a bug in
/// the facade, never in user data (user values arrive pre-encoded).
pub fn parse_trace(json: &str) -> Result<TraceRecord, String> {
    let t: TraceIn<'_> = serde_json::from_str(json).map_err(|e| format!("malformed trace from the facade: {e}"))?;
    let id = parse_uuid(&t.id)?;
    let (started_at, ended_at, latency_ms) = times(t.start_us, t.elapsed_us);
    let spans = t.spans.unwrap_or_default().into_iter().map(span_record).collect::<Result<Vec<_>, _>>()?;
    let events = t.events.unwrap_or_default().into_iter().map(event_record).collect::<Result<Vec<_>, _>>()?;
    Ok(TraceRecord {
        id,
        project: None,
        environment: None,
        session_id: t.session_id.map(Cow::into_owned),
        external_id: t.external_id.map(Cow::into_owned),
        user_id: t.user_id.map(Cow::into_owned),
        name: t.name.into_owned(),
        input: payload(t.input, t.input_json),
        output: payload(t.output, t.output_json),
        model: t.model.map(Cow::into_owned),
        cost: t.cost,
        error: t.error.map(error_info),
        tags: t.tags.unwrap_or_default(),
        tag_map: t.tag_map.unwrap_or_default(),
        metadata: t.metadata.unwrap_or_default(),
        started_at,
        ended_at: Some(ended_at),
        latency_ms: Some(latency_ms),
        spans,
        events,
        sampled: t.sampled,
    })
}

fn span_record(s: SpanIn<'_>) -> Result<SpanRecord, String> {
    let (start_time, end_time, latency_ms) = times(s.start_us, s.elapsed_us);
    Ok(SpanRecord {
        id: parse_uuid(&s.id)?,
        parent_span_id: s.parent.as_deref().map(parse_uuid).transpose()?,
        name: s.name.into_owned(),
        span_type: SpanType::parse(s.span_type.as_deref().unwrap_or("")),
        input: payload(s.input, s.input_json),
        output: payload(s.output, s.output_json),
        model: s.model.map(Cow::into_owned),
        prompt_tokens: s.prompt_tokens,
        completion_tokens: s.completion_tokens,
        cost: s.cost,
        error: s.error.map(error_info),
        metadata: s.metadata.unwrap_or_default(),
        start_time,
        end_time: Some(end_time),
        latency_ms: Some(latency_ms),
    })
}

fn event_record(e: EventIn<'_>) -> Result<EventRecord, String> {
    Ok(EventRecord {
        id: parse_uuid(&e.id)?,
        span_id: e.span_id.as_deref().map(parse_uuid).transpose()?,
        level: Level::parse(&e.level).ok_or_else(|| format!("unknown event level {:?}", e.level))?,
        message: e.message.into_owned(),
        metadata: e.metadata.unwrap_or_default(),
        timestamp: Timestamp::from_unix_micros(e.ts_us),
    })
}

fn parse_uuid(s: &str) -> Result<Uuid, String> {
    Uuid::parse_str(s).map_err(|_| format!("malformed id {s:?} from the facade"))
}

/// Start, end and latency from a wall-clock start and a monotonic duration, so that
/// end - start always equals the measured latency (as the core's Stopwatch does).
fn times(start_us: i64, elapsed_us: i64) -> (Timestamp, Timestamp, u64) {
    let start = Timestamp::from_unix_micros(start_us);
    let elapsed = Duration::from_micros(elapsed_us.max(0) as u64);
    (start, start.add(elapsed), elapsed.as_millis() as u64)
}

/// A structured payload (JSON text) wins over a string one; the facade sets only one.
fn payload(text: Option<Cow<'_, str>>, json: Option<Cow<'_, str>>) -> Option<Payload> {
    match (json, text) {
        (Some(json), _) => Some(serde_json::from_str(&json).unwrap_or_else(|_| Value::String(json.into_owned()))),
        (None, Some(text)) => Some(Value::String(text.into_owned())),
        (None, None) => None,
    }
}

fn error_info(e: ErrorIn<'_>) -> ErrorInfo {
    ErrorInfo::new(e.kind.as_deref(), e.message.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_nested_trace_crosses_with_every_field() {
        let text = r#"{"id":"01900000-0000-7000-8000-000000000001","name":"t","session_id":"s1",
            "input_json":"{\"q\":\"why?\"}","output":"because","error":{"kind":"TypeError","message":"boom"},
            "tags":["beta"],"tag_map":{"tier":"pro"},"metadata":{"k":1},"start_us":1700000000000000,
            "elapsed_us":2500,"sampled":false,
            "spans":[{"id":"01900000-0000-7000-8000-000000000002","parent":null,"name":"gen","type":"llm",
              "input":"hi","prompt_tokens":3,"completion_tokens":4,"cost":0.5,"metadata":{},
              "start_us":1700000000000100,"elapsed_us":1000}],
            "events":[{"id":"01900000-0000-7000-8000-000000000003","span_id":"01900000-0000-7000-8000-000000000002",
              "level":"warn","message":"m","ts_us":1700000000000200}]}"#;
        let t = parse_trace(text).unwrap();
        assert_eq!(t.input, Some(json!({"q": "why?"})));
        assert_eq!(t.output, Some(json!("because")));
        assert_eq!(t.error.as_ref().unwrap().to_wire(), "TypeError: boom");
        assert_eq!((t.latency_ms, t.sampled), (Some(2), Some(false)));
        assert_eq!(t.ended_at.unwrap().unix_micros() - t.started_at.unix_micros(), 2500);
        let s = &t.spans[0];
        assert_eq!((s.span_type.as_str(), s.prompt_tokens, s.completion_tokens), ("llm", Some(3), Some(4)));
        assert_eq!(t.events[0].span_id, Some(s.id));
    }

    #[test]
    fn a_string_payload_that_looks_like_json_stays_a_string() {
        assert_eq!(payload(Some("{\"a\":1}".into()), None), Some(json!("{\"a\":1}")));
        assert_eq!(payload(None, Some("[1,2]".into())), Some(json!([1, 2])));
        assert_eq!(payload(None, None), None);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(parse_trace("{").is_err());
        assert!(parse_trace(r#"{"id":"nope","name":"t","start_us":0,"elapsed_us":0}"#).unwrap_err().contains("malformed id"));
    }
}
