"""Quoting and number/duration formatting as InfluxDB (Go) prints them."""

from __future__ import annotations

from decimal import Decimal

from .scanner import is_ident_char, is_ident_first_char
from .tokens import Tok, lookup

__all__ = ["go_trim_space", "go_digits", "quote_ident", "quote_string", "ident_needs_quotes", "parse_duration",
           "format_duration", "go_duration_string", "go_float_v", "go_float_f3",
           "ErrInvalidDuration", "NS", "US", "MS", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK"]

NS = 1
from ..meta.durations import format_duration as go_duration_string  # Go's Duration.String()

US = 1000
MS = 1000 * US
SECOND = 1000 * MS
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class ErrInvalidDuration(ValueError):
    def __init__(self, msg: str = "invalid duration") -> None:
        super().__init__(msg)


def go_digits(lit: str) -> int:
    """The value of a run of ASCII digits (an INTEGER token, a duration's count) as Go's
    ParseInt/ParseUint see it, without CPython's 4,300-digit limit on int(): past 20 significant
    digits every caller's bound (int64, uint64) is exceeded, and 1 << 64 stands for the value."""
    digits = lit.lstrip("0")
    return int(digits or "0") if len(digits) <= 20 else 1 << 64


def _wrap64(v: int) -> int:
    return ((v + (1 << 63)) % (1 << 64)) - (1 << 63)


_UNITS = {"u": US, "\u00b5": US, "s": SECOND, "h": HOUR, "d": DAY, "w": WEEK}


def parse_duration(s: str) -> int:
    """Nanoseconds for an InfluxQL duration such as `1d2h` (ParseDuration)."""
    if len(s) < 2:
        raise ErrInvalidDuration()
    i, total, negative = 0, 0, False
    measure, unit = 0, ""
    if s[0] == "-":
        negative, i = True, 1
    while i < len(s):
        start = i
        while i < len(s) and "0" <= s[i] <= "9":
            i += 1
        if i >= len(s) or i == start:
            raise ErrInvalidDuration()
        n = go_digits(s[start:i])
        if n > INT64_MAX:
            raise ErrInvalidDuration()
        measure, unit = n, s[i]
        if s[i] in ("n", "m") and i + 1 < len(s) and s[i + 1] == "s":
            unit = s[i:i + 2]
            total = _wrap64(total + (n if s[i] == "n" else _wrap64(n * MS)))
            i += 2
            continue
        if s[i] == "n":
            raise ErrInvalidDuration()
        mult = MINUTE if s[i] == "m" else _UNITS.get(s[i])
        if mult is None:
            raise ErrInvalidDuration()
        total = _wrap64(total + _wrap64(n * mult))
        i += 1
    if total < 0 and not negative:
        raise ErrInvalidDuration(
            f"overflowed duration {measure}{unit}: choose a smaller duration or INF")
    return -total if negative else total


def format_duration(d: int) -> str:
    """InfluxQL's FormatDuration: the largest unit that divides d exactly."""
    if d == 0:
        return "0s"
    for unit, suffix in ((WEEK, "w"), (DAY, "d"), (HOUR, "h"), (MINUTE, "m"),
                         (SECOND, "s"), (MS, "ms"), (US, "u")):
        if abs(d) % unit == 0:
            return f"{_go_div(d, unit)}{suffix}"
    return f"{d}ns"


def _go_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def go_float_f3(v: float) -> str:
    """strconv.FormatFloat(v, 'f', 3, 64)."""
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    return f"{v:.3f}"


def go_float_v(v: float) -> str:
    """fmt's %v for a float64: shortest digits, %e form below 1e-4 or from 1e21."""
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "-0" if str(v).startswith("-") else "0"
    sign, digits, exp = Decimal(repr(v)).normalize().as_tuple()
    ds = "".join(map(str, digits))
    x = len(ds) + int(exp) - 1
    prefix = "-" if sign else ""
    if x < -4 or x >= 21:
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        return f"{prefix}{mant}e{'-' if x < 0 else '+'}{abs(x):02d}"
    if x < 0:
        return f"{prefix}0.{'0' * (-x - 1)}{ds}"
    if len(ds) <= x + 1:
        return prefix + ds + "0" * (x + 1 - len(ds))
    return f"{prefix}{ds[:x + 1]}.{ds[x + 1:]}"


def _escape(s: str, quote: str) -> str:
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace(quote, "\\" + quote)


def quote_string(s: str) -> str:
    """QuoteString: single quotes, escaping newline, backslash and quote."""
    return "'" + _escape(s, "'") + "'"


def ident_needs_quotes(ident: str) -> bool:
    if lookup(ident) != Tok.IDENT:
        return True
    for i, ch in enumerate(ident):
        if i == 0 and not is_ident_first_char(ch):
            return True
        if i > 0 and not is_ident_char(ch):
            return True
    return False


def quote_ident(*segments: str) -> str:
    """QuoteIdent: join segments with '.', double-quoting those that need it."""
    out: list[str] = []
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        need = (ident_needs_quotes(seg) or (i < last and seg != "")
                or ((i == 0 or i == last) and seg == ""))
        text = _escape(seg, '"')
        out.append(f'"{text}"' if need else text)
    return ".".join(out)


_GO_SPACE = "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
            "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def go_trim_space(s: str) -> str:
    """strings.TrimSpace: what InfluxDB's /query handler does to `q` before parsing."""
    return s.strip(_GO_SPACE)
