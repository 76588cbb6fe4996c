//! A minimal HTTP/1.1 proxy (keep-alive, Content-Length bodies: what the SDKs send) that
//! applies the plan to ingest requests and forwards everything else untouched.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::plan::{Plan, Step};

pub struct State {
    plan: Mutex<Plan>,
    upstream: String,
    http: reqwest::Client,
    counts: Mutex<BTreeMap<&'static str, u64>>,
    down: mpsc::UnboundedSender<Duration>,
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

struct Reply {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(status: u16, message: &str) -> Reply {
        Reply { status, retry_after: None, body: serde_json::json!({ "error": message, "code": "injected" }).to_string().into_bytes() }
    }
}

/// Serves on `listener` until the process ends; `down` steps close and reopen the same port.
pub async fn serve(listener: TcpListener, upstream: String, plan: Plan) {
    let addr = listener.local_addr().expect("bound listener");
    let (down_tx, mut down_rx) = mpsc::unbounded_channel();
    let state = Arc::new(State {
        plan: Mutex::new(plan),
        upstream: upstream.trim_end_matches('/').to_owned(),
        http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("HTTP client"),
        counts: Mutex::new(BTreeMap::new()),
        down: down_tx,
    });
    let mut listener = Some(listener);
    loop {
        let current = match listener.take() {
            Some(l) => l,
            None => rebind(addr).await,
        };
        loop {
            tokio::select! {
                accepted = current.accept() => {
                    if let Ok((stream, _)) = accepted {
                        tokio::spawn(connection(stream, state.clone()));
                    }
                }
                Some(pause) = down_rx.recv() => {
                    drop(current); // connections are refused until the port is bound again
                    tokio::time::sleep(pause).await;
                    break;
                }
            }
        }
    }
}

async fn rebind(addr: SocketAddr) -> TcpListener {
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn connection(mut stream: TcpStream, state: Arc<State>) {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut stream, &mut buf).await {
        let reply = if req.path.starts_with("/__fault/") {
            control(&req, &state)
        } else if req.method == "POST" && req.path.starts_with("/v1/ingest") {
            let step = state.plan.lock().unwrap().next_step();
            *state.counts.lock().unwrap().entry(step.name()).or_default() += 1;
            match step {
                Step::Pass => ingest(&req, &state).await,
                Step::Delay(d) => {
                    tokio::time::sleep(d).await;
                    ingest(&req, &state).await
                }
                Step::Status { code, retry_after } => {
                    Reply { retry_after: retry_after.map(|s| s.to_string()), ..Reply::json(code, "injected failure") }
                }
                Step::Reset => return reset(stream),
                Step::Lost => {
                    let _ = forward(&req, &state).await;
                    return reset(stream);
                }
                Step::Down(pause) => {
                    let _ = state.down.send(pause);
                    return reset(stream);
                }
                Step::Hang => {
                    // Hold the connection until the client gives up on it.
                    let mut sink = [0u8; 1024];
                    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                    return;
                }
            }
        } else {
            forward(&req, &state).await
        };
        if write_reply(&mut stream, &reply).await.is_err() {
            return;
        }
    }
}

fn control(req: &Request, state: &State) -> Reply {
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/__fault/plan") => match Plan::parse(&String::from_utf8_lossy(&req.body)) {
            Ok(plan) => {
                *state.plan.lock().unwrap() = plan;
                Reply::json(200, "plan set")
            }
            Err(e) => Reply::json(400, &e),
        },
        ("GET", "/__fault/stats") => {
            let counts = state.counts.lock().unwrap().clone();
            Reply { status: 200, retry_after: None, body: serde_json::to_vec(&counts).expect("map of counts") }
        }
        _ => Reply::json(404, "unknown control path"),
    }
}

/// Applies the plan's rules, then forwards.
async fn ingest(req: &Request, state: &State) -> Reply {
    let plain = !req.headers.iter().any(|(k, v)| k == "content-encoding" && v != "identity");
    if plain {
        if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&req.body) {
            if let Some((status, message)) = state.plan.lock().unwrap().violated_rule(&body) {
                *state.counts.lock().unwrap().entry(if status == 400 { "poison" } else { "too_large" }).or_default() += 1;
                return Reply::json(status, &message);
            }
        }
    }
    forward(req, state).await
}

async fn forward(req: &Request, state: &State) -> Reply {
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut upstream = state.http.request(method, format!("{}{}", state.upstream, req.path)).body(req.body.clone());
    for (k, v) in &req.headers {
        if matches!(k.as_str(), "authorization" | "content-type" | "content-encoding") {
            upstream = upstream.header(k, v);
        }
    }
    match upstream.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            Reply { status, retry_after, body }
        }
        Err(e) => Reply::json(502, &format!("upstream unreachable: {e}")),
    }
}

/// Closes with a TCP reset (zero linger) instead of an orderly FIN.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Request::new(&mut headers);
        if let Ok(httparse::Status::Complete(head_len)) = parsed.parse(buf) {
            let headers: Vec<(String, String)> = parsed
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned()))
                .collect();
            let method = parsed.method?.to_owned();
            let path = parsed.path?.to_owned();
            let len: usize = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.trim().parse().ok()).unwrap_or(0);
            while buf.len() < head_len + len {
                if !fill(stream, buf).await {
                    return None;
                }
            }
            let body = buf[head_len..head_len + len].to_vec();
            buf.drain(..head_len + len);
            return Some(Request { method, path, headers, body });
        }
        if !fill(stream, buf).await {
            return None;
        }
    }
}

async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 16 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

async fn write_reply(stream: &mut TcpStream, reply: &Reply) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} Fault\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        reply.status,
        reply.body.len()
    );
    if let Some(ra) = &reply.retry_after {
        head.push_str(&format!("retry-after: {ra}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&reply.body).await
}
