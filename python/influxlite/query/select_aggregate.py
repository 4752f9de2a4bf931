"""Aggregates and selectors as DuckDB SQL, with InfluxDB's rules:

* ``count`` counts non-null values (0 in an empty bucket); ``mean``/``median``/``stddev`` give
  floats (``stddev`` is the sample deviation, null for one point); ``sum``/``spread`` keep the
  input type; ``mode`` is the most frequent value, on a tie the one seen first;
* ``first``/``last`` take the earliest/latest point, on equal times the larger value (for
  booleans ``first`` prefers false); ``max``/``min`` on equal values the earliest point;
  ``percentile(f, p)`` the value at index ``floor(n*p/100 + 0.5) - 1`` of the sorted values,
  nothing when that index is outside;
* a query with exactly one selector reports the selected point's time and takes the other
  fields it names from that point.
"""

from __future__ import annotations

from .ast_expr import Call, IntegerLiteral, NumberLiteral, ParenExpr, VarRef
from .results import StatementError
from .select_compile import Plan
from .select_compile import TRANSFORMS
from .select_sql import MATH_FUNCTIONS, NUMERIC, Scope, q_ident, value_sql
from .select_points import POINT_FUNCTIONS, integral, select_points
from .select_points import check_type as check_points_type
from .select_transform import Transform, apply, check_type, transform_of

__all__ = ["AggregateSQL"]

_NUMERIC_ONLY = {"mean", "median", "stddev", "sum", "spread", "percentile", "integral"}
_ITER = {"string": "*query.stringInterruptIterator", "boolean": "*query.booleanInterruptIterator"}


