//! The collector's HTTP API, exercised against the real binary.

mod common;

use std::collections::HashSet;

use common::{at, new_id, trace, Collector, TempDir};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn two_projects() -> (TempDir, Collector) {
    let dir = TempDir::new();
    let c = Collector::start(&dir.0.join("t.db"), &[("k1", "p1"), ("k2", "p2")]).await;
    (dir, c)
}

#[tokio::test]
async fn health_is_open_and_every_v1_route_needs_a_known_key() {
    let (_d, c) = two_projects().await;
    let (status, body) = c.send(Method::GET, "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert!(body["time"].as_str().unwrap().ends_with('Z'));

    let id = new_id();
    let routes = [
        (Method::POST, "/v1/ingest".to_owned()),
        (Method::POST, "/v1/ingest/batch".to_owned()),
        (Method::GET, "/v1/traces".to_owned()),
        (Method::GET, format!("/v1/traces/{id}")),
        (Method::POST, "/v1/feedback".to_owned()),
        (Method::POST, "/v1/eval".to_owned()),
        (Method::GET, format!("/v1/eval/{id}")),
        (Method::GET, "/v1/metrics".to_owned()),
    ];
    let unauthorized = json!({"error": "invalid api key", "code": "invalid_api_key"});
    for (method, path) in routes {
        for key in [None, Some("wrong"), Some("")] {
            let (status, body) = c.send(method.clone(), &path, key, Some(&json!({}))).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} with {key:?}");
            assert_eq!(body, unauthorized);
        }
    }
    // A scheme other than Bearer is not accepted either.
    let resp = c.http.get(format!("{}/v1/traces", c.url)).basic_auth("k1", Some("")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn single_ingest_answers_created_then_duplicate_and_keeps_everything_sent() {
    let (_d, c) = two_projects().await;
    let (tid, root, child) = (new_id(), new_id(), new_id());
    let t = json!({
        "id": tid, "project_id": "ignored-name", "session_id": "s-1", "external_id": "ext-9", "name": "rag",
        "input": {"question": "why?"}, "output": "because", "environment": "ci",
        "tags": {"tier": "pro"}, "metadata": {"user": "u1"},
        "started_at": "2024-01-01T00:00:00+00:00", "ended_at": "2024-01-01T00:00:02Z",
        "spans": [
            {"id": root, "name": "agent", "type": "agent", "start_time": at(0), "end_time": at(2)},
            {"id": child, "parent_span_id": root, "name": "llm", "type": "llm", "model": "gpt-4o",
             "input": "q", "output": "a", "prompt_tokens": 7, "completion_tokens": 3,
             "metadata": {"temperature": 0}, "start_time": at(0), "end_time": at(1)}
        ],
        "events": [{"span_id": child, "level": "warn", "message": "slow", "metadata": {"ms": 900}, "timestamp": at(1)}]
    });
    let (status, body) = c.post("/v1/ingest", "k1", &t).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], tid);
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    let (status, body) = c.post("/v1/ingest", "k1", &t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "duplicate"}));

    let (status, got) = c.get(&format!("/v1/traces/{tid}"), "k1").await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["project_id"], "p1", "the key decides the project");
    assert_eq!(got["session_id"], "s-1");
    assert_eq!(got["external_id"], "ext-9");
    assert_eq!(got["input"], r#"{"question":"why?"}"#, "structured payloads become JSON text");
    assert_eq!(got["started_at"], "2024-01-01T00:00:00.000000Z");
    assert_eq!(got["ended_at"], "2024-01-01T00:00:02.000000Z");
    assert_eq!(got["latency_ms"], 2000);
    assert_eq!(got["environment"], "ci");
    assert_eq!(got["metadata"], json!({"user": "u1"}));
    assert_eq!(got["tag_map"], json!({"tier": "pro"}));
    assert_eq!(got["control_loop_depth"], 2);
    let spans = got["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2);
    let llm = spans.iter().find(|s| s["id"] == child).unwrap();
    assert_eq!(llm["parent_span_id"], root);
    assert_eq!(llm["trace_id"], tid);
    assert_eq!(llm["tenant_id"], "p1");
    assert_eq!(llm["type"], "llm");
    assert_eq!(llm["metadata"], json!({"temperature": 0}));
    assert_eq!(llm["latency_ms"], 1000);
    assert_eq!(spans.iter().find(|s| s["id"] == root).unwrap()["type"], "agent");
    let events = got["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["message"], "slow");
    assert_eq!(events[0]["level"], "warn");
    assert_eq!(events[0]["span_id"], child);

    let (status, _) = c.get(&format!("/v1/traces/{}", new_id()), "k1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn batch_ingest_is_idempotent_by_trace_id() {
    let (_d, c) = two_projects().await;
    let ids: Vec<String> = (0..4).map(|_| new_id()).collect();
    let first = c.ingest("k1", ids[..3].iter().enumerate().map(|(i, id)| trace(id, i as i64)).collect()).await;
    assert_eq!(first["ingested"], 3);
    assert_eq!(first["ids"], json!(ids[..3]));
    // A retried batch carrying one new trace stores only that one; a repeat inside a batch too.
    let mut resend: Vec<Value> = ids.iter().enumerate().map(|(i, id)| trace(id, i as i64)).collect();
    resend.push(trace(&ids[3], 3));
    let second = c.ingest("k1", resend).await;
    assert_eq!(second["ingested"], 1);
    assert_eq!(second["ids"].as_array().unwrap().len(), 5);
    let all = c.walk("k1", "", 50).await;
    assert_eq!(all.len(), 4);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 4);
}

#[tokio::test]
async fn a_key_only_sees_its_own_project() {
    let (_d, c) = two_projects().await;
    let id = new_id();
    c.ingest("k1", vec![trace(&id, 0)]).await;
    assert_eq!(c.walk("k2", "", 50).await, Vec::<String>::new());
    assert_eq!(c.walk("k1", "", 50).await, vec![id.clone()]);
    assert_eq!(c.walk("k1", "project_id=p2", 50).await, Vec::<String>::new(), "another project's id matches nothing");
    assert_eq!(c.get(&format!("/v1/traces/{id}"), "k2").await.0, StatusCode::NOT_FOUND);
    let fb = json!({"trace_id": id, "label": "good"});
    assert_eq!(c.post("/v1/feedback", "k2", &fb).await.0, StatusCode::NOT_FOUND);
    let ev = json!({"trace_id": id, "evaluator_type": "rule", "metric_name": "no_error"});
    assert_eq!(c.post("/v1/eval", "k2", &ev).await.0, StatusCode::NOT_FOUND);
    let (_, m) = c.get("/v1/metrics?from=2023-01-01T00:00:00Z", "k2").await;
    assert_eq!(m["total_traces"], 0);
    assert_eq!(m["error_rate"], Value::Null);

    // p1's feedback and evals stay p1's.
    assert_eq!(c.post("/v1/feedback", "k1", &fb).await.0, StatusCode::CREATED);
    let (_, ev1) = c.post("/v1/eval", "k1", &ev).await;
    assert_eq!(c.get(&format!("/v1/eval/{}", ev1["eval_id"].as_str().unwrap()), "k2").await.0, StatusCode::NOT_FOUND);
    assert_eq!(c.get("/v1/feedback", "k2").await.1["feedback"], json!([]));

    // The same id in another project is that project's own trace, not a duplicate of p1's.
    let mut theirs = trace(&id, 0);
    theirs["name"] = json!("p2 version");
    assert_eq!(c.ingest("k2", vec![theirs]).await["ingested"], 1);
    assert_eq!(c.get(&format!("/v1/traces/{id}"), "k1").await.1["name"], "answer");
    assert_eq!(c.get(&format!("/v1/traces/{id}"), "k2").await.1["name"], "p2 version");
}

fn span(name: &str, kind: &str) -> Value {
    json!({"id": new_id(), "name": name, "type": kind})
}

#[tokio::test]
async fn invalid_ingest_bodies_are_400_with_a_code() {
    let (_d, c) = two_projects().await;
    let ok = || trace(&new_id(), 0);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut t = ok();
        f(&mut t);
        json!({"traces": [t]})
    };
    let too_many: Vec<Value> = (0..101).map(|_| ok()).collect();
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!([1, 2]), "invalid_field", "body: must be a JSON object"),
        (json!({}), "missing_field", "traces: required"),
        (json!({"traces": []}), "empty_batch", "traces"),
        (json!({"traces": too_many}), "batch_too_large", "at most 100"),
        (json!({"traces": "x"}), "invalid_field", "traces: must be an array"),
        (json!({"traces": [1]}), "invalid_field", "traces[0]"),
        (with(&|t| t["id"] = json!("not-a-uuid")), "invalid_id", "traces[0].id"),
        (with(&|t| t["spans"] = json!([{"id": new_id(), "type": "llm"}])), "missing_field", "traces[0].spans[0].name"),
        (with(&|t| t["spans"] = json!([{"id": new_id(), "name": "x"}])), "missing_field", "traces[0].spans[0].type"),
        (with(&|t| t["spans"] = json!([{"id": "nope", "name": "x", "type": "llm"}])), "invalid_id", "spans[0].id"),
        (with(&|t| t["spans"][0]["parent_span_id"] = json!("nope")), "invalid_id", "parent_span_id"),
        (with(&|t| t["spans"][0]["prompt_tokens"] = json!(-1)), "invalid_field", "prompt_tokens"),
        (with(&|t| t["spans"][0]["completion_tokens"] = json!(2.5)), "invalid_field", "completion_tokens"),
        (with(&|t| t["spans"][0]["start_time"] = json!("yesterday")), "invalid_field", "start_time"),
        (with(&|t| t["spans"][0]["trace_id"] = json!(new_id())), "invalid_field", "trace_id"),
        (with(&|t| t["latency_ms"] = json!("fast")), "invalid_field", "latency_ms"),
        (with(&|t| t["started_at"] = json!(12)), "invalid_field", "started_at"),
        (with(&|t| t["name"] = json!(5)), "invalid_field", "name"),
        (with(&|t| t["metadata"] = json!([1])), "invalid_field", "metadata"),
        (with(&|t| t["tags"] = json!([1])), "invalid_field", "tags"),
        (with(&|t| t["tags"] = json!({"k": 1})), "invalid_field", "tags"),
        (with(&|t| t["tags"] = json!((0..21).map(|i| i.to_string()).collect::<Vec<_>>())), "invalid_field", "at most 20"),
        (with(&|t| t["tags"] = json!({"k": "v".repeat(65)})), "invalid_field", "64"),
        (with(&|t| t["spans"] = json!("x")), "invalid_field", "spans"),
        (with(&|t| t["events"] = json!([{"level": "info"}])), "missing_field", "events[0].message"),
        (with(&|t| t["events"] = json!([{"message": "m", "level": "loud"}])), "invalid_field", "level"),
    ];
    for (body, code, needle) in cases {
        let (status, resp) = c.post("/v1/ingest/batch", "k1", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(resp["code"], code, "{body} -> {resp}");
        assert!(resp["error"].as_str().unwrap().contains(needle), "{resp} should mention {needle}");
    }
    // A bad trace in a batch rejects the whole batch: nothing was stored.
    assert!(c.walk("k1", "", 50).await.is_empty());

    let resp = c.http.post(format!("{}/v1/ingest", c.url)).bearer_auth("k1").body("{not json").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "invalid_json");
    // Whole floats are accepted as integers.
    let mut t = ok();
    t["latency_ms"] = json!(1500.0);
    t["spans"][0]["prompt_tokens"] = json!(10.0);
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(c.post("/v1/ingest", "k1", &t).await.0, StatusCode::CREATED);
    let (_, got) = c.get(&format!("/v1/traces/{id}"), "k1").await;
    assert_eq!((got["latency_ms"].as_i64(), got["spans"][0]["prompt_tokens"].as_i64(), got["total_token_count"].as_i64()), (Some(1500), Some(10), Some(15)));

    let (status, resp) = c.post("/v1/ingest", "k1", &json!({"spans": [span("", "llm")]})).await;
    assert_eq!((status, resp["code"].as_str()), (StatusCode::BAD_REQUEST, Some("missing_field")));
}

