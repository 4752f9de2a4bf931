//! The in-memory cache of a shard's recent points: one columnar table per measurement (time,
//! series id, one typed column per field with validity), rows in arrival order.
//!
//! A snapshot sorts a table by (series id, time) and merges rows with the same series and time
//! field by field, the newest value of each field winning: InfluxDB's overwrite rule (writing
//! `cpu v=1 10` then `cpu w=2 10` keeps both fields, writing `v` again replaces it).

use std::collections::{BTreeMap, HashMap};

use crate::lineproto::{FieldType, FieldValue};
use crate::wal::PointOut;

#[derive(Debug, Clone)]
pub enum Values {
    Float(Vec<f64>),
    Integer(Vec<i64>),
    Unsigned(Vec<u64>),
    Boolean(Vec<bool>),
    /// Arrow-style: value i is `data[offsets[i]..offsets[i + 1]]`.
    String {
        offsets: Vec<u64>,
        data: Vec<u8>,
    },
}

impl Values {
    fn new(t: FieldType) -> Values {
        match t {
            FieldType::Float => Values::Float(Vec::new()),
            FieldType::Integer => Values::Integer(Vec::new()),
            FieldType::Unsigned => Values::Unsigned(Vec::new()),
            FieldType::Boolean => Values::Boolean(Vec::new()),
            _ => Values::String {
                offsets: vec![0],
                data: Vec::new(),
            },
        }
    }

    pub fn field_type(&self) -> FieldType {
        match self {
            Values::Float(_) => FieldType::Float,
            Values::Integer(_) => FieldType::Integer,
            Values::Unsigned(_) => FieldType::Unsigned,
            Values::Boolean(_) => FieldType::Boolean,
            Values::String { .. } => FieldType::String,
        }
    }

    fn push_null(&mut self) {
        match self {
            Values::Float(v) => v.push(0.0),
            Values::Integer(v) => v.push(0),
            Values::Unsigned(v) => v.push(0),
            Values::Boolean(v) => v.push(false),
            Values::String { offsets, data } => offsets.push(data.len() as u64),
        }
    }

    /// Pushes `value`; false (and a null) if its type is not this column's.
    fn push(&mut self, value: &FieldValue<'_>) -> bool {
        match (self, value) {
            (Values::Float(v), FieldValue::Float(x)) => v.push(*x),
            (Values::Integer(v), FieldValue::Integer(x)) => v.push(*x),
            (Values::Unsigned(v), FieldValue::Unsigned(x)) => v.push(*x),
            (Values::Boolean(v), FieldValue::Boolean(x)) => v.push(*x),
            (Values::String { offsets, data }, FieldValue::String(s)) => {
                data.extend_from_slice(s);
                offsets.push(data.len() as u64);
            }
            (me, _) => {
                me.push_null();
                return false;
            }
        }
        true
    }

    fn push_from(&mut self, other: &Values, i: usize) {
        match (self, other) {
            (Values::Float(v), Values::Float(o)) => v.push(o[i]),
            (Values::Integer(v), Values::Integer(o)) => v.push(o[i]),
            (Values::Unsigned(v), Values::Unsigned(o)) => v.push(o[i]),
            (Values::Boolean(v), Values::Boolean(o)) => v.push(o[i]),
            (
                Values::String { offsets, data },
                Values::String {
                    offsets: oo,
                    data: od,
                },
            ) => {
                data.extend_from_slice(&od[oo[i] as usize..oo[i + 1] as usize]);
                offsets.push(data.len() as u64);
            }
            _ => unreachable!("columns of one field share a type"),
        }
    }
}

fn type_of(v: &FieldValue<'_>) -> FieldType {
    match v {
        FieldValue::Float(_) => FieldType::Float,
        FieldValue::Integer(_) => FieldType::Integer,
        FieldValue::Unsigned(_) => FieldType::Unsigned,
        FieldValue::Boolean(_) => FieldType::Boolean,
        FieldValue::String(_) => FieldType::String,
    }
}

