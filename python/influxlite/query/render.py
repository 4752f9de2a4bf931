"""Results to bytes as InfluxDB 1.8's ``/query`` handler writes them: ``epoch`` and ``pretty``.

A row whose column 0 holds times (a SELECT row) carries ``TIME_NS`` (``True``, or the tz() zone
name): its values' first items are int64 nanoseconds, rendered as Go's RFC3339Nano (in the zone,
with its offset), or with ``epoch`` (``h``, ``m``, ``s``, ``ms``, ``u``; any other non-empty value
means nanoseconds) as an integer divided as Go divides (towards zero: -1.5 ms is ``-1`` at ``ms``), as the handler's ``convertToEpoch``. Other rows
(SHOW ...) are left alone whatever ``epoch`` says.

``pretty`` is Go's ``json.MarshalIndent(resp, "", "    ")``: one member or element a line,
``": "`` after keys, empty arrays and objects kept as ``[]`` / ``{}``.
"""

from __future__ import annotations

import re

from .results import encode_value, format_time_rfc3339nano

__all__ = ["TIME_NS", "EPOCH_DIVISORS", "encode_result", "indent_json", "render_error"]

TIME_NS = "_time_ns"  # a row member (never written): column 0 of its values is int64 ns

EPOCH_DIVISORS = {"u": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "m": 60_000_000_000,
                  "h": 3_600_000_000_000}

INDENT = "    "


def _epoch(ns: int, divisor: int) -> int:
    q = abs(ns) // divisor
    return -q if ns < 0 else q


def _convert_row(row: dict, epoch: str) -> dict:
    out = {k: v for k, v in row.items() if k != TIME_NS}
    values = row.get("values")
    if values:
        if epoch:
            d = EPOCH_DIVISORS.get(epoch, 1)
            out["values"] = [[_epoch(v[0], d) if d != 1 else v[0], *v[1:]] for v in values]
        elif isinstance(row[TIME_NS], str):  # tz('Area/City'): local time with its offset
            out["values"] = [[format_time_in_zone(v[0], row[TIME_NS]), *v[1:]] for v in values]
        else:
            out["values"] = [[format_time_rfc3339nano(v[0]), *v[1:]] for v in values]
    return out


def format_time_in_zone(ns: int, zone: str) -> str:
    """Go's RFC3339Nano of a time in a zone: local time, ``±hh:mm`` (``Z`` where the offset is 0)."""
    import datetime as dt
    import zoneinfo

    secs, frac = divmod(ns, 1_000_000_000)
    t = dt.datetime.fromtimestamp(secs, zoneinfo.ZoneInfo(zone))
    off = t.utcoffset() or dt.timedelta(0)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    if not off:
        return text + "Z"
    sign = "-" if off < dt.timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _rendered(result: dict, epoch: str) -> dict:
    series = result.get("series")
    if not series or not any(TIME_NS in r for r in series):
        return result
    out = dict(result)
    out["series"] = [_convert_row(r, epoch) if TIME_NS in r else r for r in series]
    return out


def encode_result(result: dict, epoch: str = "", pretty: bool = False, depth: int = 0) -> str:
    """One result's JSON (Go's encoding; ``UnsupportedValueError`` for ±Inf), indented as if
    nested ``depth`` levels deep when ``pretty``."""
    text = encode_value(_rendered(result, epoch))
    return indent_json(text, depth) if pretty else text


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^"{}\[\],:]+')


def indent_json(text: str, depth: int = 0) -> str:
    """Go's ``json.Indent(dst, src, "", "    ")`` of compact JSON, starting ``depth`` levels in
    (the first line carries no indent: the caller places it)."""
    out: list[str] = []
    level = depth
    tokens = _TOKEN.findall(text)
    n = len(tokens)
    i = 0
    while i < n:
        t = tokens[i]
        if t in ("{", "["):
            if i + 1 < n and tokens[i + 1] == ("}" if t == "{" else "]"):
                out.append(t + tokens[i + 1])
                i += 2
                continue
            level += 1
            out.append(t + "\n" + INDENT * level)
        elif t in ("}", "]"):
            level -= 1
            out.append("\n" + INDENT * level + t)
        elif t == ",":
            out.append(",\n" + INDENT * level)
        elif t == ":":
            out.append(": ")
        else:
            out.append(t)
        i += 1
    return "".join(out)


def render_error(text: str, pretty: bool = False) -> bytes:
    """A top-level ``{"error": ...}`` body (with its newline)."""
    body = encode_value({"error": text})
    return ((indent_json(body) if pretty else body) + "\n").encode("utf-8")
