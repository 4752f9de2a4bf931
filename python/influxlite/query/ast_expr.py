"""InfluxQL expression nodes; str(node) is InfluxDB's String() of the node."""

from __future__ import annotations

import datetime as _dt
import enum
from dataclasses import dataclass, field

from .tokens import Tok, tok_name
from .util import format_duration, go_float_f3, quote_ident, quote_string

__all__ = ["DataType", "Node", "Expr", "VarRef", "Call", "Distinct", "NumberLiteral",
           "IntegerLiteral", "UnsignedLiteral", "BooleanLiteral", "StringLiteral",
           "DurationLiteral", "TimeLiteral", "RegexLiteral", "ListLiteral", "NilLiteral",
           "BoundParameter", "BinaryExpr", "ParenExpr", "Wildcard", "format_time_rfc3339nano",
           "walk"]


class DataType(enum.IntEnum):
    UNKNOWN = 0
    FLOAT = 1
    INTEGER = 2
    STRING = 3
    BOOLEAN = 4
    TIME = 5
    DURATION = 6
    TAG = 7
    ANYFIELD = 8
    UNSIGNED = 9

    def __str__(self) -> str:
        return "field" if self is DataType.ANYFIELD else self.name.lower()


class Node:
    """Base of every AST node."""

    def children(self) -> list["Node"]:
        return []


class Expr(Node):
    """Base of expression nodes."""


@dataclass(eq=True)
class VarRef(Expr):
    val: str
    type: DataType = DataType.UNKNOWN

    def __str__(self) -> str:
        s = quote_ident(self.val)
        return s if self.type == DataType.UNKNOWN else f"{s}::{self.type}"


@dataclass(eq=True)
class Call(Expr):
    name: str
    args: list[Expr] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.name}({', '.join(str(a) for a in self.args)})"

    def children(self) -> list[Node]:
        return list(self.args)


@dataclass(eq=True)
class Distinct(Expr):
    val: str

    def __str__(self) -> str:
        return f"DISTINCT {self.val}"

    def new_call(self) -> Call:
        return Call("distinct", [VarRef(self.val)])


@dataclass(eq=True)
class NumberLiteral(Expr):
    val: float

    def __str__(self) -> str:
        return go_float_f3(self.val)


@dataclass(eq=True)
class IntegerLiteral(Expr):
    val: int

    def __str__(self) -> str:
        return str(self.val)


@dataclass(eq=True)
class UnsignedLiteral(Expr):
    val: int

    def __str__(self) -> str:
        return str(self.val)


@dataclass(eq=True)
class BooleanLiteral(Expr):
    val: bool

    def __str__(self) -> str:
        return "true" if self.val else "false"


@dataclass(eq=True)
class StringLiteral(Expr):
    val: str

    def __str__(self) -> str:
        return quote_string(self.val)


@dataclass(eq=True)
class DurationLiteral(Expr):
    val: int  # nanoseconds

    def __str__(self) -> str:
        return format_duration(self.val)


def format_time_rfc3339nano(ns: int) -> str:
    """Go's t.UTC().Format(time.RFC3339Nano) for a time in ns since the epoch."""
    secs, frac = divmod(ns, 1_000_000_000)
    t = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=secs)
    base = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    fs = f"{frac:09d}".rstrip("0")
    return base + ("." + fs if fs else "") + "Z"


@dataclass(eq=True)
class TimeLiteral(Expr):
    val: int  # nanoseconds since the epoch, UTC

    def __str__(self) -> str:
        return "'" + format_time_rfc3339nano(self.val) + "'"


@dataclass(eq=True)
class RegexLiteral(Expr):
    val: str  # the Go (RE2) source, as regexp.String() gives it back

    def __str__(self) -> str:
        return "/" + self.val.replace("/", "\\/") + "/"

    def compiled(self):
        from .regex import compile_go_regex
        return compile_go_regex(self.val)


@dataclass(eq=True)
class ListLiteral(Expr):
    vals: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "(" + ", ".join(quote_ident(v) for v in self.vals) + ")"


@dataclass(eq=True)
class NilLiteral(Expr):
    def __str__(self) -> str:
        return "nil"


@dataclass(eq=True)
class BoundParameter(Expr):
    name: str

    def __str__(self) -> str:
        return "$" + quote_ident(self.name)


@dataclass(eq=True)
class BinaryExpr(Expr):
    op: Tok
    lhs: Expr
    rhs: Expr

    def __str__(self) -> str:
        return f"{self.lhs} {tok_name(self.op)} {self.rhs}"

    def children(self) -> list[Node]:
        return [self.lhs, self.rhs]


@dataclass(eq=True)
class ParenExpr(Expr):
    expr: Expr

    def __str__(self) -> str:
        return f"({self.expr})"

    def children(self) -> list[Node]:
        return [self.expr]


@dataclass(eq=True)
class Wildcard(Expr):
    type: Tok | None = None  # Tok.FIELD, Tok.TAG or None

    def __str__(self) -> str:
        if self.type == Tok.FIELD:
            return "*::field"
        if self.type == Tok.TAG:
            return "*::tag"
        return "*"


def walk(node: Node | None):
    """Yield node and every node below it, depth first."""
    if node is None:
        return
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))
