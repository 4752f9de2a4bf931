"""InfluxQL expressions as DuckDB SQL, with InfluxQL's rules.

``Scope`` knows the columns one measurement's scan delivers (fields with their InfluxDB type,
tags). ``value_sql`` translates a field expression (var refs, casts, literals, arithmetic, math
functions) into SQL and its result type; ``condition_sql`` translates a WHERE condition (time
already removed) the way InfluxDB evaluates it point by point:

* a tag is ``''`` where a series lacks it; tags only compare with ``= != =~ !~`` against a
  string or regex, anything else matches nothing;
* integers and floats compare numerically; strings only with ``= != =~ !~``, booleans only with
  ``= !=`` against ``true``/``false``; a type mismatch or an unknown field matches nothing;
* ``/`` always divides as floats; division or modulo by zero gives 0; math functions whose
  result is NaN give null.

Regexes are Go's RE2, which DuckDB's ``regexp_matches`` also speaks (unanchored search).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ast_expr import (BinaryExpr, BooleanLiteral, Call, DataType, DurationLiteral, Expr, IntegerLiteral,
                       NilLiteral, NumberLiteral, ParenExpr, RegexLiteral, StringLiteral, TimeLiteral,
                       UnsignedLiteral, VarRef)
from .results import StatementError
from .tokens import Tok

__all__ = ["Scope", "value_sql", "condition_sql", "q_ident", "q_str", "MATH_FUNCTIONS"]

NUMERIC = ("float", "integer", "unsigned")
MATH_FUNCTIONS = {"abs", "acos", "asin", "atan", "atan2", "ceil", "cos", "exp", "floor", "ln", "log", "log2",
                  "log10", "pow", "round", "sin", "sqrt", "tan"}
_KEEP_INT = {"abs", "ceil", "floor", "round"}
_CMP = {Tok.EQ: "=", Tok.NEQ: "<>", Tok.LT: "<", Tok.LTE: "<=", Tok.GT: ">", Tok.GTE: ">="}
_CAST_SQL = {"float": "DOUBLE", "integer": "BIGINT", "unsigned": "UBIGINT", "string": "VARCHAR",
             "boolean": "BOOLEAN"}


def q_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def q_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


@dataclass
class Scope:
    """Columns of one scan: field name -> (column, InfluxDB type); tag key -> column."""

    fields: dict[str, tuple[str, str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def ref(self, ref: VarRef) -> tuple[str | None, str | None]:
        """(SQL, type) of a var ref: type 'tag' for a tag; (None, None) when it names nothing."""
        name, want = ref.val, ref.type
        if want in (DataType.UNKNOWN, DataType.ANYFIELD, DataType.FLOAT, DataType.INTEGER,
                    DataType.UNSIGNED, DataType.STRING, DataType.BOOLEAN) and name in self.fields:
            col, typ = self.fields[name]
            if want in (DataType.UNKNOWN, DataType.ANYFIELD):
                return q_ident(col), typ
            return _cast(q_ident(col), typ, str(want))
        if want in (DataType.UNKNOWN, DataType.TAG) and name in self.tags:
            return q_ident(self.tags[name]), "tag"
        return None, None


def _cast(sql: str, have: str, want: str) -> tuple[str | None, str | None]:
    """InfluxDB's casts between field types: numbers convert (to integer truncating); a
    string or boolean cast to anything else yields nothing."""
    if have == want:
        return sql, have
    if have in NUMERIC and want in NUMERIC:
        if want == "integer" and have == "float":
            return f"CAST(trunc({sql}) AS BIGINT)", want
        return f"CAST({sql} AS {_CAST_SQL[want]})", want
    return None, None


def _literal(e: Expr) -> tuple[str, str] | None:
    if isinstance(e, NumberLiteral):
        return repr(float(e.val)) + "::DOUBLE", "float"
    if isinstance(e, IntegerLiteral):
        return f"({e.val})::BIGINT", "integer"
    if isinstance(e, UnsignedLiteral):
        return f"{e.val}::UBIGINT", "unsigned"
    if isinstance(e, StringLiteral):
        return q_str(e.val), "string"
    if isinstance(e, BooleanLiteral):
        return ("TRUE" if e.val else "FALSE"), "boolean"
    if isinstance(e, DurationLiteral):
        return f"({e.val})::BIGINT", "integer"
    if isinstance(e, TimeLiteral):
        return f"({e.val})::BIGINT", "integer"
    if isinstance(e, NilLiteral):
        return "NULL", None
    return None


def value_sql(e: Expr, scope: Scope, calls=None) -> tuple[str, str | None]:
    """(SQL, InfluxDB type or None when unknown/null) of a field expression. ``calls`` maps an
    aggregate ``Call`` to its already-built (SQL, type); other calls must be math functions."""
    while isinstance(e, ParenExpr):
        e = e.expr
    lit = _literal(e)
    if lit is not None:
        return lit
    if isinstance(e, VarRef):
        sql, typ = scope.ref(e)
        return (sql, typ) if sql is not None else ("NULL", None)
    if isinstance(e, Call):
        if calls is not None and id(e) in calls:
            return calls[id(e)]
        if e.name in MATH_FUNCTIONS:
            return _math(e, scope, calls)
        raise StatementError(f"undefined function {e.name}()")
    if isinstance(e, BinaryExpr):
        return _arith(e, scope, calls)
    raise StatementError(f"unsupported expression: {e}")


def _arith(e: BinaryExpr, scope: Scope, calls) -> tuple[str, str | None]:
    lsql, lt = value_sql(e.lhs, scope, calls)
    rsql, rt = value_sql(e.rhs, scope, calls)
    if lt == "tag":
        lsql, lt = "NULL", None
    if rt == "tag":
        rsql, rt = "NULL", None
    op = e.op
    if op in (Tok.BITWISE_AND, Tok.BITWISE_OR, Tok.BITWISE_XOR):
        if lt == "boolean" and rt == "boolean":
            fn = {Tok.BITWISE_AND: "AND", Tok.BITWISE_OR: "OR"}.get(op)
            return (f"({lsql} {fn} {rsql})" if fn else f"({lsql} <> {rsql})"), "boolean"
        if lt in ("float", "string") or rt in ("float", "string"):
            raise StatementError(f"type error: {_typed(e, scope)}: incompatible types: {lt} and {rt}")
        sym = {Tok.BITWISE_AND: "&", Tok.BITWISE_OR: "|"}.get(op)
        return (f"({lsql} {sym} {rsql})" if sym else f"xor({lsql}, {rsql})"), "integer"
    if lt in ("string", "boolean") or rt in ("string", "boolean"):
        return "NULL", None
    typ = "float" if "float" in (lt, rt) or op == Tok.DIV else (lt or rt)
    if op == Tok.DIV:
        return f"(CASE WHEN {rsql} = 0 THEN 0.0 ELSE CAST({lsql} AS DOUBLE) / {rsql} END)", "float"
    if op == Tok.MOD:
        if typ == "float":
            return f"(CASE WHEN {rsql} = 0 THEN 0.0 ELSE fmod({lsql}, {rsql}) END)", typ
        return f"(CASE WHEN {rsql} = 0 THEN 0 ELSE {lsql} % {rsql} END)", typ
    sym = {Tok.ADD: "+", Tok.SUB: "-", Tok.MUL: "*"}.get(op)
    if sym is None:
        raise StatementError(f"invalid operator {op} in field expression")
    if typ == "integer":  # Go's int64 arithmetic wraps instead of failing
        r = f"((((CAST({lsql} AS HUGEINT) {sym} {rsql}) % {1 << 64}) + {1 << 64}) % {1 << 64})"
        return f"CAST(CASE WHEN {r} >= {1 << 63} THEN {r} - {1 << 64} ELSE {r} END AS BIGINT)", typ
    return f"({lsql} {sym} {rsql})", typ


def _typed(e: Expr, scope: Scope) -> str:
    """The expression as InfluxDB prints it in type errors: field refs with their types."""
    if isinstance(e, VarRef) and e.type == DataType.UNKNOWN and e.val in scope.fields:
        return str(VarRef(e.val, DataType[scope.fields[e.val][1].upper()]))
    if isinstance(e, BinaryExpr):
        return str(BinaryExpr(e.op, _Text(_typed(e.lhs, scope)), _Text(_typed(e.rhs, scope))))
    return str(e)


class _Text(Expr):
    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _math(e: Call, scope: Scope, calls) -> tuple[str, str | None]:
    args = [value_sql(a, scope, calls) for a in e.args]
    want = 2 if e.name in ("atan2", "log", "pow") else 1
    if len(args) != want:
        raise StatementError(f"invalid number of arguments for {e.name}, expected {want}, got {len(args)}")
    if any(t not in NUMERIC for _, t in args if t is not None):
        return "NULL", None
    x = args[0][0]
    typ = args[0][1]
    name = e.name
    if name in _KEEP_INT and typ in ("integer", "unsigned"):
        return (f"abs({x})" if name == "abs" else x), typ
    fx = f"CAST({x} AS DOUBLE)"
    if name == "round":  # half away from zero
        return f"(sign({fx}) * floor(abs({fx}) + 0.5))", "float"
    if name in ("abs", "ceil", "floor", "sin", "cos", "tan", "atan", "exp"):
        return f"{name}({fx})", "float"
    if name == "sqrt":
        return f"(CASE WHEN {fx} >= 0 THEN sqrt({fx}) END)", "float"
    if name in ("asin", "acos"):
        return f"(CASE WHEN {fx} BETWEEN -1 AND 1 THEN {name}({fx}) END)", "float"
    if name in ("ln", "log2", "log10"):
        fn = {"ln": "ln", "log2": "log2", "log10": "log10"}[name]
        return f"(CASE WHEN {fx} > 0 THEN {fn}({fx}) WHEN {fx} = 0 THEN '-inf'::DOUBLE END)", "float"
    y = f"CAST({args[1][0]} AS DOUBLE)"
    if name == "atan2":
        return f"atan2({fx}, {y})", "float"
    if name == "pow":
        return f"pow({fx}, {y})", "float"
    # log(x, b) = ln(x) / ln(b)
    return f"(CASE WHEN {fx} > 0 AND {y} > 0 AND {y} <> 1 THEN ln({fx}) / ln({y}) END)", "float"


# --- conditions ------------------------------------------------------------------------------------

def condition_sql(e: Expr | None, scope: Scope) -> str:
    if e is None:
        return "TRUE"
    while isinstance(e, ParenExpr):
        e = e.expr
    if isinstance(e, BooleanLiteral):
        return "TRUE" if e.val else "FALSE"
    if isinstance(e, BinaryExpr):
        if e.op in (Tok.AND, Tok.OR):
            word = "AND" if e.op == Tok.AND else "OR"
            return f"({condition_sql(e.lhs, scope)} {word} {condition_sql(e.rhs, scope)})"
        if e.op in _CMP or e.op in (Tok.EQREGEX, Tok.NEQREGEX):
            return _comparison(e, scope)
    if isinstance(e, Call):
        raise StatementError(f"invalid function call in condition: {e}")
    raise StatementError(f"invalid condition expression: {e}")


def _is_tagish(e: Expr, scope: Scope) -> bool:
    if not isinstance(e, VarRef):
        return False
    sql, typ = scope.ref(e)
    return typ == "tag" or (sql is None and e.type in (DataType.UNKNOWN, DataType.TAG))


def _comparison(e: BinaryExpr, scope: Scope) -> str:
    lhs, rhs, op = e.lhs, e.rhs, e.op
    if _is_tagish(rhs, scope) and not _is_tagish(lhs, scope):
        lhs, rhs = rhs, lhs
        op = {Tok.LT: Tok.GT, Tok.GT: Tok.LT, Tok.LTE: Tok.GTE, Tok.GTE: Tok.LTE}.get(op, op)
    for side in (lhs, rhs):
        if isinstance(side, Call) and side.name not in MATH_FUNCTIONS:
            raise StatementError(f"invalid function call in condition: {side}")
    if _is_tagish(lhs, scope):
        sql, _ = scope.ref(lhs)
        return _tag_comparison(f"coalesce({sql}, '')" if sql else "''", op, rhs)
    if isinstance(rhs, RegexLiteral) or isinstance(lhs, RegexLiteral):
        if isinstance(lhs, RegexLiteral):
            lhs, rhs = rhs, lhs
        sql, typ = value_sql(lhs, scope)
        if typ != "string" or op not in (Tok.EQREGEX, Tok.NEQREGEX):
            return "FALSE"
        hit = f"regexp_matches({sql}, {q_str(rhs.val)})"
        return f"coalesce({hit}, FALSE)" if op == Tok.EQREGEX else f"coalesce(NOT {hit}, FALSE)"
    lsql, lt = value_sql(lhs, scope)
    rsql, rt = value_sql(rhs, scope)
    if op not in _CMP or lt is None or rt is None or lt == "tag" or rt == "tag":
        return "FALSE"
    if lt in NUMERIC and rt in NUMERIC:
        return f"coalesce({lsql} {_CMP[op]} {rsql}, FALSE)"
    if lt != rt or op not in (Tok.EQ, Tok.NEQ):
        return "FALSE"
    return f"coalesce({lsql} {_CMP[op]} {rsql}, FALSE)"


def _tag_comparison(col: str, op: Tok, value: Expr) -> str:
    while isinstance(value, ParenExpr):
        value = value.expr
    if isinstance(value, StringLiteral) and op in (Tok.EQ, Tok.NEQ):
        return f"({col} {_CMP[op]} {q_str(value.val)})"
    if isinstance(value, RegexLiteral) and op in (Tok.EQREGEX, Tok.NEQREGEX, Tok.EQ, Tok.NEQ):
        hit = f"regexp_matches({col}, {q_str(value.val)})"
        return hit if op in (Tok.EQREGEX, Tok.EQ) else f"(NOT {hit})"
    return "FALSE"
