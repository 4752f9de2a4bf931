"""Subqueries: ``SELECT ... FROM (SELECT ...)``. The inner statement runs first (over its own
time range intersected with the outer one) and its series become measurements the outer
statement reads like stored ones: the inner GROUP BY tags stay tags, every other inner column
(aliases included) is a field whose type is what its values are, times are the inner rows'.
"""

from __future__ import annotations

import pyarrow as pa

from . import ast_select as S
from .ast_expr import DataType, VarRef

__all__ = ["materialize", "subquery_reader"]

_ARROW = {"float": pa.float64(), "integer": pa.int64(), "string": pa.string(), "boolean": pa.bool_()}


def _type_of(values: list) -> str | None:
    kinds = set()
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            kinds.add("boolean")
        elif isinstance(v, int):
            kinds.add("integer")
        elif isinstance(v, float):
            kinds.add("float")
        else:
            kinds.add("string")
    if not kinds:
        return None
    if len(kinds) == 1:
        return kinds.pop()
    return "float" if kinds <= {"integer", "float"} else "string"


def materialize(ctx, sub: S.SubQuery, tmin: int, tmax: int, run, source_cls) -> list:
    """The inner statement's series as sources (``source_cls``) with a ``table``."""
    inner = sub.statement
    plan, rows = run(ctx, inner, (tmin, tmax))
    tag_columns = set() if plan is None or plan.aggregate else {
        f.expr.val for f in plan.fields if isinstance(f.expr, VarRef) and not f.alias and any(
            f.expr.val.encode("utf-8", "surrogateescape") in s.tag_keys and (
                f.expr.type == DataType.TAG or f.expr.val.encode("utf-8", "surrogateescape") not in s.field_types)
            for s in plan.sources)}
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(row.get("name", ""), []).append(row)
    out = []
    for name, series in sorted(by_name.items()):
        out.append(_source(ctx, name, series, source_cls, tag_columns))
    return out


def merge_sources(a, b):
    """Two subqueries' series of one measurement, read as one."""
    import pyarrow as pa

    b.table = pa.concat_tables([a.table, b.table], promote_options="permissive")
    b.field_types = {**a.field_types, **b.field_types}
    b.tag_keys = a.tag_keys | b.tag_keys
    b.hidden_tags = a.hidden_tags | b.hidden_tags
    return b


def _source(ctx, name: str, series: list[dict], source_cls, tag_columns: set):
    """One measurement of a subquery's answer; ``tag_columns``: the raw columns that are tags
    (they stay tags, as InfluxDB's iterators carry them, and are fields too; ``SELECT *`` shows
them once)."""
    grouped = {k for r in series for k in (r.get("tags") or {})}
    tag_keys = sorted(grouped | tag_columns)
    columns = series[0]["columns"][1:]
    times, keys, ids = [], [], []
    tags: dict[str, list] = {k: [] for k in tag_keys}
    fields: dict[str, list] = {c: [] for c in columns}
    for sid, r in enumerate(series, 1):
        rtags = r.get("tags") or {}
        key = ",".join([name] + [f"{k}={rtags[k]}" for k in sorted(rtags)])
        for v in r.get("values") or ():
            times.append(v[0])
            ids.append(sid)
            keys.append(key)
            row = dict(zip(columns, v[1:]))
            for k in tag_keys:
                tags[k].append(row.get(k) if k in tag_columns else (rtags.get(k) or None))
            for c, x in zip(columns, v[1:]):
                fields[c].append(x)
    types = {c: _type_of(vals) for c, vals in fields.items()}
    arrays = {"time": pa.array(times, pa.int64()), "series_id": pa.array(ids, pa.uint64()),
              "series_key": pa.array(keys, pa.string())}
    for k in tag_keys:
        arrays[k + "::tag" if k in fields else k] = pa.array(tags[k], pa.string())
    for c, vals in fields.items():
        typ = types[c] or "float"
        if typ == "float":
            vals = [float(x) if x is not None else None for x in vals]
        elif typ == "string":
            vals = [None if x is None else (x if isinstance(x, str) else str(x)) for x in vals]
        arrays[c] = pa.array(vals, _ARROW[typ])
    src = source_cls(ctx.database, "", name.encode("utf-8", "surrogateescape"), [],
                     {c.encode("utf-8", "surrogateescape"): (types[c] or "float") for c in fields},
                     {k.encode("utf-8", "surrogateescape") for k in grouped})
    src.hidden_tags = {k.encode("utf-8", "surrogateescape") for k in tag_columns - grouped}
    src.table = pa.table(arrays)
    return src


def subquery_reader(src, tmin: int, tmax: int, fields: dict, tags: list[str]) -> pa.RecordBatchReader:
    """The scan of a subquery's source: its rows in [tmin, tmax], the columns asked for."""
    import pyarrow.compute as pc

    t = src.table
    keep = pc.and_(pc.greater_equal(t.column("time"), tmin), pc.less_equal(t.column("time"), tmax))
    t = t.filter(keep)
    names = ["time", "series_id", "series_key"]
    arrays = [t.column(c) for c in names]
    for k in tags:  # stored as k::tag when a field has its name; delivered as the scan would name it
        stored = k + "::tag" if k + "::tag" in t.column_names else k
        names.append(k + "::tag" if k in fields else k)
        arrays.append(t.column(stored) if stored in t.column_names else pa.nulls(t.num_rows, pa.string()))
    for c, typ in fields.items():
        names.append(c)
        arrays.append(t.column(c).cast(typ) if c in t.column_names else pa.nulls(t.num_rows, typ))
    table = pa.Table.from_arrays(arrays, names=names)
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
