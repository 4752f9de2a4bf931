//! A TSI log-file entry, byte for byte InfluxDB 1.x's `tsi1.LogEntry`:
//!
//! `flag | uvarint(series id) | uvarint(len) name | uvarint(len) key | uvarint(len) value | crc32 (BE)`
//!
//! with the CRC-32 (IEEE) over every byte before it.

use crate::varint::{put_uvarint, uvarint};

pub const FLAG_SERIES_INSERT: u8 = 0x00;
pub const FLAG_SERIES_TOMBSTONE: u8 = 0x01;
pub const FLAG_MEASUREMENT_TOMBSTONE: u8 = 0x02;
pub const FLAG_TAG_KEY_TOMBSTONE: u8 = 0x04;
pub const FLAG_TAG_VALUE_TOMBSTONE: u8 = 0x08;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry<'a> {
    pub flag: u8,
    pub series_id: u64,
    pub name: &'a [u8],
    pub key: &'a [u8],
    pub value: &'a [u8],
    pub checksum: u32,
    /// Bytes the entry takes.
    pub size: usize,
}

/// Why an entry could not be read, as InfluxDB distinguishes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// `io.ErrShortBuffer`: the buffer ends inside the entry (a torn write).
    ShortBuffer,
    /// `ErrLogEntryChecksumMismatch`.
    ChecksumMismatch,
    /// A varint longer than 64 bits (Go's `binary.Uvarint` returned `n`).
    Overflow(isize),
}

impl DecodeError {
    pub fn message(&self) -> String {
        match self {
            DecodeError::ShortBuffer => "short buffer".into(),
            DecodeError::ChecksumMismatch => "log entry checksum mismatch".into(),
            DecodeError::Overflow(n) => {
                format!("parsing binary-encoded uint64 value failed; binary.Uvarint() returned {n}")
            }
        }
    }
}

/// Appends one entry to `dst`.
pub fn append(dst: &mut Vec<u8>, flag: u8, series_id: u64, name: &[u8], key: &[u8], value: &[u8]) {
    let start = dst.len();
    dst.push(flag);
    put_uvarint(dst, series_id);
    put_uvarint(dst, name.len() as u64);
    dst.extend_from_slice(name);
    put_uvarint(dst, key.len() as u64);
    dst.extend_from_slice(key);
    put_uvarint(dst, value.len() as u64);
    dst.extend_from_slice(value);
    let crc = crc32fast::hash(&dst[start..]);
    dst.extend_from_slice(&crc.to_be_bytes());
}

/// Appends a series-insert entry (flag 0, only the id) for each id: what `AddSeriesList` writes.
pub fn append_inserts(dst: &mut Vec<u8>, ids: &[u64]) {
    dst.reserve(ids.len() * 10);
    for &id in ids {
        append(dst, FLAG_SERIES_INSERT, id, b"", b"", b"");
    }
}

fn read_uvarint(data: &[u8]) -> Result<(u64, usize), DecodeError> {
    if data.is_empty() {
        return Err(DecodeError::ShortBuffer);
    }
    let (v, n) = uvarint(data);
    if n == 0 {
        return Err(DecodeError::ShortBuffer);
    }
    if n < 0 {
        return Err(DecodeError::Overflow(n));
    }
    Ok((v, n as usize))
}

fn read_part(data: &[u8]) -> Result<(&[u8], &[u8]), DecodeError> {
    let (len, n) = read_uvarint(data)?;
    let rest = &data[n..];
    if (rest.len() as u64) < len {
        return Err(DecodeError::ShortBuffer);
    }
    let len = len as usize;
    Ok((&rest[..len], &rest[len..]))
}