#[tokio::test]
async fn invalid_list_parameters_are_400() {
    let (_d, c) = two_projects().await;
    let cases = [
        ("limit=0", "invalid_parameter"),
        ("limit=201", "invalid_parameter"),
        ("limit=ten", "invalid_parameter"),
        ("limit=-1", "invalid_parameter"),
        ("latency_min=-1", "invalid_parameter"),
        ("latency_min=10&latency_max=5", "invalid_parameter"),
        ("token_count_min=x", "invalid_parameter"),
        ("token_count_min=10&token_count_max=9", "invalid_parameter"),
        ("failure_type=meltdown", "invalid_parameter"),
        ("error=maybe", "invalid_parameter"),
        ("from=yesterday", "invalid_parameter"),
        ("from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z", "invalid_parameter"),
        ("tag_key=env", "error.tags_filter_incomplete"),
        ("tag_value=prod", "error.tags_filter_incomplete"),
        ("cursor=garbage", "invalid_cursor"),
    ];
    for (q, code) in cases {
        let (status, body) = c.get(&format!("/v1/traces?{q}"), "k1").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(body["code"], code, "{q}: {body}");
    }
    for q in ["limit=1", "limit=200", ""] {
        assert_eq!(c.get(&format!("/v1/traces?{q}"), "k1").await.0, StatusCode::OK, "{q}");
    }
    assert_eq!(c.get("/v1/traces/not-a-uuid", "k1").await.1["code"], "invalid_id");
}

