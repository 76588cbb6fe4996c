//! Local rule evaluators for `POST /v1/eval` with `evaluator_type: "rule"`. Each scores a
//! trace 1.0 (pass) or 0.0 (fail) and says why. LLM evaluators need the hosted service.

use serde_json::{Map, Value};

use crate::error::ApiError;

pub const RULES: [&str; 6] = ["non_empty_output", "no_error", "latency_under", "contains", "regex", "json_valid"];

#[derive(Debug, PartialEq)]
pub struct Outcome {
    /// None when the evaluator could not run.
    pub score: Option<f64>,
    pub label: Option<&'static str>,
    pub reasoning: String,
}

fn outcome(pass: bool, reasoning: String) -> Outcome {
    Outcome { score: Some(if pass { 1.0 } else { 0.0 }), label: Some(if pass { "pass" } else { "fail" }), reasoning }
}

fn config_err(metric: &str, what: &str) -> ApiError {
    ApiError::bad_request("invalid_config", format!("{metric}: config.{what}"))
}

/// The text a rule checks: the trace's output, else the output of its last span that has one.
fn output(trace: &Value) -> Option<&str> {
    let own = trace.get("output").and_then(Value::as_str);
    let spans = trace.get("spans").and_then(Value::as_array);
    own.or_else(|| spans?.iter().rev().find_map(|s| s.get("output")?.as_str()))
}

fn config_str<'a>(metric: &str, config: &'a Map<String, Value>, keys: &[&str]) -> Result<&'a str, ApiError> {
    keys.iter()
        .find_map(|k| config.get(*k).and_then(Value::as_str))
        .ok_or_else(|| config_err(metric, &format!("{} (a string) is required", keys[0])))
}

/// Runs rule `metric` on a rendered trace (the `Trace` JSON of the API).
pub fn evaluate(metric: &str, config: &Map<String, Value>, trace: &Value) -> Result<Outcome, ApiError> {
    let out = output(trace);
    Ok(match metric {
        "non_empty_output" => {
            let pass = out.is_some_and(|o| !o.trim().is_empty());
            outcome(pass, if pass { "output is present".into() } else { "output is empty or missing".into() })
        }
        "no_error" => {
            let trace_err = trace.get("error").and_then(Value::as_str).filter(|e| !e.is_empty());
            let span_err = trace
                .get("spans")
                .and_then(Value::as_array)
                .and_then(|spans| spans.iter().find_map(|s| s.get("error")?.as_str().filter(|e| !e.is_empty())));
            match trace_err.or(span_err) {
                None => outcome(true, "no trace or span error".into()),
                Some(e) => outcome(false, format!("error: {e}")),
            }
        }
        "latency_under" => {
            let limit = ["ms", "threshold_ms", "max_ms"]
                .iter()
                .find_map(|k| config.get(*k).and_then(Value::as_f64))
                .ok_or_else(|| config_err(metric, "ms (a number of milliseconds) is required"))?;
            match trace.get("latency_ms").and_then(Value::as_f64) {
                Some(l) => outcome(l < limit, format!("latency {l} ms, limit {limit} ms")),
                None => outcome(false, "trace has no latency".into()),
            }
        }
        "contains" => {
            let needle = config_str(metric, config, &["value", "text", "substring"])?;
            let ignore_case = config.get("case_sensitive").and_then(Value::as_bool) == Some(false);
            let found = out.is_some_and(|o| {
                if ignore_case {
                    o.to_lowercase().contains(&needle.to_lowercase())
                } else {
                    o.contains(needle)
                }
            });
            outcome(found, format!("output {} {needle:?}", if found { "contains" } else { "does not contain" }))
        }
        "regex" => {
            let pattern = config_str(metric, config, &["pattern", "regex"])?;
            let re = regex::Regex::new(pattern).map_err(|e| config_err(metric, &format!("pattern is not a valid regex: {e}")))?;
            let found = out.is_some_and(|o| re.is_match(o));
            outcome(found, format!("output {} /{pattern}/", if found { "matches" } else { "does not match" }))
        }
        "json_valid" => match out.map(serde_json::from_str::<Value>) {
            Some(Ok(_)) => outcome(true, "output is valid JSON".into()),
            Some(Err(e)) => outcome(false, format!("output is not JSON: {e}")),
            None => outcome(false, "output is missing".into()),
        },
        other => {
            return Err(ApiError::bad_request(
                "unknown_metric",
                format!("unknown rule metric `{other}`; local rules: {}", RULES.join(", ")),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn rules_score_pass_and_fail() {
        let t = json!({"output": "{\"answer\": 42}", "latency_ms": 120, "error": null, "spans": [{"error": null}]});
        let none = Map::new();
        assert_eq!(evaluate("non_empty_output", &none, &t).unwrap().score, Some(1.0));
        assert_eq!(evaluate("no_error", &none, &t).unwrap().score, Some(1.0));
        assert_eq!(evaluate("json_valid", &none, &t).unwrap().score, Some(1.0));
        assert_eq!(evaluate("latency_under", &cfg(json!({"ms": 100})), &t).unwrap().score, Some(0.0));
        assert_eq!(evaluate("latency_under", &cfg(json!({"ms": 500})), &t).unwrap().score, Some(1.0));
        assert_eq!(evaluate("contains", &cfg(json!({"value": "ANSWER", "case_sensitive": false})), &t).unwrap().score, Some(1.0));
        assert_eq!(evaluate("regex", &cfg(json!({"pattern": "\\d{3}"})), &t).unwrap().score, Some(0.0));
        let failed = json!({"output": "", "spans": [{"error": "boom"}]});
        assert_eq!(evaluate("no_error", &none, &failed).unwrap().reasoning, "error: boom");
        assert_eq!(evaluate("non_empty_output", &none, &failed).unwrap().score, Some(0.0));
    }

    #[test]
    fn bad_config_and_unknown_rules_are_400() {
        let t = json!({});
        assert_eq!(evaluate("latency_under", &Map::new(), &t).unwrap_err().code, "invalid_config");
        assert_eq!(evaluate("regex", &cfg(json!({"pattern": "("})), &t).unwrap_err().code, "invalid_config");
        assert_eq!(evaluate("vibes", &Map::new(), &t).unwrap_err().code, "unknown_metric");
    }
}
