//! Bindings for the shard write path: everything that runs once per point stays here.
//! Point selections travel as `bytes` of u32 LE point indices, series ids as u64 LE.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use super::batch::ParsedBatch;
use crate::cache::{self, Values};
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
            let v: Vec<usize> = b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap()) as usize).collect();
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
    Ok(b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect())
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

/// The decoded fields of point `i` (values a scan already validated decode).
fn point_fields<'a>(batch: &'a ParsedBatch, buf: &'a [u8], i: usize) -> Vec<(Cow<'a, [u8]>, FieldValue<'a>)> {
    FieldIter::new(batch.parsed().fields(buf, i))
        .filter_map(|f| f.value().ok().map(|v| (f.key, v)))
        .collect()
}

/// InfluxDB's shard-level checks of a write (`validateSeriesAndFields`): a tag key `time` drops
/// the point; a field `time` is skipped (and the point dropped if it was the only field); a
/// field whose type differs from the measurement's (known, or first seen in this batch)
/// drops the point. Returns `(accepted indices, new fields [(measurement, field, type)],
/// first reason or None, dropped count)`.
#[pyfunction]
#[pyo3(signature = (batch, sel, known))]
pub fn shard_validate<'py>(
    py: Python<'py>,
    batch: &ParsedBatch,
    sel: Option<&[u8]>,
    known: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyTuple>> {
    let idx = indices(batch, sel)?;
    let buf = batch.data(py);
    let parsed = batch.parsed();
    // measurement -> field -> type, from the registry, then the batch's own first sightings
    let mut types: HashMap<Vec<u8>, HashMap<Vec<u8>, FieldType>> = HashMap::new();
    for (m, fields) in known.iter() {
        let m: Vec<u8> = m.extract()?;
        let fields = fields.cast::<PyDict>()?;
        let mut map = HashMap::new();
        for (f, t) in fields.iter() {
            let t: String = t.extract()?;
            map.insert(f.extract::<Vec<u8>>()?, type_from_name(&t).ok_or_else(|| PyValueError::new_err("bad field type"))?);
        }
        types.insert(m, map);
    }
    let mut accepted = Vec::with_capacity(idx.len());
    let mut new_fields: Vec<(Vec<u8>, Vec<u8>, FieldType)> = Vec::new();
    let mut reason: Option<String> = None;
    let mut dropped = 0usize;
    let mut drop = |why: String, reason: &mut Option<String>| {
        dropped += 1;
        if reason.is_none() {
            *reason = Some(why);
        }
    };
    'points: for i in idx {
        let key = parsed.key(buf, i);
        let name = lineproto::point::name(key);
        let mut time_tag = false;
        lineproto::point::walk_tags(key, |k, _| time_tag |= k.as_ref() == b"time");
        let name_text = String::from_utf8_lossy(&name).into_owned();
        if time_tag {
            drop(format!("invalid tag key: input tag \"time\" on measurement \"{name_text}\" is invalid"), &mut reason);
            continue;
        }
        let mtypes = types.entry(name.to_vec()).or_default();
        let mut fields = 0;
        let mut pending: Vec<(Vec<u8>, FieldType)> = Vec::new();
        for f in FieldIter::new(parsed.fields(buf, i)) {
            if f.key.as_ref() == b"time" {
                continue;
            }
            fields += 1;
            let have = mtypes.get(f.key.as_ref()).copied().or_else(|| {
                pending.iter().find(|(k, _)| k.as_slice() == f.key.as_ref()).map(|(_, t)| *t)
            });
            match have {
                Some(t) if t != f.ftype => {
                    drop(
                        format!(
                            "field type conflict: input field \"{}\" on measurement \"{}\" is type {}, already exists as type {}",
                            String::from_utf8_lossy(&f.key),
                            name_text,
                            f.ftype.name(),
                            t.name()
                        ),
                        &mut reason,
                    );
                    continue 'points;
                }
                Some(_) => {}
                None => pending.push((f.key.to_vec(), f.ftype)),
            }
        }
        if fields == 0 {
            drop(format!("invalid field name: input field \"time\" on measurement \"{name_text}\" is invalid"), &mut reason);
            continue;
        }
        for (k, t) in pending {
            mtypes.insert(k.clone(), t);
            new_fields.push((name.to_vec(), k, t));
        }
        accepted.push(i);
    }
    let nf = PyList::empty(py);
    for (m, f, t) in &new_fields {
        nf.append((PyBytes::new(py, m), PyBytes::new(py, f), t.name()))?;
    }
    (PyBytes::new(py, &u32_bytes(&accepted)), nf, reason, dropped).into_pyobject(py)
}

/// The binary series keys of the selected points, concatenated, with their spans.
pub fn series_keys(batch: &ParsedBatch, buf: &[u8], idx: &[usize]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let parsed = batch.parsed();
    let mut arena = Vec::new();
    let mut spans = Vec::with_capacity(idx.len());
    let mut tags: Vec<(Cow<'_, [u8]>, Cow<'_, [u8]>)> = Vec::new();
    for &i in idx {
        let key = parsed.key(buf, i);
        let name = lineproto::point::name(key);
        tags.clear();
        lineproto::point::walk_tags(key, |k, v| tags.push((k, v)));
        let refs: Vec<(&[u8], &[u8])> = tags.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        let start = arena.len();
        crate::serieskey::append_series_key(&mut arena, &name, &refs);
        spans.push((start, arena.len()));
    }
    (arena, spans)
}

pub fn selected(batch: &ParsedBatch, sel: Option<&[u8]>) -> PyResult<Vec<usize>> {
    indices(batch, sel)
}

