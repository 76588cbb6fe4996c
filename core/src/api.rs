//! Synchronous calls to the API's query and feedback endpoints.
//!
//! These run on the caller's thread (bindings release their interpreter lock or use a thread
//! pool first) with their own short-lived runtime, so they never touch the worker or its
//! connection pool. They fail with a message, never panic.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use crate::client::Client;
use crate::config::Mode;
use crate::export::USER_AGENT_HEADER;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: String,
}

impl ApiResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Client {
    /// Sends `method path_and_query` (e.g. `GET /v1/traces?limit=5`) with the client's key.
    pub fn api_request(
        &self,
        method: &str,
        path_and_query: &str,
        json_body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<ApiResponse, String> {
        let config = self.config();
        if config.mode == Mode::Local {
            return Err("TRULAYER_MODE=local: no API calls are made".into());
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| format!("invalid HTTP method {method:?}"))?;
        let url = format!("{}{}", config.endpoint, path_and_query);
        let key = config.api_key.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("could not start an I/O runtime: {e}"))?;
        runtime.block_on(async move {
            let http = reqwest::Client::builder()
                .user_agent(USER_AGENT_HEADER)
                .timeout(timeout)
                .build()
                .map_err(|e| format!("could not set up HTTPS: {e}"))?;
            let mut req = http.request(method, &url);
            if let Some(k) = key {
                req = req.header(AUTHORIZATION, format!("Bearer {k}"));
            }
            if let Some(body) = json_body {
                req = req.header(CONTENT_TYPE, "application/json").body(body);
            }
            let resp = req.send().await.map_err(|e| format!("request to {url} failed: {e}"))?;
            let status = resp.status().as_u16();
            let body = resp.text().await.map_err(|e| format!("reading the answer of {url} failed: {e}"))?;
            Ok(ApiResponse { status, body })
        })
    }
}
