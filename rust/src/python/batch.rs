//! `parse()` and the `ParsedBatch` it returns: points stay in Rust; Python objects are made
//! only for what Python asks for.

use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::hash;
use crate::lineproto::{self, FieldIter, FieldValue, ParseOptions, Parsed, Precision};

/// The points and errors of one parsed body. The body's bytes are kept (not copied) and every
/// point is a few ranges into them.
#[pyclass(module = "influxlite._native", frozen)]
pub struct ParsedBatch {
    data: Py<PyBytes>,
    parsed: Parsed,
}

fn precision_from(name: &str) -> PyResult<Precision> {
    Precision::from_name(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "invalid precision \"{name}\" (use n, u, ms, s, m or h)"
        ))
    })
}

/// Parses a line-protocol body. `now` is the time (ns) of points without a timestamp.
#[pyfunction]
#[pyo3(signature = (data, precision, now, unsigned))]
pub fn parse(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    precision: &str,
    now: i64,
    unsigned: bool,
) -> PyResult<ParsedBatch> {
    let data: Bound<'_, PyBytes> = match data.cast::<PyBytes>() {
        Ok(b) => b.clone(),
        Err(_) => {
            return Err(PyTypeError::new_err(format!(
                "data must be bytes, not {}",
                data.get_type().name()?
            )))
        }
    };
    let opts = ParseOptions {
        precision: precision_from(precision)?,
        default_time: now,
        unsigned,
    };
    let buf: &[u8] = data.as_bytes();
    if buf.len() > lineproto::parse::MAX_BODY {
        return Err(PyValueError::new_err("data larger than 4 GiB"));
    }
    // The bytes object is immutable and kept alive by `data`, so the slice stays valid while
    // other threads run.
    let parsed = py.detach(|| lineproto::parse(buf, &opts));
    Ok(ParsedBatch {
        data: data.unbind(),
        parsed,
    })
}

/// Where the last complete line of `data` ends (just past its newline): the parser's own
/// line splitting, so a newline inside a quoted string does not count. 0 if no line is
/// complete. For cutting a stream into batches without splitting a line.
#[pyfunction]
pub fn complete_lines(py: Python<'_>, data: &[u8]) -> usize {
    py.detach(|| {
        let mut pos = 0;
        let mut done = 0;
        while pos < data.len() {
            let end = lineproto::scan::scan_line(data, pos);
            if end >= data.len() {
                break;
            }
            done = end + 1;
            pos = end + 1;
        }
        done
    })
}

/// FNV-1a 64-bit hash of `data` (InfluxDB's `HashID` of a series key).
#[pyfunction]
pub fn fnv1a64(data: &[u8]) -> u64 {
    hash::fnv1a64(data)
}

fn field_value<'py>(py: Python<'py>, v: FieldValue<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        FieldValue::Float(f) => f.into_pyobject(py)?.into_any(),
        FieldValue::Integer(n) => n.into_pyobject(py)?.into_any(),
        FieldValue::Unsigned(n) => n.into_pyobject(py)?.into_any(),
        FieldValue::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
        FieldValue::String(s) => PyBytes::new(py, &s).into_any(),
    })
}

impl ParsedBatch {
    pub fn parsed(&self) -> &Parsed {
        &self.parsed
    }

    /// The body's bytes (kept alive by the batch).
    pub fn data<'a>(&'a self, py: Python<'_>) -> &'a [u8] {
        self.data.as_bytes(py)
    }

    fn check_index(&self, i: isize) -> PyResult<usize> {
        let n = self.parsed.points.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(PyIndexError::new_err("point index out of range"));
        }
        Ok(j as usize)
    }

    fn point_tuple<'py>(
        &self,
        py: Python<'py>,
        buf: &[u8],
        i: usize,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let key = self.parsed.key(buf, i);
        let name = lineproto::point::name(key);
        let tags = PyList::empty(py);
        let mut tag_err = Ok(());
        lineproto::point::walk_tags(key, |k, v| {
            if tag_err.is_ok() {
                tag_err = tags.append((PyBytes::new(py, &k), PyBytes::new(py, &v)));
            }
        });
        tag_err?;
        let fields = PyList::empty(py);
        for f in FieldIter::new(self.parsed.fields(buf, i)) {
            let value = f.value().map_err(PyValueError::new_err)?;
            fields.append((
                PyBytes::new(py, &f.key),
                f.ftype.name(),
                field_value(py, value)?,
            ))?;
        }
        (
            PyBytes::new(py, key),
            PyBytes::new(py, &name),
            tags,
            fields,
            self.parsed.points[i].time,
        )
            .into_pyobject(py)
    }
}

#[pymethods]
impl ParsedBatch {
    fn __len__(&self) -> usize {
        self.parsed.points.len()
    }

    /// One bytes message per rejected line, in input order.
    fn error_messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let buf = self.data.bind(py).as_bytes();
        PyList::new(
            py,
            self.parsed
                .errors
                .iter()
                .map(|e| PyBytes::new(py, &e.message(buf))),
        )
    }

    /// Point `i` as `(key, name, [(tag key, tag value)], [(field key, type, value)], time)`,
    /// with byte strings for keys, names, tags and string values.
    fn point<'py>(&self, py: Python<'py>, i: isize) -> PyResult<Bound<'py, PyTuple>> {
        let i = self.check_index(i)?;
        let buf = self.data.bind(py).as_bytes();
        self.point_tuple(py, buf, i)
    }

    /// Every point, as `point(i)` gives it.
    fn points<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let buf = self.data.bind(py).as_bytes();
        let out = PyList::empty(py);
        for i in 0..self.parsed.points.len() {
            out.append(self.point_tuple(py, buf, i)?)?;
        }
        Ok(out)
    }

    /// The series key of every point.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let buf = self.data.bind(py).as_bytes();
        PyList::new(
            py,
            (0..self.parsed.points.len()).map(|i| PyBytes::new(py, self.parsed.key(buf, i))),
        )
    }

    /// FNV-1a 64 of every point's series key (InfluxDB's `HashID`, which picks the shard).
    fn hashes(&self, py: Python<'_>) -> Vec<u64> {
        let buf = self.data.bind(py).as_bytes();
        let parsed = &self.parsed;
        py.detach(|| {
            (0..parsed.points.len())
                .map(|i| hash::fnv1a64(parsed.key(buf, i)))
                .collect()
        })
    }

    /// The binary series key of every point (name and tags unescaped, tags in the key's
    /// order, as InfluxDB's `AppendSeriesKey(p.Name(), p.Tags())`), built in Rust.
    fn series_keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let buf = self.data(py);
        let all: Vec<usize> = (0..self.parsed.points.len()).collect();
        let prepared = py.detach(|| super::storage::prepare(self, buf, &all, None, 0).0);
        PyList::new(py, prepared.series_key_iter().map(|k| PyBytes::new(py, k)))
    }

    /// The time (ns) of every point.
    fn times(&self) -> Vec<i64> {
        self.parsed.points.iter().map(|p| p.time).collect()
    }
}
