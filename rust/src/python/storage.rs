//! Bindings for the shard write path: argument checks, conversions and releasing the GIL; the
//! per-point work is in `crate::shardwrite`, `crate::cache` and `crate::wal`.
//! Point selections travel as `bytes` of u32 LE point indices, series ids as u64 LE.

use std::collections::HashSet;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use super::batch::ParsedBatch;
use crate::cache::{self, Values};
use crate::fxhash::FxHashMap;
use crate::shardwrite::{self, placement, Outcome, Types};
use crate::wal;

fn indices(batch: &ParsedBatch, sel: Option<&[u8]>) -> PyResult<Vec<usize>> {
    let n = batch.parsed().points.len();
    match sel {
        None => Ok((0..n).collect()),
        Some(b) => {
            if b.len() % 4 != 0 {
                return Err(PyValueError::new_err("indices must be u32 LE bytes"));
            }
            let v: Vec<usize> = b
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().unwrap()) as usize)
                .collect();
            if v.iter().any(|&i| i >= n) {
                return Err(PyValueError::new_err("point index out of range"));
            }
            Ok(v)
        }
    }
}

fn u64s(b: &[u8]) -> PyResult<Vec<u64>> {
    if b.len() % 8 != 0 {
        return Err(PyValueError::new_err("ids must be u64 LE bytes"));
    }
    Ok(b.chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect())
}

/// Optional u64 LE id bytes as a set (None: every series).
fn id_set(b: Option<&[u8]>) -> PyResult<Option<HashSet<u64>>> {
    b.map(|b| u64s(b).map(|v| v.into_iter().collect()))
        .transpose()
}

fn u32_bytes(v: &[usize]) -> Vec<u8> {
    v.iter().flat_map(|&i| (i as u32).to_le_bytes()).collect()
}

/// InfluxDB's shard-level checks of a write (`validateSeriesAndFields`): a tag key `time` drops
/// the point; a field `time` is skipped (and the point dropped if it was the only field); a
/// field whose type differs from the measurement's (known, or first seen in this batch)
/// drops the point. Returns `(accepted indices, new fields [(measurement, field, type)],
/// first reason or None, dropped count)`. (`shard_prepare` does the same and more.)
#[pyfunction]
#[pyo3(signature = (batch, sel, known))]
pub fn shard_validate<'py>(
    py: Python<'py>,
    batch: &ParsedBatch,
    sel: Option<&[u8]>,
    known: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyTuple>> {
    let idx = indices(batch, sel)?;
    let mut types = known_types(known)?;
    let buf = batch.data(py);
    let (prepared, outcome) = py.detach(|| prepare(batch, buf, &idx, Some(&mut types), 0));
    let accepted = PyBytes::new(py, &u32_bytes(prepared.0.accepted()));
    outcome_tuple(py, accepted.into_any(), outcome)
}

pub fn selected(batch: &ParsedBatch, sel: Option<&[u8]>) -> PyResult<Vec<usize>> {
    indices(batch, sel)
}

/// One WAL entry holding the selected points with their series ids.
#[pyfunction]
pub fn wal_encode<'py>(
    py: Python<'py>,
    batch: &ParsedBatch,
    sel: Option<&[u8]>,
    ids: &[u8],
) -> PyResult<Bound<'py, PyBytes>> {
    let idx = indices(batch, sel)?;
    let ids = u64s(ids)?;
    if ids.len() != idx.len() {
        return Err(PyValueError::new_err("one series id per point"));
    }
    let buf = batch.data(py);
    let out = py.detach(|| prepare(batch, buf, &idx, None, 0).0.encode_wal(&ids));
    Ok(PyBytes::new(py, &out))
}

/// A WAL delete entry: the points of `measurement` (of the given series, u64 LE, or all)
/// with times in `[tmin, tmax]`.
#[pyfunction]
#[pyo3(signature = (measurement, series_ids, tmin, tmax))]
pub fn wal_encode_delete<'py>(
    py: Python<'py>,
    measurement: &[u8],
    series_ids: Option<&[u8]>,
    tmin: i64,
    tmax: i64,
) -> PyResult<Bound<'py, PyBytes>> {
    let ids = match series_ids {
        Some(b) => Some(u64s(b)?),
        None => None,
    };
    let mut out = Vec::new();
    wal::encode_delete(&mut out, measurement, ids.as_deref(), tmin, tmax);
    Ok(PyBytes::new(py, &out))
}

