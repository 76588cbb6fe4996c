//! A finished trace as the encoder reads it: every field borrowed.
//!
//! The core's own [`TraceRecord`] lends itself as a view (`TraceView::from(&record)`). A
//! binding that holds a finished trace in a form of its own (the Node binding's packed trace)
//! builds a view over it directly, so the trace is encoded without first being copied into a
//! record of owned strings and freed again. Such a view may carry structured payloads and
//! metadata as JSON text: the encoder writes text that already is its own rendering as it is
//! and parses the rest. [`TraceView::to_record`] turns a view into a record where one is
//! needed (scrubbing rewrites values; local mode keeps records).

use std::borrow::Cow;

use serde_json::Value;

use super::canonical::is_canonical_json;
use crate::clock::Timestamp;
use crate::ids::Uuid;
use crate::model::{value_bytes, ErrorInfo, EventRecord, Level, Metadata, Payload, SpanRecord, SpanType, TraceRecord};

/// A string of a view: borrowed, or owned when the binding had to convert it.
pub type Text<'a> = Cow<'a, str>;

#[derive(Clone, Debug)]
pub struct TraceView<'a> {
    pub id: Uuid,
    pub project: Option<Text<'a>>,
    pub environment: Option<Text<'a>>,
    pub session_id: Option<Text<'a>>,
    pub external_id: Option<Text<'a>>,
    pub user_id: Option<Text<'a>>,
    pub name: Text<'a>,
    pub outcome: Outcome<'a>,
    pub tags: Vec<Text<'a>>,
    /// Key→value tags, in any order (the encoder sorts them, as a record's map is sorted).
    pub tag_map: Vec<(Text<'a>, Text<'a>)>,
    pub metadata: MetadataView<'a>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub spans: Vec<SpanView<'a>>,
    pub events: Vec<EventView<'a>>,
    /// As [`TraceRecord::sampled`].
    pub sampled: Option<bool>,
}

/// What a trace and a span both record about their work.
#[derive(Clone, Debug, Default)]
pub struct Outcome<'a> {
    pub input: Option<PayloadView<'a>>,
    pub output: Option<PayloadView<'a>>,
    pub model: Option<Text<'a>>,
    pub latency_ms: Option<u64>,
    pub cost: Option<f64>,
    pub error: Option<ErrorView<'a>>,
}

#[derive(Clone, Debug)]
pub struct SpanView<'a> {
    pub id: Uuid,
    pub parent_span_id: Option<Uuid>,
    pub name: Text<'a>,
    pub span_type: SpanType,
    pub outcome: Outcome<'a>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub metadata: MetadataView<'a>,
    pub start_time: Timestamp,
    pub end_time: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct EventView<'a> {
    pub id: Uuid,
    pub span_id: Option<Uuid>,
    pub level: Level,
    pub message: Text<'a>,
    pub metadata: MetadataView<'a>,
    pub timestamp: Timestamp,
}

/// A payload: on the wire a string as itself, anything else as its compact JSON text.
#[derive(Clone, Debug)]
pub enum PayloadView<'a> {
    Value(&'a Payload),
    /// A string payload.
    Text(Text<'a>),
    /// The JSON text of a structured value. Text that does not parse is sent as a string.
    Json(Text<'a>),
}

#[derive(Clone, Debug)]
pub struct ErrorView<'a> {
    pub kind: Option<Text<'a>>,
    pub message: Text<'a>,
}

impl ErrorView<'_> {
    /// The wire form, as [`ErrorInfo::to_wire`].
    pub fn to_wire(&self) -> Text<'_> {
        ErrorInfo::wire(self.kind.as_deref(), &self.message)
    }
}

/// Metadata: a map, or the JSON text of an object already in the encoder's form (checked
/// when the view is made, so the encoder can copy it as it is).
#[derive(Clone, Debug)]
pub struct MetadataView<'a>(Meta<'a>);

