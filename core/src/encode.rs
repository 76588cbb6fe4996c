//! The wire JSON of the public TruLayer API (`api/trulayer-api.md` §2, §5 and §8).
//!
//! One function renders a trace, so every binding produces the same bytes for the same
//! record: fixed key order, metadata keys sorted, payloads as strings (structured values as
//! compact JSON text), timestamps with six fractional digits. Oversize fields are truncated
//! here and the cuts counted.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::clock::Timestamp;
use crate::ids::Uuid;
use crate::limits::{truncate_bytes, truncate_chars, Limits};
use crate::model::{EventRecord, Payload, SpanRecord, TraceRecord};

/// The fields of the client that a trace inherits when it does not set its own.
#[derive(Clone, Copy, Debug)]
pub struct TraceDefaults<'a> {
    pub project: &'a str,
    pub environment: &'a str,
}

/// What encoding had to cut to fit the limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cuts {
    pub truncated_fields: u64,
    pub dropped_tags: u64,
}

/// An id written straight from a stack buffer (no `String` per id).
#[derive(Clone, Copy)]
struct WireId(Uuid);

impl Serialize for WireId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.hyphenated().encode_lower(&mut Uuid::encode_buffer()))
    }
}

/// A timestamp written straight from a stack buffer.
#[derive(Clone, Copy)]
struct WireTime(Timestamp);

impl Serialize for WireTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.format_rfc3339(&mut [0; 27]))
    }
}

#[derive(Serialize)]
struct WireTrace<'a> {
    id: WireId,
    project_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    session_id: Option<Cow<'a, str>>,
    external_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    name: &'a str,
    input: Option<Cow<'a, str>>,
    output: Option<Cow<'a, str>>,
    model: Option<&'a str>,
    latency_ms: Option<u64>,
    cost: Option<f64>,
    error: Option<String>,
    tags: Value,
    metadata: &'a Map<String, Value>,
    started_at: WireTime,
    ended_at: Option<WireTime>,
    spans: Vec<WireSpan<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    events: Vec<WireEvent<'a>>,
}

#[derive(Serialize)]
struct WireSpan<'a> {
    id: WireId,
    trace_id: WireId,
    parent_span_id: Option<WireId>,
    name: &'a str,
    #[serde(rename = "type")]
    span_type: &'a str,
    input: Option<Cow<'a, str>>,
    output: Option<Cow<'a, str>>,
    model: Option<&'a str>,
    latency_ms: Option<u64>,
    cost: Option<f64>,
    error: Option<String>,
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    metadata: &'a Map<String, Value>,
    start_time: WireTime,
    end_time: Option<WireTime>,
}

#[derive(Serialize)]
struct WireEvent<'a> {
    id: WireId,
    span_id: Option<WireId>,
    level: &'static str,
    message: Cow<'a, str>,
    metadata: &'a Map<String, Value>,
    timestamp: WireTime,
}

/// Writes numbers the same way whichever language produced them: JavaScript has no integer
/// type and Python distinguishes `1` from `1.0`, so an integral float is written as an integer
/// (`1.0` → `1`, `-0.0` → `0`); other floats in their shortest round-trip form.
#[derive(Clone, Copy)]
struct PortableNumbers;

impl serde_json::ser::Formatter for PortableNumbers {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, value: f64) -> std::io::Result<()> {
        const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53: beyond it floats are not exact integers
        if value.fract() == 0.0 && value.abs() < EXACT_INT {
            write!(writer, "{}", value as i64)
        } else {
            serde_json::ser::CompactFormatter.write_f64(writer, value)
        }
    }
}

fn to_portable_json<T: Serialize + ?Sized>(value: &T, size_hint: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_hint);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PortableNumbers);
    value.serialize(&mut ser).expect("wire values always serialize");
    out
}

