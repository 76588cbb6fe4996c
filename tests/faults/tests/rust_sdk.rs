//! The Rust SDK through the fault proxy into the real collector: after a scripted run of
//! faults, every trace the SDK counted as sent is stored exactly once, every other trace is
//! counted as dropped with its reason, and sent + dropped == created.
//! Needs `target/<profile>/trulayer-collector` (`cargo build -p trulayer-collector`).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use trulayer_core::{Client, Config, SpanRecord, SpanType, TraceRecord};

const KEY: &str = "tl_faults";

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn target_bin(name: &str) -> PathBuf {
    // Test binaries live in target/<profile>/deps; the binaries one level up.
    let dir = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing: run `cargo build -p trulayer-collector -p trulayer-faults` first", path.display());
    path
}

fn spawn(bin: &str, args: &[&str]) -> Server {
    let mut child = Command::new(target_bin(bin)).args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "unexpected first line {line:?}");
    Server { child, url }
}

fn collector(db: &std::path::Path, addr: &str) -> Server {
    spawn("trulayer-collector", &["--addr", addr, "--db", db.to_str().unwrap(), "--key", &format!("{KEY}=faults")])
}

fn proxy(upstream: &str, plan: &str) -> Server {
    spawn("trulayer-fault-proxy", &["--upstream", upstream, "--plan", plan])
}

fn client(endpoint: &str, options: &[(&str, &str)]) -> Client {
    let mut b = Config::builder();
    b.set("api_key", KEY).unwrap().set("endpoint", endpoint).unwrap().set("project", "faults").unwrap();
    for (k, v) in options {
        b.set(k, v).unwrap();
    }
    Client::new(b.build_without_env().unwrap())
}

fn trace(name: &str) -> TraceRecord {
    let mut t = TraceRecord::new(name);
    t.input = Some(serde_json::json!({"q": name}));
    let mut s = SpanRecord::new("generate", SpanType::Llm);
    s.model = Some("gpt-4o-mini".into());
    s.prompt_tokens = Some(10);
    s.completion_tokens = Some(5);
    t.spans.push(s);
    t
}

fn get_json(url: &str, key: Option<&str>) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().get(url);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let body = req.send().await.unwrap().error_for_status().unwrap().bytes().await.unwrap();
        serde_json::from_slice(&body).unwrap()
    })
}

/// Every trace id the collector holds for the key's project, walking the cursor.
fn stored_ids(collector_url: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{collector_url}/v1/traces?limit=200");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page = get_json(&url, Some(KEY));
        ids.extend(page["traces"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(c) if page["has_more"] == true => cursor = Some(c.to_owned()),
            _ => return ids,
        }
    }
}

#[test]
fn a_scripted_run_of_faults_loses_nothing_silently() {
    let dir = tempdir();
    let store = collector(&dir.join("faults.db"), "127.0.0.1:0");
    let plan = "pass*3, 503, 429:1, reset, lost, 500, delay:300, 502, down:500, pass*2, lost, hang, 503*2, 408, \
                poison:poison-trace, max:40";
    let faults = proxy(&store.url, plan);
    let c = client(&faults.url, &[("batch_size", "50"), ("flush_interval", "0.2"), ("timeout", "1"), ("retry_budget", "60")]);
    let mut created = HashSet::new();
    let mut poison = HashSet::new();
    for i in 0..3000 {
        let t = trace(if i % 500 == 250 { "poison-trace" } else { "ok" });
        if t.name == "poison-trace" {
            poison.insert(t.id.to_string());
        }
        created.insert(t.id.to_string());
        c.finish(t);
    }
    assert!(c.flush(Duration::from_secs(120)), "flush finished: {:?}", c.stats());
    let stats = c.stats();
    assert_eq!(stats.finished, 3000);
    assert_eq!(stats.sent + stats.dropped_total, 3000, "sent + dropped == created: {stats:?}");
    assert_eq!(stats.dropped["invalid"], poison.len() as u64, "only the poison traces are dropped: {stats:?}");
    assert_eq!(stats.dropped_total, poison.len() as u64);
    let stored = stored_ids(&store.url);
    let unique: HashSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), unique.len(), "a trace stored twice");
    assert_eq!(unique.len() as u64, stats.sent, "stored == reported sent");
    assert!(unique.is_subset(&created));
    assert!(unique.is_disjoint(&poison));
    // The run really went through every fault of the plan.
    let applied = get_json(&format!("{}/__fault/stats", faults.url), None);
    for (step, at_least) in [("reset", 1), ("lost", 2), ("hang", 1), ("down", 1), ("delay", 1), ("status", 7), ("too_large", 1)] {
        assert!(applied[step].as_u64().unwrap_or(0) >= at_least, "{step} applied {:?} times: {applied}", applied[step]);
    }
    assert!(applied["poison"].as_u64().unwrap() >= poison.len() as u64, "{applied}");
    assert!(stats.retries >= 10, "{stats:?}");
}

#[test]
fn the_collector_killed_and_restarted_mid_run_loses_nothing() {
    let dir = tempdir();
    let db = dir.join("restart.db");
    let first = collector(&db, "127.0.0.1:0");
    let addr = first.url.trim_start_matches("http://").to_owned();
    let c = client(&first.url, &[("batch_size", "20"), ("flush_interval", "0.1"), ("timeout", "1"), ("retry_budget", "60")]);
    for _ in 0..500 {
        c.finish(trace("before"));
    }
    assert!(c.flush(Duration::from_secs(30)));
    drop(first); // SIGKILL: no graceful shutdown
    for _ in 0..500 {
        c.finish(trace("during"));
    }
    std::thread::sleep(Duration::from_millis(800));
    let second = collector(&db, &addr);
    assert!(c.flush(Duration::from_secs(60)), "{:?}", c.stats());
    let stats = c.stats();
    assert_eq!((stats.sent, stats.dropped_total), (1000, 0), "{stats:?}");
    let stored = stored_ids(&second.url);
    assert_eq!(stored.len(), 1000);
    assert_eq!(stored.iter().collect::<HashSet<_>>().len(), 1000);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trulayer-faults-{}", trulayer_core::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
