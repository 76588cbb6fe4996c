//! `GET /v1/traces` parameters (seed 003): parsing with the documented 400s, and the keyset
//! query. Pages are ordered newest first by (started_at, ingest sequence); the cursor is the
//! last row's pair, so a walk never repeats or skips a trace, whatever is ingested meanwhile.

use std::collections::HashMap;

use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use trulayer_core::FailureType;

use crate::error::ApiError;
use crate::ingest::TAG_SEP;
use crate::timefmt;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Default)]
pub struct ListFilter {
    pub project_id: Option<String>,
    pub model: Option<String>,
    pub error: Option<bool>,
    pub failure_type: Option<FailureType>,
    pub from_us: Option<i64>,
    pub to_us: Option<i64>,
    pub latency: (Option<i64>, Option<i64>),
    pub tokens: (Option<i64>, Option<i64>),
    pub tag: Option<(String, String)>,
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub started_us: i64,
    pub seq: i64,
}

impl Cursor {
    pub fn encode(self) -> String {
        format!("c1_{:x}_{:x}", self.started_us, self.seq)
    }

    fn decode(text: &str) -> Option<Cursor> {
        let mut parts = text.strip_prefix("c1_")?.split('_');
        let started_us = i64::from_str_radix(parts.next()?, 16).ok()?;
        let seq = i64::from_str_radix(parts.next()?, 16).ok()?;
        parts.next().is_none().then_some(Cursor { started_us, seq })
    }
}

fn bad(message: String) -> ApiError {
    ApiError::bad_request("invalid_parameter", message)
}

pub fn parse_count(params: &HashMap<String, String>, key: &str) -> Result<Option<i64>, ApiError> {
    match params.get(key) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).map(Some).ok_or_else(|| bad(format!("{key} must be a non-negative integer"))),
    }
}

pub fn parse_time(params: &HashMap<String, String>, key: &str) -> Result<Option<i64>, ApiError> {
    match params.get(key) {
        None => Ok(None),
        Some(v) => timefmt::parse(v).map(Some).ok_or_else(|| bad(format!("{key} must be an RFC 3339 date-time"))),
    }
}

fn range(params: &HashMap<String, String>, min: &str, max: &str) -> Result<(Option<i64>, Option<i64>), ApiError> {
    let (lo, hi) = (parse_count(params, min)?, parse_count(params, max)?);
    if let (Some(l), Some(h)) = (lo, hi) {
        if h < l {
            return Err(bad(format!("{max} must be greater than or equal to {min}")));
        }
    }
    Ok((lo, hi))
}

impl ListFilter {
    pub fn parse(params: &HashMap<String, String>) -> Result<ListFilter, ApiError> {
        let error = match params.get("error").map(String::as_str) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(bad("error must be true or false".into())),
        };
        let failure_type = match params.get("failure_type") {
            None => None,
            Some(v) => Some(FailureType::parse(v).ok_or_else(|| {
                bad("failure_type must be one of timeout, rate_limit, invalid_response, context_length".into())
            })?),
        };
        let tag = match (params.get("tag_key"), params.get("tag_value")) {
            (None, None) => None,
            (Some(k), Some(v)) => Some((k.clone(), v.clone())),
            _ => {
                return Err(ApiError::bad_request(
                    "error.tags_filter_incomplete",
                    "tag_key and tag_value must be supplied together",
                ))
            }
        };
        let limit = match params.get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| bad(format!("limit must be an integer from 1 to {MAX_LIMIT}")))?,
        };
        let cursor = match params.get("cursor").filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => Some(Cursor::decode(c).ok_or_else(|| ApiError::bad_request("invalid_cursor", "cursor is not valid"))?),
        };
        let (from_us, to_us) = (parse_time(params, "from")?, parse_time(params, "to")?);
        if let (Some(f), Some(t)) = (from_us, to_us) {
            if t < f {
                return Err(bad("to must not be before from".into()));
            }
        }
        Ok(ListFilter {
            project_id: params.get("project_id").cloned(),
            model: params.get("model").cloned(),
            error,
            failure_type,
            from_us,
            to_us,
            latency: range(params, "latency_min", "latency_max")?,
            tokens: range(params, "token_count_min", "token_count_max")?,
            tag,
            cursor,
            limit,
        })
    }
}

/// One stored trace with its roll-up columns.
#[derive(Debug)]
pub struct TraceRow {
    pub seq: i64,
    pub started_us: i64,
    pub has_error: bool,
    pub latency_ms: Option<i64>,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub span_count: i64,
    pub cost: Option<f64>,
    pub model: Option<String>,
    pub created_us: i64,
    pub body: String,
}

