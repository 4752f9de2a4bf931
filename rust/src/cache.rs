//! The in-memory cache of a shard's recent points: one table per measurement (time and series
//! id per row, in arrival order, and one typed column per field).
//!
//! A column stores only the values its field has, with the rows they belong to: while the
//! field is in every row since it first appeared (the usual, dense case) that is just the first
//! row (`Rows::Run`), else one u32 row number per value (`Rows::List`). So a wide, sparse
//! measurement (many fields, few per point) costs what it holds, and a dense one costs no
//! validity or row bytes at all.
//!
//! `Cache::size` counts the bytes the tables hold, with this formula (the pure twin computes
//! the same): per row 16 (time, series id); per value 8 (float, integer, unsigned), 1
//! (boolean) or 8 + its length (string: offset and bytes), plus 4 for its row number in a
//! `List` column; per column `COLUMN_BYTES` plus twice its name; per table `TABLE_BYTES`
//! plus its name.
//!
//! A snapshot sorts a table by (series id, time) and merges rows with the same series and time
//! field by field, the newest value of each field winning: InfluxDB's overwrite rule (writing
//! `cpu v=1 10` then `cpu w=2 10` keeps both fields, writing `v` again replaces it).

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::lineproto::{FieldType, FieldValue};
use crate::wal::PointOut;

