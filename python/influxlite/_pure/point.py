"""Reading one parsed point (name, tags, typed fields): twin of ``rust/src/lineproto/point.rs``."""

from __future__ import annotations

from .scan import (
    BACKSLASH, COMMA, EQUALS, QUOTE, parse_float, parse_int, parse_uint, scan_field_value,
    scan_to,
)

_ESCAPABLE = frozenset(b',"' + b" =")
_TAG_ESCAPABLE = frozenset(b", =")
_NUMBER_START = frozenset(b"0123456789-.nNiIu")


def _unescape_set(data: bytes, escapable: frozenset) -> bytes:
    if BACKSLASH not in data:
        return data
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        c = data[i]
        if c == BACKSLASH and i + 1 < n and data[i + 1] in escapable:
            out.append(data[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return bytes(out)


def unescape(data: bytes) -> bytes:
    """Backslashes before ``,`` ``"`` space ``=`` removed (InfluxDB's ``escape.Unescape``)."""
    return _unescape_set(data, _ESCAPABLE)


def unescape_tag(data: bytes) -> bytes:
    """Backslashes before ``,`` space ``=`` removed (InfluxDB's ``unescapeTag``)."""
    return _unescape_set(data, _TAG_ESCAPABLE)


def unescape_string_field(data: bytes) -> bytes:
    return _unescape_set(data, frozenset(b'\\"'))


def name_of(key: bytes) -> bytes:
    return unescape(key[: scan_to(key, 0, COMMA)])


def tags_of(key: bytes) -> list[tuple[bytes, bytes]]:
    """The tags of a series key, unescaped (InfluxDB's ``walkTags``)."""
    out: list[tuple[bytes, bytes]] = []
    n = len(key)
    if not n:
        return out
    pos = scan_to(key, 0, COMMA)
    if pos == 0:
        return out
    has_escape = BACKSLASH in key
    i = pos + 1
    while i < n:
        eq = scan_to(key, i, EQUALS)
        j = eq + 1
        while j < n and not (key[j] == COMMA and key[j - 1] != BACKSLASH):
            j += 1
        value = key[eq + 1 : j] if eq + 1 <= n else b""
        k = key[i:eq]
        i = j
        if not value:
            continue
        if has_escape:
            out.append((unescape_tag(k), unescape_tag(value)))
        else:
            out.append((k, value))
        i += 1
    return out


_TRUE = frozenset((b"1", b"t", b"T", b"TRUE", b"true", b"True"))
_FALSE = frozenset((b"0", b"f", b"F", b"FALSE", b"false", b"False"))


def classify(raw: bytes) -> tuple[str, bytes]:
    """The type InfluxDB's ``FieldIterator`` gives a raw value (from its first and last bytes),
    and the value text without an ``i``/``u`` suffix."""
    if not raw:
        return "empty", raw
    first = raw[0]
    if first == QUOTE:
        return "string", raw
    if first in _NUMBER_START:
        last = raw[-1]
        if last == 0x69:  # 'i'
            return "integer", raw[:-1]
        if last == 0x75:  # 'u'
            return "unsigned", raw[:-1]
        return "float", raw
    return "boolean", raw


def decode_value(ftype: str, text: bytes):
    """The Python value of a classified field value; ``ValueError`` if it does not decode."""
    if ftype == "string":
        return unescape_string_field(text[1:-1] if len(text) >= 2 else b"")
    if ftype == "integer":
        v = parse_int(text)
    elif ftype == "unsigned":
        v = parse_uint(text)
    elif ftype == "float":
        v = parse_float(text)
    elif ftype == "boolean":
        v = True if text in _TRUE else False if text in _FALSE else None
    else:
        raise ValueError("empty field value")
    if v is None:
        kind = "floating point" if ftype == "float" else "bool" if ftype == "boolean" else ftype
        raise ValueError(f'unable to parse {kind} value "{text.decode("utf-8", "replace")}"')
    return v


def decode_fields(buf: bytes) -> list[tuple[bytes, str, object]]:
    """Every field of a raw field set in order: (unescaped key, type name, value)."""
    out = []
    end = 0
    n = len(buf)
    while end < n:
        start = end
        eq = scan_to(buf, start, EQUALS)
        vstart = min(eq + 1, n)
        vend = scan_field_value(buf, vstart)
        end = vend + 1
        ftype, text = classify(buf[vstart:vend])
        out.append((unescape(buf[start:eq]), ftype, decode_value(ftype, text)))
    return out
