//! Bindings for the series file's in-memory index.

use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use super::convert::for_each_series;
use crate::seriesindex::{self, NewEntries};
use crate::serieskey;

/// Series key <-> id for every partition of one series file; see `rust/src/seriesindex.rs`.
#[pyclass(module = "influxlite._native")]
pub struct SeriesIndex {
    inner: seriesindex::SeriesIndex,
}

/// Keys back to back, their spans, and each one's TSI partition.
type EncodedKeys = (Vec<u8>, Vec<(usize, usize)>, Vec<usize>);

/// Binary keys of (names, tags_list), concatenated, with their spans; and, if `tsi_n` > 0,
/// each series' TSI partition: xxh64 of its text key (MakeKey) & (tsi_n - 1).
fn encode_keys(
    names: &Bound<'_, PyAny>,
    tags_list: &Bound<'_, PyAny>,
    tsi_n: usize,
) -> PyResult<EncodedKeys> {
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    let mut parts = Vec::new();
    let mut text = Vec::new();
    for_each_series(names, tags_list, |raw| {
        let tags = raw.tag_slices();
        let start = buf.len();
        serieskey::append_series_key(&mut buf, raw.name(), &tags);
        spans.push((start, buf.len()));
        if tsi_n > 0 {
            text.clear();
            crate::lineproto::point::make_key(&mut text, raw.name(), &tags);
            parts.push((crate::hash::xxh64(&text) & (tsi_n as u64 - 1)) as usize);
        }
        Ok(())
    })?;
    Ok((buf, spans, parts))
}

/// Partition p's new segment entries for Python: None, or `(entries, sizes)`.
fn new_entries_list<'py>(py: Python<'py>, out: Vec<NewEntries>) -> PyResult<Bound<'py, PyList>> {
    let new = PyList::empty(py);
    for e in out {
        if e.sizes.is_empty() {
            new.append(py.None())?;
        } else {
            new.append((PyBytes::new(py, &e.data), e.sizes))?;
        }
    }
    Ok(new)
}

impl SeriesIndex {
    fn check_partition(&self, p: usize) -> PyResult<()> {
        if p >= self.inner.partitions.len() {
            return Err(PyIndexError::new_err("tsdb: invalid series partition id"));
        }
        Ok(())
    }
}

#[pymethods]
impl SeriesIndex {
    #[new]
    #[pyo3(signature = (partition_n=8))]
    fn new(partition_n: usize) -> PyResult<Self> {
        if partition_n == 0 {
            return Err(PyValueError::new_err("partition_n must be at least 1"));
        }
        Ok(SeriesIndex {
            inner: seriesindex::SeriesIndex::new(partition_n),
        })
    }

    #[getter]
    fn partition_n(&self) -> usize {
        self.inner.partitions.len()
    }

    /// Replays one segment's entries from `pos`; returns where its valid entries end.
    fn load_segment(
        &mut self,
        py: Python<'_>,
        partition: usize,
        data: &[u8],
        pos: usize,
    ) -> PyResult<usize> {
        self.check_partition(partition)?;
        let part = &mut self.inner.partitions[partition];
        Ok(py.detach(|| part.load(data, pos)))
    }

