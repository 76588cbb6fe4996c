//! The pipeline against a real HTTP endpoint on 127.0.0.1: batching, retries, splits, the auth
//! latch, black holes, bounded memory, flush and shutdown. Every test checks what arrived.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{collect_errors, finish_many, trace, Reply, Sink};
use trulayer_core::encode::{encode_trace, MetadataView, PayloadView, TraceDefaults, TraceView};
use trulayer_core::{Client, ErrorKind, Finished};

const LONG: Duration = Duration::from_secs(10);

fn client(sink: &Sink, options: &[(&str, &str)]) -> Client {
    let mut b = sink.config();
    for (k, v) in options {
        b.set(k, v).unwrap();
    }
    Client::new(b.build_without_env().unwrap())
}

fn sizes(sink: &Sink) -> Vec<usize> {
    sink.received().iter().map(|r| r.ids.len()).collect()
}

#[test]
fn batches_ship_when_batch_size_is_reached_without_waiting_for_the_interval() {
    let sink = Sink::start();
    let c = client(&sink, &[("batch_size", "10")]);
    finish_many(&c, 25);
    assert!(sink.wait_for(LONG, |s| s.delivered().len() >= 20), "two full batches ship on their own");
    assert_eq!(sizes(&sink), vec![10, 10]);
    assert!(c.flush(LONG));
    assert_eq!(sizes(&sink), vec![10, 10, 5]);
}

#[test]
fn a_body_limit_cuts_a_batch_of_records_into_requests_in_order() {
    let sink = Sink::start();
    let mut b = sink.config();
    b.set("batch_size", "10").unwrap();
    let mut config = b.build_without_env().unwrap();
    // Room for three of the traces finish_many makes (names t0 to t9) per request body.
    let one = encode_trace(&(&trace("t0")).into(), TraceDefaults::of(&config), &config.limits).0.len();
    config.limits.max_batch_bytes = 3 * (one + 1) + one / 2; // half a trace of slack either way
    let c = Client::new(config);
    let ids = finish_many(&c, 10);
    assert!(c.flush(LONG));
    assert_eq!(sizes(&sink), vec![3, 3, 3, 1]);
    assert_eq!(sink.delivered(), ids, "every trace, in the order finished");
}

#[test]
fn a_partial_batch_ships_after_the_flush_interval() {
    let sink = Sink::start();
    let c = client(&sink, &[("batch_size", "50"), ("flush_interval", "0.2")]);
    let ids = finish_many(&c, 3);
    assert!(sink.wait_for(LONG, |s| s.delivered().len() == 3), "no flush call needed");
    assert_eq!(sink.delivered(), ids);
}

#[test]
fn every_request_carries_the_key_and_the_api_shape() {
    let sink = Sink::start();
    let c = client(&sink, &[]);
    let mut t = trace("shaped");
    t.input = Some(json!({"question": "why?"}));
    c.finish(t);
    assert!(c.flush(LONG));
    let r = &sink.received()[0];
    assert_eq!(r.authorization.as_deref(), Some("Bearer tl_test_key"));
    let sent = &r.body["traces"][0];
    assert_eq!(sent["project_id"], "core-tests");
    assert_eq!(sent["input"], r#"{"question":"why?"}"#);
    assert_eq!(sent["spans"][0]["trace_id"], sent["id"]);
}

#[test]
fn retries_after_server_errors_carry_the_same_trace_ids() {
    let sink = Sink::start();
    sink.script([Reply::Status(503), Reply::Status(500), Reply::Status(429)]);
    let c = client(&sink, &[]);
    let ids = finish_many(&c, 3);
    assert!(c.flush(LONG));
    let received = sink.received();
    assert_eq!(received.len(), 4, "three failures, then success");
    assert!(received.iter().all(|r| r.ids == ids), "a retry resends the same ids, so the server can deduplicate");
    let stats = c.stats();
    assert_eq!((stats.sent, stats.retries, stats.dropped_total), (3, 3, 0));
}

#[test]
fn no_request_goes_out_before_retry_after() {
    let sink = Sink::start();
    sink.script([Reply::RetryAfter(429, "1".into())]);
    let c = client(&sink, &[]);
    finish_many(&c, 1);
    assert!(c.flush(LONG));
    let r = sink.received();
    assert_eq!(r.len(), 2);
    let waited = r[1].at - r[0].at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}, before Retry-After: 1");
}

