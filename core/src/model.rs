//! The records a binding fills while the user's code runs.
//!
//! Fields are public: a binding converts the user's values once, at set time, and hands a
//! whole [`TraceRecord`] to [`crate::Client::finish`]. Payloads (`input`, `output`) stay
//! structured until encoding so scrubbing can reach strings nested inside them; on the wire
//! they travel as strings (structured values as compact JSON text).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::clock::Timestamp;
use crate::ids::{new_id, Uuid};

/// A user payload: a string stays a string on the wire, anything else becomes JSON text.
pub type Payload = Value;
pub type Metadata = Map<String, Value>;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SpanType {
    Llm,
    Retrieval,
    Tool,
    Custom,
    Agent,
    /// Any other label; the collector stores it as-is.
    Other(String),
}

impl SpanType {
    pub fn parse(s: &str) -> SpanType {
        match s {
            "llm" => SpanType::Llm,
            "retrieval" => SpanType::Retrieval,
            "tool" => SpanType::Tool,
            "custom" | "" => SpanType::Custom,
            "agent" => SpanType::Agent,
            other => SpanType::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            SpanType::Llm => "llm",
            SpanType::Retrieval => "retrieval",
            SpanType::Tool => "tool",
            SpanType::Custom => "custom",
            SpanType::Agent => "agent",
            SpanType::Other(s) => s,
        }
    }
}

impl Default for SpanType {
    fn default() -> Self {
        SpanType::Custom
    }
}

/// A recorded failure: the exception type (when the language has one) and its message.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorInfo {
    pub kind: Option<String>,
    pub message: String,
}

impl ErrorInfo {
    pub fn new(kind: Option<&str>, message: impl Into<String>) -> Self {
        ErrorInfo { kind: kind.filter(|k| !k.is_empty()).map(str::to_owned), message: message.into() }
    }

    /// The wire form: `"Kind: message"`, or the message alone.
    pub fn to_wire(&self) -> String {
        ErrorInfo::wire(self.kind.as_deref(), &self.message).into_owned()
    }

    /// The wire form of a failure of type `kind` (none when empty) with `message`.
    pub fn wire<'a>(kind: Option<&'a str>, message: &'a str) -> Cow<'a, str> {
        match kind.filter(|k| !k.is_empty()) {
            Some(k) if message.is_empty() => Cow::Borrowed(k),
            Some(k) => Cow::Owned(format!("{k}: {message}")),
            None => Cow::Borrowed(message),
        }
    }
}

impl fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

/// Classified provider failures, stored in span `metadata.failure_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureType {
    Timeout,
    RateLimit,
    InvalidResponse,
    ContextLength,
}

impl FailureType {
    pub const ALL: [FailureType; 4] =
        [FailureType::Timeout, FailureType::RateLimit, FailureType::InvalidResponse, FailureType::ContextLength];

