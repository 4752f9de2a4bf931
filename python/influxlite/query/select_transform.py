"""InfluxQL's transformations: derivative, non_negative_derivative, difference,
non_negative_difference, moving_average, cumulative_sum, elapsed.

Two forms, as InfluxDB has them:

* on raw points (no GROUP BY time): over the merged points of each series group in time order
  (a point at the same time as the previous one is skipped); computed by DuckDB with window
  functions (``raw_sql``), never point by point in Python;
* on an aggregate with GROUP BY time: over the filled buckets of each series, null buckets
  skipped (``apply``); the buckets before the WHERE lower bound that the transformation needs
  (one, or N-1 for moving_average) are read too and not reported.

Units: derivative's defaults to 1s on raw points and to the interval on buckets; elapsed's to
1ns. Under ORDER BY time DESC the points are taken newest first and the elapsed time counts
positive, as InfluxDB's reducers do.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ast_expr import Call, DurationLiteral, IntegerLiteral
from .results import StatementError
from .util import format_duration

__all__ = ["Transform", "check_transform", "transform_of", "apply", "raw_sql", "lead_buckets"]

_NUMERIC_ONLY = {"derivative", "non_negative_derivative", "difference", "non_negative_difference",
                 "moving_average", "cumulative_sum"}
_ITER = {"string": "*query.stringInterruptIterator", "boolean": "*query.booleanInterruptIterator"}


@dataclass
class Transform:
    name: str
    unit: int = 0  # derivative, elapsed
    n: int = 0  # moving_average window


def _go_type(e) -> str:
    return "*influxql." + type(e).__name__


def check_transform(c: Call, interval: int) -> None:
    """InfluxDB's compile-time errors for a transformation call."""
    name, args = c.name, c.args
    inner = args[0]
    if interval:
        if not isinstance(inner, Call):
            raise StatementError(f"aggregate function required inside the call to {name}")
    elif isinstance(inner, Call):
        raise StatementError(f"{name} aggregate requires a GROUP BY interval")
    if name in ("derivative", "non_negative_derivative", "elapsed") and len(args) == 2:
        unit = args[1]
        if not isinstance(unit, DurationLiteral):
            raise StatementError(f"second argument to {name} must be a duration, got {_go_type(unit)}")
        if unit.val <= 0:
            raise StatementError(f"duration argument must be positive, got {format_duration(unit.val)}")
    if name == "moving_average":
        n = args[1]
        if not isinstance(n, IntegerLiteral):
            raise StatementError(f"second argument for moving_average must be an integer, got {_go_type(n)}")
        if n.val <= 1:
            raise StatementError(f"moving_average window must be greater than 1, got {n.val}")


def check_type(name: str, typ: str | None) -> None:
    if name in _NUMERIC_ONLY and typ in _ITER:
        raise StatementError(f"unsupported {name} iterator type: {_ITER[typ]}")


def transform_of(c: Call, interval: int) -> Transform:
    if c.name in ("derivative", "non_negative_derivative"):
        unit = c.args[1].val if len(c.args) == 2 else (interval or 1_000_000_000)
        return Transform(c.name, unit=unit)
    if c.name == "elapsed":
        return Transform(c.name, unit=c.args[1].val if len(c.args) == 2 else 1)
    if c.name == "moving_average":
        return Transform(c.name, n=c.args[1].val)
    return Transform(c.name)


def lead_buckets(calls: list[Call]) -> int:
    """How many buckets before the lower bound the transformations need."""
    lead = 0
    for c in calls:
        if c.name != "cumulative_sum":
            lead = max(lead, c.args[1].val - 1 if c.name == "moving_average" else 1)
    return lead


# --- on buckets ----------------------------------------------------------------------------------

def apply(t: Transform, points: list[tuple[int, object]], ascending: bool) -> dict[int, object]:
    """{time: value} of a transformation over (time, value) points in output order."""
    out: dict[int, object] = {}
    prev = None
    window: list = []
    total = None
    for time, v in points:
        if v is None:
            continue
        if t.name == "cumulative_sum":
            total = v if total is None else total + v
            out[time] = total
        elif t.name == "moving_average":
            window.append(v)
            if len(window) > t.n:
                window.pop(0)
            if len(window) == t.n:
                out[time] = sum(window) / t.n
        elif prev is not None:
            pt, pv = prev
            elapsed = abs(time - pt)
            if t.name in ("derivative", "non_negative_derivative"):
                d = (v - pv) / (elapsed / t.unit)
                if d >= 0 or t.name == "derivative":
                    out[time] = d
            elif t.name in ("difference", "non_negative_difference"):
                d = v - pv
                if d >= 0 or t.name == "difference":
                    out[time] = d
            elif t.name == "elapsed":
                out[time] = (time - pt) // t.unit if time >= pt else -((pt - time) // t.unit)
        prev = (time, v)
    return out


# --- on raw points -------------------------------------------------------------------------------

def raw_sql(t: Transform, col: str, typ: str | None, dims: list[str], where: str, ascending: bool) -> str:
    """One SQL statement giving (dims..., time, value) rows of a transformation on raw points."""
    part = ", ".join(dims) or "NULL"
    direction = "ASC" if ascending else "DESC"
    keys = "".join(f"{d}, " for d in dims)
    points = (f"SELECT {keys}time, series_key, {col} AS v FROM scan WHERE ({where}) AND {col} IS NOT NULL "
              f"QUALIFY row_number() OVER (PARTITION BY {part}, time ORDER BY series_key) = 1")
    w = f"PARTITION BY {part} ORDER BY time {direction}"
    if t.name in ("derivative", "non_negative_derivative"):
        value = f"(v - pv) / (abs(time - pt) / {float(t.unit)!r})"
        keep = "pv IS NOT NULL" + (" AND value >= 0" if t.name.startswith("non") else "")
    elif t.name in ("difference", "non_negative_difference"):
        value = "(v - pv)"
        keep = "pv IS NOT NULL" + (" AND value >= 0" if t.name.startswith("non") else "")
    elif t.name == "elapsed":
        value = f"CAST(trunc((time - pt) / {t.unit}) AS BIGINT)" if t.unit != 1 else "(time - pt)"
        keep = "pt IS NOT NULL"
    elif t.name == "moving_average":
        value = f"avg(v) OVER (PARTITION BY {part} ORDER BY time {direction} ROWS BETWEEN {t.n - 1} PRECEDING AND " \
                f"CURRENT ROW)"
        keep = f"rn >= {t.n}"
    else:  # cumulative_sum
        total = f"sum(v) OVER (PARTITION BY {part} ORDER BY time {direction} ROWS UNBOUNDED PRECEDING)"
        value = f"CAST({total} AS BIGINT)" if typ == "integer" else total
        keep = "TRUE"
    lagged = (f"SELECT *, lag(v) OVER ({w}) AS pv, lag(time) OVER ({w}) AS pt, row_number() OVER ({w}) AS rn "
              f"FROM ({points})")
    return (f"SELECT time, {keys}value FROM (SELECT *, {value} AS value FROM ({lagged})) WHERE {keep} "
            f"ORDER BY {keys}time {direction}")

