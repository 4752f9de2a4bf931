"""Byte scanners for one line of line protocol: the pure-Python twin of ``rust/src/lineproto/scan.rs``.

Both follow InfluxDB 1.x's ``models`` package rule for rule, quirks included (most scanners
treat a byte as escaped when the byte before it is a backslash; the field scanner skips
backslash pairs). Keep the two files in step: a property test compares them on random input.
"""

from __future__ import annotations

MAX_KEY_LENGTH = 65535

BACKSLASH = 0x5C
COMMA = 0x2C
SPACE = 0x20
EQUALS = 0x3D
QUOTE = 0x22
NEWLINE = 0x0A
TAB = 0x09
MINUS = 0x2D
PLUS = 0x2B
DOT = 0x2E
ZERO = 0x30
NINE = 0x39

_NUMERIC = frozenset(b"0123456789.")


class Reject(Exception):
    """A line is rejected; ``args[0]`` is InfluxDB's reason text (bytes)."""


MISSING_MEASUREMENT = b"missing measurement"
MISSING_FIELDS = b"missing fields"
MISSING_TAG_KEY = b"missing tag key"
MISSING_TAG_VALUE = b"missing tag value"
INVALID_TAG_FORMAT = b"invalid tag format"
DUPLICATE_TAGS = b"duplicate tags"
MISSING_FIELD_KEY = b"missing field key"
MISSING_FIELD_VALUE = b"missing field value"
INVALID_FIELD_FORMAT = b"invalid field format"
UNBALANCED_QUOTES = b"unbalanced quotes"
INVALID_NUMBER = b"invalid number"
INVALID_FLOAT = b"invalid float"
INVALID_BOOLEAN = b"invalid boolean"
BAD_TIMESTAMP = b"bad timestamp"
POINT_IS_INVALID = b"point is invalid"


def go_num_error(func: str, text: bytes, err: str) -> bytes:
    """Go's ``*strconv.NumError`` text (the text holds only digits and ``-`` here)."""
    return b"strconv." + func.encode() + b': parsing "' + text + b'": ' + err.encode()


def skip_whitespace(buf: bytes, i: int) -> int:
    n = len(buf)
    while i < n:
        c = buf[i]
        if c != SPACE and c != TAB and c != 0:
            break
        i += 1
    return i


def scan_line(buf: bytes, i: int) -> int:
    """The end of the line starting at ``i`` (its ``\\n``, or ``len(buf)``)."""
    n = len(buf)
    quoted = False
    fields = False
    equals = commas = 0
    while i < n:
        c = buf[i]
        if c == BACKSLASH and i + 2 < n:
            i += 2
            continue
        if c == SPACE:
            fields = True
        if fields:
            if not quoted and c == EQUALS:
                i += 1
                equals += 1
                continue
            elif not quoted and c == COMMA:
                i += 1
                commas += 1
                continue
            elif c == QUOTE and equals > commas:
                i += 1
                quoted = not quoted
                continue
        if c == NEWLINE and not quoted:
            break
        i += 1
    return i


def scan_to(buf: bytes, i: int, stop: int) -> int:
    """The index of the first ``stop`` byte from ``i`` not preceded by a backslash."""
    n = len(buf)
    while i < n:
        if buf[i] == stop and (i == 0 or buf[i - 1] != BACKSLASH):
            break
        i += 1
    return i


def _scan_to_space_or(buf: bytes, i: int, stop: int) -> bytes:
    start = i
    n = len(buf)
    if i >= n or buf[i] == stop or buf[i] == SPACE:
        return buf[start:i]
    while True:
        i += 1
        if i >= n:
            return buf[start:n]
        if buf[i - 1] == BACKSLASH:
            continue
        if buf[i] == stop or buf[i] == SPACE:
            return buf[start:i]


_TAG_KEY, _TAG_VALUE, _FIELDS = 0, 1, 2


def _scan_measurement(buf: bytes, i: int) -> tuple[int, int]:
    n = len(buf)
    if i >= n or buf[i] == COMMA:
        raise Reject(MISSING_MEASUREMENT)
    while True:
        i += 1
        if i >= n:
            raise Reject(MISSING_FIELDS)
        if buf[i - 1] == BACKSLASH:
            continue
        c = buf[i]
        if c == COMMA:
            return _TAG_KEY, i + 1
        if c == SPACE:
            return _FIELDS, i


def _scan_tags_key(buf: bytes, i: int) -> int:
    n = len(buf)
    if i >= n or buf[i] in (SPACE, COMMA, EQUALS):
        raise Reject(MISSING_TAG_KEY)
    while True:
        i += 1
        if i >= n or ((buf[i] == SPACE or buf[i] == COMMA) and buf[i - 1] != BACKSLASH):
            raise Reject(MISSING_TAG_VALUE)
        if buf[i] == EQUALS and buf[i - 1] != BACKSLASH:
            return i + 1