#[tokio::test]
async fn every_filter_selects_exactly_the_matching_traces() {
    let (_d, c) = two_projects().await;
    let ids: Vec<String> = (0..6).map(|_| new_id()).collect();
    let mut t: Vec<Value> = ids.iter().enumerate().map(|(i, id)| trace(id, i as i64 * 60)).collect();
    // 0: claude on the span, keyed tags, slow, many tokens.
    t[0]["spans"][0]["model"] = json!("claude-sonnet-4");
    t[0]["tags"] = json!({"env": "prod", "team": "search"});
    t[0]["ended_at"] = json!(at(10));
    t[0]["spans"][0]["prompt_tokens"] = json!(900);
    // 1: trace-level model, error classified from the span's text (timeout).
    t[1]["model"] = json!("gpt-4.1");
    t[1]["spans"][0]["error"] = json!("APITimeoutError: Request timed out.");
    // 2: failure type set by the SDK in span metadata; trace error.
    t[2]["error"] = json!("boom");
    t[2]["spans"][0]["metadata"] = json!({"failure_type": "rate_limit"});
    t[2]["spans"][0]["error"] = json!("provider said no");
    // 3: label tags, context length error text.
    t[3]["tags"] = json!(["beta"]);
    t[3]["spans"][0]["error"] = json!("This model's maximum context length is 8192 tokens");
    // 4: tags map with another value.
    t[4]["tags"] = json!({"env": "dev"});
    // 5: no spans at all.
    t[5]["spans"] = json!([]);
    t[5]["ended_at"] = Value::Null;
    c.ingest("k1", t).await;

    let expect = |idx: &[usize]| -> HashSet<String> { idx.iter().map(|i| ids[*i].clone()).collect() };
    let cases: Vec<(&str, HashSet<String>)> = vec![
        ("", expect(&[0, 1, 2, 3, 4, 5])),
        ("model=claude-sonnet-4", expect(&[0])),
        ("model=gpt-4.1", expect(&[1])),
        ("model=gpt-4o-mini", expect(&[1, 2, 3, 4])),
        ("error=true", expect(&[1, 2, 3])),
        ("error=false", expect(&[0, 4, 5])),
        ("failure_type=timeout", expect(&[1])),
        ("failure_type=rate_limit", expect(&[2])),
        ("failure_type=context_length", expect(&[3])),
        ("failure_type=invalid_response", expect(&[])),
        ("from=2024-01-01T00:02:00Z", expect(&[2, 3, 4, 5])),
        ("to=2024-01-01T00:02:00Z", expect(&[0, 1, 2])),
        ("from=2024-01-01T00:01:00Z&to=2024-01-01T00:03:00Z", expect(&[1, 2, 3])),
        ("latency_min=5000", expect(&[0])),
        ("latency_max=1000", expect(&[1, 2, 3, 4])),
        ("latency_min=1000&latency_max=1000", expect(&[1, 2, 3, 4])),
        ("token_count_min=100", expect(&[0])),
        ("token_count_max=15", expect(&[1, 2, 3, 4, 5])),
        ("token_count_min=1&token_count_max=15", expect(&[1, 2, 3, 4])),
        ("tag_key=env&tag_value=prod", expect(&[0])),
        ("tag_key=env&tag_value=dev", expect(&[4])),
        ("tag_key=team&tag_value=search", expect(&[0])),
        ("tag_key=beta&tag_value=", expect(&[3])),
        ("tag_key=env&tag_value=staging", expect(&[])),
        ("error=true&failure_type=timeout&model=gpt-4.1", expect(&[1])),
        ("project_id=p1&error=false&latency_max=1000", expect(&[4])),
    ];
    for (q, want) in cases {
        let got: HashSet<String> = c.walk("k1", q, 200).await.into_iter().collect();
        assert_eq!(got, want, "filter {q:?}");
    }
}

