//! `POST /v1/eval` (rule evaluators run at once; LLM evaluators are recorded as failed, as
//! they need the hosted service) and `GET /v1/eval/{id}`.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Map, Value};

use super::{json_body, path_uuid, traces, AppState, Project};
use crate::error::ApiError;
use crate::eval::{evaluate, Outcome, RULES};
use crate::fields::Fields;
use crate::timefmt;
use crate::views::trace_json;

pub async fn trigger(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    body: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut body = json_body(body).await?;
    let mut f = Fields::of(&mut body, String::new())?;
    let trace_id = f.required_uuid("trace_id")?;
    let evaluator = f.required_string("evaluator_type")?;
    let metric = f.required_string("metric_name")?;
    f.object("config")?;
    let config: Map<String, Value> = f.obj["config"].as_object().cloned().unwrap_or_default();
    let (status, outcome) = match evaluator.as_str() {
        "rule" => {
            let row = traces::find(&state, &project, &trace_id).await?;
            ("complete", evaluate(&metric, &config, &trace_json(&row, &project, true))?)
        }
        "llm" => {
            traces::find(&state, &project, &trace_id).await?;
            let reasoning = format!("LLM evaluators run on the hosted service; the local collector runs the rules {}", RULES.join(", "));
            ("failed", Outcome { score: None, label: None, reasoning })
        }
        _ => return Err(f.err("evaluator_type", "must be llm or rule")),
    };
    let Outcome { score, label, reasoning } = outcome;
    let eval_id = trulayer_core::new_id().to_string();
    let id = eval_id.clone();
    state
        .store
        .write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO evals (id, project, trace_id, metric_name, evaluator_type, status, score, label, reasoning, config, created_us)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                id,
                project,
                trace_id,
                metric,
                evaluator,
                status,
                score,
                label,
                reasoning,
                Value::Object(config).to_string(),
                timefmt::now_micros()
            ])
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"eval_id": eval_id, "status": status}))))
}

pub async fn detail(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = path_uuid(&id)?;
    let scope = project.clone();
    let found = state
        .store
        .read(move |conn| {
            conn.prepare_cached(
                "SELECT id, trace_id, metric_name, evaluator_type, status, score, label, reasoning, created_us
                 FROM evals WHERE project = ?1 AND id = ?2",
            )?
            .query_row(params![scope, id], |r| {
                Ok(json!({
                    "id": r.get::<_, String>(0)?, "trace_id": r.get::<_, String>(1)?,
                    "metric_name": r.get::<_, String>(2)?, "evaluator_type": r.get::<_, String>(3)?,
                    "status": r.get::<_, String>(4)?, "score": r.get::<_, Option<f64>>(5)?,
                    "label": r.get::<_, Option<String>>(6)?, "reasoning": r.get::<_, Option<String>>(7)?,
                    "created_at": timefmt::format(r.get(8)?),
                }))
            })
            .optional()
        })
        .await?;
    let mut eval = found.ok_or_else(|| ApiError::not_found("evaluation"))?;
    eval["project_id"] = json!(&*project);
    eval["context"] = json!("fresh");
    eval["source_action_id"] = Value::Null;
    eval["original_evaluation_id"] = Value::Null;
    Ok(Json(eval))
}
