//! Collector benchmark (see bench/collector/README.md).
//!
//! 1. Ingest N traces of 3 spans through HTTP (`POST /v1/ingest/batch`, 100 per request,
//!    several concurrent clients) and report traces/s beside the rate of inserting the same
//!    validated rows straight into SQLite with the collector's schema, in the same run.
//! 2. Fill a database with M spans and report p50/p95 of filtered `GET /v1/traces` queries.
//!
//! `cargo run --release -p trulayer-collector --example bench_ingest -- [--traces N] [--list-spans M]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use trulayer_collector::ingest::{self, NewTrace};
use trulayer_collector::routes::{router, AppState};
use trulayer_collector::store::{self, Store};

const BATCH: usize = 100;
const CLIENTS: usize = 8;
const KEY: &str = "tl_bench";
const MODELS: [&str; 4] = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "claude-haiku-4"];

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} takes a number")))
        .unwrap_or(default)
}

/// Trace `i`: 3 spans (retrieval, llm, tool) with varied models, errors, tags and latencies.
fn make_trace(i: usize) -> Value {
    let base = 1_704_067_200_000_000i64 + i as i64 * 1_000;
    let t = |us: i64| trulayer_core::Timestamp::from_unix_micros(base + us).to_rfc3339();
    let id = || trulayer_core::new_id().to_string();
    let root = id();
    let latency = 50 + (i * 37 % 2000) as i64;
    json!({
        "id": id(), "project_id": "bench", "name": "answer_question",
        "input": "What is the refund policy for annual plans?", "output": "Annual plans can be refunded within 30 days.",
        "tags": {"env": if i % 3 == 0 { "prod" } else { "dev" }, "tenant": format!("t{}", i % 50)},
        "metadata": {"user": format!("u{}", i % 1000)},
        "started_at": t(0), "ended_at": t(latency * 1000), "latency_ms": latency,
        "spans": [
            {"id": root, "name": "retrieve", "type": "retrieval", "input": "refund policy", "output": "3 documents",
             "start_time": t(0), "end_time": t(10_000), "latency_ms": 10, "metadata": {}},
            {"id": id(), "parent_span_id": root, "name": "chat", "type": "llm", "model": MODELS[i % MODELS.len()],
             "input": "system: be brief\nuser: refund policy?", "output": "Within 30 days.",
             "prompt_tokens": 200 + (i % 300) as i64, "completion_tokens": 40 + (i % 60) as i64,
             "error": if i % 17 == 0 { Value::from("RateLimitError: 429 Too Many Requests") } else { Value::Null },
             "start_time": t(10_000), "end_time": t(latency * 1000 - 5_000), "latency_ms": latency - 15, "metadata": {}},
            {"id": id(), "parent_span_id": root, "name": "format", "type": "tool",
             "start_time": t(latency * 1000 - 5_000), "end_time": t(latency * 1000), "latency_ms": 5, "metadata": {}}
        ]
    })
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tl-collector-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Inserts validated traces straight into SQLite, 100 per transaction; returns traces/s.
fn direct_insert_rate(traces: &[NewTrace]) -> f64 {
    let conn = store::open_writer(&temp_db("direct.db")).unwrap();
    let start = Instant::now();
    for chunk in traces.chunks(BATCH) {
        conn.execute_batch("BEGIN").unwrap();
        store::insert_traces(&conn, "bench", chunk).unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }
    traces.len() as f64 / start.elapsed().as_secs_f64()
}

/// Serves the collector in-process on a free loopback port; returns its base URL.
async fn serve(db: &std::path::Path) -> (String, Arc<Store>) {
    let store = Store::open(db).unwrap();
    let keys = [(KEY.to_owned(), Arc::<str>::from("bench"))].into_iter().collect();
    let app = router(AppState { store: Arc::clone(&store), keys: Arc::new(keys) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, store)
}

/// Posts pre-encoded batch bodies from `CLIENTS` concurrent clients; returns traces/s.
async fn http_ingest_rate(url: &str, bodies: Vec<Vec<u8>>, traces: usize) -> f64 {
    let bodies = Arc::new(bodies);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (bodies, next, url) = (Arc::clone(&bodies), Arc::clone(&next), url.to_owned());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    let resp = http
                        .post(format!("{url}/v1/ingest/batch"))
                        .bearer_auth(KEY)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap_or_default());
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    traces as f64 / start.elapsed().as_secs_f64()
}

const LIST_QUERIES: [&str; 6] = [
    "model=gpt-4o&limit=50",
    "error=true&limit=50",
    "failure_type=rate_limit&limit=50",
    "tag_key=env&tag_value=prod&latency_min=500&limit=50",
    "token_count_min=400&latency_max=800&limit=100",
    "from=2024-01-01T00:00:30Z&to=2024-01-01T00:02:00Z&model=claude-haiku-4&limit=50",
];

/// p50 and p95 of filtered list queries, each also paged once with its cursor; also the
/// query with the slowest single sample, to point at what to optimise.
async fn list_latency(url: &str, rounds: usize) -> (Duration, Duration, (Duration, &'static str)) {
    let http = reqwest::Client::new();
    let mut samples = Vec::new();
    let mut slowest = (Duration::ZERO, "");
    for round in 0..rounds {
        let q = LIST_QUERIES[round % LIST_QUERIES.len()];
        let started = Instant::now();
        let page: Value = http.get(format!("{url}/v1/traces?{q}")).bearer_auth(KEY).send().await.unwrap().json().await.unwrap();
        samples.push(started.elapsed());
        slowest = slowest.max((started.elapsed(), q));
        assert!(page["traces"].is_array(), "{page}");
        if let Some(cursor) = page["next_cursor"].as_str() {
            let started = Instant::now();
            let resp = http.get(format!("{url}/v1/traces?{q}&cursor={cursor}")).bearer_auth(KEY).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.bytes().await.unwrap();
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    let at = |p: f64| samples[((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    (at(0.50), at(0.95), slowest)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = arg("--traces", 100_000);
    let list_spans = arg("--list-spans", 300_000);
    println!("collector benchmark: {n} traces x 3 spans, {CLIENTS} HTTP clients, {BATCH} traces per request");

    let docs: Vec<Value> = (0..n).map(make_trace).collect();
    let validated: Vec<NewTrace> = docs.iter().map(|d| ingest::trace(d.clone(), String::new()).unwrap()).collect();
    let direct = direct_insert_rate(&validated);

    let bodies: Vec<Vec<u8>> = docs.chunks(BATCH).map(|c| serde_json::to_vec(&json!({ "traces": c })).unwrap()).collect();
    let (url, _store) = serve(&temp_db("http.db")).await;
    let http = http_ingest_rate(&url, bodies, n).await;
    println!("direct SQLite insert : {direct:>10.0} traces/s");
    println!("HTTP ingest          : {http:>10.0} traces/s");
    println!("ratio HTTP / direct  : {:>10.2}  (goal >= 0.50)", http / direct);

    let list_traces = list_spans / 3;
    let conn = store::open_writer(&temp_db("list.db")).unwrap();
    for start in (0..list_traces).step_by(1000) {
        let chunk: Vec<NewTrace> = (start..(start + 1000).min(list_traces))
            .map(|i| ingest::trace(make_trace(i), String::new()).unwrap())
            .collect();
        conn.execute_batch("BEGIN").unwrap();
        store::insert_traces(&conn, "bench", &chunk).unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }
    drop(conn);
    let (url, _store) = serve(&temp_db("list.db")).await;
    let (p50, p95, (worst, worst_query)) = list_latency(&url, 120).await;
    println!("filtered GET /v1/traces at {} spans: p50 {:.1} ms, p95 {:.1} ms", list_traces * 3, p50.as_secs_f64() * 1e3, p95.as_secs_f64() * 1e3);
    println!("slowest single query: {:.1} ms for {worst_query}", worst.as_secs_f64() * 1e3);
    if std::env::var_os("KEEP").is_none() { let _ = std::fs::remove_dir_all(temp_db("x").parent().unwrap()); }
}
