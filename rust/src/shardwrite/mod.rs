//! The shard write pass, in pure Rust: InfluxDB's shard-level checks of a write
//! (`validateSeriesAndFields`) and the decoding of the accepted points, once, into the tables
//! that the WAL entry, the series index and the cache rows are all made from.
//!
//! The checks: a tag key `time` drops the point; a field `time` is skipped (and the point
//! dropped if it was its only field); a field whose type differs from the measurement's (known
//! before the write, or first seen in this batch) drops the point. The texts are InfluxDB's.

use std::borrow::Cow;

use crate::cache::Cache;
use crate::fxhash::FxHashMap;
use crate::lineproto::{self, point::Tag, FieldIter, FieldType, FieldValue, Parsed, RawField};
use crate::wal;

pub mod placement;

/// Field types by measurement, then by field key.
pub type Types = FxHashMap<Vec<u8>, FxHashMap<Vec<u8>, FieldType>>;

/// The field type a name (`float`, `integer`, ... as `FieldType::name` gives) stands for.
pub fn type_from_name(s: &str) -> Option<FieldType> {
    Some(match s {
        "float" => FieldType::Float,
        "integer" => FieldType::Integer,
        "unsigned" => FieldType::Unsigned,
        "string" => FieldType::String,
        "boolean" => FieldType::Boolean,
        _ => return None,
    })
}

/// True for a TSI partition count the pass can place series in: 0 (none) or a power of two up
/// to 256 (a partition is stored as a `u8`).
pub fn valid_tsi_partition_n(n: usize) -> bool {
    n <= 256 && n & n.wrapping_sub(1) == 0
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
/// typed values, binary series keys and TSI partitions.
#[derive(Default)]
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

/// What the checks refused: the fields the write adds to the measurements' types, the first
/// reason a point was dropped and how many were.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub new_fields: Vec<(Vec<u8>, Vec<u8>, FieldType)>,
    pub reason: Option<String>,
    pub dropped: usize,
}

impl Prepared {
    /// How many points were accepted.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The accepted points, as indices into the parsed batch.
    pub fn accepted(&self) -> &[usize] {
        &self.accepted
    }

    fn value(&self, v: &Owned) -> FieldValue<'_> {
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

    /// The fields of accepted point `p` (no `time`; a repeated key in its first place with its
    /// last value), into `out`.
    pub fn fields<'a>(&'a self, p: usize, out: &mut Vec<(&'a [u8], FieldValue<'a>)>) {
        let (_, _, start, len) = self.points[p];
        out.clear();
        for (k, v) in &self.values[start as usize..(start + len) as usize] {
            out.push((self.keys[*k as usize].as_slice(), self.value(v)));
        }
    }

    /// The binary series key of every accepted point, in order.
    pub fn series_key_iter(&self) -> impl Iterator<Item = &[u8]> {
        self.spans
            .iter()
            .map(|&(s, e)| &self.series_keys[s as usize..e as usize])
    }

    /// The series ids (one per accepted point) grouped by TSI partition, each group as u64 LE
    /// bytes; None if the pass was asked for no partitions.
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

    /// The WAL entry for the accepted points with their series ids (one per point): the
    /// tables already hold interned names and keys and decoded values.
    pub fn encode_wal(&self, ids: &[u64]) -> Vec<u8> {
        assert_eq!(ids.len(), self.points.len(), "one series id per point");
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

    /// Adds the accepted points to `cache` with their series ids (one per point).
    pub fn insert_into(&self, cache: &mut Cache, ids: &[u64]) {
        assert_eq!(ids.len(), self.points.len(), "one series id per point");
        let mut fields = Vec::new();
        for (j, p) in self.points.iter().enumerate() {
            self.fields(j, &mut fields);
            cache.insert(&self.names[p.0 as usize], ids[j], p.1, &fields);
        }
    }
}

/// One pass over the selected points `idx` of a parsed batch (`buf` is its body): InfluxDB's
/// shard checks when `types` is given (new fields are added to it), then the accepted points
/// decoded into a `Prepared`, with each series' TSI partition among `tsi_n` (0: none; else
/// see [`valid_tsi_partition_n`]).
pub fn prepare(
    parsed: &Parsed,
    buf: &[u8],
    idx: &[usize],
    types: Option<&mut Types>,
    tsi_n: usize,
) -> (Prepared, Outcome) {
    assert!(valid_tsi_partition_n(tsi_n), "bad TSI partition count");
    let mut pass = Pass::new(parsed, buf, types, tsi_n, idx.len());
    for &i in idx {
        pass.point(i);
    }
    (pass.p, pass.out)
}

