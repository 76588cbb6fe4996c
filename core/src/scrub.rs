//! Redaction before anything leaves the process.
//!
//! Two layers run over every string of a trace's input, output and error, including strings
//! nested inside structured values: the built-in rules (native regexes, chosen by name or
//! pack) and an optional user hook. A hook that panics fails closed: the value is replaced
//! by a marker, never sent as-is. A marker never repeats the text it replaced.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};

use regex::Regex;
use serde_json::Value;

/// A user scrub function over one string: `Some(replacement)` or `None` to keep it.
pub type ScrubHook = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What replaces a value whose scrub hook failed.
pub const SCRUB_FAILED_MARKER: &str = "<REDACTED:scrub_failed>";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Jwt,
    BearerToken,
    ApiKey,
    Email,
    CreditCard,
    Ssn,
    Phone,
    Ipv4,
}

impl Rule {
    /// Application order: specific token shapes first so a broader rule never eats half of one.
    pub const ALL: [Rule; 8] =
        [Rule::Jwt, Rule::BearerToken, Rule::ApiKey, Rule::Email, Rule::CreditCard, Rule::Ssn, Rule::Phone, Rule::Ipv4];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Jwt => "jwt",
            Rule::BearerToken => "bearer_token",
            Rule::ApiKey => "api_key",
            Rule::Email => "email",
            Rule::CreditCard => "credit_card",
            Rule::Ssn => "ssn",
            Rule::Phone => "phone",
            Rule::Ipv4 => "ipv4",
        }
    }

    fn pattern(self) -> &'static str {
        match self {
            Rule::Jwt => r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}",
            Rule::BearerToken => r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}",
            Rule::ApiKey => {
                r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|tl_[A-Za-z0-9_]{8,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35})"
            }
            Rule::Email => r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
            Rule::CreditCard => r"\b\d(?:[ -]?\d){12,18}\b",
            Rule::Ssn => r"\b\d{3}-\d{2}-\d{4}\b",
            Rule::Phone => r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)|\b\d{3})[ .-]?\d{3}[ .-]?\d{4}\b",
            Rule::Ipv4 => r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
        }
    }

    fn regex(self) -> &'static Regex {
        static COMPILED: OnceLock<Vec<Regex>> = OnceLock::new();
        let all = COMPILED.get_or_init(|| Rule::ALL.iter().map(|r| Regex::new(r.pattern()).expect("valid rule")).collect());
        &all[Rule::ALL.iter().position(|r| *r == self).expect("rule listed in ALL")]
    }

    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// The built-in rules selected by configuration (`none`, `standard`, `strict`, or names).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redactor {
    rules: Vec<Rule>,
}

impl Redactor {
    pub const STANDARD: [Rule; 6] = [Rule::Jwt, Rule::BearerToken, Rule::ApiKey, Rule::Email, Rule::Ssn, Rule::Phone];

    pub fn none() -> Self {
        Redactor { rules: Vec::new() }
    }

    /// Parses `none`, `standard`, `strict`, or a comma-separated list of rule names/packs.
    pub fn parse(spec: &str) -> Result<Redactor, String> {
        let mut rules = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let add: Vec<Rule> = match part {
                "none" | "off" => Vec::new(),
                "standard" => Redactor::STANDARD.to_vec(),
                "strict" | "all" => Rule::ALL.to_vec(),
                name => vec![Rule::parse(name).ok_or_else(|| {
                    let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
                    format!("unknown redaction rule {name:?}; use none, standard, strict or any of {}", names.join(", "))
                })?],
            };
            for r in add {
                if !rules.contains(&r) {
                    rules.push(r);
                }
            }
        }
        rules.sort_by_key(|r| Rule::ALL.iter().position(|x| x == r));
        Ok(Redactor { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Redacts one string; borrows when nothing matched.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for rule in &self.rules {
            let re = rule.regex();
            if !re.is_match(&out) {
                continue;
            }
            let marker = format!("<REDACTED:{}>", rule.name());
            let replaced = if *rule == Rule::CreditCard {
                re.replace_all(&out, |c: &regex::Captures<'_>| {
                    if luhn_valid(&c[0]) { marker.clone() } else { c[0].to_owned() }
                })
                .into_owned()
            } else {
                re.replace_all(&out, marker.as_str()).into_owned()
            };
            out = Cow::Owned(replaced);
        }
        out
    }
}

