//! Reading one parsed point: measurement name, tags and typed field values, decoded the way
//! InfluxDB's `Point.Name()`, `Point.Tags()` and `FieldIterator` decode them.

use std::borrow::Cow;

use super::scan::{parse_f64, parse_i64, parse_u64, scan_field_value, scan_to};

/// Removes backslashes before `,`, `"`, space and `=` (InfluxDB's `escape.Unescape`, used for
/// measurement names and field keys).
pub fn unescape(input: &[u8]) -> Cow<'_, [u8]> {
    unescape_set(input, b",\" =")
}

/// Removes backslashes before `,`, space and `=` (InfluxDB's `unescapeTag`).
pub fn unescape_tag(input: &[u8]) -> Cow<'_, [u8]> {
    unescape_set(input, b", =")
}

fn unescape_set<'a>(input: &'a [u8], set: &[u8]) -> Cow<'a, [u8]> {
    if !input.contains(&b'\\') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'\\' && i + 1 < input.len() && set.contains(&input[i + 1]) {
            out.push(input[i + 1]);
            i += 2;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// `\\` to `\` and `\"` to `"` inside a string field value.
pub fn unescape_string_field(input: &[u8]) -> Cow<'_, [u8]> {
    unescape_set(input, b"\\\"")
}

/// InfluxDB's `models.MakeKey(name, tags)`: the escaped text key (measurement escaping `,` and
/// space, tags `,` space `=`), tags in the order given. It picks a series' TSI partition.
pub fn make_key<K: AsRef<[u8]>, V: AsRef<[u8]>>(dst: &mut Vec<u8>, name: &[u8], tags: &[(K, V)]) {
    fn esc(dst: &mut Vec<u8>, s: &[u8], chars: &[u8]) {
        for &c in s {
            if chars.contains(&c) {
                dst.push(b'\\');
            }
            dst.push(c);
        }
    }
    esc(dst, name, b", ");
    for (k, v) in tags {
        dst.push(b',');
        esc(dst, k.as_ref(), b", =");
        dst.push(b'=');
        esc(dst, v.as_ref(), b", =");
    }
}

/// A tag of a parsed point, unescaped: (key, value).
pub type Tag<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// The escaped measurement part of a key (up to the first unescaped comma).
#[inline]
pub fn escaped_name(key: &[u8]) -> &[u8] {
    scan_to(key, 0, b',').1
}

/// The measurement name of a key, unescaped.
pub fn name(key: &[u8]) -> Cow<'_, [u8]> {
    unescape(escaped_name(key))
}

/// Calls `f(key, value)` for every tag of a series key, unescaped (InfluxDB's `walkTags`).
pub fn walk_tags<'a, F: FnMut(Cow<'a, [u8]>, Cow<'a, [u8]>)>(buf: &'a [u8], mut f: F) {
    if buf.is_empty() {
        return;
    }
    let (pos, name) = scan_to(buf, 0, b',');
    if name.is_empty() {
        return;
    }
    let has_escape = buf.contains(&b'\\');
    let mut i = pos + 1;
    while i < buf.len() {
        let (eq, key) = scan_to(buf, i, b'=');
        // InfluxDB's scanTagValue: up to a comma not preceded by a backslash.
        let mut j = eq + 1;
        while j < buf.len() && !(buf[j] == b',' && buf[j - 1] != b'\\') {
            j += 1;
        }
        let value: &[u8] = if eq < buf.len() {
            &buf[eq + 1..j.max(eq + 1)]
        } else {
            &[]
        };
        i = j;
        if value.is_empty() {
            continue;
        }
        if has_escape {
            f(unescape_tag(key), unescape_tag(value));
        } else {
            f(Cow::Borrowed(key), Cow::Borrowed(value));
        }
        i += 1;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FieldType {
    Float = 0,
    Integer = 1,
    Unsigned = 2,
    String = 3,
    Boolean = 4,
    Empty = 5,
}

impl FieldType {
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::Unsigned => "unsigned",
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
            FieldType::Empty => "empty",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    String(Cow<'a, [u8]>),
    Boolean(bool),
}

/// One field of a point: its unescaped key, type and raw value text (without the `i`/`u`
/// suffix for integers and unsigned integers).
#[derive(Debug, Clone)]
pub struct RawField<'a> {
    pub key: Cow<'a, [u8]>,
    pub ftype: FieldType,
    pub raw: &'a [u8],
}

impl<'a> RawField<'a> {
    /// Decodes the value; `Err` carries InfluxDB's text for a value that does not decode.
    pub fn value(&self) -> Result<FieldValue<'a>, String> {
        let raw = self.raw;
        let text = || String::from_utf8_lossy(raw).into_owned();
        match self.ftype {
            FieldType::Float => parse_f64(raw)
                .map(FieldValue::Float)
                .ok_or_else(|| format!("unable to parse floating point value \"{}\"", text())),
            FieldType::Integer => parse_i64(raw)
                .map(FieldValue::Integer)
                .ok_or_else(|| format!("unable to parse integer value \"{}\"", text())),
            FieldType::Unsigned => parse_u64(raw)
                .map(FieldValue::Unsigned)
                .ok_or_else(|| format!("unable to parse unsigned value \"{}\"", text())),
            FieldType::Boolean => match raw {
                b"1" | b"t" | b"T" | b"TRUE" | b"true" | b"True" => Ok(FieldValue::Boolean(true)),
                b"0" | b"f" | b"F" | b"FALSE" | b"false" | b"False" => {
                    Ok(FieldValue::Boolean(false))
                }
                _ => Err(format!("unable to parse bool value \"{}\"", text())),
            },
            FieldType::String => {
                let inner = if raw.len() >= 2 {
                    &raw[1..raw.len() - 1]
                } else {
                    &[][..]
                };
                Ok(FieldValue::String(unescape_string_field(inner)))
            }
            FieldType::Empty => Err("empty field value".to_string()),
        }
    }
}

/// The type of a raw field value as InfluxDB's `FieldIterator` decides it (from its first and
/// last bytes), and the value text without an `i`/`u` suffix.
#[inline]
pub fn classify(raw: &[u8]) -> (FieldType, &[u8]) {
    match raw.first() {
        None => (FieldType::Empty, raw),
        Some(b'"') => (FieldType::String, raw),
        Some(c) if b"0123456789-.nNiIu".contains(c) => match raw[raw.len() - 1] {
            b'i' => (FieldType::Integer, &raw[..raw.len() - 1]),
            b'u' => (FieldType::Unsigned, &raw[..raw.len() - 1]),
            _ => (FieldType::Float, raw),
        },
        Some(_) => (FieldType::Boolean, raw),
    }
}

/// Iterates the fields of a raw field set in order (duplicates included), as InfluxDB's
/// `FieldIterator` does.
pub struct FieldIter<'a> {
    buf: &'a [u8],
    end: usize,
}

impl<'a> FieldIter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        FieldIter { buf, end: 0 }
    }
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = RawField<'a>;

    fn next(&mut self) -> Option<RawField<'a>> {
        let start = self.end;
        if start >= self.buf.len() {
            return None;
        }
        let (eq, key) = scan_to(self.buf, start, b'=');
        let vstart = (eq + 1).min(self.buf.len());
        let vend = scan_field_value(self.buf, vstart);
        self.end = vend + 1;
        let (ftype, raw) = classify(&self.buf[vstart..vend]);
        Some(RawField {
            key: unescape(key),
            ftype,
            raw,
        })
    }
}
