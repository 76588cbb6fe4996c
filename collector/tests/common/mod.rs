//! Starts the real `trulayer-collector` binary on a free loopback port with a temporary
//! database, and talks to it over HTTP.
#![allow(dead_code)] // each test file uses its own subset of the helpers

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_trulayer-collector");

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!("tl-collector-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Collector {
    pub child: Child,
    pub url: String,
    /// Lines printed after the first one (e.g. the generated dev key).
    pub stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    pub http: reqwest::Client,
}

impl Collector {
    /// Starts with `--key k=p` for each pair, on `db`.
    pub async fn start_with(db: &std::path::Path, keys: &[(&str, &str)], envs: &[(&str, &str)]) -> Collector {
        let mut cmd = Command::new(BIN);
        cmd.args(["--addr", "127.0.0.1:0", "--db"]).arg(db);
        for (k, p) in keys {
            cmd.args(["--key", &format!("{k}={p}")]);
        }
        cmd.env_remove("TRULAYER_COLLECTOR_KEYS");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).kill_on_drop(true).spawn().expect("start collector");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), stdout.next_line()).await.expect("collector did not start").unwrap().unwrap();
        let url = first.strip_prefix("trulayer-collector listening on ").unwrap_or_else(|| panic!("unexpected first line {first:?}")).to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Collector { child, url, stdout, http: reqwest::Client::new() }
    }

    pub async fn start(db: &std::path::Path, keys: &[(&str, &str)]) -> Collector {
        Self::start_with(db, keys, &[]).await
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, key: Option<&str>, body: Option<&Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(key), Some(body)).await
    }

    /// Ingests traces through the batch endpoint, asserting success.
    pub async fn ingest(&self, key: &str, traces: Vec<Value>) -> Value {
        let (status, body) = self.post("/v1/ingest/batch", key, &json!({ "traces": traces })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Every trace id matching `query`, walking all pages with `limit`.
    pub async fn walk(&self, key: &str, query: &str, limit: u32) -> Vec<String> {
        let mut ids = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/v1/traces?limit={limit}&{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = self.get(&path, key).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            ids.extend(page["traces"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => {
                    assert_eq!(page["has_more"], true);
                    cursor = Some(c.to_owned());
                }
                None => {
                    assert_eq!(page["has_more"], false);
                    return ids;
                }
            }
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await.expect("collector did not stop").unwrap()
    }
}

/// A fresh UUIDv7 string, as the SDKs generate.
pub fn new_id() -> String {
    trulayer_core::new_id().to_string()
}

/// RFC 3339 for `secs` seconds after 2024-01-01T00:00:00Z.
pub fn at(secs: i64) -> String {
    trulayer_core::Timestamp::from_unix_micros((1_704_067_200 + secs) * 1_000_000).to_rfc3339()
}

/// A trace that started at `at(secs)` with one LLM span.
pub fn trace(id: &str, secs: i64) -> Value {
    json!({
        "id": id,
        "name": "answer",
        "started_at": at(secs),
        "ended_at": at(secs + 1),
        "input": "question",
        "output": "answer",
        "tags": [],
        "metadata": {},
        "spans": [{
            "id": new_id(), "name": "llm call", "type": "llm", "model": "gpt-4o-mini",
            "prompt_tokens": 10, "completion_tokens": 5,
            "start_time": at(secs), "end_time": at(secs + 1)
        }]
    })
}
