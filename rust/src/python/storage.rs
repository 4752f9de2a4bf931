//! Bindings for the shard write path: everything that runs once per point stays here.
//! Point selections travel as `bytes` of u32 LE point indices, series ids as u64 LE.

use std::borrow::Cow;
use std::collections::HashSet;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use super::batch::ParsedBatch;
use crate::cache::{self, Values};
use crate::fxhash::FxHashMap;
use crate::lineproto::{self, FieldIter, FieldType, FieldValue};
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

fn type_from_name(s: &str) -> Option<FieldType> {
    Some(match s {
        "float" => FieldType::Float,
        "integer" => FieldType::Integer,
        "unsigned" => FieldType::Unsigned,
        "string" => FieldType::String,
        "boolean" => FieldType::Boolean,
        _ => return None,
    })
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
    let nf = PyList::empty(py);
    for (m, f, t) in &outcome.new_fields {
        nf.append((PyBytes::new(py, m), PyBytes::new(py, f), t.name()))?;
    }
    (
        PyBytes::new(py, &u32_bytes(&prepared.accepted)),
        nf,
        outcome.reason,
        outcome.dropped,
    )
        .into_pyobject(py)
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
        if ids.len() != prepared.points.len() {
            return Err(PyValueError::new_err("one series id per point"));
        }
        py.detach(|| {
            let mut inner = self.write();
            let mut fields = Vec::new();
            for (j, p) in prepared.points.iter().enumerate() {
                prepared.fields(j, &mut fields);
                inner.insert(&prepared.names[p.0 as usize], ids[j], p.1, &fields);
            }
        });
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
            self.read()
                .tables
                .get(measurement)
                .map(|t| t.snapshot(filter.as_ref(), tmin, tmax))
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
    // Go's zero time (year 1) in ns since the Unix epoch: beyond i64.
    const GO_ZERO: i128 = -62_135_596_800_000_000_000;
    let parsed = batch.parsed();
    py.detach(|| {
        let mut starts: Vec<i64> = parsed
            .points
            .iter()
            .filter(|p| p.time >= min_time)
            .map(|p| {
                let off = (p.time as i128 - GO_ZERO).rem_euclid(duration as i128) as i64;
                p.time - off
            })
            .collect();
        starts.sort_unstable();
        starts.dedup();
        starts
    })
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
    let (out, dropped, unplaced) = py.detach(|| {
        let mut out: Vec<Vec<Vec<usize>>> = groups.iter().map(|g| vec![Vec::new(); g.2]).collect();
        let mut dropped = 0usize;
        let mut unplaced = Vec::new();
        for (i, p) in parsed.points.iter().enumerate() {
            if p.time < min_time {
                dropped += 1;
                continue;
            }
            let g = groups.partition_point(|g| g.1 <= p.time);
            if g >= groups.len() || groups[g].0 > p.time {
                unplaced.push(i);
                continue;
            }
            let n = groups[g].2;
            let s = if n == 1 {
                0
            } else {
                (crate::hash::fnv1a64(parsed.key(buf, i)) % n as u64) as usize
            };
            out[g][s].push(i);
        }
        (out, dropped, unplaced)
    });
    let groups_out = PyList::empty(py);
    for g in &out {
        groups_out.append(PyList::new(
            py,
            g.iter().map(|s| PyBytes::new(py, &u32_bytes(s))),
        )?)?;
    }
    (groups_out, dropped, PyBytes::new(py, &u32_bytes(&unplaced))).into_pyobject(py)
}

/// A value decoded once; strings point into the prepared write's string arena.
#[derive(Clone, Copy)]
enum Owned {
    F(f64),
    I(i64),
    U(u64),
    B(bool),
    S(u32, u32),
}

/// The accepted points of one shard write, decoded once: measurement and field-key tables,
/// typed values, binary series keys and TSI partitions. The WAL entry, the series ids and the
/// cache rows are all made from it.
#[pyclass(module = "influxlite._native", frozen)]
pub struct Prepared {
    names: Vec<Vec<u8>>,
    keys: Vec<Vec<u8>>,
    strings: Vec<u8>,
    /// (name index, time, first value, value count)
    points: Vec<(u32, i64, u32, u32)>,
    values: Vec<(u32, Owned)>,
    series_keys: Vec<u8>,
    spans: Vec<(u32, u32)>,
    tsi: Vec<u8>,
    tsi_n: usize,
    accepted: Vec<usize>,
}