/// The state of one `prepare` pass: the tables being built and per-point scratch space.
struct Pass<'a, 't> {
    parsed: &'a Parsed,
    buf: &'a [u8],
    types: Option<&'t mut Types>,
    p: Prepared,
    out: Outcome,
    name_ix: FxHashMap<Vec<u8>, u32>,
    key_ix: FxHashMap<Vec<u8>, u32>,
    tags: Vec<Tag<'a>>,
    fields: Vec<(Cow<'a, [u8]>, FieldValue<'a>)>,
    /// Field types a point adds, registered only if the point is accepted.
    pending: Vec<(Vec<u8>, FieldType)>,
    /// Positions in `fields` and types in `pending` by key, once a point has more than
    /// `LINEAR_MAX` fields (a linear search is quicker below that; above, it is quadratic).
    field_ix: FxHashMap<Vec<u8>, usize>,
    pending_ix: FxHashMap<Vec<u8>, FieldType>,
    text: Vec<u8>,
}

/// Up to this many fields in a point, keys are found by a linear search.
const LINEAR_MAX: usize = 16;

fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

impl<'a, 't> Pass<'a, 't> {
    fn new(
        parsed: &'a Parsed,
        buf: &'a [u8],
        types: Option<&'t mut Types>,
        tsi_n: usize,
        n: usize,
    ) -> Self {
        let p = Prepared {
            points: Vec::with_capacity(n),
            values: Vec::with_capacity(n * 4),
            series_keys: Vec::with_capacity(n * 48),
            spans: Vec::with_capacity(n),
            tsi: Vec::with_capacity(if tsi_n > 0 { n } else { 0 }),
            tsi_n,
            accepted: Vec::with_capacity(n),
            ..Prepared::default()
        };
        Pass {
            parsed,
            buf,
            types,
            p,
            out: Outcome::default(),
            name_ix: FxHashMap::default(),
            key_ix: FxHashMap::default(),
            tags: Vec::new(),
            fields: Vec::new(),
            pending: Vec::new(),
            field_ix: FxHashMap::default(),
            pending_ix: FxHashMap::default(),
            text: Vec::new(),
        }
    }

    fn point(&mut self, i: usize) {
        let (parsed, buf) = (self.parsed, self.buf);
        let key = parsed.key(buf, i);
        let name = lineproto::point::name(key);
        self.tags.clear();
        let tags = &mut self.tags;
        lineproto::point::walk_tags(key, |k, v| tags.push((k, v)));
        if let Err(why) = self.check_and_collect(&name, parsed.fields(buf, i)) {
            self.out.dropped += 1;
            self.out.reason.get_or_insert(why);
            return;
        }
        self.register_pending(&name);
        self.accept(&name, i);
    }

    /// The point's fields into `self.fields` (and new types into `self.pending`), or why the
    /// checks (if any) drop it.
    fn check_and_collect(&mut self, name: &[u8], raw: &'a [u8]) -> Result<(), String> {
        let checking = self.types.is_some();
        if checking && self.tags.iter().any(|(k, _)| k.as_ref() == b"time") {
            return Err(format!(
                "invalid tag key: input tag \"time\" on measurement \"{}\" is invalid",
                lossy(name)
            ));
        }
        self.fields.clear();
        self.pending.clear();
        self.field_ix.clear();
        self.pending_ix.clear();
        for f in FieldIter::new(raw) {
            if f.key.as_ref() == b"time" {
                continue;
            }
            if let Some(types) = self.types.as_deref() {
                check_type(types, &mut self.pending, &mut self.pending_ix, name, &f)?;
            }
            let Ok(v) = f.value() else { continue };
            self.add_field(f.key, v);
        }
        if checking && self.fields.is_empty() {
            return Err(format!(
                "invalid field name: input field \"time\" on measurement \"{}\" is invalid",
                lossy(name)
            ));
        }
        Ok(())
    }