/// One WAL entry holding the selected points with their series ids.
#[pyfunction]
pub fn wal_encode<'py>(py: Python<'py>, batch: &ParsedBatch, sel: Option<&[u8]>, ids: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let idx = indices(batch, sel)?;
    let ids = u64s(ids)?;
    if ids.len() != idx.len() {
        return Err(PyValueError::new_err("one series id per point"));
    }
    let buf = batch.data(py);
    let parsed = batch.parsed();
    let out = py.detach(|| {
        let names: Vec<Cow<'_, [u8]>> = idx.iter().map(|&i| lineproto::point::name(parsed.key(buf, i))).collect();
        let fields: Vec<Vec<(Cow<'_, [u8]>, FieldValue<'_>)>> = idx.iter().map(|&i| point_fields(batch, buf, i)).collect();
        let mut out = Vec::new();
        wal::encode(
            &mut out,
            idx.iter().enumerate().map(|(j, &i)| wal::PointIn {
                measurement: names[j].as_ref(),
                series_id: ids[j],
                time: parsed.points[i].time,
                fields: fields[j].iter().map(|(k, v)| (k.as_ref(), v.clone())).collect(),
            }),
        );
        out
    });
    Ok(PyBytes::new(py, &out))
}

/// Walks WAL bytes: `(valid bytes, stop reason or None, points)`.
#[pyfunction]
pub fn wal_scan(data: &[u8]) -> (usize, Option<&'static str>, usize) {
    let mut n = 0;
    let (valid, stop) = wal::scan(data, |p| n += p.len());
    (valid, stop_name(stop), n)
}

fn stop_name(s: wal::Stop) -> Option<&'static str> {
    match s {
        wal::Stop::End => None,
        wal::Stop::Short => Some("short entry"),
        wal::Stop::Corrupt => Some("corrupt entry"),
    }
}

/// A shard's in-memory cache (see `rust/src/cache.rs`).
#[pyclass(module = "influxlite._native")]
#[derive(Default)]
pub struct Cache {
    inner: cache::Cache,
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
    fn insert_batch(&mut self, py: Python<'_>, batch: &ParsedBatch, sel: Option<&[u8]>, ids: &[u8]) -> PyResult<()> {
        let idx = indices(batch, sel)?;
        let ids = u64s(ids)?;
        if ids.len() != idx.len() {
            return Err(PyValueError::new_err("one series id per point"));
        }
        let buf = batch.data(py);
        let parsed = batch.parsed();
        let inner = &mut self.inner;
        py.detach(|| {
            for (j, &i) in idx.iter().enumerate() {
                let name = lineproto::point::name(parsed.key(buf, i));
                let fields: Vec<(Cow<'_, [u8]>, FieldValue<'_>)> = point_fields(batch, buf, i)
                    .into_iter()
                    .filter(|(k, _)| k.as_ref() != b"time")
                    .collect();
                let refs: Vec<(&[u8], FieldValue<'_>)> = fields.iter().map(|(k, v)| (k.as_ref(), v.clone())).collect();
                inner.insert(&name, ids[j], parsed.points[i].time, &refs);
            }
        });
        Ok(())
    }

    /// Replays WAL bytes into the cache: `(valid bytes, stop reason or None, points)`.
    fn replay(&mut self, py: Python<'_>, data: &[u8]) -> (usize, Option<&'static str>, usize) {
        let inner = &mut self.inner;
        py.detach(|| {
            let mut n = 0;
            let (valid, stop) = wal::scan(data, |p| {
                n += p.len();
                inner.insert_decoded(&p);
            });
            (valid, stop_name(stop), n)
        })
    }

    #[getter]
    fn size(&self) -> usize {
        self.inner.size
    }

    #[getter]
    fn points(&self) -> usize {
        self.inner.points
    }

    fn measurements<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.inner.tables.keys().map(|k| PyBytes::new(py, k)))
    }

    fn clear(&mut self) {
        self.inner.clear();
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
        let Some(table) = self.inner.tables.get(measurement) else { return Ok(None) };
        let filter: Option<HashSet<u64>> = match series_ids {
            Some(b) => Some(u64s(b)?.into_iter().collect()),
            None => None,
        };
        let snap = py.detach(|| table.snapshot(filter.as_ref(), tmin, tmax));
        let out = PyDict::new(py);
        let le = |v: &[i64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        out.set_item("time", PyBytes::new(py, &le(&snap.times)))?;
        out.set_item("series_id", PyBytes::new(py, &snap.series.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()))?;
        let fields = PyList::empty(py);
        for c in &snap.columns {
            let (values, offsets): (Vec<u8>, Option<Vec<u8>>) = match &c.values {
                Values::Float(v) => (v.iter().flat_map(|x| x.to_le_bytes()).collect(), None),
                Values::Integer(v) => (le(v), None),
                Values::Unsigned(v) => (v.iter().flat_map(|x| x.to_le_bytes()).collect(), None),
                Values::Boolean(v) => (v.iter().map(|&b| b as u8).collect(), None),
                Values::String { offsets, data } => (data.clone(), Some(offsets.iter().flat_map(|x| x.to_le_bytes()).collect())),
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
        return Err(PyValueError::new_err("a shard group needs at least one shard"));
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
            let s = if n == 1 { 0 } else { (crate::hash::fnv1a64(parsed.key(buf, i)) % n as u64) as usize };
            out[g][s].push(i);
        }
        (out, dropped, unplaced)
    });
    let groups_out = PyList::empty(py);
    for g in &out {
        groups_out.append(PyList::new(py, g.iter().map(|s| PyBytes::new(py, &u32_bytes(s))))?)?;
    }
    (groups_out, dropped, PyBytes::new(py, &u32_bytes(&unplaced))).into_pyobject(py)
}
