//! One POST of one batch, and what its answer means for the batch.

use std::io::Write;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};

use super::backoff::parse_retry_after;
use crate::config::{Compression, Config};

/// What the pipeline should do with a batch after one attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    Delivered,
    /// Try again later: network error, timeout, 408, 429 or 5xx.
    Retry { status: Option<u16>, retry_after: Option<Duration>, reason: String },
    /// 400/422/413: split the batch to isolate the bad or oversize trace.
    Split { status: u16, message: String },
    /// 401/403: the key is refused; stop shipping.
    Unauthorized { status: u16, message: String },
    /// Any other status: not retryable, not splittable.
    Rejected { status: u16, message: String },
}

pub struct HttpExporter {
    /// The client and the ingest URL (parsed once: per request it showed in profiles), or
    /// why they could not be set up.
    target: Result<(reqwest::Client, reqwest::Url), String>,
    auth: Option<HeaderValue>,
    compression: Compression,
    debug: bool,
}

pub const USER_AGENT: &str = concat!("trulayer-sdk/", env!("CARGO_PKG_VERSION"));

impl HttpExporter {
    pub fn new(config: &Config) -> Self {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("could not set up HTTPS (TLS roots or proxy settings): {e}"));
        let url = reqwest::Url::parse(&config.ingest_url()).map_err(|e| format!("invalid endpoint {}: {e}", config.endpoint));
        let target = client.and_then(|c| url.map(|u| (c, u)));
        let auth = config.api_key.as_ref().and_then(|k| {
            let mut v = HeaderValue::from_str(&format!("Bearer {k}")).ok()?;
            v.set_sensitive(true);
            Some(v)
        });
        HttpExporter { target, auth, compression: config.compression, debug: config.debug }
    }

    /// Sends one body; `timeout` bounds the whole attempt, connection included. The body is
    /// shared with the request, not copied: a retry sends the same buffer again.
    pub async fn send(&self, body: &Bytes, traces: usize, timeout: Duration) -> Attempt {
        let (client, url) = match &self.target {
            Ok(target) => target,
            Err(e) => return Attempt::Retry { status: None, retry_after: None, reason: e.clone() },
        };
        if self.debug {
            // The key never appears: only the scheme of the Authorization header is shown.
            eprintln!(
                "trulayer debug: POST {} ({traces} traces, {} bytes, Authorization: Bearer <redacted>)\n{}",
                url,
                body.len(),
                String::from_utf8_lossy(&body[..])
            );
        }
        let mut req = client.post(url.clone()).header(CONTENT_TYPE, "application/json").timeout(timeout);
        if let Some(auth) = &self.auth {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        req = match self.compression {
            Compression::Gzip => req.header(CONTENT_ENCODING, "gzip").body(gzip(body)),
            Compression::None => req.body(body.clone()),
        };
        let resp = match tokio::time::timeout(timeout, req.send()).await {
            Err(_) => return Attempt::Retry { status: None, retry_after: None, reason: format!("no answer within {timeout:?}") },
            Ok(Err(e)) => return Attempt::Retry { status: None, retry_after: None, reason: describe(&e) },
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let retry_after =
            resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| parse_retry_after(v, SystemTime::now()));
        if (200..300).contains(&status) {
            return Attempt::Delivered;
        }
        let message = match tokio::time::timeout(timeout, resp.text()).await {
            Ok(Ok(body)) => error_message(&body),
            _ => String::new(),
        };
        classify(status, retry_after, message)
    }
}

fn classify(status: u16, retry_after: Option<Duration>, message: String) -> Attempt {
    match status {
        400 | 413 | 422 => Attempt::Split { status, message },
        401 | 403 => Attempt::Unauthorized { status, message },
        408 | 429 | 500..=599 => Attempt::Retry { status: Some(status), retry_after, reason: format!("HTTP {status} {message}") },
        _ => Attempt::Rejected { status, message },
    }
}

/// The `error`/`code` of an API error body, or its first 200 bytes.
fn error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let code = v.get("code").and_then(|c| c.as_str());
        let err = v.get("error").or_else(|| v.get("message")).and_then(|e| e.as_str());
        match (code, err) {
            (Some(c), Some(e)) => return format!("{e} ({c})"),
            (Some(c), None) => return c.to_owned(),
            (None, Some(e)) => return e.to_owned(),
            _ => {}
        }
    }
    let mut s: String = body.chars().take(200).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    s
}

/// A one-line cause a user can act on (TLS and proxy failures named as such).
fn describe(e: &reqwest::Error) -> String {
    let mut chain = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        src = s.source();
    }
    let lower = chain.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("tls") {
        format!("TLS failure (check SSL_CERT_FILE or the system trust store): {chain}")
    } else if lower.contains("proxy") {
        format!("proxy failure (check HTTPS_PROXY / NO_PROXY): {chain}")
    } else if e.is_timeout() {
        format!("timed out: {chain}")
    } else {
        chain
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::fast());
    enc.write_all(body).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_what_the_pipeline_does() {
        assert!(matches!(classify(400, None, String::new()), Attempt::Split { status: 400, .. }));
        assert!(matches!(classify(413, None, String::new()), Attempt::Split { status: 413, .. }));
        assert!(matches!(classify(401, None, String::new()), Attempt::Unauthorized { .. }));
        assert!(matches!(classify(403, None, String::new()), Attempt::Unauthorized { .. }));
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(matches!(classify(s, None, String::new()), Attempt::Retry { .. }), "{s}");
        }
        assert!(matches!(classify(404, None, String::new()), Attempt::Rejected { status: 404, .. }));
    }

    #[test]
    fn api_error_bodies_are_summarised() {
        assert_eq!(error_message(r#"{"error":"bad key","code":"invalid_api_key"}"#), "bad key (invalid_api_key)");
        assert_eq!(error_message(r#"{"code":"error.project.archived","message":"archived"}"#), "archived (error.project.archived)");
        assert_eq!(error_message("oops"), "oops");
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let body = b"{\"traces\":[]}".repeat(100);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&body)[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, body);
    }
}