fn luhn_valid(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() < 13 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { let x = d * 2; if x > 9 { x - 9 } else { x } } else { d })
        .sum();
    sum % 10 == 0
}

/// Applies the built-in rules and then the hook to one string. `Err` when the hook panicked;
/// the string has then already been replaced by [`SCRUB_FAILED_MARKER`].
pub fn scrub_str(s: &mut String, redactor: &Redactor, hook: Option<&ScrubHook>) -> Result<(), ()> {
    if let Cow::Owned(r) = redactor.redact(s) {
        *s = r;
    }
    if let Some(hook) = hook {
        match catch_unwind(AssertUnwindSafe(|| hook(s))) {
            Ok(Some(replacement)) => *s = replacement,
            Ok(None) => {}
            Err(_) => {
                *s = SCRUB_FAILED_MARKER.to_owned();
                return Err(());
            }
        }
    }
    Ok(())
}

/// Scrubs every string inside `value` (object keys are left alone). Returns how many
/// strings failed closed.
pub fn scrub_value(value: &mut Value, redactor: &Redactor, hook: Option<&ScrubHook>) -> usize {
    match value {
        Value::String(s) => usize::from(scrub_str(s, redactor, hook).is_err()),
        Value::Array(items) => items.iter_mut().map(|v| scrub_value(v, redactor, hook)).sum(),
        Value::Object(map) => map.values_mut().map(|v| scrub_value(v, redactor, hook)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn strict() -> Redactor {
        Redactor::parse("strict").unwrap()
    }

    #[test]
    fn built_in_rules_redact_without_repeating_the_secret() {
        let r = strict();
        let cases = [
            ("mail bob.smith+x@example.co.uk now", "mail <REDACTED:email> now"),
            ("card 4111 1111 1111 1111 ok", "card <REDACTED:credit_card> ok"),
            ("call +1 415-555-0134", "call <REDACTED:phone>"),
            ("key sk-proj-abcdefghijklmnop1234", "key <REDACTED:api_key>"),
            ("Authorization: Bearer abc.def-123456", "Authorization: <REDACTED:bearer_token>"),
            ("from 10.0.12.7 today", "from <REDACTED:ipv4> today"),
            ("ssn 123-45-6789", "ssn <REDACTED:ssn>"),
        ];
        for (input, want) in cases {
            assert_eq!(r.redact(input), want, "input {input:?}");
        }
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(r.redact(&format!("t={jwt}")), "t=<REDACTED:jwt>");
    }

    #[test]
    fn card_numbers_failing_luhn_are_kept() {
        assert_eq!(strict().redact("order 4111 1111 1111 1112"), "order 4111 1111 1111 1112");
    }

    #[test]
    fn nothing_matched_borrows() {
        assert!(matches!(strict().redact("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn packs_and_names_parse_and_unknown_names_are_errors() {
        assert!(Redactor::parse("none").unwrap().is_empty());
        assert_eq!(Redactor::parse("email, ipv4").unwrap().rules(), &[Rule::Email, Rule::Ipv4]);
        assert_eq!(Redactor::parse("standard").unwrap().rules().len(), 6);
        let err = Redactor::parse("emails").unwrap_err();
        assert!(err.contains("unknown redaction rule \"emails\""), "{err}");
    }

    #[test]
    fn nested_strings_are_scrubbed_by_rules_and_hook() {
        let hook: ScrubHook = Arc::new(|s: &str| s.contains("secret").then(|| s.replace("secret", "[x]")));
        let mut v = json!({"q": "mail a@b.io", "ctx": [{"note": "my secret"}, 3, null], "n": 1});
        assert_eq!(scrub_value(&mut v, &Redactor::parse("email").unwrap(), Some(&hook)), 0);
        assert_eq!(v, json!({"q": "mail <REDACTED:email>", "ctx": [{"note": "my [x]"}, 3, null], "n": 1}));
    }

    #[test]
    fn a_panicking_hook_fails_closed() {
        let hook: ScrubHook = Arc::new(|_: &str| panic!("scrubber bug"));
        let mut v = json!({"a": "alice@example.com"});
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let failed = scrub_value(&mut v, &Redactor::none(), Some(&hook));
        std::panic::set_hook(prev);
        assert_eq!(failed, 1);
        assert_eq!(v, json!({"a": SCRUB_FAILED_MARKER}));
    }
}