const ROW_COLUMNS: &str = "t.seq, t.started_us, t.has_error, t.latency_ms, t.prompt_tokens, t.completion_tokens, \
     t.span_count, t.cost, t.model, t.created_us, t.body";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TraceRow> {
    Ok(TraceRow {
        seq: r.get(0)?,
        started_us: r.get(1)?,
        has_error: r.get(2)?,
        latency_ms: r.get(3)?,
        prompt_tokens: r.get(4)?,
        completion_tokens: r.get(5)?,
        span_count: r.get(6)?,
        cost: r.get(7)?,
        model: r.get(8)?,
        created_us: r.get(9)?,
        body: r.get(10)?,
    })
}

pub struct Page {
    pub rows: Vec<TraceRow>,
    pub next: Option<Cursor>,
}

/// Binds `#` placeholders, in order, to positional parameters after the project (?1).
struct SqlBuilder {
    sql: String,
    args: Vec<Sql>,
}

impl SqlBuilder {
    fn and(&mut self, clause: &str, values: Vec<Sql>) {
        let mut clause = clause.to_owned();
        for v in values {
            self.args.push(v);
            clause = clause.replacen('#', &format!("?{}", self.args.len()), 1);
        }
        self.sql.push_str(" AND ");
        self.sql.push_str(&clause);
    }
}

fn facets(f: &ListFilter) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(m) = &f.model {
        out.push(("model", m.clone()));
    }
    if let Some(ft) = f.failure_type {
        out.push(("failure_type", ft.as_str().to_owned()));
    }
    if let Some((k, v)) = &f.tag {
        out.push(("tag", format!("{k}{TAG_SEP}{v}")));
    }
    out
}

/// Runs the list query for `project`. With a model/failure/tag filter the walk runs along
/// that facet's index range, already in list order; otherwise along the traces' time index.
pub fn list(conn: &Connection, project: &str, f: &ListFilter) -> rusqlite::Result<Page> {
    // A project_id naming another project matches nothing: a key sees only its own project.
    if f.project_id.as_deref().is_some_and(|p| p != project) {
        return Ok(Page { rows: Vec::new(), next: None });
    }
    let mut facets = facets(f).into_iter();
    let driver = facets.next();
    let (from, (time, seq)) = match driver {
        Some(_) => ("facets d CROSS JOIN traces t ON t.seq = d.trace_seq", ("d.started_us", "d.trace_seq")),
        None => ("traces t", ("t.started_us", "t.seq")),
    };
    let mut q = SqlBuilder { sql: format!("SELECT {ROW_COLUMNS} FROM {from} WHERE t.project = ?1"), args: vec![Sql::Text(project.to_owned())] };
    if let Some((kind, value)) = driver {
        q.and("d.project = ?1 AND d.kind = # AND d.value = #", vec![Sql::Text(kind.into()), Sql::Text(value)]);
    }
    for (kind, value) in facets {
        q.and(
            "EXISTS (SELECT 1 FROM facets g WHERE g.project = ?1 AND g.kind = # AND g.value = #
                     AND g.started_us = t.started_us AND g.trace_seq = t.seq)",
            vec![Sql::Text(kind.into()), Sql::Text(value)],
        );
    }
    if let Some(e) = f.error {
        q.and("t.has_error = #", vec![Sql::Integer(e as i64)]);
    }
    // Time bounds go on the walked index's own column, so they seek instead of filter.
    let (from_clause, to_clause) = (format!("{time} >= #"), format!("{time} <= #"));
    let bounds = [
        (from_clause.as_str(), f.from_us),
        (to_clause.as_str(), f.to_us),
        ("t.latency_ms >= #", f.latency.0),
        ("t.latency_ms <= #", f.latency.1),
        ("t.total_tokens >= #", f.tokens.0),
        ("t.total_tokens <= #", f.tokens.1),
    ];
    for (clause, value) in bounds {
        if let Some(v) = value {
            q.and(clause, vec![Sql::Integer(v)]);
        }
    }
    if let Some(c) = f.cursor {
        q.and(
            &format!("({time} < # OR ({time} = # AND {seq} < #))"),
            vec![Sql::Integer(c.started_us), Sql::Integer(c.started_us), Sql::Integer(c.seq)],
        );
    }
    q.sql.push_str(&format!(" ORDER BY {time} DESC, {seq} DESC LIMIT {}", f.limit + 1));
    let mut stmt = conn.prepare_cached(&q.sql)?;
    let mut rows = stmt.query_map(rusqlite::params_from_iter(q.args), row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    let next = if rows.len() as i64 > f.limit {
        rows.truncate(f.limit as usize);
        rows.last().map(|r| Cursor { started_us: r.started_us, seq: r.seq })
    } else {
        None
    };
    Ok(Page { rows, next })
}

pub fn get(conn: &Connection, project: &str, id: &str) -> rusqlite::Result<Option<TraceRow>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM traces t WHERE t.project = ?1 AND t.id = ?2"))?
        .query_row([project, id], row)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { started_us: 1_700_000_000_000_000, seq: 42 };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("c1_zz_1"), None);
        assert_eq!(Cursor::decode("c1_1_2_3"), None);
    }
}
