//! Write-ahead-log entries: the points of one shard write, encoded and checksummed.
//!
//! ```text
//! entry   = len (u32 LE, of payload) | crc32 IEEE (u32 LE, of payload) | payload
//! payload = kind u8 (1: points)
//!           | uvarint n, n × (uvarint len | measurement name)      names used below
//!           | uvarint n, n × (uvarint len | field key)             keys used below
//!           | uvarint n, n × point
//! point   = uvarint name index | uvarint series id | varint time (zigzag) | uvarint n,
//!           n × (uvarint key index | type u8 | value)
//! value   = float: f64 LE | integer: zigzag varint | unsigned: uvarint | boolean: u8
//!           | string: uvarint len | bytes
//! ```
//! A delete entry's payload is `kind u8 (2) | uvarint len | measurement | varint tmin |
//! varint tmax | uvarint all (1: every series) | uvarint n | n × uvarint series id`.
//!
//! A field repeated in a line keeps its last value (as InfluxDB's `Fields()`); a field named
//! `time` is left out (InfluxDB skips it).

use std::collections::HashMap;

use crate::lineproto::{FieldType, FieldValue};
use crate::varint::{put_uvarint, uvarint};

pub const KIND_POINTS: u8 = 1;
pub const KIND_DELETE: u8 = 2;
pub const HEADER: usize = 8;

#[inline]
fn put_varint(dst: &mut Vec<u8>, v: i64) {
    put_uvarint(dst, ((v << 1) ^ (v >> 63)) as u64);
}

#[inline]
fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// One point to encode.
pub struct PointIn<'a> {
    pub measurement: &'a [u8],
    pub series_id: u64,
    pub time: i64,
    pub fields: Vec<(&'a [u8], FieldValue<'a>)>,
}

/// Encodes points as one framed entry appended to `dst`.
pub fn encode<'a, I: IntoIterator<Item = PointIn<'a>>>(dst: &mut Vec<u8>, points: I) {
    let mut names: Vec<&[u8]> = Vec::new();
    let mut name_ix: HashMap<&[u8], u64> = HashMap::new();
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut key_ix: HashMap<&[u8], u64> = HashMap::new();
    let mut body = Vec::new();
    let mut n = 0u64;
    let mut fields: Vec<(u64, &FieldValue<'_>)> = Vec::new();
    let points: Vec<PointIn<'a>> = points.into_iter().collect();
    for p in &points {
        let ni = *name_ix.entry(p.measurement).or_insert_with(|| {
            names.push(p.measurement);
            names.len() as u64 - 1
        });
        fields.clear();
        for (k, v) in &p.fields {
            if *k == b"time" {
                continue;
            }
            let ki = *key_ix.entry(k).or_insert_with(|| {
                keys.push(k);
                keys.len() as u64 - 1
            });
            match fields.iter_mut().find(|(i, _)| *i == ki) {
                Some(slot) => slot.1 = v,
                None => fields.push((ki, v)),
            }
        }
        put_uvarint(&mut body, ni);
        put_uvarint(&mut body, p.series_id);
        put_varint(&mut body, p.time);
        put_uvarint(&mut body, fields.len() as u64);
        for (ki, v) in &fields {
            put_uvarint(&mut body, *ki);
            match v {
                FieldValue::Float(f) => {
                    body.push(FieldType::Float as u8);
                    body.extend_from_slice(&f.to_le_bytes());
                }
                FieldValue::Integer(i) => {
                    body.push(FieldType::Integer as u8);
                    put_varint(&mut body, *i);
                }
                FieldValue::Unsigned(u) => {
                    body.push(FieldType::Unsigned as u8);
                    put_uvarint(&mut body, *u);
                }
                FieldValue::Boolean(b) => {
                    body.push(FieldType::Boolean as u8);
                    body.push(*b as u8);
                }
                FieldValue::String(s) => {
                    body.push(FieldType::String as u8);
                    put_uvarint(&mut body, s.len() as u64);
                    body.extend_from_slice(s);
                }
            }
        }
        n += 1;
    }
    let mut payload = vec![KIND_POINTS];
    put_uvarint(&mut payload, names.len() as u64);
    for name in &names {
        put_uvarint(&mut payload, name.len() as u64);
        payload.extend_from_slice(name);
    }
    put_uvarint(&mut payload, keys.len() as u64);
    for k in &keys {
        put_uvarint(&mut payload, k.len() as u64);
        payload.extend_from_slice(k);
    }
    put_uvarint(&mut payload, n);
    payload.extend_from_slice(&body);
    dst.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    dst.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    dst.extend_from_slice(&payload);
}

/// Appends a delete entry: the points of `measurement` (of the given series, or all) with
/// times in `[tmin, tmax]`.
pub fn encode_delete(
    dst: &mut Vec<u8>,
    measurement: &[u8],
    series: Option<&[u64]>,
    tmin: i64,
    tmax: i64,
) {
    let mut payload = vec![KIND_DELETE];
    put_uvarint(&mut payload, measurement.len() as u64);
    payload.extend_from_slice(measurement);
    put_varint(&mut payload, tmin);
    put_varint(&mut payload, tmax);
    put_uvarint(&mut payload, series.is_none() as u64);
    let ids = series.unwrap_or(&[]);
    put_uvarint(&mut payload, ids.len() as u64);
    for &id in ids {
        put_uvarint(&mut payload, id);
    }
    dst.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    dst.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    dst.extend_from_slice(&payload);
}

/// A decoded delete entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteOut<'a> {
    pub measurement: &'a [u8],
    pub series: Option<Vec<u64>>,
    pub tmin: i64,
    pub tmax: i64,
}

