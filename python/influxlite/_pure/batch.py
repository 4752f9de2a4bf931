"""Parsing a body into a batch: the pure-Python twin of ``rust/src/lineproto/parse.rs`` and of
the ``ParsedBatch`` binding in ``rust/src/python/batch.rs``."""

from __future__ import annotations

from . import scan
from ..precision import PRECISION_MULTIPLIERS
from .hash import fnv1a64
from .point import classify, decode_fields, decode_value, name_of, tags_of
from .serieskey import append_series_key
from .scan import MAX_KEY_LENGTH, Reject, go_num_error

MIN_NANO_TIME = -(1 << 63) + 2
MAX_NANO_TIME = (1 << 63) - 2


_TIME_OUTSIDE_RANGE = f"time outside range {MIN_NANO_TIME} - {MAX_NANO_TIME}".encode()


def _parse_point(line: bytes, mult: int, default_time: int, unsigned: bool):
    pos, key, _ = scan.scan_key(line)
    if not key:
        raise Reject(scan.MISSING_MEASUREMENT)
    if len(key) > MAX_KEY_LENGTH:
        raise Reject(f"max key length exceeded: {len(key)} > {MAX_KEY_LENGTH}".encode())
    checked: list[tuple[int, int]] = []
    pos, fields_start = scan.scan_fields(line, pos, unsigned, checked)
    fields = line[fields_start:pos]
    if not fields:
        raise Reject(scan.MISSING_FIELDS)
    # Key sizes as InfluxDB checks them; and every value must be one the scan validated (see
    # the Rust twin), checked after InfluxDB's own checks.
    checked_set = set(checked)
    undecodable = None
    for k, v, offset in scan.walk_fields(fields):
        size = len(key) + 4 + len(k)
        if size > MAX_KEY_LENGTH:
            raise Reject(f"max key length exceeded: {size} > {MAX_KEY_LENGTH}".encode())
        if undecodable is None and not k:  # `cpu \t=1`: see the Rust twin
            undecodable = scan.MISSING_FIELD_KEY
        start = fields_start + offset
        if undecodable is None and (start, start + len(v)) not in checked_set:
            undecodable = unchecked_value_problem(v, unsigned)
    ts_start, pos = scan.scan_time(line, pos)
    if ts_start == pos:
        if undecodable:
            raise Reject(undecodable)
        return key, fields, default_time
    ts = line[ts_start:pos]
    value = scan.parse_int(ts)
    if value is None:
        err = "invalid syntax" if ts == b"-" else "value out of range"
        raise Reject(go_num_error("ParseInt", ts, err))
    t = value * mult
    if not MIN_NANO_TIME <= t <= MAX_NANO_TIME:
        raise Reject(_TIME_OUTSIDE_RANGE)
    if line[pos:].strip(b" "):
        raise Reject(scan.POINT_IS_INVALID)
    if undecodable:
        raise Reject(undecodable)
    return key, fields, t


def unchecked_value_problem(raw: bytes, unsigned: bool) -> bytes | None:
    """Why a value the scanner did not see cannot be stored, if it cannot."""
    ftype, text = classify(raw)
    if ftype == "string":
        # A lone '"' is where InfluxDB's StringValue panics.
        return scan.UNBALANCED_QUOTES if len(raw) < 2 else None
    if ftype == "empty":
        return scan.MISSING_FIELD_VALUE
    if ftype == "unsigned" and not unsigned:
        return scan.INVALID_NUMBER
    try:
        decode_value(ftype, text)
    except ValueError:
        return scan.INVALID_BOOLEAN if ftype == "boolean" else scan.INVALID_NUMBER
    return None


class ParsedBatch:
    """The points and errors of one parsed body (same methods as the native class)."""

    __slots__ = ("_keys", "_fields", "_times", "_errors")

    def __init__(self, keys, fields, times, errors):
        self._keys: list[bytes] = keys
        self._fields: list[bytes] = fields
        self._times: list[int] = times
        self._errors: list[bytes] = errors

    def __len__(self) -> int:
        return len(self._keys)

    def error_messages(self) -> list[bytes]:
        return list(self._errors)

    def _point(self, i: int):
        key = self._keys[i]
        return (key, name_of(key), tags_of(key), decode_fields(self._fields[i]), self._times[i])

    def point(self, i: int):
        n = len(self._keys)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError("point index out of range")
        return self._point(j)

    def points(self):
        return [self._point(i) for i in range(len(self._keys))]

    def keys(self) -> list[bytes]:
        return list(self._keys)

    def hashes(self) -> list[int]:
        return [fnv1a64(k) for k in self._keys]

    def times(self) -> list[int]:
        return list(self._times)

    def series_keys(self) -> list[bytes]:
        return [append_series_key(name_of(k), tags_of(k)) for k in self._keys]


def parse(data, precision: str, now: int, unsigned: bool) -> ParsedBatch:
    """Parses a line-protocol body as InfluxDB 1.x does (see the Rust twin for the one
    deliberate difference: ``\\r\\n`` line ends)."""
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    mult = PRECISION_MULTIPLIERS.get(precision)
    if mult is None:
        raise ValueError(f'invalid precision "{precision}" (use n, u, ms, s, m or h)')
    default_time = now - now % mult
    keys: list[bytes] = []
    fields_list: list[bytes] = []
    times: list[int] = []
    errors: list[bytes] = []
    buf = data
    n = len(buf)
    pos = 0
    while pos < n:
        end = scan.scan_line(buf, pos)
        block = buf[pos:end]
        pos = end + 1
        if end < n and block[-1:] == b"\r":
            block = block[:-1]
        if not block:
            continue
        start = scan.skip_whitespace(block, 0)
        if start >= len(block) or block[start] == 0x23:  # '#'
            continue
        if block[-1] == scan.NEWLINE:
            block = block[:-1]
        line = block[start:]
        try:
            key, fields, t = _parse_point(line, mult, default_time, unsigned)
        except Reject as e:
            errors.append(b"unable to parse '" + line + b"': " + e.args[0])
            continue
        keys.append(key)
        fields_list.append(fields)
        times.append(t)
    return ParsedBatch(keys, fields_list, times, errors)


def complete_lines(data: bytes) -> int:
    """Where the last complete line of ``data`` ends (see the native twin)."""
    pos = done = 0
    n = len(data)
    while pos < n:
        end = scan.scan_line(data, pos)
        if end >= n:
            break
        done = pos = end + 1
    return done