/// The wire text of a payload, cut to the field limit.
pub fn payload_text<'a>(p: &'a Payload, limits: &Limits, cuts: &mut Cuts) -> Cow<'a, str> {
    let text: Cow<'a, str> = match p {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        other => Cow::Owned(String::from_utf8(to_portable_json(other, 128)).expect("serde_json writes UTF-8")),
    };
    bounded(text, limits.max_field_bytes, cuts)
}

fn bounded<'a>(text: Cow<'a, str>, max: usize, cuts: &mut Cuts) -> Cow<'a, str> {
    if text.len() <= max {
        return text;
    }
    let mut owned = text.into_owned();
    truncate_bytes(&mut owned, max);
    cuts.truncated_fields += 1;
    Cow::Owned(owned)
}

fn error_text(e: &Option<crate::model::ErrorInfo>, limits: &Limits, cuts: &mut Cuts) -> Option<String> {
    e.as_ref().map(|e| bounded(Cow::Owned(e.to_wire()), limits.max_field_bytes, cuts).into_owned())
}

/// Tags: a key→value object when any key/value tag is set (plain labels join it with an empty
/// value), otherwise a list of labels. At most `max_tags` entries of `max_tag_chars` each.
fn tags_value(t: &TraceRecord, limits: &Limits, cuts: &mut Cuts) -> Value {
    let cut = |s: &str, cuts: &mut Cuts| {
        let mut s = s.to_owned();
        if truncate_chars(&mut s, limits.max_tag_chars) {
            cuts.truncated_fields += 1;
        }
        s
    };
    let total = t.tags.len() + t.tag_map.len();
    if total > limits.max_tags {
        cuts.dropped_tags += (total - limits.max_tags) as u64;
    }
    if t.tag_map.is_empty() {
        return Value::Array(t.tags.iter().take(limits.max_tags).map(|s| Value::String(cut(s, cuts))).collect());
    }
    let mut map = Map::new();
    for (k, v) in t.tag_map.iter().take(limits.max_tags) {
        map.insert(cut(k, cuts), Value::String(cut(v, cuts)));
    }
    for label in t.tags.iter().take(limits.max_tags.saturating_sub(map.len())) {
        map.entry(cut(label, cuts)).or_insert_with(|| Value::String(String::new()));
    }
    Value::Object(map)
}

fn span_wire<'a>(s: &'a SpanRecord, trace_id: WireId, limits: &Limits, cuts: &mut Cuts) -> WireSpan<'a> {
    WireSpan {
        id: WireId(s.id),
        trace_id,
        parent_span_id: s.parent_span_id.map(WireId),
        name: &s.name,
        span_type: s.span_type.as_str(),
        input: s.input.as_ref().map(|p| payload_text(p, limits, cuts)),
        output: s.output.as_ref().map(|p| payload_text(p, limits, cuts)),
        model: s.model.as_deref(),
        latency_ms: s.latency_ms,
        cost: s.cost.filter(|c| c.is_finite()),
        error: error_text(&s.error, limits, cuts),
        prompt_tokens: s.prompt_tokens,
        completion_tokens: s.completion_tokens,
        metadata: &s.metadata,
        start_time: WireTime(s.start_time),
        end_time: s.end_time.map(WireTime),
    }
}

fn event_wire<'a>(e: &'a EventRecord, limits: &Limits, cuts: &mut Cuts) -> WireEvent<'a> {
    WireEvent {
        id: WireId(e.id),
        span_id: e.span_id.map(WireId),
        level: e.level.as_str(),
        message: bounded(Cow::Borrowed(&e.message), limits.max_field_bytes, cuts),
        metadata: &e.metadata,
        timestamp: WireTime(e.timestamp),
    }
}