impl Prepared {
    fn value<'a>(&'a self, v: &Owned) -> FieldValue<'a> {
        match *v {
            Owned::F(x) => FieldValue::Float(x),
            Owned::I(x) => FieldValue::Integer(x),
            Owned::U(x) => FieldValue::Unsigned(x),
            Owned::B(x) => FieldValue::Boolean(x),
            Owned::S(s, l) => {
                FieldValue::String(Cow::Borrowed(&self.strings[s as usize..(s + l) as usize]))
            }
        }
    }

    fn fields<'a>(&'a self, p: usize, out: &mut Vec<(&'a [u8], FieldValue<'a>)>) {
        let (_, _, start, len) = self.points[p];
        let (start, len) = (start as usize, len as usize);
        out.clear();
        for (k, v) in &self.values[start..start + len] {
            out.push((self.keys[*k as usize].as_slice(), self.value(v)));
        }
    }

    pub fn series_key_iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans
            .iter()
            .map(|&(s, e)| &self.series_keys[s as usize..e as usize])
    }

    pub fn tsi_groups(&self, ids: &[u64]) -> Option<Vec<Vec<u8>>> {
        if self.tsi_n == 0 {
            return None;
        }
        let mut g: Vec<Vec<u8>> = vec![Vec::new(); self.tsi_n];
        for (j, &t) in self.tsi.iter().enumerate() {
            g[t as usize].extend_from_slice(&ids[j].to_le_bytes());
        }
        Some(g)
    }

    /// The WAL entry for the accepted points with their series ids: the prepared tables
    /// already hold interned names and keys and decoded values.
    fn encode_wal(&self, ids: &[u64]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.points.len() * 48 + self.strings.len());
        let points = self
            .points
            .iter()
            .enumerate()
            .map(|(j, &(ni, time, vstart, vlen))| {
                let values = &self.values[vstart as usize..(vstart + vlen) as usize];
                (
                    ni,
                    ids[j],
                    time,
                    values.iter().map(|(k, v)| (*k, self.value(v))),
                )
            });
        wal::encode_points(&mut out, &self.names, &self.keys, points);
        out
    }
}

type Types = FxHashMap<Vec<u8>, FxHashMap<Vec<u8>, FieldType>>;

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
                type_from_name(&t).ok_or_else(|| PyValueError::new_err("bad field type"))?,
            );
        }
        types.insert(m, map);
    }
    Ok(types)
}

pub(crate) struct Outcome {
    new_fields: Vec<(Vec<u8>, Vec<u8>, FieldType)>,
    reason: Option<String>,
    dropped: usize,
}

