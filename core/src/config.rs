//! Client configuration: parsed and validated once, here, for every language.
//!
//! Every option has a string form (used by the C ABI, by bindings and by the environment) and
//! an environment variable `TRULAYER_<OPTION>`. Explicit values win over the environment.
//! Errors name the option and where its value came from, with the same text in every binding.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use crate::limits::Limits;
use crate::scrub::{Redactor, ScrubHook};

pub const DEFAULT_ENDPOINT: &str = "https://api.trulayer.ai";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Ship traces to the endpoint.
    Remote,
    /// No network and no key: finished traces are kept in process for assertions.
    Local,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

#[derive(Clone)]
pub struct Config {
    pub api_key: Option<String>,
    pub project: String,
    pub environment: String,
    pub endpoint: String,
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub timeout: Duration,
    pub sample_rate: f64,
    pub debug: bool,
    pub enabled: bool,
    pub mode: Mode,
    pub max_queue_size: usize,
    pub max_queue_bytes: usize,
    pub retry_budget: Duration,
    pub shutdown_timeout: Duration,
    pub compression: Compression,
    pub redactor: Redactor,
    pub redact_metadata: bool,
    pub local_buffer_size: usize,
    pub limits: Limits,
    pub scrub_hook: Option<ScrubHook>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is never printed, not even in part.
        f.debug_struct("Config")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("project", &self.project)
            .field("environment", &self.environment)
            .field("endpoint", &self.endpoint)
            .field("batch_size", &self.batch_size)
            .field("flush_interval", &self.flush_interval)
            .field("timeout", &self.timeout)
            .field("sample_rate", &self.sample_rate)
            .field("debug", &self.debug)
            .field("enabled", &self.enabled)
            .field("mode", &self.mode)
            .field("max_queue_size", &self.max_queue_size)
            .field("max_queue_bytes", &self.max_queue_bytes)
            .field("retry_budget", &self.retry_budget)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("compression", &self.compression)
            .field("redactor", &self.redactor)
            .field("scrub_hook", &self.scrub_hook.as_ref().map(|_| "<fn>"))
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Whether finished traces are scrubbed (built-in rules or a hook) before they are sent.
    pub fn scrubs(&self) -> bool {
        !self.redactor.is_empty() || self.scrub_hook.is_some()
    }

    /// A configuration for tests and examples: local mode, nothing leaves the process.
    pub fn local(project: &str) -> Config {
        let mut b = Config::builder();
        b.set("mode", "local").and_then(|b| b.set("project", project)).expect("valid literal options");
        b.build_without_env().expect("local config is valid")
    }

    pub fn ingest_url(&self) -> String {
        format!("{}/v1/ingest/batch", self.endpoint)
    }
}

/// An invalid option: which one, where its value came from, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub option: String,
    pub source: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(var) => write!(f, "invalid {} (from {var}): {}", self.option, self.message),
            None => write!(f, "invalid {}: {}", self.option, self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Each option: its canonical name, the aliases bindings accept, and its variable.
const OPTIONS: &[(&str, &[&str])] = &[
    ("api_key", &[]),
    ("project", &["project_name"]),
    ("environment", &[]),
    ("endpoint", &[]),
    ("batch_size", &[]),
    ("flush_interval", &[]),
    ("flush_interval_ms", &[]),
    ("timeout", &[]),
    ("timeout_ms", &[]),
    ("sample_rate", &[]),
    ("debug", &[]),
    ("enabled", &[]),
    ("mode", &[]),
    ("max_queue_size", &[]),
    ("max_queue_bytes", &[]),
    ("retry_budget", &[]),
    ("shutdown_timeout", &[]),
    ("compression", &[]),
    ("redact", &[]),
    ("redact_metadata", &[]),
    ("max_field_bytes", &[]),
    ("local_buffer_size", &[]),
];

/// Canonical option name for a key or alias.
pub fn canonical_option(key: &str) -> Option<&'static str> {
    OPTIONS.iter().find(|(name, aliases)| *name == key || aliases.contains(&key)).map(|(name, _)| *name)
}

/// Every option name, in documentation order.
pub fn option_names() -> impl Iterator<Item = &'static str> {
    OPTIONS.iter().map(|(name, _)| *name)
}

