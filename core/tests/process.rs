//! Whole-process behaviour: what a program sees at exit and on stderr. Each test re-runs this
//! test binary as a child process (selected by an environment variable) and watches it.

mod support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::{finish_many, Reply, Sink};
use trulayer_core::Client;

const CHILD: &str = "TRULAYER_TEST_CHILD";

/// Runs `child_main` in a fresh process with `mode` and the sink's URL.
fn run_child(mode: &str, sink: &Sink) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_main", "--nocapture", "--test-threads=1"])
        .env(CHILD, mode)
        .env("SINK_URL", &sink.url)
        .output()
        .unwrap()
}

/// The child's body: a short program that records traces and exits without calling flush.
#[test]
fn child_main() {
    let Ok(mode) = std::env::var(CHILD) else { return };
    let mut b = trulayer_core::Config::builder();
    b.set("api_key", "tl_topsecret_key_123").unwrap().set("endpoint", &std::env::var("SINK_URL").unwrap()).unwrap();
    b.set("shutdown_timeout", "1").unwrap().set("timeout", "30").unwrap();
    if mode == "debug" {
        b.set("debug", "true").unwrap();
    }
    if mode == "outage" {
        b.set("max_queue_bytes", "16777216").unwrap().set("max_queue_size", "100000").unwrap();
    }
    let client = Client::new(b.build_without_env().unwrap());
    if mode == "outage" {
        // 2000 traces of 64 KiB each (128 MiB) against an endpoint that never answers.
        let payload = "x".repeat(64 * 1024);
        for i in 0..2000 {
            let mut t = support::trace(&format!("big{i}"));
            t.input = Some(serde_json::Value::String(payload.clone()));
            client.finish(t);
        }
        println!("peak_rss_kib={}", peak_rss_kib());
        return;
    }
    if mode == "fork" {
        // The parent's worker is running when the process forks, as in a pre-fork server.
        client.finish(support::trace("parent-before-fork"));
        assert!(client.flush(Duration::from_secs(10)));
        // SAFETY: the child only records, flushes and exits with _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            client.finish(support::trace("child"));
            let ok = client.flush(Duration::from_secs(10)) && client.stats().sent == 1;
            unsafe { libc::_exit(if ok { 0 } else { 3 }) };
        }
        let mut status = 0;
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child could not ship");
        client.finish(support::trace("parent-after-fork"));
        return;
    }
    finish_many(&client, 3);
    // Dropping the last handle is the program's exit path: it must flush within the timeout.
}

/// The process's peak resident memory (VmHWM), Linux.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn memory_stays_near_the_queue_bound_during_a_long_outage() {
    let sink = Sink::start();
    sink.always(Reply::Hang);
    let out = run_child("outage", &sink);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let peak: u64 = stdout
        .lines()
        .find_map(|l| l.split_once("peak_rss_kib=").map(|(_, n)| n.trim()))
        .unwrap_or_else(|| panic!("no measurement: {stdout} {}", String::from_utf8_lossy(&out.stderr)))
        .parse()
        .unwrap();
    // 128 MiB were recorded; the queue may hold 16 MiB (+ one batch in flight). The test
    // harness itself takes a few MiB.
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB: the queue bound did not hold");
}

#[test]
fn a_forked_child_ships_through_its_own_worker_and_never_resends_the_parents_queue() {
    let sink = Sink::start();
    let out = run_child("fork", &sink);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names: Vec<String> = sink.received().iter().flat_map(|r| r.body["traces"].as_array().unwrap().clone()).map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["child", "parent-after-fork", "parent-before-fork"], "each trace exactly once: {names:?}");
}

#[test]
fn traces_queued_at_exit_are_delivered() {
    let sink = Sink::start();
    let out = run_child("exit", &sink);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(sink.delivered().len(), 3);
}

#[test]
fn exit_keeps_the_shutdown_timeout_when_the_endpoint_never_answers() {
    let sink = Sink::start();
    sink.always(Reply::Hang);
    let started = Instant::now();
    let out = run_child("exit", &sink);
    let took = started.elapsed();
    assert!(out.status.success());
    assert!(took < Duration::from_secs(6), "exit took {took:?} with shutdown_timeout = 1 s");
    assert!(!sink.received().is_empty(), "it did try");
}

#[test]
fn debug_output_shows_the_payload_but_never_the_key() {
    let sink = Sink::start();
    let out = run_child("debug", &sink);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("trulayer debug: POST") && stderr.contains("\"name\":\"t0\""), "{stderr}");
    assert!(stderr.contains("Bearer <redacted>"));
    assert!(!stderr.contains("topsecret"), "the key leaked: {stderr}");
    assert_eq!(sink.delivered().len(), 3);
}
