//! `POST /v1/ingest` and `POST /v1/ingest/batch`.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::json;

use super::{json_body, AppState, Project};
use crate::error::ApiError;
use crate::{ingest, store};

pub async fn one(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    body: Body,
) -> Result<Response, ApiError> {
    let trace = ingest::trace(json_body(body).await?, String::new())?;
    let id = trace.id.clone();
    let fresh = state.store.write(move |conn| store::insert_traces(conn, &project, &[trace])).await?;
    Ok(if fresh[0] {
        let created_at = crate::timefmt::format(crate::timefmt::now_micros());
        (StatusCode::CREATED, Json(json!({"id": id, "created_at": created_at}))).into_response()
    } else {
        (StatusCode::OK, Json(json!({"status": "duplicate"}))).into_response()
    })
}

pub async fn batch(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    body: Body,
) -> Result<Response, ApiError> {
    let traces = ingest::batch(json_body(body).await?)?;
    let ids: Vec<String> = traces.iter().map(|t| t.id.clone()).collect();
    let fresh = state.store.write(move |conn| store::insert_traces(conn, &project, &traces)).await?;
    let ingested = fresh.iter().filter(|f| **f).count();
    Ok((StatusCode::CREATED, Json(json!({"ingested": ingested, "ids": ids}))).into_response())
}
