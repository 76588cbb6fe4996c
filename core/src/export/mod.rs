//! Shipping encoded batches over HTTP.

mod backoff;
mod http;

pub use backoff::{parse_retry_after, Backoff};
pub use http::{Attempt, HttpExporter, USER_AGENT as USER_AGENT_HEADER};
