//! The engine's own HTTP shipping (`trulayer_core::Client`) against the real collector: what
//! every SDK sends must be accepted and come back intact, compressed or not.

mod common;

use std::time::Duration;

use common::{Collector, TempDir};
use reqwest::StatusCode;
use serde_json::json;
use trulayer_core::{Client, Config, ErrorInfo, EventRecord, Finished, Level, SpanRecord, SpanType, TraceRecord};

/// Sends one trace with nested spans and an event through a core client; returns its ids.
fn ship(url: &str, compression: &str) -> (String, String, String) {
    let mut b = Config::builder();
    for (k, v) in [("api_key", "k"), ("endpoint", url), ("project", "sdk-name"), ("compression", compression), ("mode", "remote")] {
        b.set(k, v).unwrap();
    }
    let client = Client::new(b.build_without_env().unwrap());
    let mut t = TraceRecord::new("core-e2e");
    t.input = Some(json!({"question": "why?"}));
    t.tag_map.insert("env".into(), "ci".into());
    let root = SpanRecord::new("agent", SpanType::Agent);
    let mut llm = SpanRecord::new("chat", SpanType::Llm);
    llm.parent_span_id = Some(root.id);
    llm.model = Some("gpt-4o".into());
    llm.prompt_tokens = Some(100);
    llm.completion_tokens = Some(20);
    llm.error = Some(ErrorInfo::new(Some("RateLimitError"), "429 slow down"));
    let mut event = EventRecord::new(Level::Warn, "retrying");
    event.span_id = Some(llm.id);
    t.events.push(event);
    let ids = (t.id.to_string(), root.id.to_string(), llm.id.to_string());
    t.spans = vec![root, llm];
    assert!(matches!(client.finish(t), Finished::Kept));
    assert!(client.flush(Duration::from_secs(10)), "flush timed out");
    assert!(client.shutdown(Duration::from_secs(5)));
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn traces_shipped_by_the_core_client_are_stored_intact() {
    let dir = TempDir::new();
    let c = Collector::start(&dir.0.join("t.db"), &[("k", "proj")]).await;
    for compression in ["gzip", "none"] {
        let url = c.url.clone();
        let (trace_id, root_id, llm_id) = tokio::task::spawn_blocking(move || ship(&url, compression)).await.unwrap();
        let (status, t) = c.get(&format!("/v1/traces/{trace_id}"), "k").await;
        assert_eq!(status, StatusCode::OK, "{compression}: {t}");
        assert_eq!(t["project_id"], "proj");
        assert_eq!(t["input"], r#"{"question":"why?"}"#);
        assert_eq!(t["tag_map"], json!({"env": "ci"}));
        assert_eq!(t["model"], "gpt-4o");
        assert_eq!(t["total_token_count"], 120);
        let spans = t["spans"].as_array().unwrap();
        let llm = spans.iter().find(|s| s["id"] == llm_id.as_str()).unwrap();
        assert_eq!(llm["parent_span_id"], root_id.as_str());
        assert_eq!(llm["error"], "RateLimitError: 429 slow down");
        assert_eq!(t["events"][0]["span_id"], llm_id.as_str());
        assert_eq!(t["events"][0]["level"], "warn");
        let (_, page) = c.get("/v1/traces?failure_type=rate_limit&tag_key=env&tag_value=ci&model=gpt-4o", "k").await;
        assert!(page["traces"].as_array().unwrap().iter().any(|x| x["id"] == trace_id.as_str()), "{compression}");
    }
}