def _scan_tags_value(buf: bytes, i: int) -> tuple[int, int]:
    n = len(buf)
    if i >= n or buf[i] == COMMA or buf[i] == SPACE:
        raise Reject(MISSING_TAG_VALUE)
    while True:
        i += 1
        if i >= n:
            raise Reject(MISSING_FIELDS)
        if buf[i - 1] == BACKSLASH:
            continue
        c = buf[i]
        if c == EQUALS:
            raise Reject(INVALID_TAG_FORMAT)
        if c == COMMA:
            return _TAG_KEY, i + 1
        if c == SPACE:
            return _FIELDS, i


def _tag_key_at(buf: bytes, p: int) -> bytes:
    return buf[p : scan_to(buf, p, EQUALS)]


def scan_key(buf: bytes) -> tuple[int, bytes, bool]:
    """Scans ``measurement[,tag=value...]``: returns (position after it, key, tags were sorted).

    The key is the text as written, tags sorted by their escaped key (a stable sort).
    """
    start = skip_whitespace(buf, 0)
    state, i = _scan_measurement(buf, start)
    indices: list[int] = []
    if state == _TAG_KEY:
        while True:
            if state == _TAG_KEY:
                indices.append(i)
                i = _scan_tags_key(buf, i)
                state = _TAG_VALUE
            elif state == _TAG_VALUE:
                state, i = _scan_tags_value(buf, i)
            else:
                indices.append(i + 1)
                break
    commas = max(len(indices) - 1, 0)
    in_order = True
    for j in range(commas - 1):
        left_part = buf[indices[j] : indices[j + 1] - 1]
        right_part = buf[indices[j + 1] : indices[j + 2] - 1]
        left = left_part[: scan_to(left_part, 0, EQUALS)]
        right = right_part[: scan_to(right_part, 0, EQUALS)]
        if left > right:
            in_order = False
            break
        if left == right:
            raise Reject(DUPLICATE_TAGS)
    if in_order or commas == 0:
        return i, buf[start:i], True
    tags = indices[:commas]
    # sorted() is stable, as InfluxDB's insertion sort is.
    tags.sort(key=lambda p: _tag_key_at(buf, p))
    for j in range(1, len(tags)):
        a = buf[tags[j - 1] :]
        b = buf[tags[j] :]
        if a[: scan_to(a, 0, EQUALS)] == b[: scan_to(b, 0, EQUALS)]:
            raise Reject(DUPLICATE_TAGS)
    parts = [buf[start : indices[0] - 1]]
    for p in tags:
        parts.append(_scan_to_space_or(buf, p, COMMA))
    return i, b",".join(parts), False


def parse_int(text: bytes) -> int | None:
    """Go's ``strconv.ParseInt(text, 10, 64)`` for our texts; ``None`` on any error."""
    body = text[1:] if text[:1] in (b"-", b"+") else text
    if not body or not body.isdigit() or not body.isascii():
        return None
    v = int(text)
    if v < -(1 << 63) or v > (1 << 63) - 1:
        return None
    return v


def parse_uint(text: bytes) -> int | None:
    if not text or not text.isdigit() or not text.isascii():
        return None
    v = int(text)
    return v if v < (1 << 64) else None


_FLOAT_CHARS = frozenset(b"0123456789.eE+-")


def parse_float(text: bytes) -> float | None:
    """Go's ``strconv.ParseFloat(text, 64)`` for our texts; ``None`` on syntax error or overflow."""
    # Python's float() also takes "inf", "nan", "1_0" and surrounding blanks: none get here,
    # but keep the grammar to the characters the scanner lets through.
    if not text or not _FLOAT_CHARS.issuperset(text):
        return None
    try:
        v = float(text)
    except ValueError:
        return None
    if v != v or v in (float("inf"), float("-inf")):
        return None
    return v


def _scan_number(buf: bytes, i: int, unsigned_enabled: bool) -> int:
    n = len(buf)
    start = i
    is_int = is_unsigned = False
    if i < n and buf[i] == MINUS:
        i += 1
        if i == n:
            raise Reject(INVALID_NUMBER)
    decimal = scientific = False
    while i < n:
        c = buf[i]
        if c == COMMA or c == SPACE:
            break
        if c == 0x69 and i > start and not (is_int or is_unsigned):  # 'i'
            is_int = True
            i += 1
            continue
        elif c == 0x75 and i > start and not (is_int or is_unsigned):  # 'u'
            is_unsigned = True
            i += 1
            continue
        if c == DOT:
            if decimal:
                raise Reject(INVALID_NUMBER)
            decimal = True
        if i > start and (c == 0x65 or c == 0x45):  # 'e' 'E'
            scientific = True
            i += 1
            continue
        if (c == PLUS or c == MINUS) and buf[i - 1] in (0x65, 0x45):
            i += 1
            continue
        if i + 2 < n and (c == 0x4E or c == 0x6E):  # 'N' 'n'
            raise Reject(INVALID_NUMBER)
        if c not in _NUMERIC:
            raise Reject(INVALID_NUMBER)
        i += 1
    if (is_int or is_unsigned) and (decimal or scientific):
        raise Reject(INVALID_NUMBER)
    digits = i - start
    if is_int:
        digits -= 1
    if decimal:
        digits -= 1
    if buf[start] == MINUS:
        digits -= 1
    if digits == 0:
        raise Reject(INVALID_NUMBER)
    if is_int:
        if buf[i - 1] != 0x69:
            raise Reject(INVALID_NUMBER)
        text = buf[start : i - 1]
        if len(text) >= 19 and parse_int(text) is None:
            raise Reject(
                b"unable to parse integer " + text + b": "
                + go_num_error("ParseInt", text, "value out of range")
            )
    elif is_unsigned:
        if not unsigned_enabled or buf[i - 1] != 0x75 or buf[start] == MINUS:
            raise Reject(INVALID_NUMBER)
        text = buf[start : i - 1]
        if len(text) >= 20 and parse_uint(text) is None:
            raise Reject(
                b"unable to parse unsigned " + text + b": "
                + go_num_error("ParseUint", text, "value out of range")
            )
    elif (scientific or i - start >= 25) and parse_float(buf[start:i]) is None:
        raise Reject(INVALID_FLOAT)
    return i


