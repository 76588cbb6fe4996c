//! `GET /v1/traces` and `GET /v1/traces/{id}`.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{path_uuid, query_params, AppState, Project};
use crate::error::ApiError;
use crate::query::{self, ListFilter};
use crate::views::trace_json;

pub async fn list(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let filter = ListFilter::parse(&query_params(params)?)?;
    let scope = project.clone();
    let page = state.store.read(move |conn| query::list(conn, &scope, &filter)).await?;
    let traces: Vec<Value> = page.rows.iter().map(|r| trace_json(r, &project, false)).collect();
    Ok(Json(json!({
        "traces": traces,
        "has_more": page.next.is_some(),
        "next_cursor": page.next.map(|c| c.encode()),
    })))
}

pub async fn detail(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = find(&state, &project, &id).await?;
    Ok(Json(trace_json(&row, &project, true)))
}

/// The project's trace `id`; 404 when unknown or another project's.
pub async fn find(state: &AppState, project: &std::sync::Arc<str>, id: &str) -> Result<query::TraceRow, ApiError> {
    let id = path_uuid(id)?;
    let scope = project.clone();
    state.store.read(move |conn| query::get(conn, &scope, &id)).await?.ok_or_else(|| ApiError::not_found("trace"))
}
