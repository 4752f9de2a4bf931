"""Time conditions: string time literals, now(), and the time range of a WHERE.

Mirrors influxql's ConditionExpr/getTimeRange: `time` compared with a time string,
a duration, a number (nanoseconds) or now()-based arithmetic narrows a TimeRange;
the rest of the condition is handed back.
"""

from __future__ import annotations

import datetime as _dt
import re
import time as _time
import zoneinfo
from dataclasses import dataclass

from .ast_expr import (BinaryExpr, BooleanLiteral, Call, DurationLiteral, Expr, IntegerLiteral,
                       NumberLiteral, ParenExpr, StringLiteral, TimeLiteral, VarRef,
                       format_time_rfc3339nano)
from .tokens import Tok, tok_name

__all__ = ["MIN_TIME", "MAX_TIME", "TimeRange", "condition_expr", "string_to_time_ns",
           "is_time_string", "reduce_time_expr", "now_ns", "InvalidTime"]

MIN_TIME = -(1 << 63) + 2
MAX_TIME = (1 << 63) - 1 - 1
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}.+", re.S)
_LAYOUT = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$")
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$")
_FLIP = {Tok.GT: Tok.LT, Tok.LT: Tok.GT, Tok.GTE: Tok.LTE, Tok.LTE: Tok.GTE}


class InvalidTime(ValueError):
    def __init__(self, msg: str = "invalid timestamp string") -> None:
        super().__init__(msg)


def now_ns() -> int:
    return _time.time_ns()


def is_time_string(s: str) -> bool:
    return bool(_DATE.match(s) or _DATETIME.match(s))


def _to_ns(parts, frac: str | None, tz: _dt.tzinfo) -> int:
    try:
        y, mo, d, h, mi, s = (int(p) for p in parts)
        t = _dt.datetime(y, mo, d, h, mi, s, tzinfo=tz)
    except ValueError:
        raise InvalidTime() from None
    secs = int(t.timestamp()) if tz is not _dt.timezone.utc else (
        (t - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)) // _dt.timedelta(seconds=1))
    return secs * 1_000_000_000 + int(((frac or "") + "000000000")[:9])


def _zone(tz: str | None) -> _dt.tzinfo:
    if tz in (None, "", "UTC"):
        return _dt.timezone.utc
    return zoneinfo.ZoneInfo(tz)


def string_to_time_ns(s: str, tz: str | None = None) -> int:
    """ToTimeLiteral: a time string in ns since the epoch; InvalidTime if not one."""
    zone = _zone(tz)
    if _DATETIME.match(s):
        m = _LAYOUT.match(s)
        if m:
            return _to_ns(m.groups()[:6], m.group(7), zone)
        m = _RFC3339.match(s)
        if not m:
            raise InvalidTime()
        off = m.group(8)
        if off != "Z":
            sign = 1 if off[0] == "+" else -1
            hh, mm = int(off[1:3]), int(off[4:6])
            if hh > 23 or mm > 59:
                raise InvalidTime()
            zone = _dt.timezone(sign * _dt.timedelta(hours=hh, minutes=mm))
        else:
            zone = _dt.timezone.utc
        return _to_ns(m.groups()[:6], m.group(7), zone)
    if _DATE.match(s):
        y, mo, d = s.split("-")
        return _to_ns((y, mo, d, 0, 0, 0), None, zone)
    raise InvalidTime()


@dataclass
class TimeRange:
    """Inclusive bounds in ns; None where the condition sets no bound."""

    min: int | None = None
    max: int | None = None

    def intersect(self, other: "TimeRange") -> "TimeRange":
        lo, hi = self.min, self.max
        if other.min is not None and (lo is None or other.min > lo):
            lo = other.min
        if other.max is not None and (hi is None or other.max < hi):
            hi = other.max
        return TimeRange(lo, hi)

    def is_zero(self) -> bool:
        return self.min is None and self.max is None

    @property
    def min_ns(self) -> int:
        return MIN_TIME if self.min is None else self.min

    @property
    def max_ns(self) -> int:
        return MAX_TIME if self.max is None else self.max


def _go_type(e) -> str:
    return "*influxql." + type(e).__name__ if e is not None else "<nil>"


def _as_time(e: Expr, tz: str | None) -> Expr:
    if isinstance(e, StringLiteral) and is_time_string(e.val):
        return TimeLiteral(string_to_time_ns(e.val, tz))
    return e