/// A decoded entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<'a> {
    Points(Vec<PointOut<'a>>),
    Delete(DeleteOut<'a>),
}

fn decode_delete(payload: &[u8]) -> Option<DeleteOut<'_>> {
    let mut r = Reader {
        data: payload,
        pos: 1,
    };
    let measurement = r.part()?;
    let tmin = unzigzag(r.uvarint()?);
    let tmax = unzigzag(r.uvarint()?);
    let all = r.uvarint()?;
    let n = r.uvarint()? as usize;
    let mut ids = Vec::with_capacity(n.min(1 << 20));
    for _ in 0..n {
        ids.push(r.uvarint()?);
    }
    if r.pos != payload.len() || all > 1 {
        return None;
    }
    Some(DeleteOut {
        measurement,
        series: if all == 1 { None } else { Some(ids) },
        tmin,
        tmax,
    })
}

/// A decoded point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointOut<'a> {
    pub measurement: &'a [u8],
    pub series_id: u64,
    pub time: i64,
    pub fields: Vec<(&'a [u8], FieldValue<'a>)>,
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn uvarint(&mut self) -> Option<u64> {
        let (v, n) = uvarint(&self.data[self.pos..]);
        if n <= 0 {
            return None;
        }
        self.pos += n as usize;
        Some(v)
    }

    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }

    fn part(&mut self) -> Option<&'a [u8]> {
        let n = self.uvarint()? as usize;
        self.bytes(n)
    }
}

/// Decodes one payload (already checksummed); None if it is malformed.
pub fn decode_payload(payload: &[u8]) -> Option<Vec<PointOut<'_>>> {
    let mut r = Reader {
        data: payload,
        pos: 0,
    };
    if r.bytes(1)? != [KIND_POINTS] {
        return None;
    }
    let n_names = r.uvarint()? as usize;
    let mut names = Vec::with_capacity(n_names.min(1 << 16));
    for _ in 0..n_names {
        names.push(r.part()?);
    }
    let n_keys = r.uvarint()? as usize;
    let mut keys = Vec::with_capacity(n_keys.min(1 << 16));
    for _ in 0..n_keys {
        keys.push(r.part()?);
    }
    let n = r.uvarint()? as usize;
    let mut out = Vec::with_capacity(n.min(1 << 20));
    for _ in 0..n {
        let measurement = *names.get(r.uvarint()? as usize)?;
        let series_id = r.uvarint()?;
        let time = unzigzag(r.uvarint()?);
        let nf = r.uvarint()? as usize;
        let mut fields = Vec::with_capacity(nf.min(1024));
        for _ in 0..nf {
            let key = *keys.get(r.uvarint()? as usize)?;
            let t = r.bytes(1)?[0];
            let v = match t {
                x if x == FieldType::Float as u8 => {
                    FieldValue::Float(f64::from_le_bytes(r.bytes(8)?.try_into().ok()?))
                }
                x if x == FieldType::Integer as u8 => FieldValue::Integer(unzigzag(r.uvarint()?)),
                x if x == FieldType::Unsigned as u8 => FieldValue::Unsigned(r.uvarint()?),
                x if x == FieldType::Boolean as u8 => FieldValue::Boolean(r.bytes(1)?[0] != 0),
                x if x == FieldType::String as u8 => {
                    FieldValue::String(std::borrow::Cow::Borrowed(r.part()?))
                }
                _ => return None,
            };
            fields.push((key, v));
        }
        out.push(PointOut {
            measurement,
            series_id,
            time,
            fields,
        });
    }
    if r.pos != payload.len() {
        return None;
    }
    Some(out)
}

