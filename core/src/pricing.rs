//! The model price table: one place, used by the SDKs (span cost) and the collector (cost
//! roll-ups). Prices are USD per million tokens, from the providers' public price lists.
//! A span's `metadata.cost_usd` overrides the table (for models it does not know).

/// `(model prefix, input $/1M tokens, output $/1M tokens)`. Longest matching prefix wins, so
/// dated snapshots (`gpt-4o-mini-2024-07-18`) price like their family.
const PRICES: &[(&str, f64, f64)] = &[
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4-turbo", 10.00, 30.00),
    ("gpt-4", 30.00, 60.00),
    ("gpt-3.5-turbo", 0.50, 1.50),
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-5-mini", 0.25, 2.00),
    ("gpt-5", 1.25, 10.00),
    ("o1-mini", 1.10, 4.40),
    ("o1", 15.00, 60.00),
    ("o3-mini", 1.10, 4.40),
    ("o3", 2.00, 8.00),
    ("o4-mini", 1.10, 4.40),
    ("text-embedding-3-small", 0.02, 0.0),
    ("text-embedding-3-large", 0.13, 0.0),
    ("text-embedding-ada-002", 0.10, 0.0),
    ("claude-3-5-haiku", 0.80, 4.00),
    ("claude-3-5-sonnet", 3.00, 15.00),
    ("claude-3-7-sonnet", 3.00, 15.00),
    ("claude-3-haiku", 0.25, 1.25),
    ("claude-3-opus", 15.00, 75.00),
    ("claude-haiku-4", 1.00, 5.00),
    ("claude-sonnet-4", 3.00, 15.00),
    ("claude-opus-4", 15.00, 75.00),
];

/// Input and output price per million tokens for `model`, if the table knows it.
pub fn price_per_million(model: &str) -> Option<(f64, f64)> {
    let model = model.trim().to_ascii_lowercase();
    let model = model.rsplit('/').next().unwrap_or(&model); // "openai/gpt-4o" → "gpt-4o"
    PRICES
        .iter()
        .filter(|(prefix, _, _)| model.starts_with(prefix))
        .max_by_key(|(prefix, _, _)| prefix.len())
        .map(|&(_, i, o)| (i, o))
}

/// The cost in USD of a call, or `None` for a model not in the table.
pub fn cost_usd(model: &str, prompt_tokens: i64, completion_tokens: i64) -> Option<f64> {
    let (input, output) = price_per_million(model)?;
    let p = prompt_tokens.max(0) as f64;
    let c = completion_tokens.max(0) as f64;
    Some((p * input + c * output) / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_prices_dated_snapshots_like_their_family() {
        assert_eq!(price_per_million("gpt-4o-mini-2024-07-18"), Some((0.15, 0.60)));
        assert_eq!(price_per_million("gpt-4o-2024-08-06"), Some((2.50, 10.00)));
        assert_eq!(price_per_million("openai/GPT-4o"), Some((2.50, 10.00)));
        assert_eq!(price_per_million("claude-3-5-sonnet-20241022"), Some((3.00, 15.00)));
        assert_eq!(price_per_million("llama-3-70b"), None);
    }

    #[test]
    fn cost_is_tokens_times_price() {
        let c = cost_usd("gpt-4o-mini", 1_000_000, 500_000).unwrap();
        assert!((c - 0.45).abs() < 1e-12);
        assert_eq!(cost_usd("unknown-model", 10, 10), None);
        assert_eq!(cost_usd("gpt-4o", -5, 0), Some(0.0));
    }
}
