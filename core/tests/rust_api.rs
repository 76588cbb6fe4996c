//! The Rust API as a Rust service uses it: guards, nesting, errors, local mode.

use serde_json::Value;
use trulayer_core::{Client, Config, Level, SpanType};

fn only_trace(client: &Client) -> Value {
    let traces = client.local_traces();
    assert_eq!(traces.len(), 1);
    serde_json::from_str(&traces[0]).unwrap()
}

#[test]
fn spans_nest_by_parent_and_end_with_their_guards() {
    let client = Client::new(Config::local("rust-api"));
    let trace_id;
    {
        let trace = client.trace("agent_turn");
        trace_id = trace.id();
        trace.set_session_id("conv-1");
        trace.set_tag("tier", "pro");
        let outer = trace.span("plan", SpanType::Agent);
        {
            let mut llm = outer.child("generate", SpanType::Llm);
            llm.set_model("gpt-4o-mini");
            llm.set_tokens(10, 20);
            llm.event(Level::Info, "first token");
        }
        drop(outer);
        assert!(client.local_traces().is_empty(), "nothing is queued before the root scope ends");
    }
    let t = only_trace(&client);
    assert_eq!(t["id"], trace_id.to_string());
    assert_eq!(t["session_id"], "conv-1");
    assert_eq!(t["tags"]["tier"], "pro");
    let spans = t["spans"].as_array().unwrap();
    let plan = spans.iter().find(|s| s["name"] == "plan").unwrap();
    let generate = spans.iter().find(|s| s["name"] == "generate").unwrap();
    assert_eq!(generate["parent_span_id"], plan["id"]);
    assert_eq!(plan["parent_span_id"], Value::Null);
    assert_eq!((generate["prompt_tokens"].as_i64(), generate["completion_tokens"].as_i64()), (Some(10), Some(20)));
    assert_eq!(t["events"][0]["span_id"], generate["id"]);
    assert!(t["ended_at"].as_str().unwrap() >= t["started_at"].as_str().unwrap());
}

#[test]
fn a_span_outliving_its_trace_is_counted_not_lost_silently() {
    let client = Client::new(Config::local("rust-api"));
    let trace = client.trace("short");
    let span = trace.span("slow", SpanType::Tool);
    trace.end();
    span.end();
    assert_eq!(client.stats().late_spans, 1);
    assert_eq!(only_trace(&client)["spans"], Value::Array(vec![]));
}

#[test]
fn errors_are_recorded_with_type_and_message() {
    let client = Client::new(Config::local("rust-api"));
    {
        let trace = client.trace("fails");
        let mut span = trace.span("call", SpanType::Llm);
        span.set_error(Some("RateLimitError"), "slow down");
        span.set_metadata("failure_type", "rate_limit");
        trace.set_error(Some("RuntimeError"), "gave up");
    }
    let t = only_trace(&client);
    assert_eq!(t["error"], "RuntimeError: gave up");
    assert_eq!(t["spans"][0]["error"], "RateLimitError: slow down");
    assert_eq!(t["spans"][0]["metadata"]["failure_type"], "rate_limit");
}

#[test]
fn disabled_clients_record_nothing() {
    let mut b = Config::builder();
    b.set("enabled", "false").unwrap();
    let client = Client::new(b.build_without_env().unwrap());
    client.trace("ignored").end();
    assert_eq!(client.stats().finished, 0);
}