/// Walks WAL bytes: `(valid bytes, stop reason or None, points)`.
#[pyfunction]
pub fn wal_scan(data: &[u8]) -> (usize, Option<&'static str>, usize) {
    let mut n = 0;
    let (valid, stop) = wal::scan(data, |e| {
        if let wal::Entry::Points(p) = e {
            n += p.len()
        }
    });
    (valid, stop_name(stop), n)
}

fn stop_name(s: wal::Stop) -> Option<&'static str> {
    match s {
        wal::Stop::End => None,
        wal::Stop::Short => Some("short entry"),
        wal::Stop::Corrupt => Some("corrupt entry"),
    }
}

/// A shard's in-memory cache (see `rust/src/cache.rs`). It locks itself (concurrent
/// snapshots, exclusive changes); the lock is only ever waited for with the GIL released.
#[pyclass(module = "influxlite._native", frozen)]
#[derive(Default)]
pub struct Cache {
    inner: std::sync::RwLock<cache::Cache>,
}

impl Cache {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, cache::Cache> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, cache::Cache> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn bitmap(valid: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; valid.len().div_ceil(8)];
    for (i, &v) in valid.iter().enumerate() {
        if v {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

#[pymethods]
impl Cache {
    #[new]
    fn new() -> Self {
        Cache::default()
    }

    /// Adds the selected points of a batch with their series ids.
    fn insert_batch(
        &self,
        py: Python<'_>,
        batch: &ParsedBatch,
        sel: Option<&[u8]>,
        ids: &[u8],
    ) -> PyResult<()> {
        let idx = indices(batch, sel)?;
        if ids.len() / 8 != idx.len() {
            return Err(PyValueError::new_err("one series id per point"));
        }
        let buf = batch.data(py);
        let prepared = py.detach(|| prepare(batch, buf, &idx, None, 0).0);
        self.insert_prepared(py, &prepared, ids)
    }

    /// Adds the points of a prepared write with their series ids (u64 LE).
    fn insert_prepared(&self, py: Python<'_>, prepared: &Prepared, ids: &[u8]) -> PyResult<()> {
        let ids = u64s(ids)?;
        if ids.len() != prepared.len() {
            return Err(PyValueError::new_err("one series id per point"));
        }
        py.detach(|| prepared.insert_into(&mut self.write(), &ids));
        Ok(())
    }

    /// Replays WAL bytes into the cache, deletes included: `(valid bytes, stop reason or
    /// None, points, deletes [(measurement, series ids u64 LE or None, tmin, tmax)])`.
    fn replay<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
        type Del = (Vec<u8>, Option<Vec<u8>>, i64, i64);
        let (valid, stop, n, dels) = py.detach(|| {
            let mut inner = self.write();
            let mut n = 0;
            let mut dels: Vec<Del> = Vec::new();
            let (valid, stop) = wal::scan(data, |e| match e {
                wal::Entry::Points(p) => {
                    n += p.len();
                    inner.insert_decoded(&p);
                }
                wal::Entry::Delete(d) => {
                    let set: Option<HashSet<u64>> =
                        d.series.as_ref().map(|v| v.iter().copied().collect());
                    inner.delete(d.measurement, set.as_ref(), d.tmin, d.tmax);
                    let ids = d
                        .series
                        .map(|v| v.iter().flat_map(|x| x.to_le_bytes()).collect());
                    dels.push((d.measurement.to_vec(), ids, d.tmin, d.tmax));
                }
            });
            (valid, stop_name(stop), n, dels)
        });
        let out = PyList::empty(py);
        for (m, ids, tmin, tmax) in dels {
            out.append((
                PyBytes::new(py, &m),
                ids.map(|b| PyBytes::new(py, &b)),
                tmin,
                tmax,
            ))?;
        }
        (valid, stop, n, out).into_pyobject(py)
    }

    /// Removes a measurement's rows of the given series (u64 LE; all if None) in
    /// `[tmin, tmax]`; returns how many.
    #[pyo3(signature = (measurement, series_ids=None, tmin=i64::MIN, tmax=i64::MAX))]
    fn delete(
        &self,
        py: Python<'_>,
        measurement: &[u8],
        series_ids: Option<&[u8]>,
        tmin: i64,
        tmax: i64,
    ) -> PyResult<usize> {
        let set = id_set(series_ids)?;
        Ok(py.detach(|| self.write().delete(measurement, set.as_ref(), tmin, tmax)))
    }

    /// Bytes the cache holds (the formula is in `rust/src/cache.rs`).
    #[getter]
    fn size(&self, py: Python<'_>) -> usize {
        py.detach(|| self.read().size)
    }

    #[getter]
    fn points(&self, py: Python<'_>) -> usize {
        py.detach(|| self.read().points)
    }

    fn measurements<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let names: Vec<Vec<u8>> = py.detach(|| self.read().tables.keys().cloned().collect());
        PyList::new(py, names.iter().map(|k| PyBytes::new(py, k)))
    }

    /// Every column in the cache: `[(measurement, field, type name)]`, sorted by measurement
    /// then field.
    fn field_types<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let types: Vec<(Vec<u8>, Vec<u8>, &'static str)> = py.detach(|| {
            let inner = self.read();
            let types = inner.field_types();
            types
                .into_iter()
                .map(|(m, f, t)| (m.to_vec(), f.to_vec(), t.name()))
                .collect()
        });
        PyList::new(
            py,
            types
                .iter()
                .map(|(m, f, t)| (PyBytes::new(py, m), PyBytes::new(py, f), *t)),
        )
    }

    fn clear(&self, py: Python<'_>) {
        py.detach(|| self.write().clear());
    }

    /// One measurement's rows, sorted by (series id, time) with duplicates merged: a dict with
    /// `time` (i64 LE bytes), `series_id` (u64 LE bytes) and `fields`: a list of
    /// `(name, type, values, validity bitmap, offsets or None)`; values fixed-width LE (booleans
    /// one byte each), strings as Arrow large-string data with u64 LE offsets.
    #[pyo3(signature = (measurement, series_ids=None, tmin=i64::MIN, tmax=i64::MAX))]
    fn snapshot<'py>(
        &self,
        py: Python<'py>,
        measurement: &[u8],
        series_ids: Option<&[u8]>,
        tmin: i64,
        tmax: i64,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let filter = id_set(series_ids)?;
        let snap = py.detach(|| {
            // Under the lock only the linear copy; the sort and merge after it (writers wait
            // for the lock, and a query's thread may run at a lower priority).
            let rows = self
                .read()
                .tables
                .get(measurement)
                .map(|t| t.selected(filter.as_ref(), tmin, tmax));
            rows.map(|t| t.snapshot(None, i64::MIN, i64::MAX))
        });
        let Some(snap) = snap else {
            return Ok(None);
        };
        let out = PyDict::new(py);
        let le = |v: &[i64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        out.set_item("time", PyBytes::new(py, &le(&snap.times)))?;
        out.set_item(
            "series_id",
            PyBytes::new(
                py,
                &snap
                    .series
                    .iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect::<Vec<u8>>(),
            ),
        )?;
        let fields = PyList::empty(py);
        for c in &snap.columns {
            let (values, offsets): (Vec<u8>, Option<Vec<u8>>) = match &c.values {
                Values::Float(v) => (v.iter().flat_map(|x| x.to_le_bytes()).collect(), None),
                Values::Integer(v) => (le(v), None),
                Values::Unsigned(v) => (v.iter().flat_map(|x| x.to_le_bytes()).collect(), None),
                Values::Boolean(v) => (v.iter().map(|&b| b as u8).collect(), None),
                Values::String { offsets, data } => (
                    data.clone(),
                    Some(offsets.iter().flat_map(|x| x.to_le_bytes()).collect()),
                ),
            };
            fields.append((
                PyBytes::new(py, &c.name),
                c.values.field_type().name(),
                PyBytes::new(py, &values),
                PyBytes::new(py, &bitmap(&c.valid)),
                offsets.map(|o| PyBytes::new(py, &o)),
            ))?;
        }
        out.set_item("fields", fields)?;
        Ok(Some(out))
    }
}