#[tokio::test]
async fn list_items_carry_the_roll_ups_of_seed_003() {
    let (_d, c) = two_projects().await;
    let id = new_id();
    let t = json!({
        "id": id, "name": "chat", "started_at": at(0), "tags": {"env": "prod"},
        "spans": [
            {"id": new_id(), "name": "a", "type": "llm", "model": "gpt-4o", "prompt_tokens": 1000, "completion_tokens": 100},
            {"id": new_id(), "name": "b", "type": "llm", "model": "gpt-4o", "prompt_tokens": 10, "completion_tokens": 1, "cost": 0.5},
            {"id": new_id(), "name": "c", "type": "llm", "model": "unknown-model", "prompt_tokens": 5, "completion_tokens": 5,
             "metadata": {"cost_usd": 0.25}, "latency_ms": 700, "start_time": at(0), "end_time": at(1)},
            {"id": new_id(), "name": "d", "type": "tool"}
        ]
    });
    c.ingest("k1", vec![t]).await;
    let (_, page) = c.get("/v1/traces", "k1").await;
    let item = &page["traces"][0];
    let priced = trulayer_core::pricing::cost_usd("gpt-4o", 1000, 100).unwrap();
    assert_eq!(item["span_count"], 4);
    assert_eq!(item["prompt_tokens_total"], 1015);
    assert_eq!(item["completion_tokens_total"], 106);
    assert_eq!(item["total_token_count"], 1121);
    assert_eq!(item["model"], "gpt-4o", "first LLM span's model");
    assert_eq!(item["latency_ms"], 1000, "span extent when the trace has no end");
    assert!((item["cost"].as_f64().unwrap() - (priced + 0.5 + 0.25)).abs() < 1e-12, "{}", item["cost"]);
    assert_eq!(item["tags"], json!(["env:prod"]));
    assert_eq!(item["tag_map"], json!({"env": "prod"}));
    assert_eq!(item["project_id"], "p1");
    let spans = item["spans"].as_array().unwrap();
    let by_name = |n: &str| spans.iter().find(|s| s["name"] == n).unwrap();
    assert!((by_name("a")["cost"].as_f64().unwrap() - priced).abs() < 1e-12);
    assert_eq!(by_name("b")["cost"], 0.5);
    assert_eq!(by_name("c")["cost"], 0.25);
    assert_eq!(by_name("c")["latency_ms"], 700, "latency as sent wins over times");
    assert_eq!(by_name("d")["cost"], Value::Null);
    assert!(item.get("events").is_none() && item.get("control_loop_depth").is_none(), "detail-only fields");

    // A trace's own cost and model win over roll-ups.
    let own = new_id();
    let mut t = trace(&own, 100);
    t["cost"] = json!(9.5);
    t["model"] = json!("my-router");
    c.ingest("k1", vec![t]).await;
    let (_, got) = c.get(&format!("/v1/traces/{own}"), "k1").await;
    assert_eq!((got["cost"].as_f64(), got["model"].as_str()), (Some(9.5), Some("my-router")));
}

