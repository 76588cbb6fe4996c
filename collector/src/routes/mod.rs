//! The HTTP surface: router, key check, and the helpers every handler shares.

mod eval;
mod feedback;
mod ingest;
mod metrics;
mod traces;

use std::collections::HashMap;
use std::sync::Arc;

use std::pin::Pin;

use axum::body::{Body, HttpBody};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::decompression::RequestDecompressionLayer;

use crate::error::ApiError;
use crate::store::{Store, StoreError};

/// Request bodies above this (after decompression) are answered 413 (api §8). Handlers
/// read bodies with [`json_body`], which enforces it.
pub const BODY_LIMIT: usize = 20 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    /// API key → project.
    pub keys: Arc<HashMap<String, Arc<str>>>,
}

/// The project the request's key belongs to.
#[derive(Clone)]
pub struct Project(pub Arc<str>);

pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/ingest", post(ingest::one))
        .route("/ingest/batch", post(ingest::batch))
        .route("/traces", get(traces::list))
        .route("/traces/{id}", get(traces::detail))
        .route("/feedback", post(feedback::submit).get(feedback::list))
        .route("/eval", post(eval::trigger))
        .route("/eval/{id}", get(eval::detail))
        .route("/metrics", get(metrics::summary))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key));
    Router::new()
        .route("/", get(page))
        .route("/health", get(health))
        .nest("/v1", v1)
        .fallback(|| async { ApiError::not_found("route") })
        .layer(RequestDecompressionLayer::new())
        .with_state(state)
}

async fn require_key(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.get(..7).filter(|p| p.eq_ignore_ascii_case("bearer ")).map(|_| v[7..].trim()));
    match key.and_then(|k| state.keys.get(k)) {
        Some(project) => {
            req.extensions_mut().insert(Project(Arc::clone(project)));
            next.run(req).await
        }
        None => ApiError::unauthorized().into_response(),
    }
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "time": crate::timefmt::format(crate::timefmt::now_micros())}))
}

async fn page() -> Html<&'static str> {
    Html(include_str!("../page.html"))
}

/// Past the limit, the rest of a body is still read (and dropped) up to this size, so the
/// client gets to read the 413 instead of a connection reset in the middle of its upload.
const DRAIN_LIMIT: usize = 4 * BODY_LIMIT;

/// The request body (already decompressed) as JSON; 413 over the limit, 400 for unreadable
/// bodies (e.g. broken gzip) or bad JSON.
pub async fn json_body(mut body: Body) -> Result<Value, ApiError> {
    let mut buf = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| ApiError::bad_request("invalid_body", format!("could not read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        total += data.len();
        if total <= BODY_LIMIT {
            buf.extend_from_slice(&data);
        } else if total > DRAIN_LIMIT {
            break;
        }
    }
    if total > BODY_LIMIT {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body is larger than {} MiB", BODY_LIMIT >> 20),
        ));
    }
    crate::ingest::parse_json(&buf)
}

/// Query parameters as a map; a malformed query string is a 400.
pub fn query_params(q: Result<Query<HashMap<String, String>>, QueryRejection>) -> Result<HashMap<String, String>, ApiError> {
    q.map(|Query(m)| m).map_err(|e| ApiError::bad_request("invalid_parameter", e.body_text()))
}

/// A path id that must be a UUID, in canonical form.
pub fn path_uuid(id: &str) -> Result<String, ApiError> {
    trulayer_core::ids::parse_id(id).map(|u| u.to_string()).ok_or_else(|| crate::fields::invalid_id("", "id"))
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Busy => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "write queue is full, retry later"),
            StoreError::Closed => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "the collector is shutting down"),
            StoreError::Db(msg) => ApiError::internal(format!("database error: {msg}")),
        }
    }
}