#[test]
fn a_poison_trace_is_isolated_and_the_rest_of_its_batch_delivered() {
    let sink = Sink::start();
    sink.poison("poison");
    let c = client(&sink, &[("batch_size", "10")]);
    let errors = collect_errors(&c);
    let mut good = finish_many(&c, 6);
    let bad = trace("poison");
    let bad_id = bad.id.to_string();
    c.finish(bad);
    good.extend(finish_many(&c, 3));
    assert!(c.flush(LONG));
    let delivered: HashSet<String> = sink.delivered().into_iter().collect();
    assert_eq!(delivered, good.iter().cloned().collect::<HashSet<_>>());
    assert_eq!(c.stats().dropped["invalid"], 1);
    let errors = errors.lock().unwrap();
    let validation: Vec<_> = errors.iter().filter(|e| e.kind == ErrorKind::Validation).collect();
    assert_eq!(validation.len(), 1);
    assert_eq!(validation[0].trace_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(), vec![bad_id]);
}

#[test]
fn payload_too_large_splits_until_the_server_accepts() {
    let sink = Sink::start();
    sink.max_traces(3);
    let c = client(&sink, &[("batch_size", "10")]);
    let ids = finish_many(&c, 10);
    assert!(c.flush(LONG));
    let delivered: HashSet<String> = sink.delivered().into_iter().collect();
    assert_eq!(delivered, ids.into_iter().collect());
    assert_eq!(sink.delivered().len(), 10, "nothing delivered twice");
    assert_eq!(c.stats().dropped_total, 0);
}

#[test]
fn a_refused_key_stops_shipping_and_is_reported_once() {
    let sink = Sink::start();
    sink.always(Reply::Status(401));
    let c = client(&sink, &[]);
    let errors = collect_errors(&c);
    finish_many(&c, 5);
    assert!(c.flush(LONG));
    finish_many(&c, 5);
    assert!(c.flush(LONG));
    assert_eq!(sink.received().len(), 1, "no request after the 401");
    assert_eq!(c.stats().dropped["auth"], 10);
    let auth = errors.lock().unwrap().iter().filter(|e| e.kind == ErrorKind::Authentication).count();
    assert_eq!(auth, 1);
}

#[test]
fn a_black_holed_endpoint_never_blocks_the_app_and_shutdown_keeps_its_deadline() {
    let sink = Sink::start();
    sink.always(Reply::Hang);
    let c = client(&sink, &[("timeout", "30"), ("batch_size", "10"), ("max_queue_size", "1000")]);
    let ids = finish_many(&c, 2000);
    assert_eq!(ids.len(), 2000, "finish returned for every trace while the endpoint hung");
    assert!(sink.wait_for(LONG, |s| !s.received().is_empty()));
    let started = Instant::now();
    assert!(c.shutdown(Duration::from_millis(500)), "the worker stops cleanly even though nothing was answered");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "shutdown(500ms) took {took:?}");
    let s = c.stats();
    assert_eq!(s.sent, 0);
    assert_eq!(s.finished, 2000);
    assert_eq!(s.dropped["queue_full"] + s.dropped["shutdown"], 2000, "every trace is accounted for: {s:?}");
    assert!(s.dropped["queue_full"] >= 2000 - 1000 - 10, "the queue held at most 1000: {s:?}");
}

#[test]
fn a_full_queue_drops_the_newest_counts_them_and_reports_once() {
    let sink = Sink::start();
    sink.always(Reply::Hang);
    let c = client(&sink, &[("max_queue_size", "100"), ("batch_size", "100"), ("timeout", "30")]);
    let errors = collect_errors(&c);
    let outcomes: Vec<Finished> = (0..1000).map(|i| c.finish(trace(&format!("t{i}")))).collect();
    let dropped = outcomes.iter().filter(|o| matches!(o, Finished::Dropped(_))).count() as u64;
    let s = c.stats();
    assert!(dropped >= 800, "a queue of 100 (+1 batch in flight) cannot hold 1000: {dropped}");
    assert_eq!(s.dropped["queue_full"], dropped);
    assert_eq!(s.queued + dropped, 1000);
    let full_reports = errors.lock().unwrap().iter().filter(|e| e.kind == ErrorKind::QueueFull).count();
    assert_eq!(full_reports, 1, "told once per outage window");
    c.shutdown(Duration::from_millis(100));
}