#[tokio::test]
async fn pagination_walks_every_trace_once_even_with_equal_start_times() {
    let (_d, c) = two_projects().await;
    let mut all = Vec::new();
    for batch in 0..3 {
        // Many traces share a start second, so the cursor must break ties.
        let traces: Vec<Value> = (0..80).map(|i| {
            let id = new_id();
            all.push(id.clone());
            trace(&id, ((batch * 80 + i) / 7) as i64)
        }).collect();
        c.ingest("k1", traces).await;
    }
    // Unfiltered, facet-filtered (model) and column-filtered walks all page the same way.
    for (query, limit) in [("", 1), ("", 7), ("", 50), ("", 200), ("model=gpt-4o-mini", 7), ("model=gpt-4o-mini&error=false&latency_min=0", 13)] {
        let walked = c.walk("k1", query, limit).await;
        assert_eq!(walked.len(), all.len(), "{query} limit {limit}");
        assert_eq!(walked.iter().collect::<HashSet<_>>(), all.iter().collect::<HashSet<_>>(), "{query} limit {limit}");
    }
    // Newest first.
    let (_, page) = c.get("/v1/traces?limit=200", "k1").await;
    let starts: Vec<&str> = page["traces"].as_array().unwrap().iter().map(|t| t["started_at"].as_str().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]));
    let (_, page) = c.get("/v1/traces", "k1").await;
    assert_eq!(page["traces"].as_array().unwrap().len(), 50, "default limit");
}

