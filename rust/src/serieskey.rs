//! The binary series key, byte for byte InfluxDB 1.x's `tsdb.AppendSeriesKey`:
//!
//! `uvarint(size) | u16be(len(name)) | name | uvarint(tagN) | tagN × (u16be(len k) | k | u16be(len v) | v)`
//!
//! where `size` counts everything after itself. Names and tags are raw (unescaped) bytes, tags
//! sorted by key.

use crate::varint::{put_uvarint, uvarint, uvarint_size};

pub const MAX_PART_LEN: usize = u16::MAX as usize;

/// Bytes the encoded key takes, including its size prefix (InfluxDB's `SeriesKeySize`).
pub fn series_key_size<'a, I>(name: &[u8], tags: I) -> usize
where
    I: IntoIterator<Item = (&'a [u8], &'a [u8])>,
{
    let mut n = 2 + name.len();
    let mut count = 0usize;
    for (k, v) in tags {
        n += 4 + k.len() + v.len();
        count += 1;
    }
    n += uvarint_size(count as u64);
    n + uvarint_size(n as u64)
}

/// Appends the series key of `name` and `tags` (already sorted) to `dst`.
/// Lengths over 65535 are the caller's to refuse (see [`check_parts`]).
pub fn append_series_key<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    dst: &mut Vec<u8>,
    name: &[u8],
    tags: &[(K, V)],
) {
    let mut size = 2 + name.len() + uvarint_size(tags.len() as u64);
    for (k, v) in tags {
        size += 4 + k.as_ref().len() + v.as_ref().len();
    }
    dst.reserve(size + 10);
    put_uvarint(dst, size as u64);
    dst.extend_from_slice(&(name.len() as u16).to_be_bytes());
    dst.extend_from_slice(name);
    put_uvarint(dst, tags.len() as u64);
    for (k, v) in tags {
        let (k, v) = (k.as_ref(), v.as_ref());
        dst.extend_from_slice(&(k.len() as u16).to_be_bytes());
        dst.extend_from_slice(k);
        dst.extend_from_slice(&(v.len() as u16).to_be_bytes());
        dst.extend_from_slice(v);
    }
}

/// `Err` with a message if a name or tag is too long for the encoding's 16-bit lengths.
pub fn check_parts(name: &[u8], tags: &[(&[u8], &[u8])]) -> Result<(), String> {
    if name.len() > MAX_PART_LEN {
        return Err(format!("measurement name longer than {MAX_PART_LEN} bytes"));
    }
    for (k, v) in tags {
        if k.len() > MAX_PART_LEN || v.len() > MAX_PART_LEN {
            return Err(format!("tag key or value longer than {MAX_PART_LEN} bytes"));
        }
    }
    Ok(())
}

/// A tag key, its value and the bytes after them.
pub type TagAndRest<'a> = (&'a [u8], &'a [u8], &'a [u8]);
/// A key's measurement name and tags.
pub type NameAndTags<'a> = (&'a [u8], Vec<(&'a [u8], &'a [u8])>);

/// A malformed key: the buffer ends before the part being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated;

fn read_u16_part(data: &[u8]) -> Result<(&[u8], &[u8]), Truncated> {
    if data.len() < 2 {
        return Err(Truncated);
    }
    let n = u16::from_be_bytes([data[0], data[1]]) as usize;
    let rest = &data[2..];
    if rest.len() < n {
        return Err(Truncated);
    }
    Ok((&rest[..n], &rest[n..]))
}

/// `ReadSeriesKeyLen`: the size prefix and the rest.
pub fn read_len(data: &[u8]) -> Result<(usize, &[u8]), Truncated> {
    let (v, n) = uvarint(data);
    if n <= 0 {
        return Err(Truncated);
    }
    Ok((v as usize, &data[n as usize..]))
}

/// `ReadSeriesKeyMeasurement`: the name and the rest.
pub fn read_measurement(data: &[u8]) -> Result<(&[u8], &[u8]), Truncated> {
    read_u16_part(data)
}

/// `ReadSeriesKeyTagN`: the tag count and the rest.
pub fn read_tag_n(data: &[u8]) -> Result<(usize, &[u8]), Truncated> {
    read_len(data)
}

/// `ReadSeriesKeyTag`: a tag key, its value and the rest.
pub fn read_tag(data: &[u8]) -> Result<TagAndRest<'_>, Truncated> {
    let (k, rest) = read_u16_part(data)?;
    let (v, rest) = read_u16_part(rest)?;
    Ok((k, v, rest))
}