    pub fn as_str(self) -> &'static str {
        match self {
            FailureType::Timeout => "timeout",
            FailureType::RateLimit => "rate_limit",
            FailureType::InvalidResponse => "invalid_response",
            FailureType::ContextLength => "context_length",
        }
    }

    pub fn parse(s: &str) -> Option<FailureType> {
        FailureType::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// Classifies a provider error from its type name, HTTP status and message, the way the
    /// collector classifies a span whose `failure_type` is missing. `None` when nothing fits.
    pub fn classify(kind: &str, status: Option<u16>, message: &str) -> Option<FailureType> {
        let text = format!("{kind} {message}").to_ascii_lowercase();
        if status == Some(429) || text.contains("ratelimit") || text.contains("rate limit") || text.contains("rate_limit") {
            return Some(FailureType::RateLimit);
        }
        if text.contains("context_length") || text.contains("context length") || text.contains("maximum context")
            || text.contains("too many tokens") || text.contains("prompt is too long")
        {
            return Some(FailureType::ContextLength);
        }
        if status == Some(408) || text.contains("timeout") || text.contains("timed out") {
            return Some(FailureType::Timeout);
        }
        if text.contains("json") || text.contains("decode") || text.contains("invalid response")
            || text.contains("apiresponsevalidation") || text.contains("parse")
        {
            return Some(FailureType::InvalidResponse);
        }
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warn" | "warning" => Some(Level::Warn),
            "error" => Some(Level::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    pub id: Uuid,
    pub span_id: Option<Uuid>,
    pub level: Level,
    pub message: String,
    pub metadata: Metadata,
    pub timestamp: Timestamp,
}

impl EventRecord {
    pub fn new(level: Level, message: impl Into<String>) -> Self {
        EventRecord {
            id: new_id(),
            span_id: None,
            level,
            message: message.into(),
            metadata: Metadata::new(),
            timestamp: Timestamp::now(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SpanRecord {
    pub id: Uuid,
    pub parent_span_id: Option<Uuid>,
    pub name: String,
    pub span_type: SpanType,
    pub input: Option<Payload>,
    pub output: Option<Payload>,
    pub model: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub cost: Option<f64>,
    pub error: Option<ErrorInfo>,
    pub metadata: Metadata,
    pub start_time: Timestamp,
    pub end_time: Option<Timestamp>,
    pub latency_ms: Option<u64>,
}

impl SpanRecord {
    pub fn new(name: impl Into<String>, span_type: SpanType) -> Self {
        SpanRecord {
            id: new_id(),
            parent_span_id: None,
            name: name.into(),
            span_type,
            input: None,
            output: None,
            model: None,
            prompt_tokens: None,
            completion_tokens: None,
            cost: None,
            error: None,
            metadata: Metadata::new(),
            start_time: Timestamp::now(),
            end_time: None,
            latency_ms: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TraceRecord {
    pub id: Uuid,
    /// The project name; the client's configured project when `None`.
    pub project: Option<String>,
    /// The deployment environment; the client's configured environment when `None`.
    pub environment: Option<String>,
    pub session_id: Option<String>,
    pub external_id: Option<String>,
    pub user_id: Option<String>,
    pub name: String,
    pub input: Option<Payload>,
    pub output: Option<Payload>,
    pub model: Option<String>,
    pub cost: Option<f64>,
    pub error: Option<ErrorInfo>,
    /// Plain labels. Sent as a string list unless `tag_map` has entries (see encode).
    pub tags: Vec<String>,
    pub tag_map: BTreeMap<String, String>,
    pub metadata: Metadata,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub latency_ms: Option<u64>,
    pub spans: Vec<SpanRecord>,
    pub events: Vec<EventRecord>,
    /// A sampling decision made by the binding (a user callable). `None`: the core decides
    /// from `sample_rate` and the trace id.
    pub sampled: Option<bool>,
}

impl TraceRecord {
    pub fn new(name: impl Into<String>) -> Self {
        TraceRecord {
            id: new_id(),
            project: None,
            environment: None,
            session_id: None,
            external_id: None,
            user_id: None,
            name: name.into(),
            input: None,
            output: None,
            model: None,
            cost: None,
            error: None,
            tags: Vec::new(),
            tag_map: BTreeMap::new(),
            metadata: Metadata::new(),
            started_at: Timestamp::now(),
            ended_at: None,
            latency_ms: None,
            spans: Vec::new(),
            events: Vec::new(),
            sampled: None,
        }
    }

    /// True when the trace or any of its spans recorded an error; such traces are always kept.
    pub fn has_error(&self) -> bool {
        self.error.is_some() || self.spans.iter().any(|s| s.error.is_some())
    }

    /// A cheap estimate of the memory this record holds, used for the queue's byte bound.
    pub fn approx_bytes(&self) -> usize {
        let mut n = 256 + self.name.len() + payload_bytes(&self.input) + payload_bytes(&self.output);
        n += opt_len(&self.session_id) + opt_len(&self.external_id) + opt_len(&self.user_id) + opt_len(&self.model);
        n += self.error.as_ref().map_or(0, |e| e.message.len() + e.kind.as_ref().map_or(0, String::len));
        n += self.tags.iter().map(String::len).sum::<usize>();
        n += self.tag_map.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        n += map_bytes(&self.metadata);
        for s in &self.spans {
            n += 256 + s.name.len() + payload_bytes(&s.input) + payload_bytes(&s.output) + opt_len(&s.model);
            n += s.error.as_ref().map_or(0, |e| e.message.len()) + map_bytes(&s.metadata);
        }
        for e in &self.events {
            n += 128 + e.message.len() + map_bytes(&e.metadata);
        }
        n
    }
}

fn opt_len(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, String::len)
}

fn payload_bytes(p: &Option<Payload>) -> usize {
    p.as_ref().map_or(0, value_bytes)
}

fn map_bytes(m: &Metadata) -> usize {
    m.iter().map(|(k, v)| k.len() + value_bytes(v)).sum()
}

pub(crate) fn value_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 2,
        Value::Array(a) => 2 + a.iter().map(value_bytes).sum::<usize>(),
        Value::Object(m) => 2 + map_bytes(m),
        _ => 8,
    }
}

/// Feedback on a trace, sent synchronously by `submit_feedback`.
#[derive(Clone, Debug, PartialEq)]
pub struct Feedback {
    pub trace_id: Uuid,
    pub label: Option<String>,
    pub score: Option<f64>,
    pub comment: Option<String>,
    pub metadata: Metadata,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_types_round_trip_and_keep_unknown_labels() {
        for s in ["llm", "retrieval", "tool", "custom", "agent", "chain"] {
            assert_eq!(SpanType::parse(s).as_str(), s);
        }
        assert_eq!(SpanType::parse(""), SpanType::Custom);
    }

    #[test]
    fn error_wire_form_carries_type_and_message() {
        assert_eq!(ErrorInfo::new(Some("ValueError"), "boom").to_wire(), "ValueError: boom");
        assert_eq!(ErrorInfo::new(None, "boom").to_wire(), "boom");
        assert_eq!(ErrorInfo::new(Some(""), "boom").to_wire(), "boom");
    }

    #[test]
    fn provider_failures_are_classified() {
        assert_eq!(FailureType::classify("RateLimitError", Some(429), "slow down"), Some(FailureType::RateLimit));
        assert_eq!(FailureType::classify("APITimeoutError", None, "Request timed out."), Some(FailureType::Timeout));
        assert_eq!(
            FailureType::classify("BadRequestError", Some(400), "This model's maximum context length is 8192 tokens"),
            Some(FailureType::ContextLength)
        );
        assert_eq!(FailureType::classify("JSONDecodeError", None, "Expecting value"), Some(FailureType::InvalidResponse));
        assert_eq!(FailureType::classify("KeyError", None, "x"), None);
    }

    #[test]
    fn errors_in_spans_mark_the_trace() {
        let mut t = TraceRecord::new("t");
        assert!(!t.has_error());
        let mut s = SpanRecord::new("s", SpanType::Tool);
        s.error = Some(ErrorInfo::new(None, "x"));
        t.spans.push(s);
        assert!(t.has_error());
    }
}
