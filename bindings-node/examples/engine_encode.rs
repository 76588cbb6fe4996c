//! The engine's share of the Node benchmark's cost: how long the core's encoder takes for
//! the benchmark's 3-span trace (the work the engine's worker does per trace, before HTTP),
//! with the allocator the addon uses. `bench/node/README.md` quotes it.
//!   cargo run --release -p trulayer-node --example engine_encode

use std::time::Instant;

use serde_json::json;
use trulayer_core::encode::{encode_trace, TraceDefaults, TraceView};
use trulayer_core::limits::Limits;
use trulayer_core::{SpanRecord, SpanType, TraceRecord};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const QUESTION: &str = "Why is the sky blue?";
const PROMPT: &str = "Answer using the documents: why is the sky blue?";
const ANSWER: &str = "Rayleigh scattering makes shorter (blue) wavelengths scatter more.";

/// The trace of `bench/node/workloads.mjs`.
fn bench_trace() -> TraceRecord {
    let mut t = TraceRecord::new("answer_question");
    t.session_id = Some("conv-1".into());
    t.input = Some(json!({ "question": QUESTION }));
    t.output = Some(json!({ "answer": ANSWER }));
    t.ended_at = Some(t.started_at);
    t.latency_ms = Some(1);
    let spans = [
        ("retrieve", "retrieval", Some(json!(QUESTION)), json!({ "doc_count": 5 })),
        ("generate", "llm", Some(json!(PROMPT)), json!(ANSWER)),
        ("format", "tool", None, json!(ANSWER)),
    ];
    for (name, kind, input, output) in spans {
        let mut s = SpanRecord::new(name, SpanType::parse(kind));
        s.input = input;
        s.output = Some(output);
        if kind == "llm" {
            s.model = Some("gpt-4o-mini".into());
            (s.prompt_tokens, s.completion_tokens) = (Some(12), Some(30));
        }
        s.end_time = Some(s.start_time);
        s.latency_ms = Some(0);
        t.spans.push(s);
    }
    t
}

fn main() {
    let limits = Limits::default();
    let defaults = TraceDefaults { project: "bench", environment: "production" };
    let traces: Vec<TraceRecord> = (0..64).map(|_| bench_trace()).collect();
    let traces: Vec<TraceView<'_>> = traces.iter().map(TraceView::from).collect();
    let n = 200_000;
    for _ in 0..3 {
        let t0 = Instant::now();
        let bytes: usize = (0..n).map(|i| encode_trace(&traces[i % traces.len()], defaults, &limits).0.len()).sum();
        let us = t0.elapsed().as_secs_f64() * 1e6 / n as f64;
        println!("encode_trace: {us:.2} µs per trace ({} bytes of wire JSON)", bytes / n);
    }
}
