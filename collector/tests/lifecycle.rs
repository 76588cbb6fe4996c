//! Start-up, transport and shutdown behaviour of the real binary.

mod common;

use std::io::Write;
use std::time::Duration;

use common::{new_id, trace, Collector, TempDir, BIN};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn gzip_bodies_are_accepted_and_broken_ones_are_400() {
    let dir = TempDir::new();
    let c = Collector::start(&dir.0.join("t.db"), &[("k", "p")]).await;
    let id = new_id();
    let body = serde_json::to_vec(&json!({"traces": [trace(&id, 0)]})).unwrap();
    let send = |bytes: Vec<u8>| {
        c.http
            .post(format!("{}/v1/ingest/batch", c.url))
            .bearer_auth("k")
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(bytes)
            .send()
    };
    let resp = send(gzip(&body)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.json::<Value>().await.unwrap()["ingested"], 1);
    assert_eq!(c.get(&format!("/v1/traces/{id}"), "k").await.0, StatusCode::OK);

    let resp = send(b"definitely not gzip".to_vec()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], "invalid_body");
}

#[tokio::test]
async fn bodies_over_20_mib_are_413_also_when_compressed() {
    let dir = TempDir::new();
    let c = Collector::start(&dir.0.join("t.db"), &[("k", "p")]).await;
    let mut t = trace(&new_id(), 0);
    t["input"] = json!("x".repeat(21 * 1024 * 1024));
    let body = serde_json::to_vec(&json!({"traces": [t]})).unwrap();
    for (bytes, encoding) in [(gzip(&body), Some("gzip")), (body, None)] {
        let mut req = c.http.post(format!("{}/v1/ingest/batch", c.url)).bearer_auth("k").body(bytes);
        if let Some(e) = encoding {
            req = req.header("content-encoding", e);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE, "{encoding:?}");
        assert_eq!(resp.headers()["connection"], "close", "the client must not reuse this connection");
        assert_eq!(resp.json::<Value>().await.unwrap()["code"], "payload_too_large");
    }
    // Just under the limit is fine.
    let mut t = trace(&new_id(), 0);
    t["input"] = json!("x".repeat(19 * 1024 * 1024));
    assert_eq!(c.post("/v1/ingest/batch", "k", &json!({"traces": [t]})).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn sigterm_finishes_in_flight_writes_and_keeps_the_data() {
    let dir = TempDir::new();
    let db = dir.0.join("t.db");
    let c = Collector::start(&db, &[("k", "p")]).await;
    let mut senders = Vec::new();
    for _ in 0..8 {
        let (url, http) = (c.url.clone(), c.http.clone());
        senders.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for _ in 0..50 {
                let traces: Vec<Value> = (0..20).map(|i| trace(&new_id(), i)).collect();
                let ids: Vec<String> = traces.iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect();
                match http.post(format!("{url}/v1/ingest/batch")).bearer_auth("k").json(&json!({"traces": traces})).send().await {
                    Ok(r) if r.status() == StatusCode::CREATED => acknowledged.extend(ids),
                    _ => break, // the server stopped taking requests
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = c.terminate().await;
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let mut acknowledged = Vec::new();
    for s in senders {
        acknowledged.extend(s.await.unwrap());
    }
    assert!(!acknowledged.is_empty());
    assert!(!db.with_extension("db-wal").exists() || std::fs::metadata(db.with_extension("db-wal")).unwrap().len() == 0, "WAL folded in on close");

    let c = Collector::start(&db, &[("k", "p")]).await;
    let stored: std::collections::HashSet<String> = c.walk("k", "", 200).await.into_iter().collect();
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged trace {id} lost");
    }
}

#[tokio::test]
async fn without_keys_a_dev_key_is_printed_and_env_keys_work() {
    let dir = TempDir::new();
    let mut c = Collector::start(&dir.0.join("a.db"), &[]).await;
    let line = c.stdout.next_line().await.unwrap().unwrap();
    let key = line.rsplit(' ').next().unwrap().to_owned();
    assert!(line.contains("project `default`") && key.starts_with("tl_dev_"), "{line}");
    let id = new_id();
    c.ingest(&key, vec![trace(&id, 0)]).await;
    assert_eq!(c.get(&format!("/v1/traces/{id}"), &key).await.1["project_id"], "default");

    let c = Collector::start_with(&dir.0.join("b.db"), &[("flag", "p3")], &[("TRULAYER_COLLECTOR_KEYS", "e1=p1, e2=p2")]).await;
    for (key, project) in [("e1", "p1"), ("e2", "p2"), ("flag", "p3")] {
        let id = new_id();
        c.ingest(key, vec![trace(&id, 0)]).await;
        assert_eq!(c.get(&format!("/v1/traces/{id}"), key).await.1["project_id"], project);
    }
}

#[test]
fn bad_flags_exit_2_with_usage() {
    for args in [&["--key", "nope"][..], &["--addr", "nowhere"], &["--frobnicate"]] {
        let out = std::process::Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("usage: trulayer-collector"), "{err}");
    }
    let out = std::process::Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("--key KEY=PROJECT"));
}

#[test]
fn an_unusable_database_path_is_a_clear_error() {
    let out = std::process::Command::new(BIN).args(["--addr", "127.0.0.1:0", "--db", "/nonexistent-dir/x.db", "--key", "k=p"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open database"));
}
