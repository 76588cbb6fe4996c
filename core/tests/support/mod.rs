//! A real HTTP ingest endpoint on 127.0.0.1 whose answers each test scripts.

#![allow(dead_code)] // each test file uses a different part of this support module

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use trulayer_core::{Client, Config, TraceRecord};

/// How the sink answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    Status(u16),
    RetryAfter(u16, String),
    /// Accept the connection and the request, never answer.
    Hang,
    /// Answer this status after a pause: a healthy endpoint slower than the app.
    Slow(u16, Duration),
}

#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub ids: Vec<String>,
    pub body: Value,
    pub authorization: Option<String>,
    pub content_encoding: Option<String>,
}

#[derive(Default)]
struct Behaviour {
    /// Answers for the next requests, in order; afterwards `always`, then the rules.
    script: VecDeque<Reply>,
    always: Option<Reply>,
    /// 400 for any batch holding a trace with this name.
    poison_name: Option<String>,
    /// 413 for any batch holding more traces than this.
    max_traces: Option<usize>,
}

#[derive(Default)]
struct Shared {
    behaviour: Mutex<Behaviour>,
    received: Mutex<Vec<Received>>,
    delivered: Mutex<Vec<String>>,
}

pub struct Sink {
    pub url: String,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Sink {
    pub fn start() -> Sink {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let shared = Arc::new(Shared::default());
        let app = Router::new().route("/v1/ingest/batch", post(ingest)).with_state(shared.clone());
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
        Sink { url, shared, runtime: Some(runtime) }
    }

    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.behaviour.lock().unwrap().script.extend(replies);
    }

    pub fn always(&self, reply: Reply) {
        self.shared.behaviour.lock().unwrap().always = Some(reply);
    }

    pub fn poison(&self, name: &str) {
        self.shared.behaviour.lock().unwrap().poison_name = Some(name.into());
    }

    pub fn max_traces(&self, n: usize) {
        self.shared.behaviour.lock().unwrap().max_traces = Some(n);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Ids of traces in requests answered 2xx, in arrival order.
    pub fn delivered(&self) -> Vec<String> {
        self.shared.delivered.lock().unwrap().clone()
    }

    /// Polls until `cond` holds or `within` passes; returns whether it held.
    pub fn wait_for(&self, within: Duration, cond: impl Fn(&Sink) -> bool) -> bool {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if cond(self) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        cond(self)
    }

    /// A config builder pointed at this sink with test-friendly timings.
    pub fn config(&self) -> trulayer_core::ConfigBuilder {
        let mut b = Config::builder();
        b.set("api_key", "tl_test_key").unwrap().set("endpoint", &self.url).unwrap().set("project", "core-tests").unwrap();
        b.set("flush_interval", "60").unwrap().set("timeout", "2").unwrap().set("retry_budget", "10").unwrap();
        b
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn ingest(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_encoding = header("content-encoding");
    let raw = if content_encoding.as_deref() == Some("gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out).unwrap();
        out
    } else {
        body.to_vec()
    };
    let body: Value = serde_json::from_slice(&raw).expect("the SDK sends valid JSON");
    let traces = body["traces"].as_array().cloned().unwrap_or_default();
    let ids: Vec<String> = traces.iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
    shared.received.lock().unwrap().push(Received {
        at: Instant::now(),
        ids: ids.clone(),
        body,
        authorization: header("authorization"),
        content_encoding,
    });
    let reply = {
        let mut b = shared.behaviour.lock().unwrap();
        b.script.pop_front().or_else(|| b.always.clone()).or_else(|| {
            if let Some(p) = &b.poison_name {
                if traces.iter().any(|t| t["name"] == p.as_str()) {
                    return Some(Reply::Status(400));
                }
            }
            match b.max_traces {
                Some(max) if traces.len() > max => Some(Reply::Status(413)),
                _ => None,
            }
        })
    };
    let reply = reply.unwrap_or(Reply::Status(201));
    if let Reply::Slow(_, pause) = reply {
        tokio::time::sleep(pause).await;
    }
    match reply {
        Reply::Hang => std::future::pending().await,
        Reply::Status(s) | Reply::Slow(s, _) if (200..300).contains(&s) => {
            shared.delivered.lock().unwrap().extend(ids);
            StatusCode::from_u16(s).unwrap().into_response()
        }
        Reply::Status(s) | Reply::Slow(s, _) => {
            (StatusCode::from_u16(s).unwrap(), r#"{"error":"scripted failure","code":"scripted"}"#).into_response()
        }
        Reply::RetryAfter(s, after) => (StatusCode::from_u16(s).unwrap(), [("retry-after", after)], "{}").into_response(),
    }
}

/// A finished trace with one span, as a binding would hand it over.
pub fn trace(name: &str) -> TraceRecord {
    let mut t = TraceRecord::new(name);
    t.input = Some(Value::String(format!("input of {name}")));
    t.spans.push(trulayer_core::SpanRecord::new("step", trulayer_core::SpanType::Tool));
    t
}

pub fn finish_many(client: &Client, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let t = trace(&format!("t{i}"));
            let id = t.id.to_string();
            client.finish(t);
            id
        })
        .collect()
}

/// Collects error reports delivered to a client's subscribers.
pub fn collect_errors(client: &Client) -> Arc<Mutex<Vec<trulayer_core::ErrorReport>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    client.on_error(Arc::new(move |r: &trulayer_core::ErrorReport| s.lock().unwrap().push(r.clone())));
    seen
}
