//! Bindings for TSI log entries.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::logentry::{self, DecodeError};

fn to_py(e: DecodeError) -> PyErr {
    match e {
        DecodeError::ShortBuffer => PyErr::new::<super::ShortBufferError, _>(e.message()),
        DecodeError::ChecksumMismatch => PyErr::new::<super::ChecksumMismatchError, _>(e.message()),
        DecodeError::Overflow(_) => PyErr::new::<super::CorruptEntryError, _>(e.message()),
    }
}

#[pyfunction]
#[pyo3(signature = (flag, series_id, name=b"".as_slice(), key=b"".as_slice(), value=b"".as_slice()))]
pub fn encode_log_entry<'py>(
    py: Python<'py>,
    flag: u8,
    series_id: u64,
    name: &[u8],
    key: &[u8],
    value: &[u8],
) -> Bound<'py, PyBytes> {
    let mut out = Vec::with_capacity(16 + name.len() + key.len() + value.len());
    logentry::append(&mut out, flag, series_id, name, key, value);
    PyBytes::new(py, &out)
}

/// One entry with `flag` (series insert or series tombstone) per id, concatenated.
#[pyfunction]
pub fn encode_series_entries<'py>(
    py: Python<'py>,
    flag: u8,
    ids: Vec<u64>,
) -> PyResult<Bound<'py, PyBytes>> {
    if flag != logentry::FLAG_SERIES_INSERT && flag != logentry::FLAG_SERIES_TOMBSTONE {
        return Err(PyValueError::new_err(
            "flag must be a series insert (0) or tombstone (1)",
        ));
    }
    let out = py.detach(|| {
        let mut out = Vec::with_capacity(ids.len() * 10);
        for &id in &ids {
            logentry::append(&mut out, flag, id, b"", b"", b"");
        }
        out
    });
    Ok(PyBytes::new(py, &out))
}

fn entry_tuple<'py>(py: Python<'py>, e: &logentry::LogEntry<'_>) -> PyResult<Bound<'py, PyTuple>> {
    (
        e.flag,
        e.series_id,
        PyBytes::new(py, e.name),
        PyBytes::new(py, e.key),
        PyBytes::new(py, e.value),
        e.checksum,
        e.size,
    )
        .into_pyobject(py)
}

/// `(flag, series_id, name, key, value, checksum, size)` of the entry at `offset`.
#[pyfunction]
#[pyo3(signature = (data, offset=0))]
pub fn decode_log_entry<'py>(
    py: Python<'py>,
    data: &[u8],
    offset: usize,
) -> PyResult<Bound<'py, PyTuple>> {
    let data = data.get(offset..).unwrap_or(&[]);
    let e = logentry::decode(data).map_err(to_py)?;
    entry_tuple(py, &e)
}

/// Every entry from the start of `data` until one fails to decode: `(entries, valid_size,
/// stop_reason)`; `stop_reason` is None at the end of the data, else InfluxDB's error text.
#[pyfunction]
pub fn scan_log_entries<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
    let (entries, valid, err) = py.detach(|| logentry::scan(data));
    let list = PyList::empty(py);
    for e in &entries {
        list.append(entry_tuple(py, e)?)?;
    }
    (list, valid, err.map(|e| e.message())).into_pyobject(py)
}
