//! Per-span and per-trace derived numbers. Used at ingest (stored columns that filters use)
//! and when rendering spans, so a list and a detail view always agree.

use serde_json::{Map, Value};
use trulayer_core::{pricing, FailureType};

fn int(span: &Map<String, Value>, key: &str) -> Option<i64> {
    span.get(key).and_then(Value::as_i64)
}

pub fn prompt_tokens(span: &Map<String, Value>) -> i64 {
    int(span, "prompt_tokens").unwrap_or(0)
}

pub fn completion_tokens(span: &Map<String, Value>) -> i64 {
    int(span, "completion_tokens").unwrap_or(0)
}

/// The span's own cost, else `metadata.cost_usd`, else the price table applied to its tokens.
pub fn span_cost(span: &Map<String, Value>) -> Option<f64> {
    if let Some(c) = span.get("cost").and_then(Value::as_f64) {
        return Some(c);
    }
    if let Some(c) = span.get("metadata").and_then(|m| m.get("cost_usd")).and_then(Value::as_f64) {
        return Some(c);
    }
    let model = span.get("model")?.as_str()?;
    if int(span, "prompt_tokens").is_none() && int(span, "completion_tokens").is_none() {
        return None;
    }
    pricing::cost_usd(model, prompt_tokens(span), completion_tokens(span))
}

/// The span's latency as sent, else the distance between its start and end times.
pub fn span_latency_ms(span: &Map<String, Value>) -> Option<i64> {
    if let Some(l) = int(span, "latency_ms") {
        return Some(l);
    }
    let start = crate::timefmt::parse(span.get("start_time")?.as_str()?)?;
    let end = crate::timefmt::parse(span.get("end_time")?.as_str()?)?;
    Some(((end - start) / 1000).max(0))
}

fn text<'a>(span: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    span.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The span's failure type: `metadata.failure_type` when the SDK classified it, else a
/// classification of its error text.
pub fn span_failure(span: &Map<String, Value>) -> Option<FailureType> {
    let tagged = span.get("metadata").and_then(|m| m.get("failure_type")).and_then(Value::as_str).and_then(FailureType::parse);
    tagged.or_else(|| text(span, "error").and_then(|e| FailureType::classify("", None, e)))
}

pub fn has_error(obj: &Map<String, Value>) -> bool {
    text(obj, "error").is_some()
}

/// The trace's model: its own, else the first span model (LLM spans first).
pub fn trace_model(trace: &Map<String, Value>, spans: &[Value]) -> Option<String> {
    if let Some(m) = text(trace, "model") {
        return Some(m.to_owned());
    }
    let model_of = |s: &Value| s.as_object().and_then(|s| text(s, "model")).map(str::to_owned);
    let is_llm = |s: &&Value| s.get("type").and_then(Value::as_str) == Some("llm");
    spans.iter().filter(is_llm).find_map(model_of).or_else(|| spans.iter().find_map(model_of))
}

/// Nesting depth of the span tree (1 for flat spans, 0 without spans).
pub fn span_depth(spans: &[Value]) -> i64 {
    let parent: std::collections::HashMap<&str, &str> = spans
        .iter()
        .filter_map(|s| Some((s.get("id")?.as_str()?, s.get("parent_span_id")?.as_str()?)))
        .collect();
    spans
        .iter()
        .filter_map(|s| s.get("id")?.as_str())
        .map(|id| {
            let (mut depth, mut cur) = (1, id);
            // Bounded walk: a cycle in client-sent parent ids must not hang the server.
            while let Some(p) = parent.get(cur) {
                if depth > spans.len() as i64 {
                    break;
                }
                depth += 1;
                cur = p;
            }
            depth
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn cost_prefers_span_then_metadata_then_price_table() {
        assert_eq!(span_cost(&obj(json!({"cost": 0.5, "metadata": {"cost_usd": 9}}))), Some(0.5));
        assert_eq!(span_cost(&obj(json!({"metadata": {"cost_usd": 0.25}, "model": "gpt-4o"}))), Some(0.25));
        let priced = span_cost(&obj(json!({"model": "gpt-4o", "prompt_tokens": 1000, "completion_tokens": 100})));
        assert_eq!(priced, pricing::cost_usd("gpt-4o", 1000, 100));
        assert!(priced.unwrap() > 0.0);
        assert_eq!(span_cost(&obj(json!({"model": "no-such-model", "prompt_tokens": 5}))), None);
    }

    #[test]
    fn failure_type_comes_from_metadata_or_error_text() {
        assert_eq!(span_failure(&obj(json!({"metadata": {"failure_type": "rate_limit"}}))), Some(FailureType::RateLimit));
        assert_eq!(span_failure(&obj(json!({"error": "TimeoutError: request timed out"}))), Some(FailureType::Timeout));
        assert_eq!(span_failure(&obj(json!({"error": null}))), None);
    }

    #[test]
    fn depth_follows_parents_and_survives_cycles() {
        let spans = vec![json!({"id": "a"}), json!({"id": "b", "parent_span_id": "a"}), json!({"id": "c", "parent_span_id": "b"})];
        assert_eq!(span_depth(&spans), 3);
        let cyclic = vec![json!({"id": "a", "parent_span_id": "b"}), json!({"id": "b", "parent_span_id": "a"})];
        assert!(span_depth(&cyclic) <= 3);
    }
}
