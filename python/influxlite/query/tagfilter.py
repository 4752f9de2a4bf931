"""WHERE on tags for meta queries: a condition becomes a set of series ids of one measurement
in one shard, through the shard's TSI index (roaring bitmaps); no point is ever read.

Supported as InfluxDB's tsi1 index supports them: ``tag = 'v'``, ``!=``, ``=~ /re/``, ``!~``,
AND, OR, parentheses, ``true``. A missing tag reads as ``''`` (``host = ''`` is the series
without ``host``; a regex that matches ``''`` also takes them). ``_name`` compares the
measurement name. Anything else raises ``TagFilterError('invalid tag comparison operator')``
(or InfluxDB's text for the case).
"""

from __future__ import annotations

from pyroaring import BitMap64

from .ast_expr import BinaryExpr, BooleanLiteral, Expr, ParenExpr, RegexLiteral, StringLiteral, VarRef
from .timerange import condition_expr
from .tokens import Tok

__all__ = ["TagFilterError", "series_ids", "strip_time", "name_matches"]

_CMP = (Tok.EQ, Tok.NEQ, Tok.EQREGEX, Tok.NEQREGEX)


class TagFilterError(ValueError):
    """A condition meta queries cannot evaluate; str() is InfluxDB's text."""


def strip_time(cond: Expr | None, now: int | None = None) -> Expr | None:
    """The condition without its time comparisons (meta queries ignore them)."""
    if cond is None:
        return None
    try:
        expr, _ = condition_expr(cond, now)
    except ValueError as e:
        raise TagFilterError(str(e)) from None
    return expr


def has_time(cond: Expr | None) -> bool:
    from .ast_expr import walk
    return any(isinstance(n, VarRef) and n.val.lower() == "time" for n in walk(cond))


def _raw(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _operands(e: BinaryExpr) -> tuple[str, Expr]:
    if isinstance(e.lhs, VarRef):
        return e.lhs.val, e.rhs
    if isinstance(e.rhs, VarRef):
        return e.rhs.val, e.lhs
    raise TagFilterError("invalid tag comparison operator")


def name_matches(name: str, op: Tok, value: Expr) -> bool:
    if isinstance(value, RegexLiteral):
        hit = value.compiled().search(name) is not None
        if op in (Tok.EQREGEX, Tok.EQ):
            return hit
        return not hit
    if isinstance(value, StringLiteral):
        return (name == value.val) == (op in (Tok.EQ, Tok.EQREGEX))
    raise TagFilterError("invalid tag comparison operator")


def series_ids(index, measurement: bytes, cond: Expr | None) -> BitMap64:
    """The ids of ``measurement``'s series in ``index`` that satisfy ``cond`` (all if None)."""
    every = index.measurement_series_ids(measurement)
    if cond is None:
        return every
    return _eval(index, measurement, cond, every)


def _eval(index, m: bytes, e: Expr, every: BitMap64) -> BitMap64:
    if isinstance(e, ParenExpr):
        return _eval(index, m, e.expr, every)
    if isinstance(e, BooleanLiteral):
        return BitMap64(every) if e.val else BitMap64()
    if not isinstance(e, BinaryExpr):
        raise TagFilterError("invalid tag comparison operator")
    if e.op == Tok.AND:
        return _eval(index, m, e.lhs, every) & _eval(index, m, e.rhs, every)
    if e.op == Tok.OR:
        return _eval(index, m, e.lhs, every) | _eval(index, m, e.rhs, every)
    if e.op not in _CMP:
        raise TagFilterError("invalid tag comparison operator")
    key, value = _operands(e)
    if key == "_name":
        return BitMap64(every) if name_matches(m.decode("utf-8", "surrogateescape"), e.op, value) else BitMap64()
    if isinstance(value, RegexLiteral):
        return _regex(index, m, _raw(key), e.op, value, every)
    if isinstance(value, StringLiteral):
        return _equal(index, m, _raw(key), e.op, _raw(value.val), every)
    if isinstance(value, VarRef):
        raise TagFilterError("invalid tag comparison operator")
    raise TagFilterError("invalid tag comparison operator")


def _equal(index, m: bytes, key: bytes, op: Tok, value: bytes, every: BitMap64) -> BitMap64:
    if op in (Tok.EQREGEX, Tok.NEQREGEX):
        raise TagFilterError("invalid tag comparison operator")
    if value == b"":
        with_key = index.tag_key_series_ids(m, key)
        return every - with_key if op == Tok.EQ else with_key & every
    hits = index.tag_value_series_ids(m, key, value)
    return hits & every if op == Tok.EQ else every - hits


def _regex(index, m: bytes, key: bytes, op: Tok, value: RegexLiteral, every: BitMap64) -> BitMap64:
    if op in (Tok.EQ, Tok.NEQ):
        raise TagFilterError("invalid tag comparison operator")
    rx = value.compiled()
    matching = BitMap64()
    for v in index.tag_values(m, key):
        if rx.search(v.decode("utf-8", "surrogateescape")) is not None:
            matching |= index.tag_value_series_ids(m, key, v)
    if rx.search("") is not None:  # series without the key count as ''
        matching |= every - index.tag_key_series_ids(m, key)
    matching &= every
    return matching if op == Tok.EQREGEX else every - matching