/// Sorted distinct starts of the shard groups (of `duration` ns, aligned as Go's
/// `Time.Truncate`) the points with time >= `min_time` fall in.
#[pyfunction]
pub fn group_starts(py: Python<'_>, batch: &ParsedBatch, duration: i64, min_time: i64) -> Vec<i64> {
    let parsed = batch.parsed();
    py.detach(|| placement::group_starts(parsed, duration, min_time))
}

/// Splits a batch by shard: `groups` is `[(start, end, shard count)]`, sorted and disjoint.
/// A point goes to the group holding its time and, within it, to shard
/// `fnv1a64(key) % count` (InfluxDB's ShardFor). Points before `min_time` are dropped
/// (outside retention). Returns `(per group: [indices bytes per shard], dropped, unplaced)`.
#[pyfunction]
pub fn split_by_shard<'py>(
    py: Python<'py>,
    batch: &ParsedBatch,
    groups: Vec<(i64, i64, usize)>,
    min_time: i64,
) -> PyResult<Bound<'py, PyTuple>> {
    if groups.iter().any(|g| g.2 == 0) {
        return Err(PyValueError::new_err(
            "a shard group needs at least one shard",
        ));
    }
    let buf = batch.data(py);
    let parsed = batch.parsed();
    let split = py.detach(|| placement::split_by_shard(parsed, buf, &groups, min_time));
    let groups_out = PyList::empty(py);
    for g in &split.shards {
        groups_out.append(PyList::new(
            py,
            g.iter().map(|s| PyBytes::new(py, &u32_bytes(s))),
        )?)?;
    }
    let unplaced = PyBytes::new(py, &u32_bytes(&split.unplaced));
    (groups_out, split.dropped, unplaced).into_pyobject(py)
}

