//! Core benchmark: the cost of recording on the application thread, and the rate at which the
//! worker encodes and ships traces to a loopback sink. Prints ratios against a floor measured
//! in the same run (building the same records with no pipeline), so machine noise cancels.
//!
//! `cargo bench -p trulayer-core --bench core` (env BENCH_TRACES to change the count); see README.md.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use serde_json::json;
use trulayer_core::{Client, Config, SpanRecord, SpanType, TraceRecord};

fn seed_trace() -> TraceRecord {
    // The shape of seed 001's manual example: a retrieval and an LLM span under one trace.
    let mut t = TraceRecord::new("answer_question");
    t.input = Some(json!({"question": "What is the capital of France?"}));
    let mut retrieve = SpanRecord::new("retrieve", SpanType::Retrieval);
    retrieve.output = Some(json!({"doc_count": 5}));
    let mut generate = SpanRecord::new("generate", SpanType::Llm);
    generate.model = Some("gpt-4o-mini".into());
    generate.output = Some(json!("Paris."));
    generate.prompt_tokens = Some(42);
    generate.completion_tokens = Some(3);
    let mut parse = SpanRecord::new("parse", SpanType::Custom);
    parse.parent_span_id = Some(generate.id);
    t.spans.extend([retrieve, generate, parse]);
    t.output = Some(json!({"answer": "Paris."}));
    t
}

fn start_sink(received_bytes: Arc<AtomicU64>) -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let app = Router::new().route(
        "/v1/ingest/batch",
        post(move |body: axum::body::Bytes| {
            let received = received_bytes.clone();
            async move {
                received.fetch_add(body.len() as u64, Ordering::Relaxed);
                axum::http::StatusCode::CREATED
            }
        }),
    );
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rt)
}

/// CPU time (user + system) this process has used, from /proc (Linux; 10 ms resolution).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((ticks(11) + ticks(12)) * 10) // utime and stime, in 100 Hz ticks
}

fn per_trace(d: Duration, n: u64) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn main() {
    let n: u64 = std::env::var("BENCH_TRACES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let received = Arc::new(AtomicU64::new(0));
    let (url, _sink) = start_sink(received.clone());

    // Floor: building the records alone.
    let t0 = Instant::now();
    for _ in 0..n {
        std::hint::black_box(seed_trace());
    }
    let floor = per_trace(t0.elapsed(), n);

    // Recording through the guards API into local mode (scrub + encode on the calling thread).
    let local = Client::new(Config::local("bench"));
    let t0 = Instant::now();
    for _ in 0..n {
        let trace = local.trace("answer_question");
        trace.set_input(json!({"question": "What is the capital of France?"}));
        {
            let mut s = trace.span("retrieve", SpanType::Retrieval);
            s.set_output(json!({"doc_count": 5}));
        }
        {
            let mut s = trace.span("generate", SpanType::Llm);
            s.set_model("gpt-4o-mini");
            s.set_tokens(42, 3);
            let _parse = s.child("parse", SpanType::Custom);
        }
        trace.set_output(json!({"answer": "Paris."}));
    }
    let guards_local = per_trace(t0.elapsed(), n);

    // Shipping: finish() on the app thread, then the worker encodes, batches and POSTs.
    let mut b = Config::builder();
    b.set("api_key", "tl_bench").unwrap().set("endpoint", &url).unwrap().set("batch_size", "100").unwrap();
    b.set("max_queue_size", &n.to_string()).unwrap().set("max_queue_bytes", "1073741824").unwrap();
    let client = Client::new(b.build_without_env().unwrap());
    let traces: Vec<TraceRecord> = (0..n).map(|_| seed_trace()).collect();
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    for t in traces {
        client.finish(t);
    }
    let enqueue = per_trace(t0.elapsed(), n);
    assert!(client.flush(Duration::from_secs(300)), "flush timed out");
    let ship_total = t0.elapsed();
    let ship_cpu = per_trace(process_cpu() - cpu0, n);
    let stats = client.stats();
    assert_eq!(stats.sent, n, "every trace delivered: {stats:?}");

    println!("trulayer-core benchmark, {n} traces of 3 spans (seed 001 shape)");
    println!("{:<46} {:>12} {:>10}", "measure", "ns/trace", "x floor");
    println!("{:<46} {:>12.0} {:>10.2}", "floor: build the records only", floor, 1.0);
    println!("{:<46} {:>12.0} {:>10.2}", "app thread: finish() into the queue (+build)", enqueue + floor, (enqueue + floor) / floor);
    println!("{:<46} {:>12.0} {:>10.2}", "app thread: guards API, local mode (encodes)", guards_local, guards_local / floor);
    println!("spans recorded per second on the app thread (finish path): {:.0}", 3.0 * 1e9 / (enqueue + floor));
    println!(
        "shipped to a loopback sink: {:.0} traces/s, {:.1} MB/s of JSON, {} requests",
        n as f64 / ship_total.as_secs_f64(),
        received.load(Ordering::Relaxed) as f64 / 1e6 / ship_total.as_secs_f64(),
        stats.batches_sent
    );
    println!("process CPU per trace while shipping (app + worker + sink): {:.0} ns", ship_cpu);
    // One line per measurement for `make bench`'s cross-language table:
    // BENCH|language|implementation|µs per trace on the app thread|CPU µs per trace shipping
    println!("BENCH|rust|trulayer-core|{:.2}|{:.2}", (enqueue + floor) / 1000.0, ship_cpu / 1000.0);
    println!("BENCH|rust|floor (records only)|{:.2}|", floor / 1000.0);
    client.shutdown(Duration::from_secs(5));
}
