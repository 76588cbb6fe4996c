//! Response JSON for stored traces: the `Trace` and `Span` shapes of seed 003 with roll-ups.

use serde_json::{json, Map, Value};

use crate::query::TraceRow;
use crate::rollup;
use crate::timefmt;

fn take(body: &mut Map<String, Value>, key: &str) -> Value {
    body.remove(key).unwrap_or(Value::Null)
}

/// Tags as seed 003 renders them: `tags` lists labels (`key:value` for keyed tags) and
/// `tag_map` holds keyed tags, omitted when there are none.
fn tags(sent: Value) -> (Value, Option<Value>) {
    match sent {
        Value::Object(map) if !map.is_empty() => {
            let list = map
                .iter()
                .map(|(k, v)| match v.as_str() {
                    Some("") | None => Value::String(k.clone()),
                    Some(v) => Value::String(format!("{k}:{v}")),
                })
                .collect();
            (Value::Array(list), Some(Value::Object(map)))
        }
        Value::Array(list) => (Value::Array(list), None),
        _ => (Value::Array(Vec::new()), None),
    }
}

fn span_json(mut span: Map<String, Value>, project: &str, created_at: &str) -> Value {
    let cost = rollup::span_cost(&span);
    let latency = rollup::span_latency_ms(&span);
    let mut out = Map::new();
    out.insert("id".into(), take(&mut span, "id"));
    out.insert("created_at".into(), json!(created_at));
    out.insert("tenant_id".into(), json!(project));
    for key in ["trace_id", "name", "type", "parent_span_id", "input", "output", "model"] {
        out.insert(key.into(), take(&mut span, key));
    }
    out.insert("latency_ms".into(), json!(latency));
    out.insert("cost".into(), json!(cost));
    for key in ["error", "prompt_tokens", "completion_tokens", "metadata", "start_time", "end_time", "otel_trace_id", "otel_span_id"] {
        out.insert(key.into(), take(&mut span, key));
    }
    out.extend(span); // fields a newer SDK sends that this version does not know
    Value::Object(out)
}

/// Renders a stored trace. `detail` adds events and `control_loop_depth` (trace view only).
pub fn trace_json(row: &TraceRow, project: &str, detail: bool) -> Value {
    let mut body: Map<String, Value> = match serde_json::from_str(&row.body) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let created_at = timefmt::format(row.created_us);
    let spans: Vec<Value> = match take(&mut body, "spans") {
        Value::Array(s) => s,
        _ => Vec::new(),
    };
    let (tag_list, tag_map) = tags(take(&mut body, "tags"));
    let mut out = Map::new();
    out.insert("id".into(), take(&mut body, "id"));
    out.insert("project_id".into(), json!(project));
    out.insert("error".into(), take(&mut body, "error"));
    out.insert("tags".into(), tag_list);
    out.insert("started_at".into(), take(&mut body, "started_at"));
    for key in ["session_id", "external_id", "name", "input", "output"] {
        out.insert(key.into(), take(&mut body, key));
    }
    body.remove("model");
    body.remove("latency_ms");
    body.remove("cost");
    out.insert("model".into(), json!(row.model));
    out.insert("latency_ms".into(), json!(row.latency_ms));
    out.insert("cost".into(), json!(row.cost));
    out.insert("total_token_count".into(), json!(row.prompt_tokens + row.completion_tokens));
    out.insert("prompt_tokens_total".into(), json!(row.prompt_tokens));
    out.insert("completion_tokens_total".into(), json!(row.completion_tokens));
    if let Some(map) = tag_map {
        out.insert("tag_map".into(), map);
    }
    out.insert("metadata".into(), take(&mut body, "metadata"));
    out.insert("span_count".into(), json!(row.span_count));
    if detail {
        out.insert("control_loop_depth".into(), json!(rollup::span_depth(&spans)));
    }
    let spans = spans
        .into_iter()
        .map(|s| match s {
            Value::Object(m) => span_json(m, project, &created_at),
            other => other,
        })
        .collect();
    out.insert("spans".into(), Value::Array(spans));
    out.insert("ended_at".into(), take(&mut body, "ended_at"));
    let events = take(&mut body, "events");
    if detail {
        out.insert("events".into(), if events.is_null() { json!([]) } else { events });
    }
    out.extend(body); // environment, user_id and fields from newer SDKs
    Value::Object(out)
}