#[tokio::test]
async fn pagination_is_stable_while_traces_are_being_ingested() {
    let (_d, c) = two_projects().await;
    let mut before = Vec::new();
    let traces: Vec<Value> = (0..100).map(|i| {
        let id = new_id();
        before.push(id.clone());
        trace(&id, i / 3)
    }).collect();
    c.ingest("k1", traces).await;

    let writer = {
        let (url, http) = (c.url.clone(), c.http.clone());
        tokio::spawn(async move {
            // New traces land both before and after the reader's position.
            for round in 0..20i64 {
                let traces: Vec<Value> = (0..10).map(|i| trace(&new_id(), (round * 10 + i) % 40)).collect();
                let resp = http.post(format!("{url}/v1/ingest/batch")).bearer_auth("k1").json(&json!({"traces": traces})).send().await.unwrap();
                assert_eq!(resp.status(), StatusCode::CREATED);
            }
        })
    };
    let walked = c.walk("k1", "", 5).await;
    writer.await.unwrap();
    let seen: HashSet<&String> = walked.iter().collect();
    assert_eq!(seen.len(), walked.len(), "no trace is returned twice");
    for id in &before {
        assert!(seen.contains(id), "trace {id} stored before the walk was skipped");
    }
    assert_eq!(c.walk("k1", "", 200).await.len(), 300);
}

