"""SELECT and its parts: fields, sources, dimensions, sort fields, target."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .ast_expr import (BinaryExpr, Call, DurationLiteral, Expr, Node, ParenExpr,
                       RegexLiteral, TimeLiteral, VarRef, Wildcard, walk)
from .util import go_float_v, quote_ident

__all__ = ["Statement", "Field", "Dimension", "Measurement", "SubQuery", "Target",
           "SortField", "FillOption", "SelectStatement", "binary_expr_name",
           "sources_str", "sort_fields_str", "dimensions_str"]


class Statement(Node):
    """Base of every statement."""


def binary_expr_name(expr: Node) -> str:
    """BinaryExprName: var and call names of an expression joined with '_'."""
    names: list[str] = []

    def visit(n: Node) -> None:
        if isinstance(n, VarRef):
            names.append(n.val)
        elif isinstance(n, Call):
            names.append(n.name)
            return
        for c in n.children():
            visit(c)

    visit(expr)
    return "_".join(names)


@dataclass(eq=True)
class Field(Node):
    expr: Expr
    alias: str = ""

    def __str__(self) -> str:
        s = str(self.expr)
        return f"{s} AS {quote_ident(self.alias)}" if self.alias else s

    def children(self) -> list[Node]:
        return [self.expr]

    def name(self) -> str:
        """The column name InfluxDB gives this field."""
        if self.alias:
            return self.alias
        e = self.expr
        while isinstance(e, ParenExpr):
            e = e.expr
        if isinstance(e, Call):
            return e.name
        if isinstance(e, BinaryExpr):
            return binary_expr_name(e)
        if isinstance(e, VarRef):
            return e.val
        return ""


@dataclass(eq=True)
class Dimension(Node):
    expr: Expr

    def __str__(self) -> str:
        return str(self.expr)

    def children(self) -> list[Node]:
        return [self.expr]


@dataclass(eq=True)
class Measurement(Node):
    database: str = ""
    retention_policy: str = ""
    name: str = ""
    regex: RegexLiteral | None = None
    is_target: bool = False
    system_iterator: str = ""

    def __str__(self) -> str:
        out = []
        if self.database:
            out.append(quote_ident(self.database) + ".")
        if self.retention_policy:
            out.append(quote_ident(self.retention_policy))
        if self.database or self.retention_policy:
            out.append(".")
        if self.name and not self.system_iterator:
            out.append(quote_ident(self.name))
        elif self.system_iterator:
            out.append(quote_ident(self.system_iterator))
        elif self.regex is not None:
            out.append(str(self.regex))
        return "".join(out)

    def children(self) -> list[Node]:
        return [self.regex] if self.regex is not None else []


@dataclass(eq=True)
class SubQuery(Node):
    statement: "SelectStatement"

    def __str__(self) -> str:
        return f"({self.statement})"

    def children(self) -> list[Node]:
        return [self.statement]


@dataclass(eq=True)
class Target(Node):
    measurement: Measurement

    def __str__(self) -> str:
        s = "INTO " + str(self.measurement)
        return s + ":MEASUREMENT" if not self.measurement.name else s


@dataclass(eq=True)
class SortField(Node):
    name: str = ""
    ascending: bool = True

    def __str__(self) -> str:
        d = "ASC" if self.ascending else "DESC"
        return f"{self.name} {d}" if self.name else d


class FillOption(enum.IntEnum):
    NULL = 0
    NONE = 1
    NUMBER = 2
    PREVIOUS = 3
    LINEAR = 4


def sources_str(sources) -> str:
    return ", ".join(str(s) for s in sources)


def sort_fields_str(fields) -> str:
    return ", ".join(str(f) for f in fields)


def dimensions_str(dims) -> str:
    return ", ".join(str(d) for d in dims)


def _fill_str(fill: FillOption, value) -> str:
    if fill == FillOption.NONE:
        return " fill(none)"
    if fill == FillOption.NUMBER:
        return f" fill({go_float_v(value) if isinstance(value, float) else value})"
    if fill == FillOption.LINEAR:
        return " fill(linear)"
    if fill == FillOption.PREVIOUS:
        return " fill(previous)"
    return ""


@dataclass(eq=True)
class SelectStatement(Statement):
    fields: list[Field] = field(default_factory=list)
    target: Target | None = None
    sources: list[Node] = field(default_factory=list)
    condition: Expr | None = None
    dimensions: list[Dimension] = field(default_factory=list)
    fill: FillOption = FillOption.NULL
    fill_value: int | float | None = None
    sort_fields: list[SortField] = field(default_factory=list)
    limit: int = 0
    offset: int = 0
    slimit: int = 0
    soffset: int = 0
    location: str | None = None  # tz() zone name
    is_raw_query: bool = True

    def __str__(self) -> str:
        out = ["SELECT ", ", ".join(str(f) for f in self.fields)]
        if self.target is not None:
            out.append(" " + str(self.target))
        if self.sources:
            out.append(" FROM " + sources_str(self.sources))
        if self.condition is not None:
            out.append(f" WHERE {self.condition}")
        if self.dimensions:
            out.append(" GROUP BY " + dimensions_str(self.dimensions))
        out.append(_fill_str(self.fill, self.fill_value))
        if self.sort_fields:
            out.append(" ORDER BY " + sort_fields_str(self.sort_fields))
        for kw, v in (("LIMIT", self.limit), ("OFFSET", self.offset),
                      ("SLIMIT", self.slimit), ("SOFFSET", self.soffset)):
            if v > 0:
                out.append(f" {kw} {v}")
        if self.location is not None:
            out.append(f" TZ('{self.location}')")
        return "".join(out)

    def children(self) -> list[Node]:
        kids: list[Node] = list(self.fields)
        kids += list(self.sources)
        if self.condition is not None:
            kids.append(self.condition)
        return kids + list(self.dimensions)

    # -- helpers the executor needs ------------------------------------------------
    def time_ascending(self) -> bool:
        return not self.sort_fields or self.sort_fields[0].ascending

    def _time_call(self) -> Call | None:
        for d in self.dimensions:
            if isinstance(d.expr, Call) and d.expr.name == "time":
                return d.expr
        return None

    def group_by_interval(self) -> int:
        """GROUP BY time(i) interval in ns (0 if none); ValueError as InfluxDB words it."""
        call = self._time_call()
        if call is None:
            return 0
        if not 1 <= len(call.args) <= 2:
            raise ValueError("time dimension expected 1 or 2 arguments")
        if not isinstance(call.args[0], DurationLiteral):
            raise ValueError("time dimension must have duration argument")
        return call.args[0].val

    def group_by_offset(self) -> int:
        """The offset of GROUP BY time(i, offset) in ns, reduced modulo the interval."""
        interval = self.group_by_interval()
        call = self._time_call()
        if call is None or len(call.args) != 2:
            return 0
        arg = call.args[1]
        if isinstance(arg, DurationLiteral):
            return _go_mod(arg.val, interval)
        if isinstance(arg, TimeLiteral):
            return arg.val % interval if interval > 0 else 0
        raise ValueError(f"invalid time dimension offset: {arg}")

    def has_wildcard(self) -> bool:
        return self.has_field_wildcard() or self.has_dimension_wildcard()

    def has_field_wildcard(self) -> bool:
        return any(isinstance(n, (Wildcard, RegexLiteral))
                   for f in self.fields for n in walk(f))

    def has_dimension_wildcard(self) -> bool:
        return any(isinstance(d.expr, (Wildcard, RegexLiteral)) for d in self.dimensions)

    def tag_dimensions(self) -> list[str]:
        return [d.expr.val for d in self.dimensions if isinstance(d.expr, VarRef)]

    def column_names_basic(self) -> list[str]:
        """'time' plus each field's name (no wildcard expansion, no dedup)."""
        return ["time"] + [f.name() for f in self.fields]


def _go_mod(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("integer divide by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r
