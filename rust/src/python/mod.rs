//! The PyO3 bindings: `influxlite._native`. Thin by design: argument checks, conversion of
//! results to Python objects, and releasing the GIL around the heavy work.

mod batch;
mod convert;
mod logentry;
mod seriesindex;
mod serieskey;
mod storage;

use pyo3::prelude::*;

pyo3::import_exception!(influxlite.errors, ShortBufferError);
pyo3::import_exception!(influxlite.errors, ChecksumMismatchError);
pyo3::import_exception!(influxlite.errors, CorruptEntryError);

#[pyfunction]
fn xxh64(data: &[u8]) -> u64 {
    crate::hash::xxh64(data)
}

/// How this extension was built (for `influxlite --version`): the compiler's version line and
/// PyO3's release, both captured by `build.rs`, the target, and the stable-ABI floor (`"cp310"`)
/// or `None` for a build that serves only the CPython it was built for.
fn build_info(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyDict>> {
    let info = pyo3::types::PyDict::new(py);
    info.set_item("rustc", env!("INFLUXLITE_RUSTC_VERSION"))?;
    info.set_item("pyo3", env!("INFLUXLITE_PYO3_VERSION"))?;
    info.set_item("target", env!("INFLUXLITE_TARGET"))?;
    info.set_item("abi3", cfg!(feature = "abi3").then_some("cp310"))?;
    Ok(info)
}

#[pymodule(gil_used = false)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("__build__", build_info(m.py())?)?;
    m.add_class::<batch::ParsedBatch>()?;
    m.add_class::<seriesindex::SeriesIndex>()?;
    m.add_class::<storage::Cache>()?;
    m.add_class::<storage::Prepared>()?;
    m.add_function(wrap_pyfunction!(storage::shard_prepare, m)?)?;
    m.add_function(wrap_pyfunction!(storage::shard_validate, m)?)?;
    m.add_function(wrap_pyfunction!(storage::wal_encode, m)?)?;
    m.add_function(wrap_pyfunction!(storage::wal_scan, m)?)?;
    m.add_function(wrap_pyfunction!(storage::wal_encode_delete, m)?)?;
    m.add_function(wrap_pyfunction!(storage::group_starts, m)?)?;
    m.add_function(wrap_pyfunction!(storage::split_by_shard, m)?)?;
    m.add_function(wrap_pyfunction!(batch::parse, m)?)?;
    m.add_function(wrap_pyfunction!(batch::fnv1a64, m)?)?;
    m.add_function(wrap_pyfunction!(batch::complete_lines, m)?)?;
    m.add_function(wrap_pyfunction!(xxh64, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::encode_series_keys, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::parse_series_key, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::read_series_key, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::read_series_key_len, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::read_series_key_measurement, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::read_series_key_tag_n, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::read_series_key_tag, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::series_key_size, m)?)?;
    m.add_function(wrap_pyfunction!(serieskey::compare_series_keys, m)?)?;
    m.add_function(wrap_pyfunction!(logentry::encode_log_entry, m)?)?;
    m.add_function(wrap_pyfunction!(logentry::encode_series_entries, m)?)?;
    m.add_function(wrap_pyfunction!(logentry::decode_log_entry, m)?)?;
    m.add_function(wrap_pyfunction!(logentry::scan_log_entries, m)?)?;
    Ok(())
}
