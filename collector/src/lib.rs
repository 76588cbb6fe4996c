//! `trulayer-collector`: the subset of the TruLayer API the SDKs use, stored in SQLite.

pub mod cli;
pub mod error;
pub mod eval;
pub mod fields;
pub mod ingest;
pub mod query;
pub mod rollup;
pub mod routes;
pub mod store;
pub mod timefmt;
pub mod views;