/// Bytes of a row: its time and series id.
pub const ROW_BYTES: usize = 16;
/// Bytes of a column besides its values and name: the column, its index entry, the first
/// allocations of its vectors.
pub const COLUMN_BYTES: usize = 192;
/// Bytes of a table besides its rows and columns.
pub const TABLE_BYTES: usize = 512;

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

    pub fn len(&self) -> usize {
        match self {
            Values::Float(v) => v.len(),
            Values::Integer(v) => v.len(),
            Values::Unsigned(v) => v.len(),
            Values::Boolean(v) => v.len(),
            Values::String { offsets, .. } => offsets.len() - 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the values take, as `Cache::size` counts them.
    fn bytes(&self) -> usize {
        match self {
            Values::Boolean(v) => v.len(),
            Values::String { data, .. } => 8 * self.len() + data.len(),
            _ => 8 * self.len(),
        }
    }

    /// A zero value, for a null slot of a snapshot's dense column.
    fn push_null(&mut self) {
        match self {
            Values::Float(v) => v.push(0.0),
            Values::Integer(v) => v.push(0),
            Values::Unsigned(v) => v.push(0),
            Values::Boolean(v) => v.push(false),
            Values::String { offsets, data } => offsets.push(data.len() as u64),
        }
    }

    /// Pushes `value`; false (nothing pushed) if its type is not this column's.
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
            _ => return false,
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

fn value_bytes(v: &FieldValue<'_>) -> usize {
    match v {
        FieldValue::String(s) => 8 + s.len(),
        FieldValue::Boolean(_) => 1,
        _ => 8,
    }
}

/// The rows of a table a column has values for, ascending: its value j belongs to row
/// `get(j)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// Rows `start..start + len`: the field is in every row since it first appeared.
    Run { start: u32, len: u32 },
    /// Any rows, one u32 each.
    List(Vec<u32>),
}

impl Rows {
    /// The rows of a sorted list: a `Run` if they are consecutive.
    fn from_sorted(v: Vec<u32>) -> Rows {
        match (v.first(), v.last()) {
            (Some(&a), Some(&b)) if (b - a) as usize + 1 == v.len() => Rows::Run {
                start: a,
                len: v.len() as u32,
            },
            (None, _) => Rows::Run { start: 0, len: 0 },
            _ => Rows::List(v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Rows::Run { len, .. } => *len as usize,
            Rows::List(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let (run, list) = match self {
            Rows::Run { start, len } => (*start as usize..(start + len) as usize, &[][..]),
            Rows::List(v) => (0..0, v.as_slice()),
        };
        run.chain(list.iter().map(|&r| r as usize))
    }

    /// Adds `row` (above every row held); returns the bytes that adds to `bytes()`.
    fn push(&mut self, row: u32) -> usize {
        match self {
            Rows::Run { start, len } if *len == 0 || *start + *len == row => {
                if *len == 0 {
                    *start = row;
                }
                *len += 1;
                0
            }
            Rows::Run { start, len } => {
                let mut v: Vec<u32> = (*start..*start + *len).collect();
                v.push(row);
                *self = Rows::List(v);
                4 * self.len()
            }
            Rows::List(v) => {
                v.push(row);
                4
            }
        }
    }

    /// The bytes the rows take, as `Cache::size` counts them.
    fn bytes(&self) -> usize {
        match self {
            Rows::Run { .. } => 0,
            Rows::List(v) => 4 * v.len(),
        }
    }
}

/// One field of a table: its values and the rows they belong to.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: Vec<u8>,
    pub values: Values,
    pub rows: Rows,
}

impl Column {
    fn bytes(&self) -> usize {
        COLUMN_BYTES + 2 * self.name.len() + self.values.bytes() + self.rows.bytes()
    }

    /// The column over `n` merged rows: `group[r]` is the merged row of table row `r`
    /// (`u32::MAX`: left out); the newest value of each merged row wins.
    fn merged(&self, group: &[u32], n: usize) -> DenseColumn {
        let mut pick = vec![u32::MAX; n];
        for (j, r) in self.rows.iter().enumerate() {
            let g = group[r];
            if g != u32::MAX {
                pick[g as usize] = j as u32; // rows ascend: the last one is the newest
            }
        }
        let mut values = Values::new(self.values.field_type());
        let mut valid = Vec::with_capacity(n);
        for &j in &pick {
            if j == u32::MAX {
                values.push_null();
            } else {
                values.push_from(&self.values, j as usize);
            }
            valid.push(j != u32::MAX);
        }
        DenseColumn {
            name: self.name.clone(),
            values,
            valid,
        }
    }
}

/// A column of a snapshot: one slot per row, null slots zero and not valid.
#[derive(Debug, Clone)]
pub struct DenseColumn {
    pub name: Vec<u8>,
    pub values: Values,
    pub valid: Vec<bool>,
}

/// A table's rows sorted by (series id, time) with duplicates merged, as dense columns.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub times: Vec<i64>,
    pub series: Vec<u64>,
    pub columns: Vec<DenseColumn>,
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

    /// The column of field `name` (added with type `t` if new) and the bytes a new one adds.
    fn column(&mut self, name: &[u8], t: FieldType) -> (usize, usize) {
        if let Some(&i) = self.index.get(name) {
            return (i, 0);
        }
        self.columns.push(Column {
            name: name.to_vec(),
            values: Values::new(t),
            rows: Rows::Run { start: 0, len: 0 },
        });
        self.index.insert(name.to_vec(), self.columns.len() - 1);
        (self.columns.len() - 1, self.columns.last().unwrap().bytes())
    }

    /// Appends one row; returns the bytes it added (a repeated field keeps its last value;
    /// fields of a type the table holds differently are left out: the shard refuses such
    /// writes before they get here).
    fn push(&mut self, series_id: u64, time: i64, fields: &[(&[u8], FieldValue<'_>)]) -> usize {
        let row = u32::try_from(self.len()).expect("a cache table holds under 2^32 rows");
        let mut present: Vec<(usize, &FieldValue<'_>)> = Vec::with_capacity(fields.len());
        // where each column is in `present`, for rows with many fields (a linear search would
        // make a row of n fields cost n^2)
        let mut slots: crate::fxhash::FxHashMap<usize, usize> = Default::default();
        let mut size = ROW_BYTES;
        for (k, v) in fields {
            let (c, added) = self.column(k, type_of(v));
            size += added;
            if fields.len() <= 16 {
                match present.iter_mut().find(|(i, _)| *i == c) {
                    Some(slot) => slot.1 = v,
                    None => present.push((c, v)),
                }
            } else if let Some(&at) = slots.get(&c) {
                present[at].1 = v;
            } else {
                slots.insert(c, present.len());
                present.push((c, v));
            }
        }
        for (c, v) in present {
            let col = &mut self.columns[c];
            if col.values.push(v) {
                size += value_bytes(v) + col.rows.push(row);
            }
        }
        self.times.push(time);
        self.series.push(series_id);
        size
    }

    /// Removes the rows of the given series (all if None) with times in `[tmin, tmax]`; returns
    /// how many.
    pub fn delete(&mut self, series: Option<&HashSet<u64>>, tmin: i64, tmax: i64) -> usize {
        let (renumber, kept) = self.renumber(|i| !self.matches(i, series, tmin, tmax));
        let removed = self.len() - kept;
        if removed == 0 {
            return 0;
        }
        *self = self.kept(&renumber);
        removed
    }

    /// A copy of the rows of the given series (all if None) with times in `[tmin, tmax]`, in
    /// their order: one linear pass, so a reader holds the cache's lock only that long and
    /// sorts the copy (`snapshot`) after releasing it.
    pub fn selected(&self, series: Option<&HashSet<u64>>, tmin: i64, tmax: i64) -> Table {
        let (renumber, kept) = self.renumber(|i| self.matches(i, series, tmin, tmax));
        if kept == self.len() {
            return self.clone();
        }
        self.kept(&renumber)
    }

    fn matches(&self, i: usize, series: Option<&HashSet<u64>>, tmin: i64, tmax: i64) -> bool {
        let t = self.times[i];
        t >= tmin && t <= tmax && series.is_none_or(|s| s.contains(&self.series[i]))
    }

    /// The new number of each row that `keep` keeps (`u32::MAX`: left out), and how many.
    fn renumber(&self, keep: impl Fn(usize) -> bool) -> (Vec<u32>, usize) {
        let mut renumber = Vec::with_capacity(self.len());
        let mut kept = 0u32;
        for i in 0..self.len() {
            if keep(i) {
                renumber.push(kept);
                kept += 1;
            } else {
                renumber.push(u32::MAX);
            }
        }
        (renumber, kept as usize)
    }

    /// The table of the rows `renumber` keeps (columns keep their positions).
    fn kept(&self, renumber: &[u32]) -> Table {
        let columns = self
            .columns
            .iter()
            .map(|c| {
                let mut values = Values::new(c.values.field_type());
                let mut rows = Vec::new();
                for (j, r) in c.rows.iter().enumerate() {
                    if renumber[r] != u32::MAX {
                        values.push_from(&c.values, j);
                        rows.push(renumber[r]);
                    }
                }
                Column {
                    name: c.name.clone(),
                    values,
                    rows: Rows::from_sorted(rows),
                }
            })
            .collect();
        Table {
            times: kept_only(&self.times, renumber),
            series: kept_only(&self.series, renumber),
            columns,
            index: self.index.clone(),
        }
    }

    /// Bytes the table holds, as `Cache::size` counts them (without the table's own).
    fn size(&self) -> usize {
        ROW_BYTES * self.len() + self.columns.iter().map(Column::bytes).sum::<usize>()
    }

    /// The rows sorted by (series, time), duplicates merged (newest value of each field), only
    /// the given series (all if None) and times in `[tmin, tmax]`.
    pub fn snapshot(&self, series: Option<&HashSet<u64>>, tmin: i64, tmax: i64) -> Snapshot {
        let mut rows: Vec<usize> = (0..self.len())
            .filter(|&i| {
                let t = self.times[i];
                t >= tmin && t <= tmax && series.is_none_or(|s| s.contains(&self.series[i]))
            })
            .collect();
        rows.sort_by_key(|&i| (self.series[i], self.times[i], i));
        let mut out = Snapshot::default();
        let mut group = vec![u32::MAX; self.len()];
        for &r in &rows {
            let key = (self.series[r], self.times[r]);
            if out.series.last().zip(out.times.last()) != Some((&key.0, &key.1)) {
                out.series.push(key.0);
                out.times.push(key.1);
            }
            group[r] = out.times.len() as u32 - 1;
        }
        let n = out.times.len();
        out.columns = self.columns.iter().map(|c| c.merged(&group, n)).collect();
        out
    }
}

/// The items of `v` whose new number is not `u32::MAX`.
fn kept_only<T: Copy>(v: &[T], renumber: &[u32]) -> Vec<T> {
    v.iter()
        .zip(renumber)
        .filter(|(_, &n)| n != u32::MAX)
        .map(|(&x, _)| x)
        .collect()
}

/// All tables of one shard's cache.
#[derive(Debug, Default)]
pub struct Cache {
    pub tables: BTreeMap<Vec<u8>, Table>,
    /// Bytes held, as the module's documentation counts them.
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
            None => {
                self.size += TABLE_BYTES + measurement.len();
                self.tables.entry(measurement.to_vec()).or_default()
            }
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
        series: Option<&HashSet<u64>>,
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
                self.size -= table.size() + TABLE_BYTES + measurement.len();
                self.tables.remove(measurement);
            }
        }
        removed
    }

    /// Every column: (measurement, field, type), sorted by measurement then field.
    pub fn field_types(&self) -> Vec<(&[u8], &[u8], FieldType)> {
        let mut out = Vec::new();
        for (m, t) in &self.tables {
            let start = out.len();
            for c in &t.columns {
                out.push((m.as_slice(), c.name.as_slice(), c.values.field_type()));
            }
            out[start..].sort_unstable_by(|a, b| a.1.cmp(b.1));
        }
        out
    }

    pub fn clear(&mut self) {
        self.tables.clear();
        self.size = 0;
        self.points = 0;
    }
}

#[cfg(test)]
mod tests;