#[derive(Clone, Debug)]
enum Meta<'a> {
    Map(Cow<'a, Metadata>),
    CanonicalJson(Text<'a>),
}

impl<'a> MetadataView<'a> {
    pub fn empty() -> Self {
        MetadataView(Meta::Map(Cow::Owned(Metadata::new())))
    }

    pub fn map(map: &'a Metadata) -> Self {
        MetadataView(Meta::Map(Cow::Borrowed(map)))
    }

    /// Metadata given as JSON text of an object: kept as text when it already is the
    /// encoder's rendering, parsed otherwise. Anything but an object is an error.
    pub fn from_json(text: Text<'a>) -> Result<Self, serde_json::Error> {
        if text.starts_with('{') && is_canonical_json(&text) {
            return Ok(MetadataView(Meta::CanonicalJson(text)));
        }
        serde_json::from_str::<Metadata>(&text).map(|m| MetadataView(Meta::Map(Cow::Owned(m))))
    }

    /// The text to copy to the wire as it is, or the map to render.
    pub(super) fn as_parts(&self) -> Result<&str, &Metadata> {
        match &self.0 {
            Meta::CanonicalJson(text) => Ok(text),
            Meta::Map(map) => Err(map),
        }
    }

    fn to_map(&self) -> Metadata {
        match &self.0 {
            Meta::Map(map) => map.clone().into_owned(),
            // Checked to be a JSON object when the view was made.
            Meta::CanonicalJson(text) => serde_json::from_str(text).unwrap_or_default(),
        }
    }

    fn text_bytes(&self) -> usize {
        match &self.0 {
            Meta::Map(map) => map.iter().map(|(k, v)| k.len() + value_bytes(v)).sum(),
            Meta::CanonicalJson(text) => text.len(),
        }
    }
}

impl<'a> PayloadView<'a> {
    fn of(p: &'a Option<Payload>) -> Option<Self> {
        p.as_ref().map(PayloadView::Value)
    }

    fn to_value(&self) -> Payload {
        match self {
            PayloadView::Value(v) => (*v).clone(),
            PayloadView::Text(s) => Value::String(s.clone().into_owned()),
            PayloadView::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone().into_owned())),
        }
    }

    fn text_bytes(&self) -> usize {
        match self {
            PayloadView::Value(v) => value_bytes(v),
            PayloadView::Text(s) | PayloadView::Json(s) => s.len() + 2,
        }
    }
}

fn text(s: &str) -> Text<'_> {
    Cow::Borrowed(s)
}

fn opt_text(s: &Option<String>) -> Option<Text<'_>> {
    s.as_deref().map(text)
}

fn owned(s: &Option<Text<'_>>) -> Option<String> {
    s.as_ref().map(|s| s.clone().into_owned())
}

impl<'a> Outcome<'a> {
    fn of(
        (input, output, model): (&'a Option<Payload>, &'a Option<Payload>, &'a Option<String>),
        latency_ms: Option<u64>,
        cost: Option<f64>,
        error: &'a Option<ErrorInfo>,
    ) -> Self {
        Outcome {
            input: PayloadView::of(input),
            output: PayloadView::of(output),
            model: opt_text(model),
            latency_ms,
            cost,
            error: error.as_ref().map(|e| ErrorView { kind: opt_text(&e.kind), message: text(&e.message) }),
        }
    }

    fn error_info(&self) -> Option<ErrorInfo> {
        self.error.as_ref().map(|e| ErrorInfo::new(e.kind.as_deref(), e.message.clone().into_owned()))
    }

    fn text_bytes(&self) -> usize {
        let payload = |p: &Option<PayloadView<'_>>| p.as_ref().map_or(4, PayloadView::text_bytes);
        payload(&self.input) + payload(&self.output) + self.model.as_ref().map_or(4, |m| m.len() + 2)
            + self.error.as_ref().map_or(4, |e| e.message.len() + e.kind.as_ref().map_or(0, |k| k.len() + 4))
    }
}

impl<'a> From<&'a TraceRecord> for TraceView<'a> {
    fn from(t: &'a TraceRecord) -> Self {
        TraceView {
            id: t.id,
            project: opt_text(&t.project),
            environment: opt_text(&t.environment),
            session_id: opt_text(&t.session_id),
            external_id: opt_text(&t.external_id),
            user_id: opt_text(&t.user_id),
            name: text(&t.name),
            outcome: Outcome::of((&t.input, &t.output, &t.model), t.latency_ms, t.cost, &t.error),
            tags: t.tags.iter().map(|s| text(s)).collect(),
            tag_map: t.tag_map.iter().map(|(k, v)| (text(k), text(v))).collect(),
            metadata: MetadataView::map(&t.metadata),
            started_at: t.started_at,
            ended_at: t.ended_at,
            spans: t.spans.iter().map(SpanView::from).collect(),
            events: t.events.iter().map(EventView::from).collect(),
            sampled: t.sampled,
        }
    }
}

