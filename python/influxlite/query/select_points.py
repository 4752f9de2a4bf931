"""Functions that need a group's points, not one value: top, bottom and sample (several points
per group, each reported at its own time with the other fields of the query taken from it) and
integral (the trapezoid rule over the merged points, interpolated at window edges).

DuckDB collects each group's (or bucket's) points as one list of structs ordered by time and
series key; the rules below are InfluxDB's reducers (query/functions.go), applied per group.
"""

from __future__ import annotations

import random

from .ast_expr import Call, DurationLiteral, IntegerLiteral, VarRef, Wildcard, RegexLiteral
from .results import StatementError
from .util import format_duration

__all__ = ["POINT_FUNCTIONS", "check_point_call", "select_points", "integral"]

POINT_FUNCTIONS = {"top", "bottom", "sample", "integral"}
_ITER = {"string": "*query.stringInterruptIterator", "boolean": "*query.booleanInterruptIterator"}


def check_point_call(c: Call, limit: int) -> None:
    name, args = c.name, c.args
    if name in ("top", "bottom"):
        if isinstance(args[0], (Wildcard, RegexLiteral)):
            raise StatementError(f"expected first argument to be a field in {name}(), found {args[0]}")
        last = args[-1]
        if not isinstance(last, IntegerLiteral):
            raise StatementError(f"expected integer as last argument in {name}(), found {last}")
        if last.val < 1:
            raise StatementError(f"limit ({last.val}) in {name} function must be at least 1")
        if limit and last.val > limit:
            raise StatementError(f"limit ({last.val}) in {name} function can not be larger than the LIMIT "
                                 f"({limit}) in the select statement")
        for a in args[1:-1]:
            if not isinstance(a, VarRef):
                raise StatementError(f"only fields or tags are allowed in {name}(), found {a}")
    elif name == "sample":
        n = args[1]
        if not isinstance(n, IntegerLiteral):
            raise StatementError("expected integer argument in sample()")
        if n.val <= 1:
            raise StatementError(f"sample window must be greater than 1, got {n.val}")
    elif name == "integral" and len(args) == 2:
        if not isinstance(args[1], DurationLiteral):
            raise StatementError("second argument must be a duration")
        if args[1].val <= 0:
            raise StatementError(f"duration argument must be positive, got {format_duration(args[1].val)}")


def check_type(name: str, typ: str | None) -> None:
    if name in ("top", "bottom", "integral") and typ in _ITER:
        raise StatementError(f"unsupported {name} iterator type: {_ITER[typ]}")


def select_points(call: Call, points: list[dict], tag_idx: list[int]) -> list[dict]:
    """The points top/bottom/sample keep from a group's points (dicts with v, t and x0, x1, ...:
    the other columns), in time order. ``tag_idx`` are the extra columns that are the call's
    tag arguments (top/bottom keep one point per combination of their values)."""
    if not points:
        return []
    if call.name == "sample":
        n = call.args[1].val
        if len(points) > n:
            points = random.sample(points, n)
        return sorted(points, key=lambda p: p["t"])
    n = call.args[-1].val
    top = call.name == "top"
    if tag_idx:
        best: dict[tuple, dict] = {}
        for p in points:
            key = tuple("" if i is None else str(p.get(f"x{i}")) for i in tag_idx)
            cur = best.get(key)
            if cur is None or (p["v"] > cur["v"] if top else p["v"] < cur["v"]) or (
                    p["v"] == cur["v"] and p["t"] < cur["t"]):
                best[key] = p
        points = list(best.values())
    ranked = sorted(points, key=(lambda p: (-p["v"], p["t"])) if top else (lambda p: (p["v"], p["t"])))
    return sorted(ranked[:n], key=lambda p: p["t"])


def integral(points: list[dict], unit: int, interval: int, offset: int) -> list[tuple[int, float]]:
    """InfluxDB's IntegralReducer over one group's merged points in time order: (window start,
    area) per window (one window, start 0, without an interval); a point at the time of the
    previous one replaces it; at a window edge the value is interpolated linearly."""
    out: list[tuple[int, float]] = []
    prev = None
    total = 0.0
    start = end = 0
    for p in points:
        t, v = p["t"], p["v"]
        if prev is None:
            prev = (t, v)
            if interval:
                start = t - ((t - offset) % interval)
                end = start + interval
            continue
        if prev[0] == t:
            prev = (t, v)
            continue
        if interval and t >= end:
            if prev[0] != end:
                value = prev[1] + (v - prev[1]) * (end - prev[0]) / (t - prev[0])
                total += 0.5 * (value + prev[1]) * ((end - prev[0]) / unit)
                prev = (end, value)
            out.append((start, total))
            start = t - ((t - offset) % interval)
            end = start + interval
            total = 0.0
        total += 0.5 * (v + prev[1]) * ((t - prev[0]) / unit)
        prev = (t, v)
    if prev is not None:
        out.append((start, total))
    return out
