//! `POST /v1/feedback` and `GET /v1/feedback`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rusqlite::params;
use serde_json::{json, Value};

use super::{json_body, query_params, traces, AppState, Project};
use crate::error::ApiError;
use crate::fields::Fields;
use crate::timefmt;

const LABELS: [&str; 3] = ["good", "bad", "neutral"];

pub async fn submit(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut body = json_body(body).await?;
    let mut f = Fields::of(&mut body, String::new())?;
    let trace_id = f.required_uuid("trace_id")?;
    let label = f.required_string("label")?;
    if !LABELS.contains(&label.as_str()) {
        return Err(f.err("label", "must be one of good, bad, neutral"));
    }
    let score = f.number("score")?;
    let comment = f.string("comment")?;
    f.object("metadata")?;
    let metadata = f.obj["metadata"].clone();
    traces::find(&state, &project, &trace_id).await?;

    let id = trulayer_core::new_id().to_string();
    let created_us = timefmt::now_micros();
    let row = json!({
        "id": id, "trace_id": trace_id, "label": label, "score": score, "comment": comment,
        "metadata": metadata, "created_at": timefmt::format(created_us),
    });
    state
        .store
        .write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO feedback (id, project, trace_id, label, score, comment, metadata, created_us)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![id, project, trace_id, label, score, comment, metadata.to_string(), created_us])
        })
        .await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// The project's feedback, newest first, optionally for one trace and/or one label.
pub async fn list(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let params = query_params(params)?;
    let trace_id = params.get("trace_id").map(|t| super::path_uuid(t)).transpose()?;
    let label = params.get("label").cloned();
    if label.as_deref().is_some_and(|l| !LABELS.contains(&l)) {
        return Err(ApiError::bad_request("invalid_parameter", "label must be one of good, bad, neutral"));
    }
    let rows = state
        .store
        .read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, trace_id, label, score, comment, metadata, created_us FROM feedback
                 WHERE project = ?1 AND (?2 IS NULL OR trace_id = ?2) AND (?3 IS NULL OR label = ?3)
                 ORDER BY created_us DESC LIMIT 200",
            )?;
            let rows = stmt.query_map(params![project, trace_id, label], |r| {
                let metadata: String = r.get(5)?;
                Ok(json!({
                    "id": r.get::<_, String>(0)?, "trace_id": r.get::<_, String>(1)?, "label": r.get::<_, String>(2)?,
                    "score": r.get::<_, Option<f64>>(3)?, "comment": r.get::<_, Option<String>>(4)?,
                    "metadata": serde_json::from_str::<Value>(&metadata).unwrap_or(Value::Null),
                    "created_at": timefmt::format(r.get(6)?),
                }))
            })?;
            rows.collect::<rusqlite::Result<Vec<Value>>>()
        })
        .await?;
    Ok(Json(json!({ "feedback": rows })))
}
