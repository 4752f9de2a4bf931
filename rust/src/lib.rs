//! influxlite's native core: InfluxDB 1.x line protocol and (later) series keys and index
//! entries, in pure Rust; `python` (a cargo feature) adds the thin PyO3 bindings that form
//! `influxlite._native`.

pub mod hash;
pub mod lineproto;

#[cfg(feature = "python")]
mod python;
