//! Parsing a whole request body into a batch of points kept as ranges into the body.

use super::error::{LineError, Reason};
use super::point::{classify, FieldType, RawField};
use super::scan::{
    scan_fields, scan_key, scan_line, scan_time, skip_whitespace, walk_fields, Key, MAX_KEY_LENGTH,
};
use super::time::Precision;

#[derive(Debug, Clone, Copy)]
pub struct ParseOptions {
    pub precision: Precision,
    /// The time, in ns, of points without a timestamp (truncated to the precision here).
    pub default_time: i64,
    /// Accept `123u` unsigned fields (off in stock InfluxDB 1.x).
    pub unsigned: bool,
}

/// One parsed point: ranges into the body (or, for keys whose tags had to be sorted, into the
/// batch's key arena) plus its time. No bytes are copied for a line whose tags were sorted.
#[derive(Debug, Clone, Copy)]
pub struct PointRef {
    pub key_start: u32,
    pub key_len: u32,
    pub fields_start: u32,
    pub fields_len: u32,
    pub time: i64,
    pub key_in_arena: bool,
}

/// The result of parsing one body: good points in input order and one error per bad line.
#[derive(Debug, Default)]
pub struct Parsed {
    pub points: Vec<PointRef>,
    pub arena: Vec<u8>,
    pub errors: Vec<LineError>,
}

impl Parsed {
    /// The canonical series key of point `i` (measurement and tags as escaped in the input,
    /// tags sorted by key).
    #[inline]
    pub fn key<'a>(&'a self, buf: &'a [u8], i: usize) -> &'a [u8] {
        let p = &self.points[i];
        let (s, e) = (p.key_start as usize, (p.key_start + p.key_len) as usize);
        if p.key_in_arena {
            &self.arena[s..e]
        } else {
            &buf[s..e]
        }
    }

    /// The raw field set of point `i`, as written.
    #[inline]
    pub fn fields<'a>(&self, buf: &'a [u8], i: usize) -> &'a [u8] {
        let p = &self.points[i];
        &buf[p.fields_start as usize..(p.fields_start + p.fields_len) as usize]
    }
}

/// Largest body a batch can address with its 32-bit offsets.
pub const MAX_BODY: usize = u32::MAX as usize;

/// Parses `buf` as InfluxDB 1.x's `ParsePointsWithPrecision` does, with one deliberate
/// difference: a `\r` right before a line's `\n` is part of the line end, not of the line.
pub fn parse(buf: &[u8], opts: &ParseOptions) -> Parsed {
    assert!(buf.len() <= MAX_BODY, "body larger than 4 GiB");
    let mut out = Parsed {
        points: Vec::with_capacity(buf.len() / 64 + 1),
        ..Default::default()
    };
    let default_time = opts.precision.truncate(opts.default_time);
    let mut scratch = Scratch::default();
    let n = buf.len();
    let mut pos = 0;
    while pos < n {
        let end = scan_line(buf, pos);
        let mut block = &buf[pos..end];
        let block_start = pos;
        pos = end + 1;
        if end < n && block.last() == Some(&b'\r') {
            block = &block[..block.len() - 1];
        }
        if block.is_empty() {
            continue;
        }
        let start = skip_whitespace(block, 0);
        if start >= block.len() || block[start] == b'#' {
            continue;
        }
        if block[block.len() - 1] == b'\n' {
            block = &block[..block.len() - 1];
        }
        let line = &block[start..];
        let base = block_start + start;
        match parse_point(line, opts, default_time, &mut scratch, &mut out.arena) {
            Ok((key, fs, fe, time)) => {
                let (ks, ke, in_arena) = match key {
                    Key::InLine(s, e) => (base + s, base + e, false),
                    Key::Sorted(s, e) => (s, e, true),
                };
                out.points.push(PointRef {
                    key_start: ks as u32,
                    key_len: (ke - ks) as u32,
                    fields_start: (base + fs) as u32,
                    fields_len: (fe - fs) as u32,
                    time,
                    key_in_arena: in_arena,
                });
            }
            Err(reason) => out.errors.push(LineError {
                line_start: base,
                line_end: base + line.len(),
                reason,
            }),
        }
    }
    out
}

/// Buffers reused from line to line.
#[derive(Default)]
struct Scratch {
    tag_starts: Vec<usize>,
    checked_values: Vec<(usize, usize)>,
}

fn parse_point(
    buf: &[u8],
    opts: &ParseOptions,
    default_time: i64,
    scratch: &mut Scratch,
    arena: &mut Vec<u8>,
) -> Result<(Key, usize, usize, i64), Reason> {
    let arena_mark = arena.len();
    let result = parse_point_inner(buf, opts, default_time, scratch, arena);
    if result.is_err() {
        arena.truncate(arena_mark);
    }
    result
}

