"""SELECT executed on DuckDB: per measurement, the scan (storage.scan) of the shards in range,
restricted to the series the TSI index picks for the tag predicates, becomes a DuckDB
relation; one SQL statement filters, groups by tags and time bucket, and aggregates. What SQL
cannot say in InfluxDB's terms (bucket ranges and fill, per-series LIMIT after fill, mode and
distinct in first-seen order) is done here on the aggregated rows, never per point.

Rows come out as ``{"name", "tags", "columns", "values", TIME_NS: True}`` with times as int64
nanoseconds in column 0 (query.render formats them as RFC3339 or ``epoch``).
"""

from __future__ import annotations

import threading

import duckdb
import pyarrow as pa
from pyroaring import BitMap64

from . import ast_select as S
from .ast_expr import Call, VarRef, walk
from .render import TIME_NS
from .results import StatementError
from .select_aggregate import AggregateSQL
from .select_compile import TRANSFORMS, Plan, Source, compile_select
from .select_fill import bucket_range, fill_buckets
from .select_into import select_into
from .select_subquery import subquery_reader
from .select_transform import raw_sql as transform_raw_sql, transform_of, check_type
from .select_sql import Scope, condition_sql, q_ident, value_sql
from .tagfilter import TagFilterError, series_ids
from ..storage.scan import arrow_type, scan

__all__ = ["select"]

_local = threading.local()
_db = None
_db_lock = threading.Lock()
_memory_limit = 0  # bytes; 0: DuckDB's own default (80% of the machine's memory)


def set_memory_limit(n: int) -> None:
    """Bounds the memory DuckDB's operators take for all queries of this process (it has one
    database); beyond it a query spills nothing and fails with DuckDB's out-of-memory error
    rather than growing the server. The database is made by the first query's thread, not
    here: DuckDB's workers inherit that thread's priority."""
    global _memory_limit
    with _db_lock:
        _memory_limit = n
        if _db is not None and n:
            _db.execute(f"SET memory_limit = '{int(n)}B'")


def cursor():
    """This thread's DuckDB cursor (DuckDB wants one per thread) on one in-memory database."""
    global _db
    cur = getattr(_local, "cursor", None)
    if cur is None:
        with _db_lock:
            if _db is None:
                config = {"threads": "2", "temp_directory": ""}  # no spill files anywhere
                if _memory_limit:
                    config["memory_limit"] = f"{int(_memory_limit)}B"
                _db = duckdb.connect(":memory:", config=config)
            cur = _local.cursor = _db.cursor()
    return cur


def select(ctx, stmt: S.SelectStatement) -> list[dict]:
    if stmt.target is not None:
        return select_into(ctx, stmt, _select)
    return _select(ctx, stmt)[1]


