"""Points and batches of points, and the line-protocol encoder.

Text from the wire is bytes; it becomes ``str`` here with the ``surrogateescape`` error
handler, so bytes that are not UTF-8 survive a round trip (``s.encode("utf-8",
"surrogateescape")`` gives them back).
"""

from __future__ import annotations

import datetime as _dt
import gc
import math
from collections.abc import Iterator, Mapping
from typing import Any

from . import _backend
from .precision import PRECISION_MULTIPLIERS

FIELD_TYPES = ("float", "integer", "unsigned", "string", "boolean")

MAX_KEY_LENGTH = 65535
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _raw(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def precision_multiplier(precision: str) -> int:
    """Nanoseconds per unit of ``precision``; ``ValueError`` for an unknown one."""
    if not isinstance(precision, str):
        raise TypeError(f"precision must be str, not {type(precision).__name__}")
    try:
        return PRECISION_MULTIPLIERS[precision]
    except KeyError:
        raise ValueError(f'invalid precision "{precision}" (use n, u, ms, s, m or h)') from None


# --- escaping, as InfluxDB's MakeKey / appendField write keys and values ---------------------

def escape_measurement(name: bytes) -> bytes:
    return name.replace(b",", b"\\,").replace(b" ", b"\\ ")


def escape_tag(text: bytes) -> bytes:
    return text.replace(b",", b"\\,").replace(b" ", b"\\ ").replace(b"=", b"\\=")


def escape_field_key(text: bytes) -> bytes:
    return (text.replace(b",", b"\\,").replace(b'"', b'\\"')
            .replace(b" ", b"\\ ").replace(b"=", b"\\="))


def escape_string_field(text: bytes) -> bytes:
    return text.replace(b"\\", b"\\\\").replace(b'"', b'\\"')


def make_key(name: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """The canonical series key: escaped measurement, then ``,k=v`` for every tag, sorted by
    escaped tag key as the parser sorts them (so a key survives a round trip unchanged)."""
    parts = sorted((escape_tag(k), escape_tag(v)) for k, v in tags)
    return escape_measurement(name) + b"".join(b"," + k + b"=" + v for k, v in parts)


def format_field_value(value: Any, ftype: str) -> bytes:
    if ftype == "float":
        return repr(float(value)).encode()
    if ftype == "integer":
        return b"%di" % value
    if ftype == "unsigned":
        return b"%du" % value
    if ftype == "boolean":
        return b"true" if value else b"false"
    return b'"' + escape_string_field(_raw(value)) + b'"'


def _stands_alone(line: bytes) -> bool:
    """True if a newline after ``line`` ends it, whatever follows (the parser's line split)."""
    return _backend.backend.complete_lines(line + b"\nx") == len(line) + 1


# --- Point ---------------------------------------------------------------------------------

def _to_nanos(t: Any) -> int | None:
    if t is None:
        return None
    if isinstance(t, bool):
        raise TypeError("time must be an int (ns since the epoch) or a datetime, not bool")
    if isinstance(t, int):
        return t
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            t = t.replace(tzinfo=_dt.timezone.utc)
        delta = t - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000
    raise TypeError(f"time must be an int (ns since the epoch) or a datetime, not {type(t).__name__}")


def _check_value(key: str, value: Any, ftype: str | None) -> tuple[Any, str]:
    if isinstance(value, bool):
        inferred, value = "boolean", value
    elif isinstance(value, int):
        inferred = "integer"
    elif isinstance(value, float):
        inferred = "float"
    elif isinstance(value, str):
        inferred = "string"
    elif isinstance(value, bytes):
        inferred, value = "string", _text(value)
    else:
        raise TypeError(f"field {key!r}: unsupported value type {type(value).__name__}")
    ftype = ftype or inferred
    if ftype not in FIELD_TYPES:
        raise ValueError(f"field {key!r}: unknown field type {ftype!r} (use one of {', '.join(FIELD_TYPES)})")
    if ftype == "float":
        if inferred not in ("float", "integer"):
            raise TypeError(f"field {key!r}: a {inferred} value cannot be a float field")
        value = float(value)
        if math.isnan(value):
            raise ValueError(f"NaN is an unsupported value for field {key}")
        if math.isinf(value):
            raise ValueError(f"+/-Inf is an unsupported value for field {key}")
    elif ftype in ("integer", "unsigned"):
        if inferred != "integer":
            raise TypeError(f"field {key!r}: a {inferred} value cannot be an {ftype} field")
        lo, hi = (INT64_MIN, INT64_MAX) if ftype == "integer" else (0, UINT64_MAX)
        if not lo <= value <= hi:
            raise ValueError(f"field {key!r}: {value} is out of range for an {ftype} field")
    elif ftype != inferred:
        raise TypeError(f"field {key!r}: a {inferred} value cannot be a {ftype} field")
    return value, ftype


class Point:
    """One point: measurement name, tags, typed fields and a time in ns since the epoch.

    ``Point(name, tags, fields, time)`` builds one to write; ``parse_points`` returns them
    from line protocol. ``to_line()`` writes the line that parses back to an equal point.
    Integers are ``integer`` fields unless ``field_types`` says ``unsigned`` (or ``float``).
    """

    __slots__ = ("name", "tags", "fields", "field_types", "time", "key")

    name: str
    tags: dict[str, str]
    fields: dict[str, Any]
    field_types: dict[str, str]
    time: int | None
    key: bytes

    def __init__(
        self,
        name: str,
        tags: Mapping[str, str] | None = None,
        fields: Mapping[str, Any] | None = None,
        time: int | _dt.datetime | None = None,
        *,
        field_types: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be str, not {type(name).__name__}")
        if not name:
            raise ValueError("missing measurement")
        raw_tags: list[tuple[bytes, bytes]] = []
        for k, v in (tags or {}).items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("tag keys and values must be str")
            if not k:
                raise ValueError("missing tag key")
            if v:  # InfluxDB leaves tags with empty values out of the key
                raw_tags.append((_raw(k), _raw(v)))
        if not fields:
            raise ValueError("point without fields is unsupported")
        types_in = dict(field_types or {})
        checked: dict[str, Any] = {}
        types: dict[str, str] = {}
        for k, v in fields.items():
            if not isinstance(k, str):
                raise TypeError("field keys must be str")
            if not k:
                raise ValueError("missing field key")
            checked[k], types[k] = _check_value(k, v, types_in.pop(k, None))
        if types_in:
            raise ValueError(f"field_types names fields that are not given: {sorted(types_in)}")
        key = make_key(_raw(name), raw_tags)
        if len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"max key length exceeded: {len(key)} > {MAX_KEY_LENGTH}")
        for k in checked:
            size = len(key) + 4 + len(escape_field_key(_raw(k)))
            if size > MAX_KEY_LENGTH:
                raise ValueError(f"max key length exceeded: {size} > {MAX_KEY_LENGTH}")
        self.key = key
        self.name = name
        self.tags = {_text(k): _text(v) for k, v in sorted(raw_tags, key=lambda kv: escape_tag(kv[0]))}
        self.fields = checked
        self.field_types = types
        self.time = _to_nanos(time)
        if self.time is not None and not INT64_MIN + 2 <= self.time <= INT64_MAX - 1:
            raise ValueError("time outside range -9223372036854775806 - 9223372036854775806")
        self._check_representable()

    @classmethod
    def _from_parsed(cls, parsed: tuple) -> Point:
        key, name, tags, fields, time = parsed
        p = object.__new__(cls)
        p.key = key
        p.name = _text(name)
        p.tags = {_text(k): _text(v) for k, v in tags}
        p.fields = {}
        p.field_types = {}
        for k, ftype, value in fields:
            k = _text(k)
            p.fields[k] = _text(value) if ftype == "string" else value
            p.field_types[k] = ftype
        p.time = time
        return p

    def _check_representable(self) -> None:
        """Line protocol cannot carry every string (a newline in a name, a name starting with
        ``#``, a tag ending in a backslash, ...): refuse those here rather than write a line
        that means something else."""
        texts = [self.name, *self.tags, *self.tags.values(), *self.fields]
        if any("\n" in t for t in texts):
            raise ValueError("line protocol cannot carry a newline in a measurement, tag or field key")
        if self.name[0] in "#\t\x00":
            raise ValueError("a measurement name cannot start with '#', a tab or a NUL byte")
        if any(k[0] in "\t\x00" for k in self.fields):
            raise ValueError("a field key cannot start with a tab or a NUL byte")
        if any(t.endswith("\\") for t in texts):
            raise ValueError("a measurement, tag or field key cannot end with a backslash")
        if any("\\" in t for t in texts):
            self._check_by_parsing()

    def _check_by_parsing(self) -> None:
        # Backslashes interact with escaping in ways no simple rule covers: check by parsing.
        line = _raw(self._line(1))
        back = parse_points(line, "n", 0, unsigned=True).points
        if len(back) != 1 or not self._same_as(back[0]):
            raise ValueError("this point cannot be written in line protocol (backslashes next to escaped characters)")
        if not _stands_alone(line):
            raise ValueError("this point cannot be written in line protocol (its key would swallow the line end)")

    def _same_as(self, other: Point) -> bool:
        return (self.name == other.name and self.tags == other.tags
                and self.field_types == other.field_types and self.fields == other.fields)

    def to_line(self, precision: str = "n") -> str:
        """The line-protocol line (no newline) for this point, the time in ``precision``
        units (rounded down, as InfluxDB truncates)."""
        mult = precision_multiplier(precision)
        if b"\n" in self.key or any("\n" in k for k in self.fields):
            # A parsed point can carry one: after leading whitespace InfluxDB's line splitter
            # reads a quote in the measurement as opening a string (` ="` + newline + ` v=""`).
            # Written without that whitespace, the line would be split: refuse it.
            raise ValueError("line protocol cannot carry a newline in a measurement, tag or field key")
        if b"\\" in self.key or any("\\" in k for k in self.fields):
            # A parsed point may carry a field key that InfluxDB's scanner let through but
            # that no escaping reproduces, or a key whose backslashes leave InfluxDB's line
            # splitter inside or outside a quoted string where the parser is not (a newline in
            # a string value, or the one after the line, would then split it wrongly): refuse
            # it rather than write another point.
            self._check_by_parsing()
        return self._line(mult)

    def _line(self, mult: int) -> str:
        out = [self.key, b" "]
        out.append(b",".join(
            escape_field_key(_raw(k)) + b"=" + format_field_value(v, self.field_types[k])
            for k, v in self.fields.items()
        ))
        if self.time is not None:
            out.append(b" %d" % (self.time // mult))
        return _text(b"".join(out))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Point):
            return NotImplemented
        return self.key == other.key and self._same_as(other) and self.time == other.time

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"Point(name={self.name!r}, tags={self.tags!r}, fields={self.fields!r}, "
                f"time={self.time!r})")


class PointBatch:
    """The result of ``parse_points``: the good points (kept in the backend until asked for)
    and one InfluxDB-worded error per rejected line."""

    __slots__ = ("_raw", "_points")

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._points: list[Point] | None = None

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, i: int) -> Point:
        if self._points is not None:
            return self._points[i]
        return Point._from_parsed(self._raw.point(i))

    def __iter__(self) -> Iterator[Point]:
        return iter(self.points)

    @property
    def points(self) -> list[Point]:
        if self._points is None:
            # Millions of small containers would set off the cyclic collector again and again
            # (none of them can form a cycle): defer it until the list is built.
            enabled = gc.isenabled()
            gc.disable()
            try:
                self._points = [Point._from_parsed(t) for t in self._raw.points()]
            finally:
                if enabled:
                    gc.enable()
        return self._points

    @property
    def errors(self) -> list[str]:
        """``unable to parse '<line>': <reason>`` for every rejected line, in input order."""
        return [e.decode("utf-8", "replace") for e in self._raw.error_messages()]

    def error_text(self) -> str | None:
        """All errors joined by newlines, as InfluxDB returns them; ``None`` if there are none."""
        errs = self.errors
        return "\n".join(errs) if errs else None

    def write_error_text(self) -> str | None:
        """What InfluxDB's ``/write`` answers (HTTP 400) for this body's bad lines: the joined
        errors when no line was good, else ``partial write: <joined errors> dropped=0`` (InfluxDB
        counts no dropped points for parse errors). ``None`` when every line was good."""
        text = self.error_text()
        if text is None:
            return None
        return text if len(self) == 0 else f"partial write: {text} dropped=0"

    def keys(self) -> list[bytes]:
        return self._raw.keys()

    def hashes(self) -> list[int]:
        """FNV-1a 64 of each point's series key (InfluxDB's ``HashID``; picks the shard)."""
        return self._raw.hashes()

    def times(self) -> list[int]:
        return self._raw.times()

    def series_keys(self) -> list[bytes]:
        """The binary series key of every point (InfluxDB's ``AppendSeriesKey``), built in bulk."""
        return self._raw.series_keys()

    def __repr__(self) -> str:
        return f"<PointBatch points={len(self)} errors={len(self._raw.error_messages())}>"


def parse_points(
    data: bytes,
    precision: str = "n",
    now: int | None = None,
    *,
    unsigned: bool = False,
) -> PointBatch:
    """Parses a line-protocol body as InfluxDB 1.x does.

    ``precision`` is the unit of the timestamps (n, u, ms, s, m, h; ns and us are accepted
    too). ``now`` (ns since the epoch; default: the current time) is the time of points
    written without one, truncated to the precision. ``unsigned`` accepts ``123u`` values,
    which stock InfluxDB 1.x rejects. Bad lines do not raise: they are in ``batch.errors``.
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    elif not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, not {type(data).__name__}")
    precision_multiplier(precision)
    if now is None:
        import time

        now = time.time_ns()
    elif isinstance(now, bool) or not isinstance(now, int):
        raise TypeError(f"now must be an int (ns since the epoch), not {type(now).__name__}")
    elif not INT64_MIN <= now <= INT64_MAX:
        raise ValueError("now must fit in 64 bits")
    return PointBatch(_backend.backend.parse(data, precision, now, bool(unsigned)))
