//! # trulayer-core
//!
//! The tracing engine behind every TruLayer SDK. Applications (through a binding, or directly
//! from Rust) record traces and spans; the engine samples, scrubs, bounds, batches and ships
//! them to a TruLayer-compatible API from its own worker thread, without ever blocking or
//! failing the application. See `DESIGN.md` for the architecture.
//!
//! Bindings fill a [`TraceRecord`] while the user's code runs and hand it to
//! [`Client::finish`]; Rust code can use the guards of [`Client::trace`] instead.

pub mod api;
pub mod client;
pub mod clock;
pub mod config;
pub mod encode;
pub mod export;
pub mod fork;
mod guards;
pub mod ids;
pub mod limits;
pub mod local;
pub mod model;
pub mod pipeline;
pub mod pricing;
pub mod report;
pub mod sampling;
pub mod scrub;
pub mod stats;

pub use client::{Client, Finished};
pub use clock::{Stopwatch, Timestamp};
pub use config::{Compression, Config, ConfigBuilder, ConfigError, Mode};
pub use guards::{SpanGuard, TraceGuard};
pub use ids::{new_id, Uuid};
pub use model::{ErrorInfo, EventRecord, FailureType, Feedback, Level, Metadata, Payload, SpanRecord, SpanType, TraceRecord};
pub use report::{ErrorKind, ErrorReport};
pub use stats::{DropReason, Stats};

/// The version of the engine, reported by every binding.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