fn env_var_for(option: &str) -> String {
    format!("TRULAYER_{}", option.to_ascii_uppercase())
}

#[derive(Clone)]
pub struct ConfigBuilder {
    config: Config,
    explicit: HashSet<&'static str>,
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        ConfigBuilder {
            config: Config {
                api_key: None,
                project: "default".into(),
                environment: "production".into(),
                endpoint: DEFAULT_ENDPOINT.into(),
                batch_size: 50,
                flush_interval: Duration::from_secs(2),
                timeout: Duration::from_secs(5),
                sample_rate: 1.0,
                debug: false,
                enabled: true,
                mode: Mode::Remote,
                max_queue_size: 10_000,
                max_queue_bytes: 64 * 1024 * 1024,
                retry_budget: Duration::from_secs(60),
                shutdown_timeout: Duration::from_secs(5),
                compression: Compression::None,
                redactor: Redactor::none(),
                redact_metadata: false,
                local_buffer_size: 1000,
                limits: Limits::default(),
                scrub_hook: None,
            },
            explicit: HashSet::new(),
        }
    }
}

impl ConfigBuilder {
    /// Sets an option from its string form; the value is checked now.
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self, ConfigError> {
        let option = canonical_option(key).ok_or_else(|| ConfigError {
            option: key.to_owned(),
            source: None,
            message: format!("unknown option; known options: {}", option_names().collect::<Vec<_>>().join(", ")),
        })?;
        self.apply(option, value, None)?;
        self.explicit.insert(option);
        // An option and its millisecond twin are one setting: setting either settles both.
        if let Some(twin) = option.strip_suffix("_ms").or_else(|| twin_ms(option)) {
            self.explicit.insert(canonical_option(twin).unwrap_or(option));
        }
        Ok(self)
    }