fn parse_point_inner(
    buf: &[u8],
    opts: &ParseOptions,
    default_time: i64,
    scratch: &mut Scratch,
    arena: &mut Vec<u8>,
) -> Result<(Key, usize, usize, i64), Reason> {
    let (pos, key) = scan_key(buf, &mut scratch.tag_starts, arena)?;
    let key_len = match key {
        Key::InLine(s, e) | Key::Sorted(s, e) => e - s,
    };
    if key_len == 0 {
        return Err(Reason::MissingMeasurement);
    }
    if key_len > MAX_KEY_LENGTH {
        return Err(Reason::MaxKeyLength(key_len));
    }
    let checked = &mut scratch.checked_values;
    let (pos, fields_start) = scan_fields(buf, pos, opts.unsigned, checked)?;
    let fields = &buf[fields_start..pos];
    if fields.is_empty() {
        return Err(Reason::MissingFields);
    }
    // Every field key must fit in a TSM series key (`key#!~#field`). And every value must be
    // one the scan above validated: InfluxDB's field iterator splits some odd lines
    // differently from its scanner, accepts the line and then fails to decode a value when
    // writing it (a 500 for the whole batch). influxlite rejects such a line, after InfluxDB's
    // own checks so that a line InfluxDB rejects keeps InfluxDB's reason.
    let mut too_long = None;
    let mut undecodable = None;
    // Without a quote or a backslash, and not starting with `=`, the field set splits the same
    // way for the iterator as for the scan, and no field key can be too long: skip the walk.
    let simple = key_len + 4 + fields.len() <= MAX_KEY_LENGTH
        && fields[0] != b'='
        && memchr::memchr2(b'"', b'\\', fields).is_none();
    if !simple {
        let mut cursor = 0;
        walk_fields(fields, |k, v| {
            let size = key_len + 4 + k.len();
            if size > MAX_KEY_LENGTH {
                too_long = Some(Reason::MaxKeyLength(size));
                return false;
            }
            if undecodable.is_none() && k.is_empty() {
                // `cpu \t=1`: the tab is skipped as whitespace, so InfluxDB's "missing field key"
                // check never sees it and stores a field named "".
                undecodable = Some(Reason::MissingFieldKey);
            }
            if undecodable.is_none() {
                let start = v.as_ptr() as usize - buf.as_ptr() as usize;
                while cursor < checked.len() && checked[cursor].0 < start {
                    cursor += 1;
                }
                if checked.get(cursor) != Some(&(start, start + v.len())) {
                    undecodable = unchecked_value_problem(v, opts.unsigned);
                }
            }
            true
        })?;
    }
    if let Some(reason) = too_long {
        return Err(reason);
    }
    let (mut pos, ts_start, ts_end) = scan_time(buf, pos)?;
    let time = if ts_start == ts_end {
        default_time
    } else {
        let ts = &buf[ts_start..ts_end];
        let value = match super::scan::parse_i64(ts) {
            Some(v) => v,
            None if ts == b"-" => return Err(Reason::TimestampSyntax(ts.to_vec())),
            None => return Err(Reason::TimestampOutOfRange(ts.to_vec())),
        };
        let t = opts
            .precision
            .to_nanos(value)
            .ok_or(Reason::TimeOutsideRange)?;
        while pos < buf.len() {
            if buf[pos] != b' ' {
                return Err(Reason::PointIsInvalid);
            }
            pos += 1;
        }
        t
    };
    if let Some(reason) = undecodable {
        return Err(reason);
    }
    Ok((key, fields_start, fields_start + fields.len(), time))
}

/// Why a value the scanner did not see cannot be stored, if it cannot.
fn unchecked_value_problem(raw: &[u8], unsigned: bool) -> Option<Reason> {
    let (ftype, text) = classify(raw);
    let field = RawField {
        key: std::borrow::Cow::Borrowed(&[]),
        ftype,
        raw: text,
    };
    match (ftype, field.value()) {
        // A lone `"` is where InfluxDB's StringValue panics.
        (FieldType::String, _) if raw.len() < 2 => Some(Reason::UnbalancedQuotes),
        (FieldType::String, _) => None,
        (FieldType::Empty, _) => Some(Reason::MissingFieldValue),
        (FieldType::Unsigned, _) if !unsigned => Some(Reason::InvalidNumber),
        (_, Ok(_)) => None,
        (FieldType::Boolean, Err(_)) => Some(Reason::InvalidBoolean),
        (_, Err(_)) => Some(Reason::InvalidNumber),
    }
}
