"""SELECT, compiled: sources resolved to measurements and shards, the WHERE split into a time
range and the rest, wildcards expanded against the measurements' fields and tags, the field
list checked with InfluxDB's rules and named as InfluxDB names columns.

Nothing here reads a point: field types come from each shard's field registry, tag keys and
series ids from its TSI index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ast_select as S
from .ast_expr import (Call, DataType, Distinct, Expr, IntegerLiteral, NumberLiteral, ParenExpr, RegexLiteral,
                       VarRef, Wildcard, walk)
from .results import StatementError
from .select_sql import MATH_FUNCTIONS
from .select_subquery import materialize, merge_sources
from .select_points import POINT_FUNCTIONS, check_point_call
from .select_transform import check_transform, lead_buckets
from .timerange import condition_expr
from .tokens import Tok
from ..storage.scan import unified_field_types

__all__ = ["Plan", "compile_select", "AGGREGATES", "SELECTORS", "TRANSFORMS"]

AGGREGATES = {"count", "distinct", "integral", "mean", "median", "mode", "spread", "stddev", "sum"}
SELECTORS = {"bottom", "first", "last", "max", "min", "percentile", "sample", "top"}
TRANSFORMS = {"derivative", "non_negative_derivative", "difference", "non_negative_difference",
              "moving_average", "cumulative_sum", "elapsed"}
# InfluxDB 1.x functions influxlite does not run yet (README)
NOT_YET = {"holt_winters", "holt_winters_with_fit", "exponential_moving_average", "double_exponential_moving_average",
           "triple_exponential_moving_average", "relative_strength_index", "triple_exponential_derivative",
           "kaufmans_efficiency_ratio", "kaufmans_adaptive_moving_average", "chande_momentum_oscillator"}
_ANY_TYPE = {"count", "first", "last", "distinct", "elapsed", "mode", "sample"}
_ORDER = {"float": 0, "integer": 1, "unsigned": 1, "string": 2, "boolean": 3, "tag": 4}
_DT = {"float": DataType.FLOAT, "integer": DataType.INTEGER, "unsigned": DataType.UNSIGNED,
       "string": DataType.STRING, "boolean": DataType.BOOLEAN}


@dataclass
class Source:
    database: str
    retention_policy: str
    name: bytes
    shards: list = field(default_factory=list)
    field_types: dict = field(default_factory=dict)  # bytes -> influx type
    tag_keys: set = field(default_factory=set)  # bytes
    table: object = None  # a subquery's rows (pyarrow Table) instead of shards
    hidden_tags: set = field(default_factory=set)  # a subquery's raw tag columns: tags, not in SELECT *


@dataclass
class Plan:
    stmt: S.SelectStatement
    sources: list[Source]
    fields: list[S.Field]  # expanded
    columns: list[str]  # 'time' (or its alias) first
    condition: Expr | None
    tmin: int
    tmax: int
    lower_bound: bool
    upper_bound: bool
    interval: int
    offset: int
    dimensions: list[str]  # tag keys, in GROUP BY order (wildcards resolved per query)
    now: int
    aggregate: bool
    selector_time: bool = False  # a single selector: rows carry the selected point's time
    bucket_span: tuple = (0, 0)  # first and last GROUP BY time bucket (set once the data is known)
    out_start: int | None = None  # transformations: buckets before this one are read, not reported
    guard: object = None  # query.limits.Guard of the running statement
    series_read: int = 0

    @property
    def ascending(self) -> bool:
        return self.stmt.time_ascending()


def _retention_policy(engine, db: str, rp: str):
    info = engine.meta.database(db)
    if info is None:
        raise StatementError(f"database not found: {db}")
    name = rp or info.default_retention_policy
    if info.retention_policy(name) is None:
        raise StatementError(f"retention policy not found: {name}")
    return name


def _all_shards(engine, db: str) -> list:
    info = engine.meta.database(db)
    out = []
    for policy in info.retention_policies if info is not None else ():
        out += engine.shards_for(db, policy.name, -(1 << 63) + 2, (1 << 63) - 2)
    return out


def resolve_sources(ctx, stmt: S.SelectStatement, tmin: int, tmax: int, run=None) -> list[Source]:
    out: dict[tuple, Source] = {}
    for src in stmt.sources:
        if isinstance(src, S.SubQuery):
            if run is None:
                raise StatementError("subqueries are not allowed here")
            for sub in materialize(ctx, src, tmin, tmax, run, Source):
                key = ("", "(subquery)", sub.name)  # subqueries' series of one name are one measurement
                out[key] = merge_sources(out[key], sub) if key in out else sub
            continue
        if src.system_iterator:
            raise StatementError(f"unable to use system source '{src.system_iterator}': use SHOW SERIES instead")
        db = src.database or ctx.database
        if not db:
            raise StatementError("database name required")
        rp = _retention_policy(ctx.engine, db, src.retention_policy or (ctx.retention_policy if not src.database
                                                                         else ""))
        shards = ctx.engine.shards_for(db, rp, tmin, tmax)
        if src.regex is not None:
            rx = src.regex.compiled()
            names = sorted({m for s in shards for m in s.measurement_names()
                            if rx.search(m.decode("utf-8", "surrogateescape"))})
        else:
            names = [src.name.encode("utf-8", "surrogateescape")]
        every = _all_shards(ctx.engine, db)  # SELECT * shows the tag keys of the whole database
        for name in names:
            key = (db, rp, name)
            if key not in out:
                have = [s for s in shards if s.index.has_measurement(name)]
                out[key] = Source(db, rp, name, have, unified_field_types(have, name),
                                  {k for s in every if s.index.has_measurement(name) for k in s.index.tag_keys(name)})
    return sorted(out.values(), key=lambda s: s.name)


def compile_select(ctx, stmt: S.SelectStatement, outer_range=None, run=None) -> Plan | None:
    """The plan, or None when wildcards matched nothing (the answer is empty). ``outer_range``:
    the (tmin, tmax) of the query this one is a subquery of; ``run(ctx, stmt, range)`` runs a
    subquery."""
    try:
        cond, tr = condition_expr(stmt.condition, ctx.now, stmt.location)
        interval = stmt.group_by_interval()
        offset = stmt.group_by_offset()
    except ValueError as e:
        raise StatementError(str(e)) from None
    if interval <= 0:
        interval = offset = 0
    elif stmt.location:  # buckets start at local midnight/hour: shift by the zone's offset
        offset = (offset - _zone_offset(stmt.location, tr.min_ns if tr.min is not None else ctx.now)) % interval
    _check_dimensions(stmt)
    tmin = tr.min_ns
    tmax = tr.max if tr.max is not None else (ctx.now if interval else tr.max_ns)
    if outer_range is not None:
        tmin, tmax = max(tmin, outer_range[0]), min(tmax, outer_range[1])
    sources = resolve_sources(ctx, stmt, tmin, tmax, run)
    fields, time_alias = expand_fields(stmt, sources)
    if not fields:
        return None
    aggregate = validate(stmt, fields, interval)
    columns = column_names(fields, time_alias)
    dims = _dimension_keys(stmt, sources)
    calls = [n for f in fields for n in walk(f.expr) if isinstance(n, Call) and n.name not in MATH_FUNCTIONS]
    outer = [n for f in fields for n in _top_calls(f.expr)]
    selector_time = (aggregate and not interval and len(outer) == 1 and outer[0].name in SELECTORS - POINT_FUNCTIONS
                     and len(calls) == 1)
    plan = Plan(stmt, sources, fields, columns, cond, tmin, tmax, tr.min is not None,
                tr.max is not None, interval, offset, dims, ctx.now, aggregate, selector_time)
    transforms = [c for c in outer if c.name in TRANSFORMS]
    if transforms and interval and plan.lower_bound:
        start = tmin - ((tmin - offset) % interval)
        plan.out_start = start
        plan.tmin = start - lead_buckets(transforms) * interval
        plan.sources = resolve_sources(ctx, stmt, plan.tmin, tmax, run)
    return plan


def _zone_offset(zone: str, at: int) -> int:
    import datetime as dt
    import zoneinfo

    t = dt.datetime.fromtimestamp(at // 1_000_000_000, zoneinfo.ZoneInfo(zone))
    return int((t.utcoffset() or dt.timedelta(0)).total_seconds()) * 1_000_000_000


def _top_calls(e: Expr):
    """The outermost non-math calls of an expression."""
    if isinstance(e, Call) and e.name not in MATH_FUNCTIONS:
        yield e
        return
    for c in e.children():
        yield from _top_calls(c)


def _check_dimensions(stmt: S.SelectStatement) -> None:
    times = 0
    for d in stmt.dimensions:
        e = d.expr
        if isinstance(e, Call):
            if e.name != "time":
                raise StatementError("only time() calls allowed in dimensions")
            times += 1
        elif not isinstance(e, (VarRef, Wildcard, RegexLiteral)):
            raise StatementError("only time and tag dimensions allowed")
    if times > 1:
        raise StatementError("multiple time dimensions not allowed")


def _dimension_keys(stmt: S.SelectStatement, sources: list[Source]) -> list[str]:
    keys: list[str] = []
    all_tags = sorted({k.decode("utf-8", "surrogateescape") for s in sources for k in s.tag_keys})
    for d in stmt.dimensions:
        e = d.expr
        if isinstance(e, VarRef):
            new = [e.val]
        elif isinstance(e, Wildcard):
            new = all_tags
        elif isinstance(e, RegexLiteral):
            rx = e.compiled()
            new = [k for k in all_tags if rx.search(k)]
        else:
            continue
        keys += [k for k in new if k not in keys]
    return keys


# --- wildcards -----------------------------------------------------------------------------------

def _schema(sources: list[Source]) -> tuple[list[tuple[str, str]], list[str]]:
    """(fields as (name, type) and tag keys) over all sources."""
    types: dict[str, str] = {}
    for s in sources:
        for k, t in s.field_types.items():
            name = k.decode("utf-8", "surrogateescape")
            old = types.get(name)
            types[name] = t if old is None or old == t else (
                "float" if {old, t} <= {"float", "integer", "unsigned"} else "string")
    tags = sorted({k.decode("utf-8", "surrogateescape") for s in sources for k in s.tag_keys})
    return sorted(types.items()), tags


def expand_fields(stmt: S.SelectStatement, sources: list[Source]) -> tuple[list[S.Field], str]:
    fields_t, tags = _schema(sources)
    dims = set(stmt.tag_dimensions())
    if stmt.has_dimension_wildcard():
        dims |= set(tags)
    out: list[S.Field] = []
    time_alias = "time"
    for f in stmt.fields:
        e = f.expr
        while isinstance(e, ParenExpr):
            e = e.expr
        if isinstance(e, VarRef) and e.val.lower() == "time" and e.type == DataType.UNKNOWN:
            time_alias = f.alias or "time"
            continue
        if isinstance(e, Distinct):
            out.append(S.Field(e.new_call(), f.alias))
            continue
        if isinstance(e, Call) and e.args and isinstance(e.args[0], Distinct):
            e = Call(e.name, [e.args[0].new_call()] + list(e.args[1:]))
            f = S.Field(e, f.alias)
        if isinstance(e, (Wildcard, RegexLiteral)):
            out += _expand_refs(e, fields_t, [t for t in tags if t not in dims])
            continue
        if isinstance(e, Call) and e.args and isinstance(e.args[0], (Wildcard, RegexLiteral)):
            if e.name in ("top", "bottom"):
                raise StatementError(f"expected first argument to be a field in {e.name}(), found {e.args[0]}")
            out += _expand_call(e, f.alias, fields_t)
            continue
        if isinstance(e, Call) and e.name in ("top", "bottom"):  # its tag arguments are columns too
            out.append(S.Field(f.expr, f.alias))
            out += [S.Field(VarRef(a.val)) for a in e.args[1:-1] if isinstance(a, VarRef)]
            continue
        if isinstance(e, Call) and e.args and isinstance(e.args[0], Call) and e.args[0].args and isinstance(
                e.args[0].args[0], (Wildcard, RegexLiteral)):
            inner = e.args[0]
            for g in _expand_call(inner, "", fields_t):
                name = f"{f.alias or e.name}_{g.alias.split('_', 1)[1]}"
                out.append(S.Field(Call(e.name, [g.expr] + list(e.args[1:])), name))
            continue
        if any(isinstance(n, Wildcard) for n in walk(e)):
            raise StatementError(f"unsupported expression with wildcard: {e}")
        out.append(S.Field(f.expr, f.alias))
    if not out and not stmt.has_field_wildcard():
        raise StatementError("at least 1 non-time field must be queried")
    return out, time_alias


def _expand_refs(e, fields_t, tags) -> list[S.Field]:
    items: list[tuple[str, str]] = []
    want_fields = not (isinstance(e, Wildcard) and e.type == Tok.TAG)
    want_tags = not (isinstance(e, Wildcard) and e.type == Tok.FIELD)
    rx = e.compiled() if isinstance(e, RegexLiteral) else None
    if want_fields:
        items += [(n, t) for n, t in fields_t if rx is None or rx.search(n)]
    if want_tags:
        items += [(k, "tag") for k in tags if rx is None or rx.search(k)]
    items.sort(key=lambda it: (it[0], _ORDER[it[1]]))
    return [S.Field(VarRef(n, DataType.TAG if t == "tag" else _DT[t])) for n, t in items]


def _expand_call(call: Call, alias: str, fields_t) -> list[S.Field]:
    arg = call.args[0]
    if isinstance(arg, Wildcard) and arg.type == Tok.TAG:
        raise StatementError(f"unable to use tag wildcard in {call.name}()")
    rx = arg.compiled() if isinstance(arg, RegexLiteral) else None
    out = []
    for name, typ in fields_t:
        if rx is not None and not rx.search(name):
            continue
        if call.name not in _ANY_TYPE:
            if call.name in ("min", "max"):
                if typ not in ("float", "integer", "unsigned", "boolean"):
                    continue
            elif typ not in ("float", "integer", "unsigned"):
                continue
        out.append(S.Field(Call(call.name, [VarRef(name)] + list(call.args[1:])), f"{alias or call.name}_{name}"))
    return out


# --- validation and names ------------------------------------------------------------------------

def validate(stmt: S.SelectStatement, fields: list[S.Field], interval: int) -> bool:
    """True for an aggregate query; StatementError with InfluxDB's text when the field list is
    not a valid query."""
    calls, refs = [], 0
    for f in fields:
        for n in walk(f.expr):
            if isinstance(n, Call) and n.name in MATH_FUNCTIONS:
                want = 2 if n.name in ("atan2", "log", "pow") else 1
                if len(n.args) != want:
                    raise StatementError(f"invalid number of arguments for {n.name}, expected {want}, "
                                         f"got {len(n.args)}")
        top = list(_top_calls(f.expr))
        for c in top:
            if c.name in NOT_YET:
                raise StatementError(f"not implemented yet: {c.name}()")
            if c.name not in AGGREGATES | SELECTORS | TRANSFORMS:
                raise StatementError(f"undefined function {c.name}()")
            _check_arity(c)
        if not any(isinstance(n, VarRef) for n in walk(f.expr)):
            raise StatementError("field must contain at least one variable")
        calls += top
        if _bare_refs(f.expr):
            refs += 1
    if not calls:
        if interval:
            raise StatementError("GROUP BY requires at least one aggregate function")
        if stmt.fill in (S.FillOption.NONE, S.FillOption.LINEAR):
            word = "none" if stmt.fill == S.FillOption.NONE else "linear"
            raise StatementError(f"fill({word}) must be used with a function")
        return False
    names = [c.name for c in calls]
    for special in ("top", "bottom"):
        if special in names and len(calls) > 1:
            raise StatementError(f"selector function {special}() cannot be combined with other functions")
    if "distinct" in names and (len(calls) > 1 or refs):
        raise StatementError("aggregate function distinct() cannot be combined with other functions or fields")
    if refs:
        selectors = [n for n in names if n in SELECTORS]
        if len(selectors) != len(names):
            raise StatementError("mixing aggregate and non-aggregate queries is not supported")
        if len(selectors) > 1:
            raise StatementError("mixing multiple selector functions with tags or fields is not supported")
    for c in calls:
        _check_call(c, interval, stmt.limit)
    return True


_ARITY = {"derivative": (1, 2), "non_negative_derivative": (1, 2), "elapsed": (1, 2), "integral": (1, 2),
          "difference": (1, 1), "non_negative_difference": (1, 1), "cumulative_sum": (1, 1),
          "moving_average": (2, 2), "sample": (2, 2), "percentile": (2, 2), "distinct": (1, 1)}


def _check_arity(c: Call) -> None:
    n = len(c.args)
    lo, hi = _ARITY.get(c.name, (1, 1) if c.name not in ("top", "bottom") else (2, None))
    if n < lo or (hi is not None and n > hi):
        if hi is None:
            raise StatementError(f"invalid number of arguments for {c.name}, expected at least {lo}, got {n}")
        if lo == hi:
            raise StatementError(f"invalid number of arguments for {c.name}, expected {lo}, got {n}")
        raise StatementError(f"invalid number of arguments for {c.name}, expected at least {lo} but no more "
                             f"than {hi}, got {n}")


def _bare_refs(e: Expr) -> bool:
    """Whether the expression names a field or tag outside any call."""
    if isinstance(e, VarRef):
        return True
    if isinstance(e, Call) and e.name not in MATH_FUNCTIONS:
        return False
    return any(_bare_refs(c) for c in e.children())


def _check_call(c: Call, interval: int, limit: int) -> None:
    n = len(c.args)
    if c.name in TRANSFORMS:
        check_transform(c, interval)
        return
    if c.name in POINT_FUNCTIONS:
        check_point_call(c, limit)
        return
    if c.name == "percentile":
        if n != 2:
            raise StatementError(f"invalid number of arguments for percentile, expected 2, got {n}")
        if not isinstance(c.args[1], (NumberLiteral, IntegerLiteral)):
            raise StatementError("expected float argument in percentile()")
    elif c.name in AGGREGATES | SELECTORS and n != 1 and c.name != "distinct":
        raise StatementError(f"invalid number of arguments for {c.name}, expected 1, got {n}")
    arg = c.args[0] if c.args else None
    if isinstance(arg, Call):
        if c.name == "count" and arg.name == "distinct":
            return
        raise StatementError(f"expected field argument in {c.name}()")
    if arg is not None and not isinstance(arg, VarRef):
        raise StatementError(f"expected field argument in {c.name}()")


def column_names(fields: list[S.Field], time_alias: str) -> list[str]:
    """InfluxDB's ColumnNames: aliases as given (duplicates kept), other names made unique
    with ``_N``."""
    names: dict[str, int] = {}
    out: list[str | None] = [None] * len(fields)
    for i, f in enumerate(fields):
        if f.alias:
            out[i] = f.alias
            names[f.alias] = 1
    for i, f in enumerate(fields):
        if out[i] is not None:
            continue
        name = f.name()
        count = names.get(name)
        if count is not None:
            while True:
                candidate = f"{name}_{count}"
                if candidate not in names:
                    names[name] = count + 1
                    name = candidate
                    break
                count += 1
        names[name] = names.get(name, 0) + 1
        out[i] = name
    return [time_alias] + out  # type: ignore[list-item]