class AggregateSQL:
    def __init__(self, plan: Plan, scope: Scope, dims) -> None:
        self.plan, self.scope, self.dims = plan, scope, dims
        self.calls: dict[int, tuple[str, str | None]] = {}
        self.post: dict[int, str] = {}  # output column -> 'mode' | 'distinct'
        self.args: list[str] = []  # SQL of every call's input column
        self.selector = None  # (value sql, time sql, point_of) of the single selector
        self.columns: list[str] = []
        self.types: list[str | None] = []
        self.is_count: list[bool] = []
        self.transforms: dict[int, Transform] = {}  # output column -> transformation of its bucket values
        self.point_call = None  # (column, call, tag argument columns) of top/bottom/sample
        self.integral = None  # (column, call, input type) of integral
        for i, f in enumerate(plan.fields):
            e = f.expr
            while isinstance(e, ParenExpr):
                e = e.expr
            if isinstance(e, Call) and e.name in POINT_FUNCTIONS:
                self._point_column(i, e)
                continue
            if self.point_call is not None or any(_is_point_call(g.expr) for g in plan.fields):
                self.columns.append("NULL")  # filled from the points top/bottom/sample keep
                self.types.append(None)
                self.is_count.append(False)
                continue
            if isinstance(e, Call) and e.name in TRANSFORMS:
                self.transforms[i] = transform_of(e, plan.interval)
                inner = e.args[0]
                self._collect(inner)
                sql, typ = value_sql(inner, scope, self.calls)
                check_type(e.name, typ)
                self.columns.append(sql)
                self.types.append(typ)
                self.is_count.append(isinstance(inner, Call) and inner.name == "count")
                continue
            if isinstance(e, Call) and e.name in ("mode", "distinct"):
                col, typ = self._arg(e)
                self.post[i] = e.name
                item = col if e.name == "distinct" else f"{{'v': {col}, 't': time}}"
                self.columns.append(f"list({item} ORDER BY time, series_key) FILTER (WHERE {col} IS NOT NULL)"
                                    if col else "NULL")
                self.types.append(typ)
                self.is_count.append(False)
                continue
            self._collect(e)
            sql, typ = value_sql(e, scope, self.calls) if not isinstance(e, VarRef) else self._aux(e)
            self.columns.append(sql)
            self.types.append(typ)
            self.is_count.append(isinstance(e, Call) and e.name == "count")

    # --- building ------------------------------------------------------------------------------

    def _point_column(self, i: int, call: Call) -> None:
        col, typ = self._arg(call)
        check_points_type(call.name, typ)
        if col is None:
            item = None
        elif call.name == "integral":
            self.integral = (i, call, typ)
            item = f"{{'v': {col}, 't': time}}"
        else:
            extra = []
            for j, f in enumerate(self.plan.fields):
                if j != i and isinstance(f.expr, VarRef):
                    sql, _ = self.scope.ref(f.expr)
                    extra.append(f"'x{j}': {sql or 'NULL'}")
            # the columns of the call's tag arguments; a field given as one keys nothing (None), as
            # in 1.6.7, where its value is not in the points' tags
            tag_args = [j if self.scope.ref(f.expr)[1] == "tag" else None
                        for j, f in enumerate(self.plan.fields) if j > i and isinstance(f.expr, VarRef)
                        and any(isinstance(a, VarRef) and a.val == f.expr.val for a in call.args[1:-1])]
            self.point_call = (i, call, tag_args)
            item = "{" + ", ".join([f"'v': {col}", "'t': time"] + extra) + "}"
        self.columns.append(f"list({item} ORDER BY time, series_key) FILTER (WHERE {col} IS NOT NULL)"
                            if item else "NULL")
        self.types.append("float" if call.name == "integral" else typ)
        self.is_count.append(False)

    def _arg(self, call: Call) -> tuple[str | None, str | None]:
        arg = call.args[0] if call.args else None
        if isinstance(arg, Call) and arg.name == "distinct":
            arg = arg.args[0]
        if not isinstance(arg, VarRef):
            raise StatementError(f"expected field argument in {call.name}()")
        sql, typ = self.scope.ref(arg)
        if sql is None or typ == "tag":
            return None, None
        if sql not in self.args:
            self.args.append(sql)
        return sql, typ

    def _collect(self, e) -> None:
        if isinstance(e, Call) and e.name not in MATH_FUNCTIONS:
            self.calls[id(e)] = self._call(e)
            return
        for c in e.children():
            self._collect(c)

    def _call(self, call: Call) -> tuple[str, str | None]:
        name = call.name
        col, typ = self._arg(call)
        if col is None:
            return "NULL", None
        if name in _NUMERIC_ONLY and typ in _ITER:
            raise StatementError(f"unsupported {name} iterator type: {_ITER[typ]}")
        if name in ("min", "max") and typ == "string":
            raise StatementError(f"unsupported {name} iterator type: {_ITER[typ]}")
        nn = f"FILTER (WHERE {col} IS NOT NULL)"
        if name == "count":
            inner = call.args[0]
            if isinstance(inner, Call) and inner.name == "distinct":
                return f"count(DISTINCT {col})", "integer"
            return f"count({col})", "integer"
        if name == "mean":
            return f"avg({col})", "float"
        if name == "median":
            return f"median({col})", "float"
        if name == "stddev":
            return f"stddev_samp({col})", "float"
        if name == "sum":
            return (f"CAST(sum({col}) AS BIGINT)" if typ == "integer" else f"sum({col})"), typ
        if name == "spread":
            return f"(max({col}) - min({col}))", typ
        if name in ("max", "min", "first", "last", "percentile"):
            value, time, point = self._selector(name, call, col, typ, nn)
            self.selector = (value, time, point)
            return value, typ
        raise StatementError(f"not implemented yet: {name}()")

    def _selector(self, name, call, col, typ, nn):
        if name == "max":
            key = f"{{'v': {col}, 't': -time}}"
            return f"max({col})", f"arg_max(time, {key}) {nn}", lambda x: f"arg_max({x}, {key}) {nn}"
        if name == "min":
            key = f"{{'v': {col}, 't': time}}"
            return f"min({col})", f"arg_min(time, {key}) {nn}", lambda x: f"arg_min({x}, {key}) {nn}"
        if name in ("first", "last"):
            fn = "first" if name == "first" else "last"
            order = "ORDER BY time, series_key"
            return (f"{fn}({col} {order}) {nn}", f"{'min' if name == 'first' else 'max'}(time) {nn}",
                    lambda x: f"{fn}({x} {order}) {nn}")
        p = call.args[1]
        pv = float(p.val) if isinstance(p, (NumberLiteral, IntegerLiteral)) else 0.0
        idx = f"CAST(floor(count({col}) * {pv!r} / 100.0 + 0.5) AS BIGINT)"
        lst = f"list_sort(list({{'v': {col}, 't': time}}) {nn})"
        pick = f"(CASE WHEN {idx} >= 1 AND {idx} <= count({col}) THEN {lst}[{idx}] END)"

        def point_of(x: str) -> str:  # another column's value at the selected point
            with_x = f"list_sort(list({{'v': {col}, 't': time, 'x': {x}}}) {nn})"
            return f"(CASE WHEN {idx} >= 1 AND {idx} <= count({col}) THEN {with_x}[{idx}] END).x"

        return f"({pick}).v", f"({pick}).t", point_of

    def _aux(self, ref: VarRef) -> tuple[str, str | None]:
        """A field or tag next to the single selector: its value at the selected point."""
        sql, typ = self.scope.ref(ref)
        if sql is None:
            return "NULL", None
        if self.selector is None:
            # the selector may come after this field in the list
            for f in self.plan.fields:
                self._collect(f.expr)
        if self.selector is None:
            return "NULL", typ
        return self.selector[2](sql), typ

    def sql(self, where: str) -> str:
        plan = self.plan
        keys = [f"coalesce({q_ident(col)}, '') AS d{i}" if col else f"''::VARCHAR AS d{i}"
                for i, (_, col) in enumerate(self.dims)]
        group = [f"d{i}" for i in range(len(self.dims))]
        if plan.interval:
            iv, off = plan.interval, plan.offset
            keys.append(f"(time - ((((time - {off}) % {iv}) + {iv}) % {iv})) AS __b")
            group.append("__b")
        else:
            keys.append("0::BIGINT AS __b")
        any_arg = " OR ".join(f"{a} IS NOT NULL" for a in self.args) or "FALSE"
        cols = [f"count(*) FILTER (WHERE {any_arg}) AS __n"]
        cols += [f"{c} AS c{i}" for i, c in enumerate(self.columns)]
        if plan.selector_time and self.selector is not None:
            cols.append(f"{self.selector[1]} AS __t")
        sql = f"SELECT {', '.join(keys + cols)} FROM scan WHERE {where}"
        if group:
            sql += " GROUP BY " + ", ".join(group)
        return sql

    # --- reading the result ----------------------------------------------------------------------

    def groups(self, table) -> list[tuple[tuple, dict]]:
        """[(tag values in GROUP BY order, {bucket: (n, [values], selected time)})], series in
        InfluxDB's order (tag sets compared with their keys sorted)."""
        nd = len(self.dims)
        names = table.column_names
        cols = [table.column(n).to_pylist() for n in names]
        at = {n: i for i, n in enumerate(names)}
        value_idx = [at[f"c{i}"] for i in range(len(self.columns))]
        t_idx = at.get("__t")
        out: dict[tuple, dict] = {}
        for r in range(table.num_rows):
            key = tuple(cols[i][r] for i in range(nd))
            vals = [cols[i][r] for i in value_idx]
            for i, kind in self.post.items():
                vals[i] = _post(kind, vals[i])
            out.setdefault(key, {})[cols[at["__b"]][r]] = (cols[at["__n"]][r], vals,
                                                           cols[t_idx][r] if t_idx is not None else None)
        order = sorted(range(nd), key=lambda i: self.dims[i][0])
        return sorted(out.items(), key=lambda kv: tuple(kv[0][i] for i in order))

    def single(self, buckets: dict) -> list[list]:
        plan = self.plan
        n, vals, t = buckets.get(0, (0, None, None))
        if not n:
            return []
        if self.integral is not None:
            i, call, typ = self.integral
            unit = call.args[1].val if len(call.args) == 2 else 1_000_000_000
            windows = integral(vals[i] or [], unit, 0, 0)
            vals = list(vals)
            vals[i] = windows[0][1] if windows else None
            # 1.6.7 reports a float integral at time 0, an integer one at the lower bound
            return [[0 if typ == "float" else (plan.tmin if plan.lower_bound else 0), *vals]]
        time = plan.tmin if plan.lower_bound else 0
        if plan.selector_time:
            if all(v is None for v in vals):
                return []  # e.g. percentile's index outside the points: no row
            time = t if t is not None else time
        return [[time, *vals]]

    def empty(self) -> list:
        return [0 if c else None for c in self.is_count]

    def transform(self, rows: list[list]) -> list[list]:
        """Transformations over the filled buckets (in output order); the lead buckets and the rows
        left without any value go."""
        if not self.transforms:
            return rows
        ordered = rows if self.plan.ascending else rows[::-1]
        for i, t in self.transforms.items():
            got = apply(t, [(r[0], r[1 + i]) for r in ordered], self.plan.ascending)
            for r in rows:
                r[1 + i] = got.get(r[0])
        start = self.plan.out_start
        return [r for r in rows if (start is None or r[0] >= start) and any(v is not None for v in r[1:])]

    def integral_buckets(self, buckets: dict) -> dict:
        """integral with GROUP BY time: the reducer runs over the group's points across buckets
        (an edge is interpolated with the next bucket's first point)."""
        i, call, _ = self.integral
        unit = call.args[1].val if len(call.args) == 2 else 1_000_000_000
        points = [p for b in sorted(buckets) for p in (buckets[b][1][i] or [])]
        out = {}
        for start, area in integral(points, unit, self.plan.interval, self.plan.offset):
            vals = [None] * len(self.columns)
            vals[i] = area
            out[start] = (1, vals, None)
        return out

    def expand(self, rows: list[list]) -> list[list]:
        """``distinct`` rows: one row per value; top/bottom/sample: one row per kept point."""
        if self.point_call is not None:
            i, call, tag_args = self.point_call
            out = []
            for r in rows:
                for p in select_points(call, r[1 + i] or [], tag_args):
                    row = [p["t"]] + [p.get(f"x{j}") for j in range(len(self.columns))]
                    row[1 + i] = p["v"]
                    out.append(row)
            return out
        if "distinct" not in self.post.values():
            return rows
        i = next(k for k, v in self.post.items() if v == "distinct")
        out = []
        for r in rows:
            values = r[1 + i]
            if isinstance(values, list):
                out += [[r[0], v] for v in values]
            elif values is not None or self.plan.interval:
                out.append([r[0], values])
        return out