impl<'a> From<&'a SpanRecord> for SpanView<'a> {
    fn from(s: &'a SpanRecord) -> Self {
        SpanView {
            id: s.id,
            parent_span_id: s.parent_span_id,
            name: text(&s.name),
            span_type: s.span_type.clone(),
            outcome: Outcome::of((&s.input, &s.output, &s.model), s.latency_ms, s.cost, &s.error),
            prompt_tokens: s.prompt_tokens,
            completion_tokens: s.completion_tokens,
            metadata: MetadataView::map(&s.metadata),
            start_time: s.start_time,
            end_time: s.end_time,
        }
    }
}

impl<'a> From<&'a EventRecord> for EventView<'a> {
    fn from(e: &'a EventRecord) -> Self {
        EventView {
            id: e.id,
            span_id: e.span_id,
            level: e.level,
            message: text(&e.message),
            metadata: MetadataView::map(&e.metadata),
            timestamp: e.timestamp,
        }
    }
}

impl TraceView<'_> {
    /// True when the trace or any of its spans recorded an error (see [`TraceRecord::has_error`]).
    pub fn has_error(&self) -> bool {
        self.outcome.error.is_some() || self.spans.iter().any(|s| s.outcome.error.is_some())
    }

    /// About the size of the trace's wire JSON: what the encoder reserves up front.
    pub fn text_bytes(&self) -> usize {
        let opt = |s: &Option<Text<'_>>| s.as_ref().map_or(0, |s| s.len());
        let mut n = 512 + self.name.len() + self.outcome.text_bytes() + self.metadata.text_bytes();
        n += opt(&self.project) + opt(&self.environment) + opt(&self.session_id) + opt(&self.external_id) + opt(&self.user_id);
        n += self.tags.iter().map(|t| t.len() + 3).sum::<usize>();
        n += self.tag_map.iter().map(|(k, v)| k.len() + v.len() + 6).sum::<usize>();
        for s in &self.spans {
            n += 480 + s.name.len() + s.outcome.text_bytes() + s.metadata.text_bytes();
        }
        for e in &self.events {
            n += 200 + e.message.len() + e.metadata.text_bytes();
        }
        n
    }

    /// The view as a record of owned values; JSON text is parsed into values.
    pub fn to_record(&self) -> TraceRecord {
        let payload = |p: &Option<PayloadView<'_>>| p.as_ref().map(PayloadView::to_value);
        TraceRecord {
            id: self.id,
            project: owned(&self.project),
            environment: owned(&self.environment),
            session_id: owned(&self.session_id),
            external_id: owned(&self.external_id),
            user_id: owned(&self.user_id),
            name: self.name.clone().into_owned(),
            input: payload(&self.outcome.input),
            output: payload(&self.outcome.output),
            model: owned(&self.outcome.model),
            cost: self.outcome.cost,
            error: self.outcome.error_info(),
            tags: self.tags.iter().map(|t| t.clone().into_owned()).collect(),
            tag_map: self.tag_map.iter().map(|(k, v)| (k.clone().into_owned(), v.clone().into_owned())).collect(),
            metadata: self.metadata.to_map(),
            started_at: self.started_at,
            ended_at: self.ended_at,
            latency_ms: self.outcome.latency_ms,
            spans: self
                .spans
                .iter()
                .map(|s| SpanRecord {
                    id: s.id,
                    parent_span_id: s.parent_span_id,
                    name: s.name.clone().into_owned(),
                    span_type: s.span_type.clone(),
                    input: payload(&s.outcome.input),
                    output: payload(&s.outcome.output),
                    model: owned(&s.outcome.model),
                    prompt_tokens: s.prompt_tokens,
                    completion_tokens: s.completion_tokens,
                    cost: s.outcome.cost,
                    error: s.outcome.error_info(),
                    metadata: s.metadata.to_map(),
                    start_time: s.start_time,
                    end_time: s.end_time,
                    latency_ms: s.outcome.latency_ms,
                })
                .collect(),
            events: self
                .events
                .iter()
                .map(|e| EventRecord {
                    id: e.id,
                    span_id: e.span_id,
                    level: e.level,
                    message: e.message.clone().into_owned(),
                    metadata: e.metadata.to_map(),
                    timestamp: e.timestamp,
                })
                .collect(),
            sampled: self.sampled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{encode_trace, TraceDefaults};
    use crate::limits::Limits;
    use serde_json::json;

    fn wire(t: &TraceView<'_>) -> Value {
        let defaults = TraceDefaults { project: "p", environment: "e" };
        serde_json::from_slice(&encode_trace(t, defaults, &Limits::default()).0).unwrap()
    }

    #[test]
    fn metadata_text_is_kept_in_the_encoders_form_parsed_otherwise_and_must_be_an_object() {
        let record = TraceRecord::new("t");
        let mut view = TraceView::from(&record);
        for (text, expected) in [(r#"{"a":1,"b":[true]}"#, json!({"a": 1, "b": [true]})), (r#"{"b":1.0,"a":"x"}"#, json!({"a": "x", "b": 1}))] {
            view.metadata = MetadataView::from_json(text.into()).unwrap();
            assert_eq!(wire(&view)["metadata"], expected);
            assert_eq!(Value::Object(view.to_record().metadata), serde_json::from_str::<Value>(text).unwrap());
        }
        assert!(MetadataView::from_json("[1]".into()).is_err());
        assert!(MetadataView::from_json("{\"a\":".into()).is_err());
    }

    #[test]
    fn json_payload_text_that_does_not_parse_is_sent_as_the_string_it_is() {
        let record = TraceRecord::new("t");
        let mut view = TraceView::from(&record);
        view.outcome.input = Some(PayloadView::Json("{not json".into()));
        view.outcome.output = Some(PayloadView::Json("[2.0, 1]".into()));
        let sent = wire(&view);
        assert_eq!((sent["input"].as_str(), sent["output"].as_str()), (Some("{not json"), Some("[2,1]")));
        let record = view.to_record();
        assert_eq!((record.input, record.output), (Some(json!("{not json")), Some(json!([2.0, 1]))));
    }

    #[test]
    fn keyed_tags_are_cut_in_key_order_whatever_order_the_view_has() {
        let mut record = TraceRecord::new("t");
        for i in (0..30).rev() {
            record.tag_map.insert(format!("k{i:02}"), i.to_string());
        }
        let mut view = TraceView::from(&record);
        let sorted = wire(&view)["tags"].clone();
        view.tag_map.reverse();
        assert_eq!(wire(&view)["tags"], sorted);
        assert!(sorted.get("k00").is_some() && sorted.get("k29").is_none(), "{sorted}");
    }
}