    pub fn scrub_hook(&mut self, hook: ScrubHook) -> &mut Self {
        self.config.scrub_hook = Some(hook);
        self
    }

    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.config.limits = limits;
        self
    }

    /// Fills every option not set explicitly from its `TRULAYER_*` variable, then validates.
    pub fn build(&self) -> Result<Config, ConfigError> {
        self.build_from(|var| std::env::var(var).ok())
    }

    /// Validates the explicit options alone, ignoring the environment.
    pub fn build_without_env(&self) -> Result<Config, ConfigError> {
        self.build_from(|_| None)
    }

    /// `build` with the environment read through `lookup` (tests pass a map).
    pub fn build_from(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut b = self.clone();
        for option in option_names() {
            if b.explicit.contains(option) {
                continue;
            }
            let mut var = env_var_for(option);
            let mut value = lookup(&var);
            if value.is_none() && option == "project" {
                var = "TRULAYER_PROJECT_NAME".into();
                value = lookup(&var);
            }
            if let Some(value) = value {
                b.apply(option, &value, Some(var))?;
            }
        }
        b.validate()?;
        Ok(b.config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let c = &self.config;
        if c.mode == Mode::Remote && c.enabled && c.api_key.as_deref().map_or(true, str::is_empty) {
            return Err(ConfigError {
                option: "api_key".into(),
                source: None,
                message: "an API key is required to send traces: pass api_key or set TRULAYER_API_KEY \
                          (or set TRULAYER_MODE=local to keep traces in process)"
                    .into(),
            });
        }
        Ok(())
    }

    fn apply(&mut self, option: &'static str, raw: &str, source: Option<String>) -> Result<(), ConfigError> {
        let fail = |message: String| ConfigError { option: option.to_owned(), source: source.clone(), message };
        let v = raw.trim();
        let c = &mut self.config;
        match option {
            "api_key" => c.api_key = Some(v.to_owned()).filter(|k| !k.is_empty()),
            "project" => {
                if v.is_empty() {
                    return Err(fail("must not be empty".into()));
                }
                c.project = v.to_owned();
            }
            "environment" => c.environment = v.to_owned(),
            "endpoint" => c.endpoint = parse_endpoint(v).map_err(fail)?,
            "batch_size" => {
                c.batch_size = parse_int(v, 1, c.limits.max_batch_traces as u64)
                    .map_err(|m| fail(format!("{m} (the API accepts at most 100 traces per request)")))?
                    as usize
            }
            "flush_interval" => c.flush_interval = parse_secs(v, 3600.0).map_err(fail)?,
            "flush_interval_ms" => c.flush_interval = parse_ms(v, 3_600_000).map_err(fail)?,
            "timeout" => c.timeout = parse_secs(v, 600.0).map_err(fail)?,
            "timeout_ms" => c.timeout = parse_ms(v, 600_000).map_err(fail)?,
            "sample_rate" => c.sample_rate = parse_rate(v).map_err(fail)?,
            "debug" => c.debug = parse_bool(v).map_err(fail)?,
            "enabled" => c.enabled = parse_bool(v).map_err(fail)?,
            "mode" => {
                c.mode = match v.to_ascii_lowercase().as_str() {
                    "local" => Mode::Local,
                    "remote" | "" => Mode::Remote,
                    _ => return Err(fail(format!("must be \"local\" or \"remote\", got {raw:?}"))),
                }
            }
            "max_queue_size" => c.max_queue_size = parse_int(v, 1, 10_000_000).map_err(fail)? as usize,
            "max_queue_bytes" => c.max_queue_bytes = parse_int(v, 1024, 1 << 40).map_err(fail)? as usize,
            "retry_budget" => c.retry_budget = parse_secs(v, 86_400.0).map_err(fail)?,
            "shutdown_timeout" => c.shutdown_timeout = parse_secs(v, 3600.0).map_err(fail)?,
            "compression" => {
                c.compression = match v.to_ascii_lowercase().as_str() {
                    "gzip" => Compression::Gzip,
                    "none" | "" => Compression::None,
                    _ => return Err(fail(format!("must be \"gzip\" or \"none\", got {raw:?}"))),
                }
            }
            "redact" => c.redactor = Redactor::parse(v).map_err(fail)?,
            "redact_metadata" => c.redact_metadata = parse_bool(v).map_err(fail)?,
            "max_field_bytes" => c.limits.max_field_bytes = parse_int(v, 256, 16 << 20).map_err(fail)? as usize,
            "local_buffer_size" => c.local_buffer_size = parse_int(v, 1, 1_000_000).map_err(fail)? as usize,
            other => unreachable!("option {other} listed in OPTIONS but not applied"),
        }
        Ok(())
    }
}

fn twin_ms(option: &str) -> Option<&'static str> {
    match option {
        "flush_interval" => Some("flush_interval_ms"),
        "timeout" => Some("timeout_ms"),
        _ => None,
    }
}

fn parse_endpoint(v: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(v).map_err(|e| format!("must be an http(s) URL such as http://localhost:8080, got {v:?} ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("must be an http(s) URL such as http://localhost:8080, got {v:?}"));
    }
    Ok(v.trim_end_matches('/').to_owned())
}

fn parse_int(v: &str, min: u64, max: u64) -> Result<u64, String> {
    match v.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be an integer from {min} to {max}, got {v:?}")),
    }
}

fn parse_secs(v: &str, max: f64) -> Result<Duration, String> {
    match v.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= max => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("must be a number of seconds greater than 0 and at most {max}, got {v:?}")),
    }
}

fn parse_ms(v: &str, max: u64) -> Result<Duration, String> {
    parse_int(v, 1, max).map(Duration::from_millis)
}