/// Renders one trace as its wire JSON object.
pub fn encode_trace(t: &TraceRecord, defaults: TraceDefaults<'_>, limits: &Limits) -> (Vec<u8>, Cuts) {
    let mut cuts = Cuts::default();
    let trace_id = WireId(t.id);
    let session_id = t.session_id.as_deref().map(|s| {
        let mut s = s.to_owned();
        if truncate_chars(&mut s, limits.max_session_chars) {
            cuts.truncated_fields += 1;
        }
        Cow::<str>::Owned(s)
    });
    let spans = t.spans.iter().map(|s| span_wire(s, trace_id, limits, &mut cuts)).collect();
    let events = t.events.iter().map(|e| event_wire(e, limits, &mut cuts)).collect();
    let wire = WireTrace {
        id: trace_id,
        project_id: t.project.as_deref().unwrap_or(defaults.project),
        environment: Some(t.environment.as_deref().unwrap_or(defaults.environment)).filter(|e| !e.is_empty()),
        session_id,
        external_id: t.external_id.as_deref(),
        user_id: t.user_id.as_deref(),
        name: &t.name,
        input: t.input.as_ref().map(|p| payload_text(p, limits, &mut cuts)),
        output: t.output.as_ref().map(|p| payload_text(p, limits, &mut cuts)),
        model: t.model.as_deref(),
        latency_ms: t.latency_ms,
        cost: t.cost.filter(|c| c.is_finite()),
        error: error_text(&t.error, limits, &mut cuts),
        tags: tags_value(t, limits, &mut cuts),
        metadata: &t.metadata,
        started_at: WireTime(t.started_at),
        ended_at: t.ended_at.map(WireTime),
        spans,
        events,
    };
    // The record's size estimate is close to its encoded size: one allocation, no regrowth.
    (to_portable_json(&wire, t.approx_bytes() + 512), cuts)
}

