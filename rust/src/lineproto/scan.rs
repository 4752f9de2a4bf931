//! Byte scanners for one line of line protocol.
//!
//! These follow InfluxDB 1.x's `models` package rule for rule, including its quirks: most
//! scanners treat a byte as escaped when the byte *before* it is a backslash (so `a\\,` counts
//! the comma as escaped), while the field scanner skips backslash pairs. Matching those quirks
//! is what makes our accept/reject decisions and error texts identical to InfluxDB's.

use super::error::Reason;

pub const MAX_KEY_LENGTH: usize = 65535;

#[inline(always)]
fn at(buf: &[u8], i: usize) -> u8 {
    // Out-of-range reads (which InfluxDB's code never reaches for valid input) read as 0.
    if i < buf.len() {
        buf[i]
    } else {
        0
    }
}

/// Skips spaces, tabs and NUL bytes.
#[inline]
pub fn skip_whitespace(buf: &[u8], mut i: usize) -> usize {
    while i < buf.len() {
        let c = buf[i];
        if c != b' ' && c != b'\t' && c != 0 {
            break;
        }
        i += 1;
    }
    i
}

/// Returns the end of the line that starts at `i` (the index of its `\n`, or `buf.len()`).
/// A newline inside a quoted field value does not end the line.
pub fn scan_line(buf: &[u8], i: usize) -> usize {
    // Most lines hold no quote and no backslash: then the next newline ends the line.
    let end = memchr::memchr(b'\n', &buf[i..]).map_or(buf.len(), |p| i + p);
    if memchr::memchr2(b'"', b'\\', &buf[i..end]).is_none() {
        return end;
    }
    scan_line_slow(buf, i)
}

fn scan_line_slow(buf: &[u8], mut i: usize) -> usize {
    let n = buf.len();
    let mut quoted = false;
    let mut fields = false;
    let mut equals = 0usize;
    let mut commas = 0usize;
    while i < n {
        let c = buf[i];
        if c == b'\\' && i + 2 < n {
            i += 2;
            continue;
        }
        if c == b' ' {
            fields = true;
        }
        if fields {
            if !quoted && c == b'=' {
                i += 1;
                equals += 1;
                continue;
            } else if !quoted && c == b',' {
                i += 1;
                commas += 1;
                continue;
            } else if c == b'"' && equals > commas {
                i += 1;
                quoted = !quoted;
                continue;
            }
        }
        if c == b'\n' && !quoted {
            break;
        }
        i += 1;
    }
    i
}

/// The slice from `i` up to the first `stop` byte not preceded by a backslash.
#[inline]
pub fn scan_to(buf: &[u8], mut i: usize, stop: u8) -> (usize, &[u8]) {
    let start = i;
    while i < buf.len() {
        if buf[i] == stop && (i == 0 || buf[i - 1] != b'\\') {
            break;
        }
        i += 1;
    }
    (i, &buf[start..i])
}

/// The slice from `i` up to the first `stop` byte or space not preceded by a backslash.
fn scan_to_space_or(buf: &[u8], mut i: usize, stop: u8) -> &[u8] {
    let start = i;
    if i >= buf.len() || buf[i] == stop || buf[i] == b' ' {
        return &buf[start..i.min(buf.len())];
    }
    loop {
        i += 1;
        if i >= buf.len() {
            return &buf[start..buf.len()];
        }
        if buf[i - 1] == b'\\' {
            continue;
        }
        if buf[i] == stop || buf[i] == b' ' {
            return &buf[start..i];
        }
    }
}