fn value_size(v: &FieldValue<'_>) -> usize {
    match v {
        FieldValue::String(s) => 8 + s.len(),
        FieldValue::Boolean(_) => 1,
        _ => 8,
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: Vec<u8>,
    pub values: Values,
    pub valid: Vec<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub times: Vec<i64>,
    pub series: Vec<u64>,
    pub columns: Vec<Column>,
    index: HashMap<Vec<u8>, usize>,
}

impl Table {
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    fn column(&mut self, name: &[u8], t: FieldType) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let mut values = Values::new(t);
        for _ in 0..self.len() {
            values.push_null();
        }
        self.columns.push(Column {
            name: name.to_vec(),
            values,
            valid: vec![false; self.len()],
        });
        self.index.insert(name.to_vec(), self.columns.len() - 1);
        self.columns.len() - 1
    }

    /// Appends one row; returns the bytes it added (fields of a type the table holds
    /// differently are left out: the shard refuses such writes before they get here).
    fn push(&mut self, series_id: u64, time: i64, fields: &[(&[u8], FieldValue<'_>)]) -> usize {
        let mut present: Vec<(usize, &FieldValue<'_>)> = Vec::with_capacity(fields.len());
        let mut size = 16;
        for (k, v) in fields {
            let c = self.column(k, type_of(v));
            match present.iter_mut().find(|(i, _)| *i == c) {
                Some(slot) => slot.1 = v,
                None => present.push((c, v)),
            }
        }
        for (ci, col) in self.columns.iter_mut().enumerate() {
            match present.iter().find(|(i, _)| *i == ci) {
                Some((_, v)) => {
                    let ok = col.values.push(v);
                    col.valid.push(ok);
                    if ok {
                        size += value_size(v);
                    }
                }
                None => {
                    col.values.push_null();
                    col.valid.push(false);
                }
            }
        }
        self.times.push(time);
        self.series.push(series_id);
        size
    }

    /// Removes the rows of the given series (all if None) with times in `[tmin, tmax]`; returns
    /// how many.
    pub fn delete(
        &mut self,
        series: Option<&std::collections::HashSet<u64>>,
        tmin: i64,
        tmax: i64,
    ) -> usize {
        let keep: Vec<usize> = (0..self.len())
            .filter(|&i| {
                let t = self.times[i];
                !(t >= tmin && t <= tmax && series.is_none_or(|s| s.contains(&self.series[i])))
            })
            .collect();
        let removed = self.len() - keep.len();
        if removed == 0 {
            return 0;
        }
        self.times = keep.iter().map(|&i| self.times[i]).collect();
        self.series = keep.iter().map(|&i| self.series[i]).collect();
        for c in &mut self.columns {
            let mut values = Values::new(c.values.field_type());
            for &i in &keep {
                values.push_from(&c.values, i);
            }
            c.valid = keep.iter().map(|&i| c.valid[i]).collect();
            c.values = values;
        }
        removed
    }

    /// Bytes the table holds, as `Cache::size` counts them.
    fn size(&self) -> usize {
        let mut n = 16 * self.len();
        for c in &self.columns {
            for (i, &v) in c.valid.iter().enumerate() {
                if v {
                    n += match &c.values {
                        Values::String { offsets, .. } => {
                            8 + (offsets[i + 1] - offsets[i]) as usize
                        }
                        Values::Boolean(_) => 1,
                        _ => 8,
                    };
                }
            }
        }
        n
    }

    /// The rows sorted by (series, time), duplicates merged (newest value of each field), only
    /// the given series (all if None) and times in `[tmin, tmax]`.
    pub fn snapshot(
        &self,
        series: Option<&std::collections::HashSet<u64>>,
        tmin: i64,
        tmax: i64,
    ) -> Table {
        let mut rows: Vec<usize> = (0..self.len())
            .filter(|&i| {
                let t = self.times[i];
                t >= tmin && t <= tmax && series.is_none_or(|s| s.contains(&self.series[i]))
            })
            .collect();
        rows.sort_by_key(|&i| (self.series[i], self.times[i], i));
        let mut out = Table::default();
        for c in &self.columns {
            out.index.insert(c.name.clone(), out.columns.len());
            out.columns.push(Column {
                name: c.name.clone(),
                values: Values::new(c.values.field_type()),
                valid: Vec::new(),
            });
        }
        let mut start = 0;
        while start < rows.len() {
            let key = (self.series[rows[start]], self.times[rows[start]]);
            let mut end = start + 1;
            while end < rows.len() && (self.series[rows[end]], self.times[rows[end]]) == key {
                end += 1;
            }
            out.series.push(key.0);
            out.times.push(key.1);
            for (c, oc) in self.columns.iter().zip(out.columns.iter_mut()) {
                // the newest row of the group that has this field
                match rows[start..end].iter().rev().find(|&&r| c.valid[r]) {
                    Some(&r) => {
                        oc.values.push_from(&c.values, r);
                        oc.valid.push(true);
                    }
                    None => {
                        oc.values.push_null();
                        oc.valid.push(false);
                    }
                }
            }
            start = end;
        }
        out
    }
}

/// All tables of one shard's cache.
#[derive(Debug, Default)]
pub struct Cache {
    pub tables: BTreeMap<Vec<u8>, Table>,
    /// Approximate bytes held (16 per row plus each value).
    pub size: usize,
    pub points: usize,
}

impl Cache {
    pub fn insert(
        &mut self,
        measurement: &[u8],
        series_id: u64,
        time: i64,
        fields: &[(&[u8], FieldValue<'_>)],
    ) {
        let table = match self.tables.get_mut(measurement) {
            Some(t) => t,
            None => self.tables.entry(measurement.to_vec()).or_default(),
        };
        self.size += table.push(series_id, time, fields);
        self.points += 1;
    }

    pub fn insert_decoded(&mut self, points: &[PointOut<'_>]) {
        for p in points {
            self.insert(p.measurement, p.series_id, p.time, &p.fields);
        }
    }

    /// Removes a measurement's rows of the given series (all if None) in `[tmin, tmax]`.
    pub fn delete(
        &mut self,
        measurement: &[u8],
        series: Option<&std::collections::HashSet<u64>>,
        tmin: i64,
        tmax: i64,
    ) -> usize {
        let Some(table) = self.tables.get_mut(measurement) else {
            return 0;
        };
        let before = table.size();
        let removed = table.delete(series, tmin, tmax);
        if removed > 0 {
            self.size = self.size - before + table.size();
            self.points -= removed;
            if table.is_empty() {
                self.tables.remove(measurement);
            }
        }
        removed
    }

    pub fn clear(&mut self) {
        self.tables.clear();
        self.size = 0;
        self.points = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn overwrite_merges_fields_newest_wins() {
        let mut c = Cache::default();
        c.insert(b"cpu", 2, 10, &[(b"v", FieldValue::Float(1.0))]);
        c.insert(
            b"cpu",
            1,
            20,
            &[(b"s", FieldValue::String(Cow::Borrowed(b"a")))],
        );
        c.insert(b"cpu", 2, 10, &[(b"w", FieldValue::Integer(5))]);
        c.insert(b"cpu", 2, 10, &[(b"v", FieldValue::Float(3.0))]);
        c.insert(b"cpu", 2, 5, &[(b"v", FieldValue::Float(0.5))]);
        let t = &c.tables[&b"cpu"[..]];
        let s = t.snapshot(None, i64::MIN, i64::MAX);
        assert_eq!(s.series, vec![1, 2, 2]);
        assert_eq!(s.times, vec![20, 5, 10]);
        let v = &s.columns[0];
        assert_eq!(v.name, b"v");
        assert_eq!(v.valid, vec![false, true, true]);
        match &v.values {
            Values::Float(x) => assert_eq!(x[1..], [0.5, 3.0]),
            _ => panic!(),
        }
        assert_eq!(s.columns[2].valid, vec![false, false, true]); // w kept from the middle write
        let only1 = t.snapshot(Some(&[1].into_iter().collect()), 0, 100);
        assert_eq!(only1.series, vec![1]);
        assert_eq!(t.snapshot(None, 6, 15).times, vec![10]);
        assert_eq!(c.delete(b"cpu", Some(&[2].into_iter().collect()), 0, 9), 1);
        assert_eq!(c.points, 4);
        assert_eq!(
            c.tables[&b"cpu"[..]]
                .snapshot(None, i64::MIN, i64::MAX)
                .times,
            vec![20, 10]
        );
        assert_eq!(c.delete(b"cpu", None, i64::MIN, i64::MAX), 4);
        assert!(c.tables.is_empty() && c.points == 0 && c.size == 0);
    }
}
