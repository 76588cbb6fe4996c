//! The Rust quickstart: one traced request with a retrieval and an LLM step, shipped to the
//! endpoint in TRULAYER_ENDPOINT with TRULAYER_API_KEY (see the README's main command).
//!
//! `cargo run -p trulayer-core --example quickstart`

use std::time::Duration;

use serde_json::json;
use trulayer_core::{Client, SpanType};

fn main() {
    let client = match Client::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("quickstart: {e}");
            std::process::exit(2);
        }
    };
    for question in ["What is TruLayer?", "How are spans nested?"] {
        let trace = client.trace("answer_question");
        trace.set_session_id("quickstart-rust");
        trace.set_input(json!({ "question": question }));
        {
            let mut retrieve = trace.span("retrieve_docs", SpanType::Retrieval);
            retrieve.set_input(question);
            retrieve.set_output(json!({ "doc_count": 3 }));
        }
        let mut generate = trace.span("generate", SpanType::Llm);
        generate.set_model("gpt-4o-mini");
        generate.set_tokens(120, 48);
        generate.set_output("Traces group spans; spans nest by parent.");
        drop(generate);
        trace.set_output(json!({ "answer": "Traces group spans; spans nest by parent." }));
    }
    let delivered = client.flush(Duration::from_secs(10));
    let stats = client.stats();
    println!("rust quickstart: {} traces sent, {} dropped (flush complete: {delivered})", stats.sent, stats.dropped_total);
    client.shutdown(Duration::from_secs(5));
    if stats.sent == 0 {
        std::process::exit(1);
    }
}