    /// A field of the point: a repeated key keeps its first place and takes the last value.
    fn add_field(&mut self, key: Cow<'a, [u8]>, v: FieldValue<'a>) {
        if self.fields.len() < LINEAR_MAX {
            match self.fields.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = v,
                None => self.fields.push((key, v)),
            }
            return;
        }
        if self.field_ix.is_empty() {
            for (i, (k, _)) in self.fields.iter().enumerate() {
                self.field_ix.insert(k.to_vec(), i);
            }
        }
        match self.field_ix.get(key.as_ref()) {
            Some(&i) => self.fields[i].1 = v,
            None => {
                self.field_ix.insert(key.to_vec(), self.fields.len());
                self.fields.push((key, v));
            }
        }
    }

    fn register_pending(&mut self, name: &[u8]) {
        let Some(types) = self.types.as_deref_mut() else {
            return;
        };
        if self.pending.is_empty() {
            return;
        }
        let m = types.entry(name.to_vec()).or_default();
        for (k, t) in self.pending.drain(..) {
            m.insert(k.clone(), t);
            self.out.new_fields.push((name.to_vec(), k, t));
        }
    }

    /// Appends the checked point `i` to the tables.
    fn accept(&mut self, name: &[u8], i: usize) {
        let p = &mut self.p;
        let ni = intern(&mut self.name_ix, &mut p.names, name);
        let vstart = p.values.len() as u32;
        for (k, v) in self.fields.drain(..) {
            let ki = intern(&mut self.key_ix, &mut p.keys, &k);
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
        let time = self.parsed.points[i].time;
        p.points
            .push((ni, time, vstart, p.values.len() as u32 - vstart));
        let start = p.series_keys.len();
        crate::serieskey::append_series_key(&mut p.series_keys, name, &self.tags);
        p.spans.push((start as u32, p.series_keys.len() as u32));
        if p.tsi_n > 0 {
            p.tsi
                .push(tsi_partition(&mut self.text, name, &self.tags, p.tsi_n));
        }
        p.accepted.push(i);
    }
}

/// InfluxDB's type check of one field: an error if the measurement (before the write, or
/// earlier in this point) has the field with another type; a field new to it goes to `pending`.
fn check_type(
    types: &Types,
    pending: &mut Vec<(Vec<u8>, FieldType)>,
    pending_ix: &mut FxHashMap<Vec<u8>, FieldType>,
    name: &[u8],
    f: &RawField<'_>,
) -> Result<(), String> {
    let have = types
        .get(name)
        .and_then(|m| m.get(f.key.as_ref()).copied())
        .or_else(|| {
            if pending.len() < LINEAR_MAX {
                return pending
                    .iter()
                    .find(|(k, _)| k.as_slice() == f.key.as_ref())
                    .map(|(_, t)| *t);
            }
            if pending_ix.is_empty() {
                pending_ix.extend(pending.iter().cloned());
            }
            pending_ix.get(f.key.as_ref()).copied()
        });
    match have {
        Some(t) if t != f.ftype => Err(format!(
            "field type conflict: input field \"{}\" on measurement \"{}\" is type {}, already exists as type {}",
            lossy(&f.key),
            lossy(name),
            f.ftype.name(),
            t.name()
        )),
        Some(_) => Ok(()),
        None => {
            if !pending_ix.is_empty() {
                pending_ix.insert(f.key.to_vec(), f.ftype);
            }
            pending.push((f.key.to_vec(), f.ftype));
            Ok(())
        }
    }
}

/// The index of `s` in `table`, adding it if new.
fn intern(ix: &mut FxHashMap<Vec<u8>, u32>, table: &mut Vec<Vec<u8>>, s: &[u8]) -> u32 {
    if let Some(&n) = ix.get(s) {
        return n;
    }
    table.push(s.to_vec());
    ix.insert(s.to_vec(), table.len() as u32 - 1);
    table.len() as u32 - 1
}

/// The TSI partition of a series, as InfluxDB picks it: xxh64 of `MakeKey(name, tags)` with
/// the tags sorted by (unescaped) key, modulo the partition count (a power of two).
fn tsi_partition(text: &mut Vec<u8>, name: &[u8], tags: &[Tag<'_>], n: usize) -> u8 {
    text.clear();
    // The parser's order unless escaping changed it (rare), so sort only then.
    if tags.windows(2).all(|w| w[0].0 <= w[1].0) {
        lineproto::point::make_key(text, name, tags);
    } else {
        let mut sorted: Vec<&Tag<'_>> = tags.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let pairs: Vec<(&[u8], &[u8])> = sorted
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        lineproto::point::make_key(text, name, &pairs);
    }
    (crate::hash::xxh64(text) & (n as u64 - 1)) as u8
}

#[cfg(test)]
mod tests;