/// One pass over the selected points: InfluxDB's shard checks when `types` is given (as
/// `shard_validate`), then the accepted points decoded into a `Prepared`.
pub(crate) fn prepare(
    batch: &ParsedBatch,
    buf: &[u8],
    idx: &[usize],
    mut types: Option<&mut Types>,
    tsi_n: usize,
) -> (Prepared, Outcome) {
    let parsed = batch.parsed();
    let mut p = Prepared {
        names: Vec::new(),
        keys: Vec::new(),
        strings: Vec::new(),
        points: Vec::with_capacity(idx.len()),
        values: Vec::with_capacity(idx.len() * 4),
        series_keys: Vec::with_capacity(idx.len() * 48),
        spans: Vec::with_capacity(idx.len()),
        tsi: Vec::with_capacity(if tsi_n > 0 { idx.len() } else { 0 }),
        tsi_n,
        accepted: Vec::with_capacity(idx.len()),
    };
    let mut out = Outcome {
        new_fields: Vec::new(),
        reason: None,
        dropped: 0,
    };
    let mut name_ix: FxHashMap<Vec<u8>, u32> = FxHashMap::default();
    let mut key_ix: FxHashMap<Vec<u8>, u32> = FxHashMap::default();
    let mut order: Vec<usize> = Vec::new();
    let mut tags: Vec<lineproto::point::Tag<'_>> = Vec::new();
    let mut fields: Vec<(Cow<'_, [u8]>, FieldType, FieldValue<'_>)> = Vec::new();
    let mut pending: Vec<(Vec<u8>, FieldType)> = Vec::new();
    let mut text = Vec::new();
    'points: for &i in idx {
        let key = parsed.key(buf, i);
        let name = lineproto::point::name(key);
        tags.clear();
        lineproto::point::walk_tags(key, |k, v| tags.push((k, v)));
        let drop = |why: String, out: &mut Outcome| {
            out.dropped += 1;
            if out.reason.is_none() {
                out.reason = Some(why);
            }
        };
        if types.is_some() && tags.iter().any(|(k, _)| k.as_ref() == b"time") {
            drop(
                format!(
                    "invalid tag key: input tag \"time\" on measurement \"{}\" is invalid",
                    String::from_utf8_lossy(&name)
                ),
                &mut out,
            );
            continue;
        }
        fields.clear();
        pending.clear();
        for f in FieldIter::new(parsed.fields(buf, i)) {
            if f.key.as_ref() == b"time" {
                continue;
            }
            if let Some(types) = types.as_deref_mut() {
                let have = types
                    .get(name.as_ref())
                    .and_then(|m| m.get(f.key.as_ref()).copied())
                    .or_else(|| {
                        pending
                            .iter()
                            .find(|(k, _)| k.as_slice() == f.key.as_ref())
                            .map(|(_, t)| *t)
                    });
                match have {
                    Some(t) if t != f.ftype => {
                        drop(
                            format!(
                                "field type conflict: input field \"{}\" on measurement \"{}\" is type {}, already exists as type {}",
                                String::from_utf8_lossy(&f.key),
                                String::from_utf8_lossy(&name),
                                f.ftype.name(),
                                t.name()
                            ),
                            &mut out,
                        );
                        continue 'points;
                    }
                    Some(_) => {}
                    None => pending.push((f.key.to_vec(), f.ftype)),
                }
            }
            let Ok(v) = f.value() else { continue };
            match fields
                .iter_mut()
                .find(|(k, _, _)| k.as_ref() == f.key.as_ref())
            {
                Some(slot) => {
                    slot.1 = f.ftype;
                    slot.2 = v;
                }
                None => fields.push((f.key, f.ftype, v)),
            }
        }
        if types.is_some() && fields.is_empty() {
            drop(
                format!(
                    "invalid field name: input field \"time\" on measurement \"{}\" is invalid",
                    String::from_utf8_lossy(&name)
                ),
                &mut out,
            );
            continue;
        }
        if let Some(types) = types.as_deref_mut() {
            if !pending.is_empty() {
                let m = types.entry(name.to_vec()).or_default();
                for (k, t) in pending.drain(..) {
                    m.insert(k.clone(), t);
                    out.new_fields.push((name.to_vec(), k, t));
                }
            }
        }
        // accepted
        let ni = match name_ix.get(name.as_ref()) {
            Some(&n) => n,
            None => {
                p.names.push(name.to_vec());
                name_ix.insert(name.to_vec(), p.names.len() as u32 - 1);
                p.names.len() as u32 - 1
            }
        };
        let vstart = p.values.len() as u32;
        for (k, _, v) in fields.drain(..) {
            let ki = match key_ix.get(k.as_ref()) {
                Some(&n) => n,
                None => {
                    p.keys.push(k.to_vec());
                    key_ix.insert(k.to_vec(), p.keys.len() as u32 - 1);
                    p.keys.len() as u32 - 1
                }
            };
            let ov = match v {
                FieldValue::Float(x) => Owned::F(x),
                FieldValue::Integer(x) => Owned::I(x),
                FieldValue::Unsigned(x) => Owned::U(x),
                FieldValue::Boolean(x) => Owned::B(x),
                FieldValue::String(s) => {
                    let start = p.strings.len() as u32;
                    p.strings.extend_from_slice(&s);
                    Owned::S(start, s.len() as u32)
                }
            };
            p.values.push((ki, ov));
        }
        p.points.push((
            ni,
            parsed.points[i].time,
            vstart,
            p.values.len() as u32 - vstart,
        ));
        let start = p.series_keys.len();
        crate::serieskey::append_series_key(&mut p.series_keys, &name, &tags);
        p.spans.push((start as u32, p.series_keys.len() as u32));
        if tsi_n > 0 {
            // MakeKey over the tags in raw-key order: the parser's order unless escaping
            // changed it (rare), so sort only then.
            text.clear();
            if tags.windows(2).all(|w| w[0].0 <= w[1].0) {
                lineproto::point::make_key(&mut text, &name, &tags);
            } else {
                order.clear();
                order.extend(0..tags.len());
                order.sort_by(|&a, &b| tags[a].0.cmp(&tags[b].0));
                let pairs: Vec<(&[u8], &[u8])> = order
                    .iter()
                    .map(|&i| (tags[i].0.as_ref(), tags[i].1.as_ref()))
                    .collect();
                lineproto::point::make_key(&mut text, &name, &pairs);
            }
            p.tsi
                .push((crate::hash::xxh64(&text) & (tsi_n as u64 - 1)) as u8);
        }
        p.accepted.push(i);
    }
    (p, out)
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
    if tsi_partition_n > 256 || tsi_partition_n & tsi_partition_n.wrapping_sub(1) != 0 {
        return Err(PyValueError::new_err(
            "tsi_partition_n must be a power of two up to 256",
        ));
    }
    let idx = indices(batch, sel)?;
    let mut types = known_types(known)?;
    let buf = batch.data(py);
    let (prepared, outcome) =
        py.detach(|| prepare(batch, buf, &idx, Some(&mut types), tsi_partition_n));
    let nf = PyList::empty(py);
    for (m, f, t) in &outcome.new_fields {
        nf.append((PyBytes::new(py, m), PyBytes::new(py, f), t.name()))?;
    }
    (
        Bound::new(py, prepared)?,
        nf,
        outcome.reason,
        outcome.dropped,
    )
        .into_pyobject(py)
}

#[pymethods]
impl Prepared {
    fn __len__(&self) -> usize {
        self.points.len()
    }

    /// The accepted points, as u32 LE indices into the batch.
    #[getter]
    fn accepted<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &u32_bytes(&self.accepted))
    }

    /// The WAL entry for the accepted points with their series ids (u64 LE).
    fn wal_entry<'py>(&self, py: Python<'py>, ids: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let ids = u64s(ids)?;
        if ids.len() != self.points.len() {
            return Err(PyValueError::new_err("one series id per point"));
        }
        let out = py.detach(|| self.encode_wal(&ids));
        Ok(PyBytes::new(py, &out))
    }
}
