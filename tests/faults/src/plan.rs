//! What the proxy does to each ingest request: a plan of steps taken in order, then `pass`
//! forever, plus rules that apply to every forwarded batch.
//!
//! Plan text: comma-separated steps, each optionally repeated with `*N`:
//! `pass`, `reset` (drop the connection before forwarding), `lost` (forward, then drop the
//! connection: the server stored it, the client never hears), `hang` (never answer),
//! `delay:MS` (then forward), `down:MS` (stop accepting connections for MS, reset this one),
//! a status `500` / `502` / `503` / `429:SECS` (answer it with Retry-After SECS, no forwarding).
//! Rules: `poison:NAME` (400 for a batch holding a trace named NAME), `max:N` (413 for a
//! batch of more than N traces).

use std::collections::VecDeque;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    Pass,
    Reset,
    Lost,
    Hang,
    Delay(Duration),
    Down(Duration),
    Status { code: u16, retry_after: Option<u64> },
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Pass => "pass",
            Step::Reset => "reset",
            Step::Lost => "lost",
            Step::Hang => "hang",
            Step::Delay(_) => "delay",
            Step::Down(_) => "down",
            Step::Status { .. } => "status",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub steps: VecDeque<Step>,
    pub poison: Vec<String>,
    pub max_traces: Option<usize>,
}

impl Plan {
    pub fn parse(text: &str) -> Result<Plan, String> {
        let mut plan = Plan::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (body, times) = match item.rsplit_once('*') {
                Some((b, n)) => (b, n.parse::<usize>().map_err(|_| format!("bad repeat count in {item:?}"))?),
                None => (item, 1),
            };
            let (name, arg) = body.split_once(':').map_or((body, None), |(n, a)| (n, Some(a)));
            let ms = |a: Option<&str>| -> Result<Duration, String> {
                a.and_then(|a| a.parse().ok()).map(Duration::from_millis).ok_or_else(|| format!("{name} needs milliseconds: {item:?}"))
            };
            let step = match name {
                "pass" => Step::Pass,
                "reset" => Step::Reset,
                "lost" => Step::Lost,
                "hang" => Step::Hang,
                "delay" => Step::Delay(ms(arg)?),
                "down" => Step::Down(ms(arg)?),
                "poison" => {
                    plan.poison.push(arg.ok_or("poison needs a trace name")?.to_owned());
                    continue;
                }
                "max" => {
                    plan.max_traces = Some(arg.and_then(|a| a.parse().ok()).ok_or("max needs a number")?);
                    continue;
                }
                code => {
                    let code: u16 = code.parse().map_err(|_| format!("unknown step {item:?}"))?;
                    let retry_after = arg.map(|a| a.parse().map_err(|_| format!("bad Retry-After in {item:?}"))).transpose()?;
                    Step::Status { code, retry_after }
                }
            };
            plan.steps.extend(std::iter::repeat_n(step, times));
        }
        Ok(plan)
    }

    /// The step for the next ingest request.
    pub fn next_step(&mut self) -> Step {
        self.steps.pop_front().unwrap_or(Step::Pass)
    }

    /// The rule a forwarded batch breaks, as (status, message).
    pub fn violated_rule(&self, body: &serde_json::Value) -> Option<(u16, String)> {
        let traces = body.get("traces").and_then(|t| t.as_array())?;
        if let Some(max) = self.max_traces {
            if traces.len() > max {
                return Some((413, format!("batch of {} traces is over {max}", traces.len())));
            }
        }
        let poisoned = traces.iter().find(|t| t["name"].as_str().is_some_and(|n| self.poison.iter().any(|p| p == n)))?;
        Some((400, format!("poison trace {}", poisoned["id"])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_steps_repeats_and_rules() {
        let p = Plan::parse("pass*2, 503, 429:1, reset, lost, delay:250, down:100, hang, poison:bad, max:10").unwrap();
        assert_eq!(p.steps.len(), 9);
        assert_eq!(p.steps[2], Step::Status { code: 503, retry_after: None });
        assert_eq!(p.steps[3], Step::Status { code: 429, retry_after: Some(1) });
        assert_eq!(p.steps[6], Step::Delay(Duration::from_millis(250)));
        assert_eq!((p.poison.clone(), p.max_traces), (vec!["bad".to_owned()], Some(10)));
        assert!(Plan::parse("explode").unwrap_err().contains("unknown step"));
        assert!(Plan::parse("delay").unwrap_err().contains("milliseconds"));
    }

    #[test]
    fn rules_flag_poison_and_oversize_batches() {
        let p = Plan::parse("poison:bad,max:2").unwrap();
        let ok = serde_json::json!({"traces": [{"name": "a"}, {"name": "b"}]});
        assert_eq!(p.violated_rule(&ok), None);
        let poisoned = serde_json::json!({"traces": [{"name": "bad", "id": "x"}]});
        assert_eq!(p.violated_rule(&poisoned).unwrap().0, 400);
        let big = serde_json::json!({"traces": [{}, {}, {}]});
        assert_eq!(p.violated_rule(&big).unwrap().0, 413);
    }
}