/// A prepared shard write (see `crate::shardwrite::Prepared`, which it derefs to).
#[pyclass(module = "influxlite._native", frozen)]
pub struct Prepared(shardwrite::Prepared);

impl std::ops::Deref for Prepared {
    type Target = shardwrite::Prepared;

    fn deref(&self) -> &shardwrite::Prepared {
        &self.0
    }
}

fn known_types(known: &Bound<'_, PyDict>) -> PyResult<Types> {
    let mut types: Types = FxHashMap::default();
    for (m, fields) in known.iter() {
        let m: Vec<u8> = m.extract()?;
        let fields = fields.cast::<PyDict>()?;
        let mut map = FxHashMap::default();
        for (f, t) in fields.iter() {
            let t: String = t.extract()?;
            map.insert(
                f.extract::<Vec<u8>>()?,
                shardwrite::type_from_name(&t)
                    .ok_or_else(|| PyValueError::new_err("bad field type"))?,
            );
        }
        types.insert(m, map);
    }
    Ok(types)
}

/// `(first, new fields [(measurement, field, type)], first reason or None, dropped count)`.
fn outcome_tuple<'py>(
    py: Python<'py>,
    first: Bound<'py, PyAny>,
    outcome: Outcome,
) -> PyResult<Bound<'py, PyTuple>> {
    let nf = PyList::empty(py);
    for (m, f, t) in &outcome.new_fields {
        nf.append((PyBytes::new(py, m), PyBytes::new(py, f), t.name()))?;
    }
    (first, nf, outcome.reason, outcome.dropped).into_pyobject(py)
}

/// The core pass (`crate::shardwrite::prepare`) over the selected points of a batch.
pub(crate) fn prepare(
    batch: &ParsedBatch,
    buf: &[u8],
    idx: &[usize],
    types: Option<&mut Types>,
    tsi_n: usize,
) -> (Prepared, Outcome) {
    let (p, out) = shardwrite::prepare(batch.parsed(), buf, idx, types, tsi_n);
    (Prepared(p), out)
}

/// `shard_validate` and the decoding for the rest of the write, in one pass: returns
/// `(prepared, new fields, first reason or None, dropped)`.
#[pyfunction]
#[pyo3(signature = (batch, sel, known, tsi_partition_n=0))]
pub fn shard_prepare<'py>(
    py: Python<'py>,
    batch: &ParsedBatch,
    sel: Option<&[u8]>,
    known: &Bound<'py, PyDict>,
    tsi_partition_n: usize,
) -> PyResult<Bound<'py, PyTuple>> {
    if !shardwrite::valid_tsi_partition_n(tsi_partition_n) {
        return Err(PyValueError::new_err(
            "tsi_partition_n must be a power of two up to 256",
        ));
    }
    let idx = indices(batch, sel)?;
    let mut types = known_types(known)?;
    let buf = batch.data(py);
    let (prepared, outcome) =
        py.detach(|| prepare(batch, buf, &idx, Some(&mut types), tsi_partition_n));
    outcome_tuple(py, Bound::new(py, prepared)?.into_any(), outcome)
}

#[pymethods]
impl Prepared {
    fn __len__(&self) -> usize {
        self.0.len()
    }

    /// The accepted points, as u32 LE indices into the batch.
    #[getter]
    fn accepted<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &u32_bytes(self.0.accepted()))
    }

    /// The WAL entry for the accepted points with their series ids (u64 LE).
    fn wal_entry<'py>(&self, py: Python<'py>, ids: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let ids = u64s(ids)?;
        if ids.len() != self.0.len() {
            return Err(PyValueError::new_err("one series id per point"));
        }
        let out = py.detach(|| self.0.encode_wal(&ids));
        Ok(PyBytes::new(py, &out))
    }
}