    /// Ids of every (name, tags), creating the missing series. Returns `(ids, new, groups)`
    /// where `new[p]` is None or `(entries, sizes)`: partition p's new segment entries to
    /// append; with `tsi_partition_n` (a power of two) `groups[t]` lists, in order, the ids
    /// that go to TSI partition t (else `groups` is None).
    #[pyo3(signature = (names, tags_list, tsi_partition_n=0))]
    fn create<'py>(
        &mut self,
        py: Python<'py>,
        names: &Bound<'py, PyAny>,
        tags_list: &Bound<'py, PyAny>,
        tsi_partition_n: usize,
    ) -> PyResult<Bound<'py, PyTuple>> {
        if tsi_partition_n & tsi_partition_n.wrapping_sub(1) != 0 {
            return Err(PyValueError::new_err(
                "tsi_partition_n must be a power of two",
            ));
        }
        let (buf, spans, parts) = encode_keys(names, tags_list, tsi_partition_n)?;
        let n = self.inner.partitions.len();
        let mut out: Vec<NewEntries> = (0..n).map(|_| NewEntries::default()).collect();
        let inner = &mut self.inner;
        let ids = py.detach(|| inner.create(spans.iter().map(|&(s, e)| &buf[s..e]), &mut out));
        let new = new_entries_list(py, out)?;
        let groups = if tsi_partition_n > 0 {
            let mut g: Vec<Vec<u64>> = vec![Vec::new(); tsi_partition_n];
            for (&id, &t) in ids.iter().zip(parts.iter()) {
                g[t].push(id);
            }
            Some(g)
        } else {
            None
        };
        (ids, new, groups).into_pyobject(py)
    }

    /// `create` for the selected points of a parsed batch (series keys built in Rust):
    /// `(ids as u64 LE bytes, new, groups)`; with `tsi_partition_n`, `groups[t]` holds (u64 LE)
    /// the ids of the points whose series belongs to TSI partition t, chosen as `create` does.
    #[pyo3(signature = (batch, sel=None, tsi_partition_n=0))]
    fn create_from_batch<'py>(
        &mut self,
        py: Python<'py>,
        batch: &super::batch::ParsedBatch,
        sel: Option<&[u8]>,
        tsi_partition_n: usize,
    ) -> PyResult<Bound<'py, PyTuple>> {
        if tsi_partition_n > 256 || tsi_partition_n & tsi_partition_n.wrapping_sub(1) != 0 {
            return Err(PyValueError::new_err(
                "tsi_partition_n must be a power of two up to 256",
            ));
        }
        let idx = super::storage::selected(batch, sel)?;
        let buf = batch.data(py);
        let prepared =
            py.detach(|| super::storage::prepare(batch, buf, &idx, None, tsi_partition_n).0);
        self.create_prepared(py, &prepared)
    }

    /// `create` for a prepared shard write: `(ids as u64 LE bytes, new, groups)` as
    /// `create_from_batch` gives them.
    fn create_prepared<'py>(
        &mut self,
        py: Python<'py>,
        prepared: &super::storage::Prepared,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let n = self.inner.partitions.len();
        let mut out: Vec<NewEntries> = (0..n).map(|_| NewEntries::default()).collect();
        let inner = &mut self.inner;
        let ids = py.detach(|| inner.create(prepared.series_key_iter(), &mut out));
        let new = new_entries_list(py, out)?;
        let id_bytes: Vec<u8> = ids.iter().flat_map(|x| x.to_le_bytes()).collect();
        let groups = prepared.tsi_groups(&ids).map(|g| {
            g.into_iter()
                .map(|b| PyBytes::new(py, &b))
                .collect::<Vec<_>>()
        });
        (PyBytes::new(py, &id_bytes), new, groups).into_pyobject(py)
    }

    /// Live ids of every (name, tags): 0 where there is none.
    fn series_ids(
        &self,
        names: &Bound<'_, PyAny>,
        tags_list: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<u64>> {
        let (buf, spans, _) = encode_keys(names, tags_list, 0)?;
        Ok(spans
            .iter()
            .map(|&(s, e)| self.inner.find(&buf[s..e]))
            .collect())
    }

    fn series_id_by_key(&self, key: &[u8]) -> u64 {
        self.inner.find(key)
    }

    /// The binary key of `id` (also for a deleted id, as InfluxDB's SeriesKey), or None.
    fn series_key<'py>(&self, py: Python<'py>, id: u64) -> Option<Bound<'py, PyBytes>> {
        self.inner.key(id).map(|k| PyBytes::new(py, k))
    }

    /// Marks `id` deleted; returns the tombstone entry to append to its partition, or None if
    /// it already was deleted (or never existed).
    fn delete<'py>(&mut self, py: Python<'py>, id: u64) -> Option<(usize, Bound<'py, PyBytes>)> {
        let p = self.inner.partition_of_id(id)?;
        if !self.inner.partitions[p].delete(id) {
            return None;
        }
        let mut entry = Vec::with_capacity(9);
        seriesindex::append_tombstone(&mut entry, id);
        Some((p, PyBytes::new(py, &entry)))
    }

    /// `ids` grouped for the inverted index: `[(name, ids, [(tag key, [(tag value, ids)])])]`,
    /// where each `ids` is an int when it holds one id, else a list.
    fn invert<'py>(&self, py: Python<'py>, ids: Vec<u64>) -> PyResult<Bound<'py, PyList>> {
        let groups = self.inner.invert(&ids);
        let id_obj = |v: &Vec<u64>| -> PyResult<Bound<'py, PyAny>> {
            if v.len() == 1 {
                Ok(v[0].into_pyobject(py)?.into_any())
            } else {
                Ok(PyList::new(py, v)?.into_any())
            }
        };
        let out = PyList::empty(py);
        for g in &groups {
            let tags = PyList::empty(py);
            for (k, values) in &g.tags {
                let vals = PyList::empty(py);
                for (v, vids) in values {
                    vals.append((PyBytes::new(py, v), id_obj(vids)?))?;
                }
                tags.append((PyBytes::new(py, k), vals))?;
            }
            out.append((PyBytes::new(py, g.name), id_obj(&g.ids)?, tags))?;
        }
        Ok(out)
    }

    fn is_deleted(&self, id: u64) -> bool {
        self.inner.is_deleted(id)
    }

    fn count(&self) -> usize {
        self.inner.count()
    }

    fn next_id(&self, partition: usize) -> PyResult<u64> {
        self.check_partition(partition)?;
        Ok(self.inner.partitions[partition].next_id())
    }
}