/// Why reading entries stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    End,
    /// The data ends inside an entry (a torn write).
    Short,
    /// An entry whose checksum or contents are wrong.
    Corrupt,
}

/// Walks whole, valid entries from the start of `data`, calling `f` with each; returns the
/// bytes they cover and why it stopped.
pub fn scan<'a, F: FnMut(Entry<'a>)>(data: &'a [u8], mut f: F) -> (usize, Stop) {
    let mut pos = 0;
    while pos < data.len() {
        if data.len() - pos < HEADER {
            return (pos, Stop::Short);
        }
        let len = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        let crc = u32::from_le_bytes(data[pos + 4..pos + 8].try_into().unwrap());
        let Some(payload) = data.get(pos + HEADER..pos + HEADER + len) else {
            return (pos, Stop::Short);
        };
        if crc32fast::hash(payload) != crc {
            return (pos, Stop::Corrupt);
        }
        let entry = match payload.first() {
            Some(&KIND_DELETE) => decode_delete(payload).map(Entry::Delete),
            _ => decode_payload(payload).map(Entry::Points),
        };
        match entry {
            Some(e) => f(e),
            None => return (pos, Stop::Corrupt),
        }
        pos += HEADER + len;
    }
    (pos, Stop::End)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn round_trip_and_torn_tail() {
        let pts = vec![
            PointIn {
                measurement: b"cpu",
                series_id: 7,
                time: -5,
                fields: vec![
                    (b"v", FieldValue::Float(1.5)),
                    (b"time", FieldValue::Integer(3)),
                    (b"n", FieldValue::Integer(-3)),
                    (b"v", FieldValue::Float(2.5)),
                ],
            },
            PointIn {
                measurement: b"mem",
                series_id: 300,
                time: i64::MAX - 1,
                fields: vec![
                    (b"s", FieldValue::String(Cow::Borrowed(b"hi"))),
                    (b"b", FieldValue::Boolean(true)),
                    (b"u", FieldValue::Unsigned(u64::MAX)),
                ],
            },
        ];
        let mut buf = Vec::new();
        encode(&mut buf, pts);
        let whole = buf.len();
        let mut got = Vec::new();
        assert_eq!(
            scan(&buf, |e| match e {
                Entry::Points(p) => got.extend(p),
                Entry::Delete(_) => panic!(),
            }),
            (whole, Stop::End)
        );
        assert_eq!(
            got[0].fields,
            vec![
                (&b"v"[..], FieldValue::Float(2.5)),
                (&b"n"[..], FieldValue::Integer(-3))
            ]
        );
        assert_eq!(got[1].time, i64::MAX - 1);
        assert_eq!(got[1].fields[2].1, FieldValue::Unsigned(u64::MAX));
        for cut in 0..whole {
            assert_eq!(scan(&buf[..cut], |_| panic!("partial entry applied")).0, 0);
        }
        let mut bad = buf.clone();
        bad[whole - 1] ^= 0xff;
        assert_eq!(
            scan(&bad, |_| panic!("corrupt entry applied")),
            (0, Stop::Corrupt)
        );
        let mut del = Vec::new();
        encode_delete(&mut del, b"cpu", Some(&[7, 300]), -5, 99);
        encode_delete(&mut del, b"mem", None, i64::MIN, i64::MAX);
        let mut dels = Vec::new();
        scan(&del, |e| {
            if let Entry::Delete(d) = e {
                dels.push(d)
            }
        });
        assert_eq!(
            dels[0],
            DeleteOut {
                measurement: b"cpu",
                series: Some(vec![7, 300]),
                tmin: -5,
                tmax: 99
            }
        );
        assert_eq!(dels[1].series, None);
    }
}