/// Where the parsed key of a line lives.
pub enum Key {
    /// The key is `line[start..end]` as written (tags already sorted).
    InLine(usize, usize),
    /// The tags were not sorted: the sorted key was appended to the arena at this range.
    Sorted(usize, usize),
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum State {
    TagKey,
    TagValue,
    Fields,
}

fn scan_measurement(buf: &[u8], mut i: usize) -> Result<(State, usize), Reason> {
    if i >= buf.len() || buf[i] == b',' {
        return Err(Reason::MissingMeasurement);
    }
    loop {
        i += 1;
        if i >= buf.len() {
            return Err(Reason::MissingFields);
        }
        if buf[i - 1] == b'\\' {
            continue;
        }
        match buf[i] {
            b',' => return Ok((State::TagKey, i + 1)),
            b' ' => return Ok((State::Fields, i)),
            _ => {}
        }
    }
}

fn scan_tags_key(buf: &[u8], mut i: usize) -> Result<usize, Reason> {
    if i >= buf.len() || buf[i] == b' ' || buf[i] == b',' || buf[i] == b'=' {
        return Err(Reason::MissingTagKey);
    }
    loop {
        i += 1;
        if i >= buf.len() || ((buf[i] == b' ' || buf[i] == b',') && buf[i - 1] != b'\\') {
            return Err(Reason::MissingTagValue);
        }
        if buf[i] == b'=' && buf[i - 1] != b'\\' {
            return Ok(i + 1);
        }
    }
}

fn scan_tags_value(buf: &[u8], mut i: usize) -> Result<(State, usize), Reason> {
    if i >= buf.len() || buf[i] == b',' || buf[i] == b' ' {
        return Err(Reason::MissingTagValue);
    }
    loop {
        i += 1;
        if i >= buf.len() {
            return Err(Reason::MissingFields);
        }
        let c = buf[i];
        if buf[i - 1] == b'\\' {
            continue;
        }
        match c {
            b'=' => return Err(Reason::InvalidTagFormat),
            b',' => return Ok((State::TagKey, i + 1)),
            b' ' => return Ok((State::Fields, i)),
            _ => {}
        }
    }
}

/// Scans `measurement[,tag=value...]` at the start of `buf` (a line with leading whitespace
/// removed). Returns the position after the key and where the key (tags sorted) is.
/// `indices` is scratch space reused across lines.
pub fn scan_key(
    buf: &[u8],
    indices: &mut Vec<usize>,
    arena: &mut Vec<u8>,
) -> Result<(usize, Key), Reason> {
    let start = skip_whitespace(buf, 0);
    indices.clear();
    let (state, mut i) = scan_measurement(buf, start)?;
    if state == State::TagKey {
        let mut state = State::TagKey;
        loop {
            match state {
                State::TagKey => {
                    indices.push(i);
                    i = scan_tags_key(buf, i)?;
                    state = State::TagValue;
                }
                State::TagValue => {
                    let (s, ni) = scan_tags_value(buf, i)?;
                    state = s;
                    i = ni;
                }
                State::Fields => {
                    indices.push(i + 1);
                    break;
                }
            }
        }
    }
    let commas = indices.len().saturating_sub(1);
    // InfluxDB first checks the tags in order (finding duplicates among already-sorted
    // neighbours), and only sorts when it finds two out of order.
    let mut sorted = true;
    for j in 0..commas.saturating_sub(1) {
        let (_, left) = scan_to(&buf[indices[j]..indices[j + 1] - 1], 0, b'=');
        let (_, right) = scan_to(&buf[indices[j + 1]..indices[j + 2] - 1], 0, b'=');
        match left.cmp(right) {
            std::cmp::Ordering::Greater => {
                sorted = false;
                break;
            }
            std::cmp::Ordering::Equal => return Err(Reason::DuplicateTags),
            std::cmp::Ordering::Less => {}
        }
    }
    if sorted || commas == 0 {
        return Ok((i, Key::InLine(start, i)));
    }
    let measurement = &buf[start..indices[0] - 1];
    let tags = &mut indices[..commas];
    // A stable insertion sort on the (still escaped) tag keys, as InfluxDB sorts them.
    let tag_key = |p: usize| scan_to(buf, p, b'=').1;
    for a in 1..tags.len() {
        let mut b = a;
        while b > 0 && tag_key(tags[b]) < tag_key(tags[b - 1]) {
            tags.swap(b, b - 1);
            b -= 1;
        }
    }
    for j in 1..tags.len() {
        if scan_to(&buf[tags[j - 1]..], 0, b'=').1 == scan_to(&buf[tags[j]..], 0, b'=').1 {
            return Err(Reason::DuplicateTags);
        }
    }
    let key_start = arena.len();
    arena.extend_from_slice(measurement);
    for &p in tags.iter() {
        arena.push(b',');
        arena.extend_from_slice(scan_to_space_or(buf, p, b','));
    }
    Ok((i, Key::Sorted(key_start, arena.len())))
}

#[inline(always)]
fn is_numeric(c: u8) -> bool {
    c.is_ascii_digit() || c == b'.'
}

/// Scans a number field value starting at `i`; returns the position after it.
fn scan_number(buf: &[u8], mut i: usize, unsigned_enabled: bool) -> Result<usize, Reason> {
    let n = buf.len();
    let start = i;
    let mut is_int = false;
    let mut is_unsigned = false;
    if i < n && buf[i] == b'-' {
        i += 1;
        if i == n {
            return Err(Reason::InvalidNumber);
        }
    }
    let mut decimal = false;
    let mut scientific = false;
    while i < n {
        let c = buf[i];
        if c.is_ascii_digit() {
            i += 1;
            continue;
        }
        if c == b',' || c == b' ' {
            break;
        }
        if c == b'i' && i > start && !(is_int || is_unsigned) {
            is_int = true;
            i += 1;
            continue;
        } else if c == b'u' && i > start && !(is_int || is_unsigned) {
            is_unsigned = true;
            i += 1;
            continue;
        }
        if c == b'.' {
            if decimal {
                return Err(Reason::InvalidNumber);
            }
            decimal = true;
        }
        if i > start && (c == b'e' || c == b'E') {
            scientific = true;
            i += 1;
            continue;
        }
        if (c == b'+' || c == b'-') && (buf[i - 1] == b'e' || buf[i - 1] == b'E') {
            i += 1;
            continue;
        }
        if i + 2 < n && (c == b'N' || c == b'n') {
            return Err(Reason::InvalidNumber);
        }
        if !is_numeric(c) {
            return Err(Reason::InvalidNumber);
        }
        i += 1;
    }
    if (is_int || is_unsigned) && (decimal || scientific) {
        return Err(Reason::InvalidNumber);
    }
    let mut digits = (i - start) as isize;
    if is_int {
        digits -= 1;
    }
    if decimal {
        digits -= 1;
    }
    if buf[start] == b'-' {
        digits -= 1;
    }
    if digits == 0 {
        return Err(Reason::InvalidNumber);
    }
    if is_int {
        if buf[i - 1] != b'i' {
            return Err(Reason::InvalidNumber);
        }
        let text = &buf[start..i - 1];
        if text.len() >= 19 && parse_i64(text).is_none() {
            return Err(Reason::IntegerOutOfRange(text.to_vec()));
        }
    } else if is_unsigned {
        if !unsigned_enabled || buf[i - 1] != b'u' || buf[start] == b'-' {
            return Err(Reason::InvalidNumber);
        }
        let text = &buf[start..i - 1];
        if text.len() >= 20 && parse_u64(text).is_none() {
            return Err(Reason::UnsignedOutOfRange(text.to_vec()));
        }
    } else if (scientific || i - start >= 25) && parse_f64(&buf[start..i]).is_none() {
        return Err(Reason::InvalidFloat);
    }
    Ok(i)
}

/// Scans a boolean field value starting at `i`; returns the position after it.
fn scan_boolean(buf: &[u8], mut i: usize) -> Result<usize, Reason> {
    let start = i;
    let first = at(buf, i);
    if i < buf.len() && !matches!(first, b't' | b'f' | b'T' | b'F') {
        return Err(Reason::InvalidBoolean);
    }
    i += 1;
    while i < buf.len() && buf[i] != b',' && buf[i] != b' ' {
        i += 1;
    }
    let len = i - start;
    if len == 1 {
        return Ok(i);
    }
    let word = &buf[start..i.min(buf.len())];
    let valid = match first {
        b't' => word == b"true",
        b'f' => word == b"false",
        b'T' => word == b"TRUE" || word == b"True",
        b'F' => word == b"FALSE" || word == b"False",
        _ => false,
    };
    if valid {
        Ok(i)
    } else {
        Err(Reason::InvalidBoolean)
    }
}

/// Scans the field set starting at `i`; returns (position after it, start of the fields).
/// `checked` receives the range of every number and boolean value the scan validated.
pub fn scan_fields(
    buf: &[u8],
    i: usize,
    unsigned_enabled: bool,
    checked: &mut Vec<(usize, usize)>,
) -> Result<(usize, usize), Reason> {
    checked.clear();
    let n = buf.len();
    let start = skip_whitespace(buf, i);
    let mut i = start;
    let mut quoted = false;
    let mut equals = 0usize;
    let mut commas = 0usize;
    while i < n {
        let c = buf[i];
        if c == b'\\' && i + 1 < n {
            i += 2;
            continue;
        }
        if c == b'"' && equals > commas {
            quoted = !quoted;
            i += 1;
            continue;
        }
        if c == b'=' && !quoted {
            equals += 1;
            let prev = at(buf, i.wrapping_sub(1));
            let prev2 = if i >= 2 { buf[i - 2] } else { 0 };
            if (prev == b' ' || prev == b',') && prev2 != b'\\' {
                return Err(Reason::MissingFieldKey);
            }
            if i + 1 >= n {
                return Err(Reason::MissingFieldValue);
            }
            let next = buf[i + 1];
            if next == b',' || next == b' ' {
                return Err(Reason::MissingFieldValue);
            }
            if is_numeric(next) || next == b'-' || next == b'N' || next == b'n' {
                let end = scan_number(buf, i + 1, unsigned_enabled)?;
                checked.push((i + 1, end));
                i = end;
                continue;
            }
            if next != b'"' {
                let end = scan_boolean(buf, i + 1)?;
                checked.push((i + 1, end));
                i = end;
                continue;
            }
        }
        if c == b',' && !quoted {
            commas += 1;
        }
        if c == b' ' && !quoted {
            break;
        }
        i += 1;
    }
    if quoted {
        return Err(Reason::UnbalancedQuotes);
    }
    if equals == 0 || commas + 1 != equals {
        return Err(Reason::InvalidFieldFormat);
    }
    Ok((i, start))
}

/// Scans the optional timestamp starting at `i`; returns (position after it, its text range).
pub fn scan_time(buf: &[u8], i: usize) -> Result<(usize, usize, usize), Reason> {
    let start = skip_whitespace(buf, i);
    let mut i = start;
    while i < buf.len() {
        let c = buf[i];
        if c == b'\n' || c == b' ' {
            break;
        }
        if i == start && c == b'-' {
            i += 1;
            continue;
        }
        if !c.is_ascii_digit() {
            return Err(Reason::BadTimestamp);
        }
        i += 1;
    }
    Ok((i, start, i))
}

/// The end of a field value starting at `i` (a `,` outside quotes, or the end of `buf`).
#[inline]
pub fn scan_field_value(buf: &[u8], mut i: usize) -> usize {
    let n = buf.len();
    let mut quoted = false;
    while i < n {
        let c = buf[i];
        if c == b'\\' && i + 1 < n && (buf[i + 1] == b'"' || buf[i + 1] == b'\\') {
            i += 2;
            continue;
        }
        if c == b'"' {
            i += 1;
            quoted = !quoted;
            continue;
        }
        if c == b',' && !quoted {
            break;
        }
        i += 1;
    }
    i
}

/// Walks `key=value` pairs of a field set the way InfluxDB's `walkFields` does, calling `f`
/// with the raw (escaped) key and value. Stops early when `f` returns false.
pub fn walk_fields<F: FnMut(&[u8], &[u8]) -> bool>(mut buf: &[u8], mut f: F) -> Result<(), Reason> {
    while !buf.is_empty() {
        let (i, key) = scan_to(buf, 0, b'=');
        if i + 2 > buf.len() {
            return Err(Reason::InvalidValue(key.to_vec()));
        }
        let rest = &buf[i + 1..];
        let end = scan_field_value(rest, 0);
        if !f(key, &rest[..end]) {
            break;
        }
        buf = &rest[end..];
        if !buf.is_empty() {
            buf = &buf[1..];
        }
    }
    Ok(())
}

/// Decimal digits with an optional leading sign, as Go's `strconv.ParseInt(s, 10, 64)`.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    if digits.len() <= 18 {
        // 18 digits cannot overflow.
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v * 10 + d as u64;
        }
    } else {
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            v = v.checked_mul(10)?.checked_add(d as u64)?;
        }
    }
    if neg {
        if v <= 1 << 63 {
            Some((v as i64).wrapping_neg())
        } else {
            None
        }
    } else if v <= i64::MAX as u64 {
        Some(v as i64)
    } else {
        None
    }
}

/// Decimal digits, as Go's `strconv.ParseUint(s, 10, 64)`.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(v)
}

/// A float as Go's `strconv.ParseFloat(s, 64)` reads the texts our scanner lets through
/// (digits, `.`, `e`/`E`, signs); `None` for a syntax error or an overflow to infinity.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    // Rust's grammar accepts "inf"/"nan" spellings, which the scanner has already excluded.
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => None,
    }
}
