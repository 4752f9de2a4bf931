"""InfluxQL results as InfluxDB 1.x's JSON has them (Go's ``encoding/json``).

A result is a dict ``{"statement_id", "series", "messages", "partial", "error"}`` with empty
members left out; a row (series) is ``{"name", "tags", "columns", "values", "partial"}`` likewise.
``to_json`` encodes a results list as ``{"results":[...]}`` the way Go does: floats in their
shortest round-trip form without ``.0`` (exponent form below 1e-6 and from 1e21), ``<`` ``>``
``&`` U+2028 U+2029 escaped, other non-ASCII as raw UTF-8, NaN as ``null``; ±Inf cannot be
encoded (``UnsupportedValueError``, whose text is Go's).
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta
from functools import lru_cache

__all__ = ["UnsupportedValueError", "encode_value", "format_time_rfc3339", "format_time_rfc3339nano",
           "make_result", "make_row", "to_json"]

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "<": "\\u003c",
            ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_NEEDS_ESCAPE = re.compile('["\\\\\\x00-\\x1f<>&\u2028\u2029]')


class UnsupportedValueError(ValueError):
    """A value Go's JSON encoder refuses (±Inf); str() is Go's text for it."""


def _escape_char(m: re.Match) -> str:
    c = m.group(0)
    e = _ESCAPES.get(c)
    return e if e is not None else f"\\u{ord(c):04x}"


def encode_string(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, s) + '"'


# Tag values, column names and times repeat from row to row: each encoded once.
_encode_string_cached = lru_cache(maxsize=1 << 14)(encode_string)


def encode_float(f: float) -> str:
    """Go's float64 JSON form (encoding/json floatEncoder)."""
    if 1e-4 <= f < 1e16 or -1e16 < f <= -1e-4:  # where Python's repr has no exponent: Go's form
        s = repr(f)
        return s[:-2] if s.endswith(".0") else s
    if math.isnan(f):
        return "null"  # InfluxDB turns NaN into a missing value before encoding
    if math.isinf(f):
        raise UnsupportedValueError(f"json: unsupported value: {'+Inf' if f > 0 else '-Inf'}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = repr(f)
        if "e" not in s:
            s = f"{f:e}"
        mant, exp = s.split("e")
        if mant.endswith(".0"):
            mant = mant[:-2]
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").lstrip("0") or "0"
        return f"{mant}e{sign}{digits}"
    s = repr(f)
    if "e" in s or "E" in s:  # Python uses exponents from 1e16; Go does not until 1e21
        s = _plain(f)
    if s.endswith(".0"):
        s = s[:-2]
    return s


def _plain(f: float) -> str:
    from decimal import Decimal
    return format(Decimal(repr(f)), "f")


def encode_value(v) -> str:
    t = type(v)  # the common types first, by identity
    if t is float:
        return encode_float(v)
    if t is str:
        return _encode_string_cached(v) if len(v) <= 64 else encode_string(v)
    if t is list:
        return "[" + ",".join([encode_value(x) for x in v]) + "]"
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return encode_float(v)
    if isinstance(v, str):
        return encode_string(v)
    if isinstance(v, bytes):
        return encode_string(v.decode("utf-8", "replace"))
    if isinstance(v, dict):
        return "{" + ",".join(f"{encode_string(str(k))}:{encode_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(encode_value(x) for x in v) + "]"
    raise TypeError(f"cannot encode {type(v).__name__}")


def to_json(results: list[dict]) -> bytes:
    """``{"results":[...]}`` as InfluxDB's handler writes it (without the trailing newline)."""
    return ('{"results":' + encode_value(results) + "}").encode("utf-8")


def make_row(name: str = "", columns=(), values=None, tags: dict | None = None, partial: bool = False) -> dict:
    """A row with InfluxDB's member rules: name, tags, values and partial only when set."""
    row: dict = {}
    if name:
        row["name"] = name
    if tags:
        row["tags"] = dict(sorted(tags.items()))
    if columns:
        row["columns"] = list(columns)
    if values:
        row["values"] = [list(v) for v in values]
    if partial:
        row["partial"] = True
    return row


def make_result(statement_id: int, series=None, messages=None, error: str | None = None) -> dict:
    out: dict = {"statement_id": statement_id}
    if series:
        out["series"] = list(series)
    if messages:
        out["messages"] = list(messages)
    if error is not None:
        out["error"] = error
    return out


def format_time_rfc3339nano(ns: int) -> str:
    """Go's RFC3339Nano in UTC: trailing fractional zeros trimmed, no dot for whole seconds."""
    secs, frac = divmod(ns, 1_000_000_000)
    base = _format_seconds(secs)
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    return base + "Z"


def format_time_rfc3339(ns: int) -> str:
    """Go's RFC3339 in UTC (whole seconds)."""
    return _format_seconds(ns // 1_000_000_000) + "Z"


def _format_seconds(secs: int) -> str:
    days, rem = divmod(secs, 86400)
    d = date(1970, 1, 1) + timedelta(days=days)  # int64 ns stays within years 1677..2262
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{h:02d}:{m:02d}:{s:02d}"


class StatementError(Exception):
    """A statement's error; str() is the text of the result's ``error`` member."""