def reduce_time_expr(e: Expr, now: int, tz: str | None = None) -> Expr:
    """Fold now(), parentheses and +/- arithmetic on time, duration and integer literals."""
    if isinstance(e, ParenExpr):
        return reduce_time_expr(e.expr, now, tz)
    if isinstance(e, Call) and e.name == "now" and not e.args:
        return TimeLiteral(now)
    if not isinstance(e, BinaryExpr) or e.op not in (Tok.ADD, Tok.SUB):
        return e
    lhs = _as_time(reduce_time_expr(e.lhs, now, tz), tz)
    rhs = reduce_time_expr(e.rhs, now, tz)
    sign = 1 if e.op == Tok.ADD else -1
    if isinstance(lhs, TimeLiteral) and isinstance(rhs, (DurationLiteral, IntegerLiteral)):
        return TimeLiteral(lhs.val + sign * rhs.val)
    if isinstance(lhs, DurationLiteral) and isinstance(rhs, DurationLiteral):
        return DurationLiteral(lhs.val + sign * rhs.val)
    if isinstance(lhs, IntegerLiteral) and isinstance(rhs, (IntegerLiteral, DurationLiteral)):
        return type(rhs)(lhs.val + sign * rhs.val)
    if isinstance(lhs, DurationLiteral) and isinstance(rhs, IntegerLiteral):
        return DurationLiteral(lhs.val + sign * rhs.val)
    if isinstance(lhs, DurationLiteral) and isinstance(rhs, TimeLiteral) and sign == 1:
        return TimeLiteral(rhs.val + lhs.val)
    return BinaryExpr(e.op, lhs, rhs)


def _time_bound(op: Tok, rhs: Expr, now: int, tz: str | None) -> TimeRange:
    rhs = reduce_time_expr(_as_time(rhs, tz), now, tz)
    if isinstance(rhs, TimeLiteral):
        if rhs.val > MAX_TIME:
            raise ValueError(f"time {format_time_rfc3339nano(rhs.val)[:19]}Z overflows time literal")
        if rhs.val < MIN_TIME + 1:
            raise ValueError(f"time {format_time_rfc3339nano(rhs.val)[:19]}Z underflows time literal")
        value = rhs.val
    elif isinstance(rhs, (DurationLiteral, IntegerLiteral)):
        value = rhs.val
    elif isinstance(rhs, NumberLiteral):
        value = int(rhs.val)
    else:
        raise ValueError(f"invalid operation: time and {_go_type(rhs)} are not compatible")
    bounds = {Tok.GT: (value + 1, None), Tok.GTE: (value, None), Tok.LT: (None, value - 1),
              Tok.LTE: (None, value), Tok.EQ: (value, value)}
    if op not in bounds:
        raise ValueError(f"invalid time comparison operator: {tok_name(op)}")
    return TimeRange(*bounds[op])


def _is_time_ref(e: Expr) -> bool:
    return isinstance(e, VarRef) and e.val.lower() == "time"


def _condition(cond: Expr | None, now: int, tz: str | None):
    if cond is None:
        return None, TimeRange()
    if isinstance(cond, BinaryExpr):
        if cond.op in (Tok.AND, Tok.OR):
            lexpr, ltr = _condition(cond.lhs, now, tz)
            rexpr, rtr = _condition(cond.rhs, now, tz)
            tr = ltr.intersect(rtr)
            if rexpr is None:
                return lexpr, tr
            if lexpr is None:
                return rexpr, tr
            return BinaryExpr(cond.op, lexpr, rexpr), tr
        if _is_time_ref(cond.lhs):
            return None, _time_bound(cond.op, cond.rhs, now, tz)
        if _is_time_ref(cond.rhs):
            return None, _time_bound(_FLIP.get(cond.op, cond.op), cond.lhs, now, tz)
        return cond, TimeRange()
    if isinstance(cond, ParenExpr):
        expr, tr = _condition(cond.expr, now, tz)
        return (None if expr is None else ParenExpr(expr)), tr
    if isinstance(cond, BooleanLiteral):
        return cond, TimeRange()
    raise ValueError(f"invalid condition expression: {cond}")


def condition_expr(cond: Expr | None, now: int | None = None, tz: str | None = None):
    """(condition without its time parts, TimeRange) as influxql.ConditionExpr gives them.

    `now` (ns) fixes now() for the statement; `tz` is the tz() zone for zone-less
    time strings. Errors are ValueError with InfluxDB's wording.
    """
    expr, tr = _condition(cond, now_ns() if now is None else now, tz)
    if isinstance(expr, ParenExpr):
        expr = expr.expr
    if isinstance(expr, BooleanLiteral) and expr.val:
        expr = None
    return expr, tr