#[test]
fn an_endpoint_slower_than_the_app_is_reported_once_while_the_queue_stays_full() {
    let sink = Sink::start();
    sink.always(Reply::Slow(200, Duration::from_millis(20)));
    let c = client(&sink, &[("max_queue_size", "200"), ("batch_size", "10")]);
    let errors = collect_errors(&c);
    // Keep the queue full while batch after batch is delivered: the overload is one episode.
    let mut made = 0;
    while sink.delivered().len() < 100 {
        finish_many(&c, 50);
        made += 50;
        std::thread::sleep(Duration::from_millis(1));
    }
    let s = c.stats();
    assert!(s.dropped["queue_full"] > 0 && s.queued + s.dropped["queue_full"] == made as u64, "{s:?}");
    let full_reports = errors.lock().unwrap().iter().filter(|e| e.kind == ErrorKind::QueueFull).count();
    assert_eq!(full_reports, 1, "one report for one overload, not one per delivered batch");
    c.shutdown(Duration::from_millis(100));
}

#[test]
fn the_queue_is_bounded_by_bytes_too() {
    let sink = Sink::start();
    sink.always(Reply::Hang);
    let c = client(&sink, &[("max_queue_bytes", "1048576"), ("timeout", "30"), ("batch_size", "1")]);
    for i in 0..200 {
        let mut t = trace(&format!("big{i}"));
        t.input = Some(json!("x".repeat(64 * 1024)));
        c.finish(t);
    }
    let s = c.stats();
    // 1 MiB holds at most 16 inputs of 64 KiB (+1 in flight): the rest is refused, not buffered.
    assert!(s.queued <= 18, "{s:?}");
    assert_eq!(s.dropped["queue_bytes"], 200 - s.queued);
    c.shutdown(Duration::from_millis(100));
}

#[test]
fn a_view_encoded_on_the_finishing_thread_is_sent_as_the_worker_would_send_its_record() {
    // A view that carries payloads and metadata as JSON text, as the Node binding's does.
    let mut t = trace("encoded here");
    t.input = Some(json!({"to": "ada@example.com", "n": [1, 2.5]}));
    t.output = Some(json!({"answer": "blue"}));
    t.metadata.insert("k".into(), json!([1]));
    let input = r#"{"to":"ada@example.com","n":[1,2.5]}"#; // not in the encoder's form: parsed
    let output = r#"{"answer":"blue"}"#; // in the encoder's form: kept as it is
    let mut view = TraceView::from(&t);
    view.outcome.input = Some(PayloadView::Json(input.into()));
    view.outcome.output = Some(PayloadView::Json(output.into()));
    view.metadata = MetadataView::from_json(r#"{"k":[1]}"#.into()).unwrap();
    // With nothing to scrub the view is encoded as it is; with a built-in rule it becomes a
    // record first, so scrubbing reaches the strings inside its JSON text.
    for (options, scrubbed) in [(&[][..], false), (&[("redact", "email")][..], true)] {
        let sink = Sink::start();
        let c = client(&sink, options);
        assert_eq!(c.finish(t.clone()), Finished::Kept);
        assert_eq!(c.finish_view(&view), Finished::Kept);
        assert!(c.flush(LONG));
        let sent: Vec<_> = sink.received().iter().flat_map(|r| r.body["traces"].as_array().unwrap().clone()).collect();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0], sent[1], "the same bytes, whichever thread encoded them");
        assert_eq!(sent[0].to_string().contains("ada@example.com"), !scrubbed);
        assert_eq!(c.stats().sent, 2);
    }
}

#[test]
fn flush_waits_for_everything_finished_before_it() {
    let sink = Sink::start();
    let c = client(&sink, &[("batch_size", "100")]);
    let ids = finish_many(&c, 250);
    assert!(c.flush(LONG));
    assert_eq!(sink.delivered(), ids, "all of them, in order, once");
    assert_eq!(c.stats().pending, 0);
}

