//! `trulayer-fault-proxy --upstream URL [--listen 127.0.0.1:0] [--plan TEXT]`
//!
//! Sits between an SDK and the collector and misbehaves as its plan says (see `plan.rs`).
//! Prints `trulayer-fault-proxy listening on http://ADDR` first. At run time:
//! `POST /__fault/plan` with a plan as the body replaces the plan; `GET /__fault/stats`
//! counts what each step did.

mod plan;
mod proxy;

use std::io::Write;

fn main() {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut upstream = None;
    let mut plan_text = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--listen" => listen = value(),
            "--upstream" => upstream = Some(value()),
            "--plan" => plan_text = value(),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    let upstream = upstream.unwrap_or_else(|| usage("--upstream is required"));
    let plan = plan::Plan::parse(&plan_text).unwrap_or_else(|e| usage(&e));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen).await.unwrap_or_else(|e| usage(&format!("cannot listen on {listen}: {e}")));
        println!("trulayer-fault-proxy listening on http://{}", listener.local_addr().expect("bound"));
        let _ = std::io::stdout().flush();
        tokio::select! {
            _ = proxy::serve(listener, upstream, plan) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    });
}

fn usage(problem: &str) -> ! {
    eprintln!("trulayer-fault-proxy: {problem}\nusage: trulayer-fault-proxy --upstream URL [--listen ADDR] [--plan TEXT]");
    std::process::exit(2)
}