def _select(ctx, stmt: S.SelectStatement, outer_range=None) -> tuple[Plan | None, list[dict]]:
    """(plan, series) of a statement, or of a subquery within ``outer_range``."""
    plan = compile_select(ctx, stmt, outer_range, _select)
    if plan is None or plan.tmin > plan.tmax:
        return plan, []
    plan.guard = getattr(ctx, "guard", None)
    if plan.guard is not None and plan.interval and plan.lower_bound:
        first = plan.tmin - (plan.tmin - plan.offset) % plan.interval
        last = plan.tmax - (plan.tmax - plan.offset) % plan.interval
        plan.guard.buckets((last - first) // plan.interval + 1)
    series: list[dict] = []
    for src in plan.sources:
        series += _measurement_rows(plan, src)
    if stmt.soffset or stmt.slimit:
        series = series[stmt.soffset:stmt.soffset + stmt.slimit if stmt.slimit else None]
    if not plan.ascending:
        series.reverse()
    return plan, series


def _scope(plan: Plan, src: Source) -> tuple[Scope, dict, list[str]]:
    """The scan's columns for this measurement: fields read, tags read."""
    refs = {n.val for f in plan.fields for n in walk(f.expr) if isinstance(n, VarRef)}
    refs |= {n.val for n in walk(plan.condition) if isinstance(n, VarRef)}
    fields, scope_fields = {}, {}
    for k, t in src.field_types.items():
        name = k.decode("utf-8", "surrogateescape")
        if name in refs:
            col = name + "::field" if name in ("time", "series_id") else name
            fields[col] = arrow_type(t)
            scope_fields[name] = (col, t)
    tag_keys = {k.decode("utf-8", "surrogateescape") for k in src.tag_keys | src.hidden_tags}
    tags = sorted((refs | set(plan.dimensions)) & tag_keys)
    scope = Scope(scope_fields, {k: (k + "::tag" if k in fields or k in ("time", "series_id") else k)
                                 for k in tags})
    return scope, fields, tags


def _tag_condition(cond, src: Source):
    """The conjuncts of the condition that only compare tags (for the index), or None."""
    from .ast_expr import BinaryExpr, ParenExpr
    from .tokens import Tok

    keys = {k.decode("utf-8", "surrogateescape") for k in src.tag_keys} | {"_name"}

    def tag_only(e) -> bool:
        refs = [n for n in walk(e) if isinstance(n, VarRef)]
        return bool(refs) and all(r.val in keys for r in refs) and not any(isinstance(n, Call) for n in walk(e))

    parts = []

    def split(e) -> None:
        while isinstance(e, ParenExpr):
            e = e.expr
        if isinstance(e, BinaryExpr) and e.op == Tok.AND:
            split(e.lhs)
            split(e.rhs)
        elif tag_only(e):
            parts.append(e)

    if cond is not None:
        split(cond)
    out = None
    for p in parts:
        out = p if out is None else BinaryExpr(Tok.AND, out, p)
    return out


def _parts(plan: Plan, src: Source):
    tag_cond = _tag_condition(plan.condition, src)
    out = []
    for shard in src.shards:
        try:
            ids = series_ids(shard.index, src.name, tag_cond)
        except TagFilterError:
            ids = series_ids(shard.index, src.name, None)
        if len(ids):
            out.append((shard, ids))
    return out


def _measurement_rows(plan: Plan, src: Source) -> list[dict]:
    scope, fields, tags = _scope(plan, src)
    if src.table is not None:
        reader = subquery_reader(src, plan.tmin, plan.tmax, fields, tags)
    else:
        parts = _parts(plan, src)
        if not parts:
            return []
        if plan.guard is not None:
            read = BitMap64()
            for _, ids in parts:
                read |= ids
            plan.series_read += len(read)
            plan.guard.series(plan.series_read)
        reader = scan(parts, src.name, plan.tmin, plan.tmax, fields=fields, tags=tags, series_key=True)
    reader = _guarded(reader, plan.guard)
    name = src.name.decode("utf-8", "surrogateescape")
    where = condition_sql(plan.condition, scope)
    dims = [(k, scope.tags.get(k)) for k in plan.dimensions]
    if plan.aggregate and not plan.interval and _raw_transform(plan):
        return _raw_transform_rows(plan, name, reader, scope, dims, where)
    if plan.aggregate:
        agg = AggregateSQL(plan, scope, dims)
        sql = agg.sql(where)
        table = _run(reader, sql, plan.guard)
        groups = agg.groups(table)
        if plan.interval and groups:
            first = min(b for _, buckets in groups for b, got in buckets.items() if got[0]) if any(
                got[0] for _, buckets in groups for got in buckets.values()) else plan.tmin
            plan.bucket_span = bucket_range(plan, first)
        return _rows(plan, name, groups, agg)
    sql, nkeys = _raw_sql(plan, scope, dims, where)
    table = _run(reader, sql, plan.guard)
    return _raw_rows(plan, name, table, nkeys)


def _run(reader, sql: str, guard=None):
    cur = cursor()
    cur.register("scan", reader)
    try:
        return cur.sql(sql).to_arrow_table()
    except duckdb.Error as e:
        if guard is not None and guard.reason:  # the scan stopped: killed, timed out, too many points
            raise StatementError(guard.reason) from None
        if isinstance(e, duckdb.OutOfMemoryException):
            raise StatementError(f"query-memory-limit exceeded: {str(e).splitlines()[0]}") from None
        raise StatementError(f"query failed: {e}") from None
    finally:
        cur.unregister("scan")


def _guarded(reader, guard):
    """The reader, counting its points against the guard (which may stop it) batch by batch."""
    if guard is None:
        return reader

    def batches():
        for batch in reader:
            guard.points(batch.num_rows)
            yield batch

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


# --- raw queries -------------------------------------------------------------------------------------

def _raw_sql(plan: Plan, scope: Scope, dims, where: str) -> tuple[str, int]:
    stmt = plan.stmt
    keys = [f"coalesce({q_ident(col)}, '') AS d{i}" if col else f"''::VARCHAR AS d{i}"
            for i, (_, col) in enumerate(dims)]
    exprs, data_cols = [], []
    for i, f in enumerate(plan.fields):
        sql, typ = value_sql(f.expr, scope)
        if stmt.fill == S.FillOption.NUMBER and stmt.fill_value is not None:
            sql = f"coalesce(CAST({sql} AS VARCHAR), {_fill_literal(stmt.fill_value)})" if typ in (
                "tag", "string", None) else f"coalesce({sql}, {stmt.fill_value})"
        exprs.append(f"{sql} AS c{i}")
        for n in walk(f.expr):  # a row is kept while a field it reads has a value
            if isinstance(n, VarRef):
                ref, rtyp = scope.ref(n)
                if ref is not None and rtyp != "tag" and ref not in data_cols:
                    data_cols.append(ref)
    keep = " OR ".join(f"{c} IS NOT NULL" for c in data_cols) or "FALSE"
    part = ", ".join(f"d{i}" for i in range(len(dims)))
    direction = "ASC" if plan.ascending else "DESC"
    window = f"row_number() OVER (PARTITION BY {part or 'NULL'} ORDER BY time {direction}, series_key)"
    lo, hi = stmt.offset, stmt.offset + stmt.limit if stmt.limit else None
    limit = f"__rn > {lo}" + (f" AND __rn <= {hi}" if hi is not None else "")
    inner = (f"SELECT time, series_key, {', '.join(keys + exprs)}, {keep} AS __keep FROM scan WHERE {where}")
    by_key = sorted(range(len(dims)), key=lambda i: dims[i][0])
    order = ", ".join([f"d{i}" for i in by_key] + [f"time {direction}", "series_key"])
    if hi is None and not lo:  # no window needed: every kept row, in order
        return f"SELECT * EXCLUDE (series_key, __keep) FROM ({inner}) WHERE __keep ORDER BY {order}", len(dims)
    if hi is None:
        sql = (f"SELECT * EXCLUDE (__rn, series_key, __keep) FROM (SELECT *, {window} AS __rn FROM ({inner}) "
               f"WHERE __keep) "
               f"WHERE {limit} ORDER BY {order}")
        return sql, len(dims)
    # With a LIMIT, the window (slow on many rows) only sees each group's rows from its hi-th time
    # on: ``__c``, the hi-th largest (DESC) or smallest time of the group, counted with repeats.
    pick, cmp = ("max", ">=") if plan.ascending is False else ("min", "<=")
    cut = (f"SELECT {part + ', ' if part else ''}list_last({pick}(time, {hi})) AS __c FROM base"
           + (f" GROUP BY {part}" if part else ""))
    join = f"JOIN cut USING ({part})" if part else "CROSS JOIN cut"
    sql = (f"WITH base AS MATERIALIZED (SELECT * FROM ({inner}) WHERE __keep), cut AS ({cut}) "
           f"SELECT * EXCLUDE (__rn, series_key, __keep, __c) FROM (SELECT *, {window} AS __rn FROM base "
           f"{join} WHERE time {cmp} __c) WHERE {limit} ORDER BY {order}")
    return sql, len(dims)


def _fill_literal(v) -> str:
    from .results import encode_float
    return "'" + (encode_float(v) if isinstance(v, float) else str(v)) + "'"


def _raw_rows(plan: Plan, name: str, table, nkeys: int) -> list[dict]:
    if table.num_rows == 0:
        return []
    cols = table.columns
    times = cols[0].to_pylist()
    keys = list(zip(*(c.to_pylist() for c in cols[1:1 + nkeys]))) if nkeys else None
    values = list(zip(times, *(c.to_pylist() for c in cols[1 + nkeys:])))
    if keys is None:
        return [_row(plan, name, None, values)]
    out, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or keys[i] != keys[start]:
            out.append(_row(plan, name, keys[start], values[start:i]))
            start = i
    return out


def _row(plan: Plan, name: str, key, values) -> dict:
    row = {"name": name}
    if key is not None:
        row["tags"] = dict(sorted(zip(plan.dimensions, (v or "" for v in key))))
    row["columns"] = list(plan.columns)
    row["values"] = [list(v) for v in values]
    row[TIME_NS] = plan.stmt.location or True
    return row


# --- transformations of raw points ---------------------------------------------------------------

def _raw_transform(plan: Plan) -> Call | None:
    e = plan.fields[0].expr
    if isinstance(e, Call) and e.name in TRANSFORMS:
        if len(plan.fields) > 1:
            raise StatementError("not implemented yet: several transformations of raw points in one query")
        return e
    return None


def _raw_transform_rows(plan: Plan, name: str, reader, scope: Scope, dims, where: str) -> list[dict]:
    call = _raw_transform(plan)
    col, typ = scope.ref(call.args[0])
    if col is None or typ == "tag":
        return []
    check_type(call.name, typ)
    keys = [f"coalesce({q_ident(c)}, '') AS d{i}" if c else f"''::VARCHAR AS d{i}" for i, (_, c) in enumerate(dims)]
    names = [f"d{i}" for i in range(len(dims))]
    sql = transform_raw_sql(transform_of(call, 0), col, typ, names, where, plan.ascending)
    if keys:
        sql = sql.replace("FROM scan WHERE", f"FROM (SELECT *, {', '.join(keys)} FROM scan) WHERE", 1)
    table = _run(reader, sql, plan.guard)
    rows = _raw_rows(plan, name, table, len(dims))
    stmt = plan.stmt
    for row in rows:
        if stmt.offset or stmt.limit:
            row["values"] = row["values"][stmt.offset:stmt.offset + stmt.limit if stmt.limit else None]
    return [r for r in rows if r["values"]]


# --- aggregates --------------------------------------------------------------------------------------

def _rows(plan: Plan, name: str, groups, agg) -> list[dict]:
    stmt = plan.stmt
    out = []
    for key, buckets in groups:
        if plan.interval:
            if agg.integral is not None:
                buckets = agg.integral_buckets(buckets)
            values = agg.transform(fill_buckets(plan, buckets, agg))
        else:
            values = agg.single(buckets)
        values = agg.expand(values)
        if not plan.ascending and agg.point_call is None:  # top/bottom/sample stay in time order
            values.reverse()
        if stmt.offset or stmt.limit:
            values = values[stmt.offset:stmt.offset + stmt.limit if stmt.limit else None]
        if values:
            out.append(_row(plan, name, key if plan.dimensions else None, values))
    return out