def _is_point_call(e) -> bool:
    return isinstance(e, Call) and e.name in ("top", "bottom", "sample")


def _post(kind: str, values):
    if values is None:
        return None
    if kind == "distinct":
        seen = dict.fromkeys(values)
        return list(seen)
    return _mode(values)


def _mode(points: list[dict]):
    """InfluxDB's ModeReduceSlice: points sorted by value; a run of equal values becomes the
    mode when it is longer than the best so far, or as long and no later (by the time of its
    first point). A value seen once never displaces the first (smallest) value; booleans:
    true unless false is more frequent."""
    if len(points) == 1:
        return points[0]["v"]
    if isinstance(points[0]["v"], bool):
        trues = sum(1 for p in points if p["v"])
        return trues >= len(points) - trues
    points = sorted(points, key=lambda p: (p["v"], p["t"]))
    most_freq = curr_freq = 0
    curr_mode = most_mode = points[0]["v"]
    curr_time = most_time = points[0]["t"]
    for p in points:
        if p["v"] != curr_mode:
            curr_freq, curr_mode, curr_time = 1, p["v"], p["t"]
            continue
        curr_freq += 1
        if most_freq > curr_freq or (most_freq == curr_freq and curr_time > most_time):
            continue
        most_freq, most_mode, most_time = curr_freq, p["v"], p["t"]
    return most_mode


_ = NUMERIC