/// Joins already-encoded traces into one `{"traces":[...]}` request body.
pub fn batch_body<'a>(traces: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut body = Vec::with_capacity(4096);
    body.extend_from_slice(b"{\"traces\":[");
    for (i, t) in traces.into_iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(t);
    }
    body.extend_from_slice(b"]}");
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorInfo, SpanType};
    use serde_json::json;

    const DEFAULTS: TraceDefaults<'static> = TraceDefaults { project: "rag-app", environment: "production" };

    fn fixed_trace() -> TraceRecord {
        let mut t = TraceRecord::new("answer_question");
        t.id = Uuid::parse_str("01900000-0000-7000-8000-000000000001").unwrap();
        t.started_at = Timestamp::from_unix_micros(1_700_000_000_000_000);
        t.ended_at = Some(Timestamp::from_unix_micros(1_700_000_000_250_000));
        t.latency_ms = Some(250);
        t.input = Some(json!({"question": "why?"}));
        t.output = Some(json!("because"));
        let mut s = SpanRecord::new("retrieve", SpanType::Retrieval);
        s.id = Uuid::parse_str("01900000-0000-7000-8000-000000000002").unwrap();
        s.start_time = Timestamp::from_unix_micros(1_700_000_000_010_000);
        s.end_time = Some(Timestamp::from_unix_micros(1_700_000_000_020_000));
        s.latency_ms = Some(10);
        s.error = Some(ErrorInfo::new(Some("TimeoutError"), "slow"));
        s.metadata.insert("z".into(), json!(1));
        s.metadata.insert("a".into(), json!(true));
        t.spans.push(s);
        t
    }

    #[test]
    fn wire_json_has_the_api_shape_in_a_fixed_order() {
        let (bytes, cuts) = encode_trace(&fixed_trace(), DEFAULTS, &Limits::default());
        assert_eq!(cuts, Cuts::default());
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"id":"01900000-0000-7000-8000-000000000001","project_id":"rag-app","environment":"production","#,
                r#""session_id":null,"external_id":null,"name":"answer_question","input":"{\"question\":\"why?\"}","#,
                r#""output":"because","model":null,"latency_ms":250,"cost":null,"error":null,"tags":[],"metadata":{},"#,
                r#""started_at":"2023-11-14T22:13:20.000000Z","ended_at":"2023-11-14T22:13:20.250000Z","spans":[{"#,
                r#""id":"01900000-0000-7000-8000-000000000002","trace_id":"01900000-0000-7000-8000-000000000001","#,
                r#""parent_span_id":null,"name":"retrieve","type":"retrieval","input":null,"output":null,"model":null,"#,
                r#""latency_ms":10,"cost":null,"error":"TimeoutError: slow","prompt_tokens":null,"completion_tokens":null,"#,
                r#""metadata":{"a":true,"z":1},"start_time":"2023-11-14T22:13:20.010000Z","end_time":"2023-11-14T22:13:20.020000Z"}]}"#
            )
        );
    }

    #[test]
    fn oversize_fields_are_cut_and_counted() {
        let mut t = fixed_trace();
        t.input = Some(json!("x".repeat(5000)));
        let limits = Limits { max_field_bytes: 1000, ..Limits::default() };
        let (bytes, cuts) = encode_trace(&t, DEFAULTS, &limits);
        assert_eq!(cuts.truncated_fields, 1);
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let input = v["input"].as_str().unwrap();
        assert!(input.len() <= 1000 && input.ends_with("[truncated, 5000 bytes]"));
    }

    #[test]
    fn tags_become_a_map_when_keyed_and_are_bounded() {
        let mut t = fixed_trace();
        t.tags = vec!["beta".into()];
        let (b, _) = encode_trace(&t, DEFAULTS, &Limits::default());
        assert_eq!(serde_json::from_slice::<Value>(&b).unwrap()["tags"], json!(["beta"]));
        t.tag_map.insert("tier".into(), "pro".into());
        t.tag_map.insert("k".repeat(70), "v".into());
        let (b, cuts) = encode_trace(&t, DEFAULTS, &Limits::default());
        let tags = &serde_json::from_slice::<Value>(&b).unwrap()["tags"];
        assert_eq!(tags["tier"], "pro");
        assert_eq!(tags["beta"], "");
        assert_eq!(tags["k".repeat(64)], "v");
        assert_eq!(cuts.truncated_fields, 1);
        for i in 0..30 {
            t.tag_map.insert(format!("t{i}"), "x".into());
        }
        let (b, cuts) = encode_trace(&t, DEFAULTS, &Limits::default());
        assert_eq!(serde_json::from_slice::<Value>(&b).unwrap()["tags"].as_object().unwrap().len(), 20);
        assert_eq!(cuts.dropped_tags, 13);
    }

    #[test]
    fn events_are_sent_inside_their_trace() {
        let mut t = fixed_trace();
        let mut e = EventRecord::new(crate::model::Level::Warn, "cache miss");
        e.span_id = Some(t.spans[0].id);
        t.events.push(e);
        let (b, _) = encode_trace(&t, DEFAULTS, &Limits::default());
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["events"][0]["level"], "warn");
        assert_eq!(v["events"][0]["span_id"], t.spans[0].id.to_string());
    }

    #[test]
    fn numbers_are_written_the_same_from_every_language() {
        let mut t = fixed_trace();
        t.input = Some(json!({"int": 1, "float_integral": 1.0, "neg_zero": -0.0, "frac": 0.1, "big": 1e21, "small": 1.5e-7}));
        t.cost = Some(2.0);
        t.metadata.insert("ratio".into(), json!(3.0));
        let (b, _) = encode_trace(&t, DEFAULTS, &Limits::default());
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["input"], r#"{"big":1e+21,"float_integral":1,"frac":0.1,"int":1,"neg_zero":0,"small":1.5e-7}"#);
        let text = String::from_utf8(b).unwrap();
        assert!(text.contains(r#""cost":2,"#) && text.contains(r#""ratio":3}"#), "{text}");
    }

    #[test]
    fn batch_body_joins_encoded_traces() {
        assert_eq!(batch_body([&b"{\"a\":1}"[..], &b"{}"[..]]), b"{\"traces\":[{\"a\":1},{}]}");
    }
}