_BOOL_WORDS = {
    0x74: (b"true",),
    0x66: (b"false",),
    0x54: (b"TRUE", b"True"),
    0x46: (b"FALSE", b"False"),
}


def _scan_boolean(buf: bytes, i: int) -> int:
    n = len(buf)
    start = i
    first = buf[i] if i < n else 0
    if i < n and first not in _BOOL_WORDS:
        raise Reject(INVALID_BOOLEAN)
    i += 1
    while i < n and buf[i] != COMMA and buf[i] != SPACE:
        i += 1
    if i - start == 1:
        return i
    if buf[start:i] not in _BOOL_WORDS.get(first, ()):
        raise Reject(INVALID_BOOLEAN)
    return i


def scan_fields(buf: bytes, i: int, unsigned_enabled: bool, checked: list) -> tuple[int, int]:
    """Scans the field set from ``i``: returns (position after it, start of the fields).
    ``checked`` receives the (start, end) of every number and boolean value validated."""
    n = len(buf)
    start = skip_whitespace(buf, i)
    i = start
    quoted = False
    equals = commas = 0
    while i < n:
        c = buf[i]
        if c == BACKSLASH and i + 1 < n:
            i += 2
            continue
        if c == QUOTE and equals > commas:
            quoted = not quoted
            i += 1
            continue
        if c == EQUALS and not quoted:
            equals += 1
            prev = buf[i - 1] if i >= 1 else 0
            prev2 = buf[i - 2] if i >= 2 else 0
            if (prev == SPACE or prev == COMMA) and prev2 != BACKSLASH:
                raise Reject(MISSING_FIELD_KEY)
            if i + 1 >= n:
                raise Reject(MISSING_FIELD_VALUE)
            nxt = buf[i + 1]
            if nxt == COMMA or nxt == SPACE:
                raise Reject(MISSING_FIELD_VALUE)
            if nxt in _NUMERIC or nxt == MINUS or nxt == 0x4E or nxt == 0x6E:
                end = _scan_number(buf, i + 1, unsigned_enabled)
                checked.append((i + 1, end))
                i = end
                continue
            if nxt != QUOTE:
                end = _scan_boolean(buf, i + 1)
                checked.append((i + 1, end))
                i = end
                continue
        if c == COMMA and not quoted:
            commas += 1
        if c == SPACE and not quoted:
            break
        i += 1
    if quoted:
        raise Reject(UNBALANCED_QUOTES)
    if equals == 0 or commas + 1 != equals:
        raise Reject(INVALID_FIELD_FORMAT)
    return i, start


def scan_time(buf: bytes, i: int) -> tuple[int, int]:
    """Scans the optional timestamp from ``i``: returns (its start, its end)."""
    n = len(buf)
    start = skip_whitespace(buf, i)
    i = start
    while i < n:
        c = buf[i]
        if c == NEWLINE or c == SPACE:
            break
        if i == start and c == MINUS:
            i += 1
            continue
        if not (ZERO <= c <= NINE):
            raise Reject(BAD_TIMESTAMP)
        i += 1
    return start, i


def scan_field_value(buf: bytes, i: int) -> int:
    """The end of the field value starting at ``i`` (a comma outside quotes, or the end)."""
    n = len(buf)
    quoted = False
    while i < n:
        c = buf[i]
        if c == BACKSLASH and i + 1 < n and (buf[i + 1] == QUOTE or buf[i + 1] == BACKSLASH):
            i += 2
            continue
        if c == QUOTE:
            i += 1
            quoted = not quoted
            continue
        if c == COMMA and not quoted:
            break
        i += 1
    return i


def walk_fields(buf: bytes):
    """Yields (raw key, raw value, offset of the value in ``buf``) for each field, as InfluxDB's
    ``walkFields`` splits them."""
    base = 0
    while base < len(buf):
        i = scan_to(buf, base, EQUALS)
        key = buf[base:i]
        if i + 2 > len(buf):
            raise Reject(b"invalid value: field-key=" + key)
        end = scan_field_value(buf, i + 1)
        yield key, buf[i + 1 : end], i + 1
        base = end + 1