fn parse_rate(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("must be a number from 0.0 to 1.0, got {v:?}")),
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("must be true or false (1/0, yes/no, on/off), got {v:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn every_option_is_read_from_its_variable() {
        let c = Config::builder()
            .build_from(env(&[
                ("TRULAYER_API_KEY", "tl_secret"),
                ("TRULAYER_PROJECT", "rag-app"),
                ("TRULAYER_ENVIRONMENT", "staging"),
                ("TRULAYER_ENDPOINT", "http://localhost:8080/"),
                ("TRULAYER_BATCH_SIZE", "10"),
                ("TRULAYER_FLUSH_INTERVAL", "0.5"),
                ("TRULAYER_TIMEOUT", "3"),
                ("TRULAYER_SAMPLE_RATE", "0.25"),
                ("TRULAYER_DEBUG", "true"),
                ("TRULAYER_ENABLED", "yes"),
                ("TRULAYER_COMPRESSION", "gzip"),
                ("TRULAYER_REDACT", "standard"),
            ]))
            .unwrap();
        assert_eq!(c.api_key.as_deref(), Some("tl_secret"));
        assert_eq!((c.project.as_str(), c.environment.as_str()), ("rag-app", "staging"));
        assert_eq!(c.endpoint, "http://localhost:8080");
        assert_eq!(c.ingest_url(), "http://localhost:8080/v1/ingest/batch");
        assert_eq!(c.batch_size, 10);
        assert_eq!(c.flush_interval, Duration::from_millis(500));
        assert_eq!(c.timeout, Duration::from_secs(3));
        assert_eq!(c.sample_rate, 0.25);
        assert!(c.debug && c.enabled);
        assert_eq!(c.compression, Compression::Gzip);
        assert!(!c.redactor.is_empty());
    }

    #[test]
    fn explicit_values_win_over_the_environment_even_a_bad_one() {
        let mut b = Config::builder();
        b.set("api_key", "tl_explicit").unwrap().set("batch_size", "7").unwrap();
        let c = b.build_from(env(&[("TRULAYER_API_KEY", "tl_env"), ("TRULAYER_BATCH_SIZE", "many")])).unwrap();
        assert_eq!(c.api_key.as_deref(), Some("tl_explicit"));
        assert_eq!(c.batch_size, 7);
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let cases = [
            ("TRULAYER_BATCH_SIZE", "abc", "invalid batch_size (from TRULAYER_BATCH_SIZE): must be an integer from 1 to 100, got \"abc\""),
            ("TRULAYER_BATCH_SIZE", "500", "at most 100 traces per request"),
            ("TRULAYER_SAMPLE_RATE", "1.5", "invalid sample_rate (from TRULAYER_SAMPLE_RATE): must be a number from 0.0 to 1.0"),
            ("TRULAYER_FLUSH_INTERVAL", "-1", "invalid flush_interval (from TRULAYER_FLUSH_INTERVAL)"),
            ("TRULAYER_TIMEOUT", "NaN", "invalid timeout (from TRULAYER_TIMEOUT)"),
            ("TRULAYER_DEBUG", "maybe", "must be true or false"),
            ("TRULAYER_MODE", "offline", "must be \"local\" or \"remote\""),
            ("TRULAYER_ENDPOINT", "localhost:8080", "must be an http(s) URL"),
            ("TRULAYER_REDACT", "emails", "unknown redaction rule"),
        ];
        for (var, value, want) in cases {
            let err = Config::builder().build_from(env(&[("TRULAYER_API_KEY", "k"), (var, value)])).unwrap_err();
            assert!(err.to_string().contains(want), "{var}={value}: {err}");
        }
    }

    #[test]
    fn unknown_options_are_rejected_with_the_known_list() {
        let err = Config::builder().set("batchsize", "1").err().unwrap();
        assert!(err.to_string().starts_with("invalid batchsize: unknown option; known options: api_key, project"), "{err}");
    }

    #[test]
    fn a_key_is_required_unless_local_or_disabled() {
        let err = Config::builder().build_from(env(&[])).unwrap_err();
        assert_eq!(err.option, "api_key");
        assert!(Config::builder().build_from(env(&[("TRULAYER_MODE", "local")])).is_ok());
        assert!(Config::builder().build_from(env(&[("TRULAYER_ENABLED", "false")])).is_ok());
    }

    #[test]
    fn project_name_is_an_alias_and_ms_twins_share_one_setting() {
        let mut b = Config::builder();
        b.set("project_name", "p").unwrap().set("flush_interval_ms", "250").unwrap().set("mode", "local").unwrap();
        let c = b.build_from(env(&[("TRULAYER_FLUSH_INTERVAL", "9")])).unwrap();
        assert_eq!(c.project, "p");
        assert_eq!(c.flush_interval, Duration::from_millis(250));
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let mut b = Config::builder();
        b.set("api_key", "tl_supersecret123").unwrap();
        let shown = format!("{:?}", b.build_without_env().unwrap());
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
