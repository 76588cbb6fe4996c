//! `GET /v1/metrics`: counts, error rate, latency percentiles, tokens and cost over a window
//! (default: the last 24 hours).

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use rusqlite::params;
use serde_json::{json, Value};

use super::{query_params, AppState, Project};
use crate::error::ApiError;
use crate::query::parse_time;
use crate::timefmt;

const DAY_US: i64 = 24 * 3600 * 1_000_000;

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

pub async fn summary(
    State(state): State<AppState>,
    Extension(Project(project)): Extension<Project>,
    params: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let params = query_params(params)?;
    let to = parse_time(&params, "to")?.unwrap_or_else(timefmt::now_micros);
    let from = parse_time(&params, "from")?.unwrap_or(to - DAY_US);
    if to < from {
        return Err(ApiError::bad_request("invalid_parameter", "to must not be before from"));
    }
    let other_project = params.get("project_id").is_some_and(|p| **p != *project);
    let scope = if other_project { String::new() } else { project.to_string() };
    let (totals, latencies) = state
        .store
        .read(move |conn| {
            let totals = conn
                .prepare_cached(
                    "SELECT COUNT(*), COALESCE(SUM(has_error), 0), SUM(cost), COALESCE(SUM(total_tokens), 0),
                            COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0)
                     FROM traces WHERE project = ?1 AND started_us BETWEEN ?2 AND ?3",
                )?
                .query_row(params![scope, from, to], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<f64>>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?))
                })?;
            let latencies = conn
                .prepare_cached(
                    "SELECT latency_ms FROM traces WHERE project = ?1 AND started_us BETWEEN ?2 AND ?3
                     AND latency_ms IS NOT NULL ORDER BY latency_ms",
                )?
                .query_map(params![scope, from, to], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            Ok((totals, latencies))
        })
        .await?;
    let (total, errors, cost, tokens, prompt, completion) = totals;
    Ok(Json(json!({
        "total_traces": total,
        "error_count": errors,
        "error_rate": (total > 0).then(|| errors as f64 / total as f64),
        "p50_latency_ms": percentile(&latencies, 0.50),
        "p95_latency_ms": percentile(&latencies, 0.95),
        "p99_latency_ms": percentile(&latencies, 0.99),
        "total_cost": cost,
        "total_tokens": tokens,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "from": timefmt::format(from),
        "to": timefmt::format(to),
    })))
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 0.5), Some(50));
        assert_eq!(percentile(&v, 0.95), Some(95));
        assert_eq!(percentile(&v, 0.99), Some(99));
        assert_eq!(percentile(&[7], 0.99), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
