//! Turning Python arguments into bytes: `bytes` as they are, `str` as UTF-8 with
//! `surrogateescape` (so text decoded from non-UTF-8 bytes gives those bytes back).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

/// Appends the raw bytes of a `bytes` or `str` object to `out`.
pub fn push_raw(obj: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        out.extend_from_slice(b.as_bytes());
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        if let Ok(text) = s.to_str() {
            out.extend_from_slice(text.as_bytes());
        } else {
            let encoded = s.call_method1("encode", ("utf-8", "surrogateescape"))?;
            out.extend_from_slice(encoded.cast::<PyBytes>()?.as_bytes());
        }
        return Ok(());
    }
    Err(PyTypeError::new_err(format!(
        "expected bytes or str, not {}",
        obj.get_type().name()?
    )))
}

/// A name and its tags, raw, tags sorted by key with empty values dropped (as InfluxDB's
/// parser never yields an empty tag value). `ranges` index into `buf`.
#[derive(Default)]
pub struct RawSeries {
    pub buf: Vec<u8>,
    pub name: (usize, usize),
    pub tags: Vec<((usize, usize), (usize, usize))>,
}

impl RawSeries {
    pub fn clear(&mut self) {
        self.buf.clear();
        self.tags.clear();
    }

    pub fn name(&self) -> &[u8] {
        &self.buf[self.name.0..self.name.1]
    }

    pub fn tag_slices(&self) -> Vec<(&[u8], &[u8])> {
        self.tags
            .iter()
            .map(|&((ks, ke), (vs, ve))| (&self.buf[ks..ke], &self.buf[vs..ve]))
            .collect()
    }

    fn push_part(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<(usize, usize)> {
        let s = self.buf.len();
        push_raw(obj, &mut self.buf)?;
        Ok((s, self.buf.len()))
    }

    fn push_tag(&mut self, k: &Bound<'_, PyAny>, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let kr = self.push_part(k)?;
        let vr = self.push_part(v)?;
        if vr.0 != vr.1 {
            self.tags.push((kr, vr));
        }
        Ok(())
    }

    /// Reads `name` and `tags` (a dict, a sequence of (key, value) pairs, or None).
    pub fn load(&mut self, name: &Bound<'_, PyAny>, tags: &Bound<'_, PyAny>) -> PyResult<()> {
        self.clear();
        self.name = self.push_part(name)?;
        if tags.is_none() {
            return Ok(());
        }
        if let Ok(d) = tags.cast::<PyDict>() {
            for (k, v) in d.iter() {
                self.push_tag(&k, &v)?;
            }
        } else {
            for item in tags.try_iter()? {
                let item = item?;
                let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
                self.push_tag(&k, &v)?;
            }
        }
        let buf = &self.buf;
        self.tags
            .sort_by(|a, b| buf[a.0 .0..a.0 .1].cmp(&buf[b.0 .0..b.0 .1]));
        for w in self.tags.windows(2) {
            if buf[w[0].0 .0..w[0].0 .1] == buf[w[1].0 .0..w[1].0 .1] {
                return Err(PyValueError::new_err("duplicate tags"));
            }
        }
        Ok(())
    }
}

/// Calls `f` with each (name, tags) of two parallel Python iterables, loaded and checked.
pub fn for_each_series<F: FnMut(&RawSeries) -> PyResult<()>>(
    names: &Bound<'_, PyAny>,
    tags_list: &Bound<'_, PyAny>,
    mut f: F,
) -> PyResult<()> {
    let mut raw = RawSeries::default();
    let mut tags_iter = tags_list.try_iter()?;
    for name in names.try_iter()? {
        let tags = tags_iter
            .next()
            .ok_or_else(|| PyValueError::new_err("names and tags_list differ in length"))??;
        raw.load(&name?, &tags)?;
        crate::serieskey::check_parts(raw.name(), &raw.tag_slices())
            .map_err(PyValueError::new_err)?;
        f(&raw)?;
    }
    if tags_iter.next().is_some() {
        return Err(PyValueError::new_err(
            "names and tags_list differ in length",
        ));
    }
    Ok(())
}