/// Decodes the entry at the start of `data` (InfluxDB's `LogEntry.UnmarshalBinary`).
pub fn decode(data: &[u8]) -> Result<LogEntry<'_>, DecodeError> {
    if data.is_empty() {
        return Err(DecodeError::ShortBuffer);
    }
    let flag = data[0];
    let (series_id, n) = read_uvarint(&data[1..])?;
    let rest = &data[1 + n..];
    let (name, rest) = read_part(rest)?;
    let (key, rest) = read_part(rest)?;
    let (value, rest) = read_part(rest)?;
    let body = data.len() - rest.len();
    let crc = crc32fast::hash(&data[..body]);
    if rest.len() < 4 {
        return Err(DecodeError::ShortBuffer);
    }
    let checksum = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    if crc != checksum {
        return Err(DecodeError::ChecksumMismatch);
    }
    Ok(LogEntry {
        flag,
        series_id,
        name,
        key,
        value,
        checksum,
        size: body + 4,
    })
}

/// Decodes entries from the start of `data` until one fails: the entries, the bytes they
/// cover (where appends continue), and why decoding stopped (`None` at the end of the data).
pub fn scan(data: &[u8]) -> (Vec<LogEntry<'_>>, usize, Option<DecodeError>) {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        match decode(&data[pos..]) {
            Ok(e) => {
                pos += e.size;
                out.push(e);
            }
            Err(err) => return (out, pos, Some(err)),
        }
    }
    (out, pos, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(flag: u8, id: u64, name: &[u8], key: &[u8], value: &[u8]) -> Vec<u8> {
        let mut b = vec![];
        append(&mut b, flag, id, name, key, value);
        b
    }

    #[test]
    fn influxdb_examples() {
        assert_eq!(
            enc(0, 1, b"", b"", b""),
            b"\x00\x01\x00\x00\x00\x7e\x9e\x90\x78"
        );
        assert_eq!(
            enc(0, 300, b"", b"", b""),
            b"\x00\xac\x02\x00\x00\x00\xae\x1c\x1b\xbf"
        );
        assert_eq!(
            enc(1, 300, b"", b"", b""),
            b"\x01\xac\x02\x00\x00\x00\x65\x40\xc8\x1a"
        );
        assert_eq!(
            enc(2, 0, b"cpu", b"", b""),
            b"\x02\x00\x03cpu\x00\x00\x46\x04\xad\x00"
        );
        assert_eq!(
            enc(4, 0, b"cpu", b"host", b""),
            b"\x04\x00\x03cpu\x04host\x00\xa8\x78\x66\x5a"
        );
        assert_eq!(
            enc(8, 0, b"cpu", b"host", b"a"),
            b"\x08\x00\x03cpu\x04host\x01a\xe0\x00\xf6\x75"
        );
        assert_eq!(
            enc(0, 2, b"", b"", b""),
            b"\x00\x02\x00\x00\x00\x6c\x2b\x3f\x96"
        );
    }

    #[test]
    fn decode_distinguishes_short_from_corrupt() {
        let e = enc(8, 0, b"cpu", b"host", b"a");
        let d = decode(&e).unwrap();
        assert_eq!(
            (d.flag, d.name, d.key, d.value, d.size),
            (8, &b"cpu"[..], &b"host"[..], &b"a"[..], e.len())
        );
        for cut in 0..e.len() {
            assert_eq!(
                decode(&e[..cut]),
                Err(DecodeError::ShortBuffer),
                "cut at {cut}"
            );
        }
        let mut bad = e.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(decode(&bad), Err(DecodeError::ChecksumMismatch));
        assert!(matches!(
            decode(&[0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(DecodeError::Overflow(-11))
        ));
    }

    #[test]
    fn scan_stops_at_a_torn_tail() {
        let mut buf = vec![];
        append_inserts(&mut buf, &[1, 2, 300]);
        let whole = buf.len();
        buf.extend_from_slice(&enc(2, 0, b"cpu", b"", b"")[..5]);
        let (entries, valid, err) = scan(&buf);
        assert_eq!(
            entries.iter().map(|e| e.series_id).collect::<Vec<_>>(),
            vec![1, 2, 300]
        );
        assert_eq!(valid, whole);
        assert_eq!(err, Some(DecodeError::ShortBuffer));
    }
}
