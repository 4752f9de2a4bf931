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

/// Appends one framed points entry. `names` and `keys` are the entry's measurement and field-key
/// tables; each point is `(name index, series id, time, fields as (key index, value))`.
/// (The shard's prepare pass builds these: a field repeated in a line keeps its last value, as
/// InfluxDB's `Fields()`, and a field named `time` is left out, as InfluxDB skips it.)
pub fn encode_points<'a, P, F>(dst: &mut Vec<u8>, names: &[Vec<u8>], keys: &[Vec<u8>], points: P)
where
    P: ExactSizeIterator<Item = (u32, u64, i64, F)>,
    F: ExactSizeIterator<Item = (u32, FieldValue<'a>)>,
{
    let mut payload = Vec::with_capacity(64 + points.len() * 48);
    payload.push(KIND_POINTS);
    for table in [names, keys] {
        put_uvarint(&mut payload, table.len() as u64);
        for s in table {
            put_uvarint(&mut payload, s.len() as u64);
            payload.extend_from_slice(s);
        }
    }
    put_uvarint(&mut payload, points.len() as u64);
    for (ni, series_id, time, fields) in points {
        put_uvarint(&mut payload, ni as u64);
        put_uvarint(&mut payload, series_id);
        put_varint(&mut payload, time);
        put_uvarint(&mut payload, fields.len() as u64);
        for (ki, v) in fields {
            put_uvarint(&mut payload, ki as u64);
            match v {
                FieldValue::Float(f) => {
                    payload.push(FieldType::Float as u8);
                    payload.extend_from_slice(&f.to_le_bytes());
                }
                FieldValue::Integer(i) => {
                    payload.push(FieldType::Integer as u8);
                    put_varint(&mut payload, i);
                }
                FieldValue::Unsigned(u) => {
                    payload.push(FieldType::Unsigned as u8);
                    put_uvarint(&mut payload, u);
                }
                FieldValue::Boolean(b) => {
                    payload.push(FieldType::Boolean as u8);
                    payload.push(b as u8);
                }
                FieldValue::String(s) => {
                    payload.push(FieldType::String as u8);
                    put_uvarint(&mut payload, s.len() as u64);
                    payload.extend_from_slice(&s);
                }
            }
        }
    }
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
        let names = vec![b"cpu".to_vec(), b"mem".to_vec()];
        let keys: Vec<Vec<u8>> = [&b"v"[..], b"n", b"s", b"b", b"u"]
            .iter()
            .map(|k| k.to_vec())
            .collect();
        type Point<'a> = (u32, u64, i64, Vec<(u32, FieldValue<'a>)>);
        let pts: Vec<Point<'_>> = vec![
            (
                0,
                7,
                -5,
                vec![(0, FieldValue::Float(2.5)), (1, FieldValue::Integer(-3))],
            ),
            (
                1,
                300,
                i64::MAX - 1,
                vec![
                    (2, FieldValue::String(Cow::Borrowed(b"hi"))),
                    (3, FieldValue::Boolean(true)),
                    (4, FieldValue::Unsigned(u64::MAX)),
                ],
            ),
        ];
        let mut buf = Vec::new();
        encode_points(
            &mut buf,
            &names,
            &keys,
            pts.into_iter().map(|(n, s, t, f)| (n, s, t, f.into_iter())),
        );
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
        assert_eq!(
            (got[0].measurement, got[0].series_id, got[0].time),
            (&b"cpu"[..], 7, -5)
        );
        assert_eq!(got[1].time, i64::MAX - 1);
        assert_eq!(got[1].fields[0].1, FieldValue::String(Cow::Borrowed(b"hi")));
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
