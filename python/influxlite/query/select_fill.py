"""GROUP BY time buckets and fill(), as InfluxDB's FillIterator makes them.

Buckets run from the one holding the WHERE lower bound (else the query's first point) to the
one holding the upper bound (``now()`` when the query gave none). An empty bucket is a row of
nulls (``count`` 0) with ``fill(null)``, absent with ``fill(none)``, the series' previous
non-null value with ``fill(previous)``, a value interpolated between its non-null neighbours
with ``fill(linear)`` (integers stay integers), or the number (cast to the column's type;
``""`` for strings, ``false`` for booleans) with ``fill(<number>)``.
"""

from __future__ import annotations

from . import ast_select as S
from .results import StatementError

__all__ = ["bucket_of", "bucket_range", "fill_buckets"]

MAX_BUCKETS = 10_000_000


def bucket_of(t: int, interval: int, offset: int) -> int:
    return t - ((t - offset) % interval)


def bucket_range(plan, first: int | None) -> tuple[int, int]:
    lo = plan.tmin if plan.lower_bound else first
    start = bucket_of(lo, plan.interval, plan.offset)
    end = bucket_of(plan.tmax, plan.interval, plan.offset)
    return start, end


def fill_buckets(plan, buckets: dict, agg) -> list[list]:
    stmt = plan.stmt
    start, end = plan.bucket_span
    if (end - start) // plan.interval > MAX_BUCKETS:
        raise StatementError(f"max-select-buckets limit exceeded: ({(end - start) // plan.interval + 1}/"
                             f"{MAX_BUCKETS})")
    rows: list[list] = []
    empty_at: list[int] = []
    fill = stmt.fill
    previous = None
    guard = plan.guard
    for n, t in enumerate(range(start, end + 1, plan.interval)):
        if guard is not None and not n & 0xFFFF:
            guard.check()  # a huge range of buckets can be killed or time out
        got = buckets.get(t)
        if got is not None and got[0]:
            vals = got[1]
            rows.append([t, *vals])
            previous = vals
            continue
        if fill == S.FillOption.NONE:
            continue
        if fill == S.FillOption.PREVIOUS and previous is not None:
            rows.append([t, *previous])
            continue
        if fill == S.FillOption.NUMBER:
            rows.append([t, *(_number(stmt.fill_value, typ) for typ in agg.types)])
            continue
        if fill == S.FillOption.LINEAR:  # count's 0 is a fill(null) rule: here it is a gap to interpolate
            empty_at.append(len(rows))
            rows.append([t, *([None] * len(agg.types))])
            continue
        rows.append([t, *agg.empty()])
    if fill == S.FillOption.LINEAR and empty_at:
        _linear(rows, set(empty_at), agg.types)
    return rows


def _number(value, typ):
    if typ == "integer" or typ == "unsigned":
        return int(value)
    if typ == "string":
        return ""
    if typ == "boolean":
        return False
    return float(value) if isinstance(value, float) else value


def _linear(rows: list[list], empty: set[int], types) -> None:
    n = len(rows)
    for c in range(1, len(rows[0]) if rows else 1):
        typ = types[c - 1]
        if typ not in ("float", "integer", "unsigned"):
            continue
        known = [i for i in range(n) if i not in empty and rows[i][c] is not None]
        for a, b in zip(known, known[1:]):
            t0, t1, y0, y1 = rows[a][0], rows[b][0], rows[a][c], rows[b][c]
            for i in range(a + 1, b):
                if i not in empty:
                    continue
                m = (y1 - y0) / (t1 - t0)
                v = m * (rows[i][0] - t0) + y0
                rows[i][c] = int(v) if typ != "float" else v