#[test]
fn an_unreachable_endpoint_drops_after_the_retry_budget_and_says_why() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed); // nothing listens there now: connections are refused
    let mut b = trulayer_core::Config::builder();
    b.set("api_key", "k").unwrap().set("endpoint", &url).unwrap().set("retry_budget", "1").unwrap();
    let c = Client::new(b.build_without_env().unwrap());
    let errors = collect_errors(&c);
    finish_many(&c, 4);
    assert!(c.flush(LONG));
    let s = c.stats();
    assert_eq!(s.dropped["retry_exhausted"], 4);
    assert!(s.retries >= 1);
    let errors = errors.lock().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Network);
    assert!(errors[0].message.contains("retry budget exhausted"), "{}", errors[0].message);
}

#[test]
fn traces_finished_after_shutdown_are_dropped_and_counted() {
    let sink = Sink::start();
    let c = client(&sink, &[]);
    finish_many(&c, 2);
    assert!(c.shutdown(LONG));
    assert_eq!(sink.delivered().len(), 2, "shutdown flushes first");
    assert_eq!(c.finish(trace("late")), Finished::Dropped(trulayer_core::DropReason::Shutdown));
    let s = c.stats();
    assert_eq!((s.sent, s.dropped["shutdown"], s.pending), (2, 1, 0));
}

#[test]
fn sampling_keeps_exactly_the_ids_the_hash_selects_and_every_error() {
    let sink = Sink::start();
    let c = client(&sink, &[("sample_rate", "0.5"), ("batch_size", "100")]);
    let mut expected = Vec::new();
    for i in 0..300 {
        let mut t = trace(&format!("t{i}"));
        if i % 10 == 0 {
            t.error = Some(trulayer_core::ErrorInfo::new(Some("ValueError"), "boom"));
        }
        if i % 10 == 0 || c.is_sampled(&t.id) {
            expected.push(t.id.to_string());
        }
        c.finish(t);
    }
    assert!(c.flush(LONG));
    assert_eq!(sink.delivered(), expected);
    let s = c.stats();
    assert_eq!(s.sampled_out + s.sent, 300);
    assert!(s.sampled_out > 100 && s.sampled_out < 170, "about half of the 270 error-free traces: {s:?}");
}

#[test]
fn nested_strings_are_scrubbed_before_they_leave_the_process() {
    let sink = Sink::start();
    let mut b = sink.config();
    b.set("redact", "email").unwrap();
    b.scrub_hook(std::sync::Arc::new(|s: &str| s.contains("hunter2").then(|| s.replace("hunter2", "[pw]"))));
    let c = Client::new(b.build_without_env().unwrap());
    let mut t = trace("scrub");
    t.input = Some(json!({"user": {"email": "ann@example.com", "notes": ["password hunter2"]}}));
    t.spans[0].output = Some(json!("reply to bob@example.org"));
    t.error = Some(trulayer_core::ErrorInfo::new(None, "failed for ann@example.com"));
    c.finish(t);
    assert!(c.flush(LONG));
    let body = sink.received()[0].body.to_string();
    for secret in ["ann@example.com", "bob@example.org", "hunter2"] {
        assert!(!body.contains(secret), "{secret} left the process: {body}");
    }
    assert!(body.contains("<REDACTED:email>") && body.contains("[pw]"));
}

#[test]
fn gzip_bodies_arrive_intact() {
    let sink = Sink::start();
    let c = client(&sink, &[("compression", "gzip")]);
    let ids = finish_many(&c, 5);
    assert!(c.flush(LONG));
    let r = &sink.received()[0];
    assert_eq!(r.content_encoding.as_deref(), Some("gzip"));
    assert_eq!(r.ids, ids);
}

#[test]
fn under_mixed_faults_every_trace_is_sent_or_counted() {
    let sink = Sink::start();
    sink.poison("poison");
    sink.script([Reply::Status(502), Reply::RetryAfter(503, "0".into()), Reply::Status(408), Reply::Status(413)]);
    let c = client(&sink, &[("batch_size", "20")]);
    for i in 0..200 {
        c.finish(trace(if i % 50 == 7 { "poison" } else { "ok" }));
    }
    assert!(c.flush(Duration::from_secs(30)));
    let s = c.stats();
    assert_eq!(s.sent + s.dropped_total, 200, "{s:?}");
    assert_eq!(s.dropped["invalid"], 4);
    assert_eq!(sink.delivered().len() as u64, s.sent);
    assert_eq!(sink.delivered().iter().collect::<HashSet<_>>().len() as u64, s.sent, "no trace delivered twice");
}
