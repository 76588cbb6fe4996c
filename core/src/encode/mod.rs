//! The wire JSON of the public TruLayer API (`api/trulayer-api.md` §2, §5 and §8).
//!
//! One function renders a trace, so every binding produces the same bytes for the same
//! record: fixed key order, metadata keys sorted, payloads as strings (structured values as
//! compact JSON text), timestamps with six fractional digits. Oversize fields are truncated
//! here and the cuts counted.

mod canonical;
mod escapes;
mod json;
mod view;

pub use canonical::is_canonical_json;
pub use view::{ErrorView, EventView, MetadataView, Outcome, PayloadView, SpanView, Text, TraceView};

use std::borrow::Cow;

use serde_json::{Map, Value};

use self::json::{write_f64, write_i64, write_map, write_opt, write_plain_str, write_str, write_u64, write_value, uuid_json};
use crate::clock::{Rfc3339Writer, Timestamp};
use crate::config::Config;
use crate::ids::Uuid;
use crate::limits::{truncate_bytes, truncate_chars, Limits};

/// The fields of the client that a trace inherits when it does not set its own.
#[derive(Clone, Copy, Debug)]
pub struct TraceDefaults<'a> {
    pub project: &'a str,
    pub environment: &'a str,
}

impl<'a> TraceDefaults<'a> {
    /// The defaults of a client with `config`.
    pub fn of(config: &'a Config) -> Self {
        TraceDefaults { project: &config.project, environment: &config.environment }
    }
}

/// What encoding had to cut to fit the limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cuts {
    pub truncated_fields: u64,
    pub dropped_tags: u64,
}

/// Renders one trace as its wire JSON object (a record through `TraceView::from(&record)`).
pub fn encode_trace(t: &TraceView<'_>, defaults: TraceDefaults<'_>, limits: &Limits) -> (Vec<u8>, Cuts) {
    // The estimate is close to the encoded size: one allocation, no regrowth.
    let mut out = Vec::with_capacity(t.text_bytes());
    let cuts = encode_trace_into(t, defaults, limits, &mut out);
    (out, cuts)
}

/// [`encode_trace`], appending to `out`. A buffer reused from trace to trace keeps the size
/// it grew to, so this neither estimates nor allocates once it is warm.
pub fn encode_trace_into(t: &TraceView<'_>, defaults: TraceDefaults<'_>, limits: &Limits, out: &mut Vec<u8>) -> Cuts {
    let mut w = Writer { out: std::mem::take(out), scratch: Vec::new(), times: Rfc3339Writer::new(), limits, cuts: Cuts::default() };
    w.trace(t, defaults);
    *out = w.out;
    w.cuts
}

/// Writes the API's objects field by field, in the fixed order of `api/trulayer-api.md`, and
/// applies the limits as it goes. (Written by hand rather than derived with serde: escaping
/// straight into one buffer is most of the worker's CPU per trace.)
struct Writer<'l> {
    out: Vec<u8>,
    /// Structured payloads are rendered here first: the wire carries them as JSON text.
    scratch: Vec<u8>,
    times: Rfc3339Writer,
    limits: &'l Limits,
    cuts: Cuts,
}

