//! influxlite's native core, in pure Rust: InfluxDB 1.x line protocol, binary series keys,
//! TSI log entries and the hashes that place series. The `python` cargo feature adds the thin
//! PyO3 bindings that form `influxlite._native`.

pub mod cache;
pub mod fxhash;
pub mod hash;
pub mod lineproto;
pub mod logentry;
pub mod seriesindex;
pub mod serieskey;
pub mod shardwrite;
pub mod varint;
pub mod wal;

#[cfg(feature = "python")]
mod python;
