//! Bindings for binary series keys.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use super::convert::{for_each_series, RawSeries};
use crate::serieskey;

fn truncated() -> PyErr {
    PyErr::new::<super::ShortBufferError, _>("short buffer")
}

/// The binary series key of every (name, tags) pair.
#[pyfunction]
pub fn encode_series_keys<'py>(
    py: Python<'py>,
    names: &Bound<'py, PyAny>,
    tags_list: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    let mut key = Vec::new();
    for_each_series(names, tags_list, |raw| {
        key.clear();
        serieskey::append_series_key(&mut key, raw.name(), &raw.tag_slices());
        out.append(PyBytes::new(py, &key))
    })?;
    Ok(out)
}

#[pyfunction]
pub fn parse_series_key<'py>(py: Python<'py>, key: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
    let (name, tags) = serieskey::parse(key).map_err(|_| truncated())?;
    let tags = PyList::new(
        py,
        tags.iter()
            .map(|(k, v)| (PyBytes::new(py, k), PyBytes::new(py, v))),
    )?;
    (PyBytes::new(py, name), tags).into_pyobject(py)
}

fn rest<'py>(py: Python<'py>, data: &[u8], r: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, &data[data.len() - r.len()..])
}

#[pyfunction]
pub fn read_series_key<'py>(
    py: Python<'py>,
    data: &[u8],
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let (k, r) = serieskey::read_key(data).map_err(|_| truncated())?;
    Ok((PyBytes::new(py, k), rest(py, data, r)))
}

#[pyfunction]
pub fn read_series_key_len<'py>(
    py: Python<'py>,
    data: &[u8],
) -> PyResult<(usize, Bound<'py, PyBytes>)> {
    let (n, r) = serieskey::read_len(data).map_err(|_| truncated())?;
    Ok((n, rest(py, data, r)))
}

#[pyfunction]
pub fn read_series_key_measurement<'py>(
    py: Python<'py>,
    data: &[u8],
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let (name, r) = serieskey::read_measurement(data).map_err(|_| truncated())?;
    Ok((PyBytes::new(py, name), rest(py, data, r)))
}

#[pyfunction]
pub fn read_series_key_tag_n<'py>(
    py: Python<'py>,
    data: &[u8],
) -> PyResult<(usize, Bound<'py, PyBytes>)> {
    let (n, r) = serieskey::read_tag_n(data).map_err(|_| truncated())?;
    Ok((n, rest(py, data, r)))
}

#[pyfunction]
pub fn read_series_key_tag<'py>(
    py: Python<'py>,
    data: &[u8],
) -> PyResult<(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
)> {
    let (k, v, r) = serieskey::read_tag(data).map_err(|_| truncated())?;
    Ok((PyBytes::new(py, k), PyBytes::new(py, v), rest(py, data, r)))
}

#[pyfunction]
pub fn series_key_size(names: &Bound<'_, PyAny>, tags: &Bound<'_, PyAny>) -> PyResult<usize> {
    let mut raw = RawSeries::default();
    raw.load(names, tags)?;
    let tags = raw.tag_slices();
    Ok(serieskey::series_key_size(raw.name(), tags.iter().copied()))
}

#[pyfunction]
pub fn compare_series_keys(a: &[u8], b: &[u8]) -> i32 {
    serieskey::compare(a, b) as i32
}