impl Writer<'_> {
    /// A key with its punctuation, as written at the call site (`,"name":`).
    fn key(&mut self, key: &str) {
        self.out.extend_from_slice(key.as_bytes());
    }

    fn id(&mut self, id: Uuid) {
        self.out.extend_from_slice(&uuid_json(&id));
    }

    fn opt_id(&mut self, id: Option<Uuid>) {
        match id {
            Some(id) => self.id(id),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    fn opt_time(&mut self, t: Option<Timestamp>) {
        match t {
            Some(t) => self.time(t),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    fn time(&mut self, t: Timestamp) {
        let text = self.times.format(t);
        self.out.push(b'"');
        self.out.extend_from_slice(text);
        self.out.push(b'"');
    }

    fn opt_str(&mut self, s: Option<&str>) {
        write_opt(&mut self.out, s, write_str);
    }

    /// Text cut to the field limit (and the cut counted).
    fn bounded_str(&mut self, s: &str) {
        if s.len() <= self.limits.max_field_bytes {
            return write_str(&mut self.out, s);
        }
        let mut cut = s.to_owned();
        truncate_bytes(&mut cut, self.limits.max_field_bytes);
        self.cuts.truncated_fields += 1;
        write_str(&mut self.out, &cut);
    }

    /// A payload as its wire text: a string as itself, anything else as compact JSON text.
    /// JSON text already in this encoder's form is that text; other JSON text is parsed and
    /// rendered (and sent as the string it is if it does not parse).
    fn payload(&mut self, p: Option<&PayloadView<'_>>) {
        match p {
            None => self.out.extend_from_slice(b"null"),
            Some(PayloadView::Value(Value::String(s))) => self.bounded_str(s),
            Some(PayloadView::Text(s)) => self.bounded_str(s),
            Some(PayloadView::Value(value)) => self.rendered(value),
            Some(PayloadView::Json(text)) if is_canonical_json(text) => self.bounded_str(text),
            Some(PayloadView::Json(text)) => match serde_json::from_str::<Value>(text) {
                Ok(value) => self.rendered(&value),
                Err(_) => self.bounded_str(text),
            },
        }
    }

    /// A structured value as the string of its compact JSON text.
    fn rendered(&mut self, value: &Value) {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        write_value(&mut text, value);
        self.bounded_str(std::str::from_utf8(&text).expect("the JSON writer writes UTF-8"));
        self.scratch = text;
    }

    fn error(&mut self, e: Option<&ErrorView<'_>>) {
        match e {
            Some(e) => self.bounded_str(&e.to_wire()),
            None => self.out.extend_from_slice(b"null"),
        }
    }

    fn metadata(&mut self, m: &MetadataView<'_>) {
        match m.as_parts() {
            Ok(canonical) => self.out.extend_from_slice(canonical.as_bytes()),
            Err(map) => write_map(&mut self.out, map),
        }
    }

    fn cost(&mut self, cost: Option<f64>) {
        write_opt(&mut self.out, cost.filter(|c| c.is_finite()), write_f64);
    }

    /// Text limited in characters (tags, session ids).
    fn chars<'s>(&mut self, s: &'s str, max_chars: usize) -> Cow<'s, str> {
        if s.len() <= max_chars {
            return Cow::Borrowed(s); // no more characters than bytes
        }
        let mut cut = s.to_owned();
        if truncate_chars(&mut cut, max_chars) {
            self.cuts.truncated_fields += 1;
        }
        Cow::Owned(cut)
    }

    /// The fields traces and spans share, in the API's order for both.
    fn outcome(&mut self, o: &Outcome<'_>) {
        self.key(",\"input\":");
        self.payload(o.input.as_ref());
        self.key(",\"output\":");
        self.payload(o.output.as_ref());
        self.key(",\"model\":");
        self.opt_str(o.model.as_deref());
        self.key(",\"latency_ms\":");
        write_opt(&mut self.out, o.latency_ms, write_u64);
        self.key(",\"cost\":");
        self.cost(o.cost);
        self.key(",\"error\":");
        self.error(o.error.as_ref());
    }

    fn trace(&mut self, t: &TraceView<'_>, defaults: TraceDefaults<'_>) {
        // Every span repeats the trace's id: rendered once.
        let trace_id = uuid_json(&t.id);
        self.key("{\"id\":");
        self.out.extend_from_slice(&trace_id);
        self.key(",\"project_id\":");
        write_str(&mut self.out, t.project.as_deref().unwrap_or(defaults.project));
        let environment = t.environment.as_deref().unwrap_or(defaults.environment);
        if !environment.is_empty() {
            self.key(",\"environment\":");
            write_str(&mut self.out, environment);
        }
        self.key(",\"session_id\":");
        match t.session_id.as_deref() {
            Some(s) => {
                let s = self.chars(s, self.limits.max_session_chars);
                write_str(&mut self.out, &s);
            }
            None => self.out.extend_from_slice(b"null"),
        }
        self.key(",\"external_id\":");
        self.opt_str(t.external_id.as_deref());
        if let Some(user) = t.user_id.as_deref() {
            self.key(",\"user_id\":");
            write_str(&mut self.out, user);
        }
        self.key(",\"name\":");
        write_str(&mut self.out, &t.name);
        self.outcome(&t.outcome);
        self.key(",\"tags\":");
        self.tags(t);
        self.key(",\"metadata\":");
        self.metadata(&t.metadata);
        self.key(",\"started_at\":");
        self.time(t.started_at);
        self.key(",\"ended_at\":");
        self.opt_time(t.ended_at);
        self.key(",\"spans\":[");
        for (i, s) in t.spans.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.span(s, &trace_id);
        }
        self.out.push(b']');
        if !t.events.is_empty() {
            self.key(",\"events\":[");
            for (i, e) in t.events.iter().enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                self.event(e);
            }
            self.out.push(b']');
        }
        self.out.push(b'}');
    }

    /// A span of the trace whose id is `trace_id` (as [`uuid_json`] renders it).
    fn span(&mut self, s: &SpanView<'_>, trace_id: &[u8]) {
        self.key("{\"id\":");
        self.id(s.id);
        self.key(",\"trace_id\":");
        self.out.extend_from_slice(trace_id);
        self.key(",\"parent_span_id\":");
        self.opt_id(s.parent_span_id);
        self.key(",\"name\":");
        write_str(&mut self.out, &s.name);
        self.key(",\"type\":");
        write_str(&mut self.out, s.span_type.as_str());
        self.outcome(&s.outcome);
        self.key(",\"prompt_tokens\":");
        write_opt(&mut self.out, s.prompt_tokens, write_i64);
        self.key(",\"completion_tokens\":");
        write_opt(&mut self.out, s.completion_tokens, write_i64);
        self.key(",\"metadata\":");
        self.metadata(&s.metadata);
        self.key(",\"start_time\":");
        self.time(s.start_time);
        self.key(",\"end_time\":");
        self.opt_time(s.end_time);
        self.out.push(b'}');
    }

    fn event(&mut self, e: &EventView<'_>) {
        self.key("{\"id\":");
        self.id(e.id);
        self.key(",\"span_id\":");
        self.opt_id(e.span_id);
        self.key(",\"level\":");
        write_plain_str(&mut self.out, e.level.as_str());
        self.key(",\"message\":");
        self.bounded_str(&e.message);
        self.key(",\"metadata\":");
        self.metadata(&e.metadata);
        self.key(",\"timestamp\":");
        self.time(e.timestamp);
        self.out.push(b'}');
    }

    /// Tags: a key→value object when any key/value tag is set (plain labels join it with an
    /// empty value), otherwise a list of labels. At most `max_tags` entries of
    /// `max_tag_chars` each.
    fn tags(&mut self, t: &TraceView<'_>) {
        let (max_tags, max_chars) = (self.limits.max_tags, self.limits.max_tag_chars);
        let total = t.tags.len() + t.tag_map.len();
        if total > max_tags {
            self.cuts.dropped_tags += (total - max_tags) as u64;
        }
        if t.tag_map.is_empty() {
            self.out.push(b'[');
            for (i, label) in t.tags.iter().take(max_tags).enumerate() {
                if i > 0 {
                    self.out.push(b',');
                }
                let label = self.chars(label, max_chars);
                write_str(&mut self.out, &label);
            }
            self.out.push(b']');
            return;
        }
        // Kept in key order whatever the view's order (a record's tags are a sorted map). Cut
        // keys can collide and labels can repeat keys: a map settles both.
        let mut keyed: Vec<_> = t.tag_map.iter().collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let mut map = Map::new();
        for (k, v) in keyed.into_iter().take(max_tags) {
            let (k, v) = (self.chars(k, max_chars).into_owned(), self.chars(v, max_chars).into_owned());
            map.insert(k, Value::String(v));
        }
        for label in t.tags.iter().take(max_tags.saturating_sub(map.len())) {
            let label = self.chars(label, max_chars).into_owned();
            map.entry(label).or_insert_with(|| Value::String(String::new()));
        }
        write_map(&mut self.out, &map);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorInfo, EventRecord, SpanRecord, SpanType, TraceRecord};
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
        let (bytes, cuts) = encode_trace(&TraceView::from(&fixed_trace()), DEFAULTS, &Limits::default());
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
        let (bytes, cuts) = encode_trace(&TraceView::from(&t), DEFAULTS, &limits);
        assert_eq!(cuts.truncated_fields, 1);
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let input = v["input"].as_str().unwrap();
        assert!(input.len() <= 1000 && input.ends_with("[truncated, 5000 bytes]"));
    }

    #[test]
    fn tags_become_a_map_when_keyed_and_are_bounded() {
        let mut t = fixed_trace();
        t.tags = vec!["beta".into()];
        let (b, _) = encode_trace(&TraceView::from(&t), DEFAULTS, &Limits::default());
        assert_eq!(serde_json::from_slice::<Value>(&b).unwrap()["tags"], json!(["beta"]));
        t.tag_map.insert("tier".into(), "pro".into());
        t.tag_map.insert("k".repeat(70), "v".into());
        let (b, cuts) = encode_trace(&TraceView::from(&t), DEFAULTS, &Limits::default());
        let tags = &serde_json::from_slice::<Value>(&b).unwrap()["tags"];
        assert_eq!(tags["tier"], "pro");
        assert_eq!(tags["beta"], "");
        assert_eq!(tags["k".repeat(64)], "v");
        assert_eq!(cuts.truncated_fields, 1);
        for i in 0..30 {
            t.tag_map.insert(format!("t{i}"), "x".into());
        }
        let (b, cuts) = encode_trace(&TraceView::from(&t), DEFAULTS, &Limits::default());
        assert_eq!(serde_json::from_slice::<Value>(&b).unwrap()["tags"].as_object().unwrap().len(), 20);
        assert_eq!(cuts.dropped_tags, 13);
    }

    #[test]
    fn events_are_sent_inside_their_trace() {
        let mut t = fixed_trace();
        let mut e = EventRecord::new(crate::model::Level::Warn, "cache miss");
        e.span_id = Some(t.spans[0].id);
        t.events.push(e);
        let (b, _) = encode_trace(&TraceView::from(&t), DEFAULTS, &Limits::default());
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
        let (b, _) = encode_trace(&TraceView::from(&t), DEFAULTS, &Limits::default());
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["input"], r#"{"big":1e+21,"float_integral":1,"frac":0.1,"int":1,"neg_zero":0,"small":1.5e-7}"#);
        let text = String::from_utf8(b).unwrap();
        assert!(text.contains(r#""cost":2,"#) && text.contains(r#""ratio":3}"#), "{text}");
    }
}