/// The whole key at the start of `data` (prefix included) and what follows it.
pub fn read_key(data: &[u8]) -> Result<(&[u8], &[u8]), Truncated> {
    let (size, rest) = read_len(data)?;
    let prefix = data.len() - rest.len();
    if rest.len() < size {
        return Err(Truncated);
    }
    Ok((&data[..prefix + size], &data[prefix + size..]))
}

/// Name and tags of a key.
pub fn parse(data: &[u8]) -> Result<NameAndTags<'_>, Truncated> {
    let (_, rest) = read_len(data)?;
    let (name, rest) = read_measurement(rest)?;
    let (n, mut rest) = read_tag_n(rest)?;
    let mut tags = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        let (k, v, r) = read_tag(rest)?;
        tags.push((k, v));
        rest = r;
    }
    Ok((name, tags))
}

/// True if `key` is exactly one well-formed series key (its size prefix matches its parts).
pub fn is_well_formed(key: &[u8]) -> bool {
    let Ok((size, rest)) = read_len(key) else {
        return false;
    };
    if rest.len() != size {
        return false;
    }
    let Ok((_, rest)) = read_measurement(rest) else {
        return false;
    };
    let Ok((n, mut rest)) = read_tag_n(rest) else {
        return false;
    };
    for _ in 0..n {
        match read_tag(rest) {
            Ok((_, _, r)) => rest = r,
            Err(_) => return false,
        }
    }
    rest.is_empty()
}

/// `CompareSeriesKeys`: empty keys first, then name, then tags pairwise, then fewer tags first.
pub fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Equal,
        (true, false) => return Less,
        (false, true) => return Greater,
        _ => {}
    }
    match (parse(a), parse(b)) {
        (Ok((n0, t0)), Ok((n1, t1))) => n0.cmp(n1).then_with(|| {
            for (x, y) in t0.iter().zip(t1.iter()) {
                let c = x.0.cmp(y.0).then_with(|| x.1.cmp(y.1));
                if c != Equal {
                    return c;
                }
            }
            t0.len().cmp(&t1.len())
        }),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, tags: &[(&str, &str)]) -> Vec<u8> {
        let tags: Vec<(&[u8], &[u8])> = tags
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect();
        let mut out = vec![];
        append_series_key(&mut out, name.as_bytes(), &tags);
        assert_eq!(
            out.len(),
            series_key_size(name.as_bytes(), tags.iter().copied())
        );
        out
    }

    #[test]
    fn influxdb_examples() {
        assert_eq!(
            key("cpu", &[("host", "a")]),
            b"\x0f\x00\x03cpu\x01\x00\x04host\x00\x01a"
        );
        assert_eq!(key("cpu", &[]), b"\x06\x00\x03cpu\x00");
        assert_eq!(
            key("cpu=x", &[("a", "1")]),
            b"\x0e\x00\x05cpu=x\x01\x00\x01a\x00\x011"
        );
        assert_eq!(
            key("cpu", &[("aa", "2"), ("mm", "3"), ("zz", "1")]),
            b"\x1b\x00\x03cpu\x03\x00\x02aa\x00\x012\x00\x02mm\x00\x013\x00\x02zz\x00\x011"
        );
    }

    #[test]
    fn readers_and_compare() {
        let k = key("cpu", &[("host", "a"), ("region", "west")]);
        let (name, tags) = parse(&k).unwrap();
        assert_eq!(name, b"cpu");
        assert_eq!(
            tags,
            vec![(&b"host"[..], &b"a"[..]), (&b"region"[..], &b"west"[..])]
        );
        let mut two = k.clone();
        two.extend_from_slice(b"rest");
        assert_eq!(read_key(&two).unwrap(), (&k[..], &b"rest"[..]));
        assert!(parse(&k[..k.len() - 1]).is_err());
        use std::cmp::Ordering::*;
        assert_eq!(compare(&key("cpu", &[]), &key("cpu", &[("a", "1")])), Less);
        assert_eq!(
            compare(&key("cpu", &[("a", "2")]), &key("cpu", &[("a", "1")])),
            Greater
        );
        assert_eq!(compare(&[], &key("a", &[])), Less);
        assert_eq!(compare(&key("b", &[]), &key("a", &[("z", "z")])), Greater);
    }
}