#[tokio::test]
async fn feedback_is_validated_stored_and_listed() {
    let (_d, c) = two_projects().await;
    let id = new_id();
    c.ingest("k1", vec![trace(&id, 0)]).await;
    let (status, fb) = c.post("/v1/feedback", "k1", &json!({"trace_id": id, "label": "bad", "score": 0.2, "comment": "wrong", "metadata": {"by": "qa"}})).await;
    assert_eq!(status, StatusCode::CREATED, "{fb}");
    assert_eq!((fb["label"].as_str(), fb["score"].as_f64()), (Some("bad"), Some(0.2)));
    let (status, _) = c.post("/v1/feedback", "k1", &json!({"trace_id": id, "label": "good", "score": null, "comment": null, "metadata": {}})).await;
    assert_eq!(status, StatusCode::CREATED, "nulls as the Python SDK sends them");

    let (_, list) = c.get(&format!("/v1/feedback?trace_id={id}"), "k1").await;
    let items = list["feedback"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let bad = items.iter().find(|f| f["label"] == "bad").unwrap();
    assert_eq!((bad["comment"].as_str(), &bad["metadata"]), (Some("wrong"), &json!({"by": "qa"})));
    assert_eq!(c.get("/v1/feedback?label=good", "k1").await.1["feedback"].as_array().unwrap().len(), 1);

    let bad_bodies = [
        (json!({"trace_id": id, "label": "great"}), "invalid_field"),
        (json!({"trace_id": id}), "missing_field"),
        (json!({"label": "good"}), "missing_field"),
        (json!({"trace_id": "x", "label": "good"}), "invalid_id"),
        (json!({"trace_id": id, "label": "good", "score": "high"}), "invalid_field"),
        (json!({"trace_id": id, "label": "good", "comment": 3}), "invalid_field"),
        (json!({"trace_id": id, "label": "good", "metadata": "x"}), "invalid_field"),
    ];
    for (body, code) in bad_bodies {
        let (status, resp) = c.post("/v1/feedback", "k1", &body).await;
        assert_eq!((status, resp["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{body}");
    }
    let (status, _) = c.post("/v1/feedback", "k1", &json!({"trace_id": new_id(), "label": "good"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rule_evaluators_run_locally_and_llm_ones_are_reported_failed() {
    let (_d, c) = two_projects().await;
    let (good, bad) = (new_id(), new_id());
    let mut ok = trace(&good, 0);
    ok["output"] = json!("{\"answer\": 42}");
    let mut failing = trace(&bad, 0);
    failing["output"] = json!("");
    failing["spans"][0]["error"] = json!("boom");
    c.ingest("k1", vec![ok, failing]).await;

    let run = |trace_id: &str, metric: &str, config: Value| json!({"trace_id": trace_id, "evaluator_type": "rule", "metric_name": metric, "config": config});
    let cases = [
        (run(&good, "non_empty_output", json!({})), 1.0),
        (run(&bad, "non_empty_output", json!({})), 0.0),
        (run(&good, "no_error", json!({})), 1.0),
        (run(&bad, "no_error", json!({})), 0.0),
        (run(&good, "latency_under", json!({"ms": 5000})), 1.0),
        (run(&good, "latency_under", json!({"ms": 10})), 0.0),
        (run(&good, "contains", json!({"value": "42"})), 1.0),
        (run(&good, "regex", json!({"pattern": "^\\{.*\\}$"})), 1.0),
        (run(&good, "json_valid", json!({})), 1.0),
        (run(&bad, "json_valid", json!({})), 0.0),
    ];
    for (body, score) in cases {
        let (status, resp) = c.post("/v1/eval", "k1", &body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body} -> {resp}");
        assert_eq!(resp["status"], "complete");
        let (status, ev) = c.get(&format!("/v1/eval/{}", resp["eval_id"].as_str().unwrap()), "k1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ev["score"].as_f64(), Some(score), "{body} -> {ev}");
        assert_eq!(ev["label"], if score == 1.0 { "pass" } else { "fail" });
        assert_eq!((ev["project_id"].as_str(), ev["status"].as_str()), (Some("p1"), Some("complete")));
        assert_eq!(ev["metric_name"], body["metric_name"]);
    }
    let (status, resp) = c.post("/v1/eval", "k1", &json!({"trace_id": good, "evaluator_type": "llm", "metric_name": "faithfulness"})).await;
    assert_eq!((status, resp["status"].as_str()), (StatusCode::ACCEPTED, Some("failed")));
    let (_, ev) = c.get(&format!("/v1/eval/{}", resp["eval_id"].as_str().unwrap()), "k1").await;
    assert!(ev["reasoning"].as_str().unwrap().contains("hosted service"));
    assert_eq!(ev["score"], Value::Null);

    let bad_bodies = [
        (run(&good, "vibes", json!({})), "unknown_metric"),
        (run(&good, "latency_under", json!({})), "invalid_config"),
        (run(&good, "regex", json!({"pattern": "("})), "invalid_config"),
        (json!({"trace_id": good, "evaluator_type": "human", "metric_name": "x"}), "invalid_field"),
        (json!({"trace_id": good, "evaluator_type": "rule"}), "missing_field"),
        (json!({"evaluator_type": "rule", "metric_name": "no_error"}), "missing_field"),
    ];
    for (body, code) in bad_bodies {
        let (status, resp) = c.post("/v1/eval", "k1", &body).await;
        assert_eq!((status, resp["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{body}");
    }
    assert_eq!(c.post("/v1/eval", "k1", &run(&new_id(), "no_error", json!({}))).await.0, StatusCode::NOT_FOUND);
    assert_eq!(c.get(&format!("/v1/eval/{}", new_id()), "k1").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_summarise_the_window() {
    let (_d, c) = two_projects().await;
    // 100 traces with latencies 10..=1000 ms; every 4th has an error; each span costs 0.01.
    let traces: Vec<Value> = (1..=100i64).map(|i| {
        let mut t = trace(&new_id(), i);
        t["latency_ms"] = json!(i * 10);
        t["spans"][0]["cost"] = json!(0.01);
        if i % 4 == 0 {
            t["error"] = json!("failed");
        }
        t
    }).collect();
    c.ingest("k1", traces).await;
    let (status, m) = c.get("/v1/metrics?from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z", "k1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(m["total_traces"], 100);
    assert_eq!(m["error_count"], 25);
    assert_eq!(m["error_rate"], 0.25);
    assert_eq!((m["p50_latency_ms"].as_f64(), m["p95_latency_ms"].as_f64(), m["p99_latency_ms"].as_f64()), (Some(500.0), Some(950.0), Some(990.0)));
    assert!((m["total_cost"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(m["total_tokens"], 1500);
    assert_eq!(m["from"], "2024-01-01T00:00:00.000000Z");

    let (_, m) = c.get("/v1/metrics?from=2024-01-01T00:00:51Z&to=2024-01-01T00:01:00Z", "k1").await;
    assert_eq!(m["total_traces"], 10);
    let (_, m) = c.get("/v1/metrics", "k1").await;
    assert_eq!((m["total_traces"].as_i64(), &m["error_rate"], &m["p50_latency_ms"]), (Some(0), &Value::Null, &Value::Null), "default window is the last 24 h");
    let (status, m) = c.get("/v1/metrics?from=soon", "k1").await;
    assert_eq!((status, m["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_parameter")));
}
