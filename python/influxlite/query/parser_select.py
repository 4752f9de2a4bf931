"""SELECT and the clauses other statements share (FROM, WHERE, GROUP BY, ORDER BY)."""

from __future__ import annotations

import zoneinfo

from .ast_expr import BinaryExpr, Call, Expr, IntegerLiteral, NumberLiteral, walk
from .ast_select import (Dimension, Field, FillOption, Measurement, SelectStatement,
                         SortField, SubQuery, Target)
from .errors import ParseError
from .parser_expr import ExprParser
from .parser_base import unexpected
from .tokens import Tok, tok_name

__all__ = ["SelectParser", "TARGET_REQUIRED", "TARGET_NOT_REQUIRED", "TARGET_SUBQUERY"]

TARGET_REQUIRED, TARGET_NOT_REQUIRED, TARGET_SUBQUERY = 0, 1, 2
_WHERE_OPS = {Tok.EQ, Tok.NEQ, Tok.EQREGEX, Tok.NEQREGEX, Tok.LT, Tok.LTE, Tok.GT, Tok.GTE,
              Tok.AND, Tok.OR}
_FILLS = {"null": FillOption.NULL, "none": FillOption.NONE, "previous": FillOption.PREVIOUS,
          "linear": FillOption.LINEAR}


def _bad_where_op(expr: Expr) -> Tok | None:
    for n in walk(expr):
        if isinstance(n, BinaryExpr) and n.op in _WHERE_OPS:
            return n.op
    return None


def load_location(name: str) -> str:
    """The zone name Go's time.LoadLocation accepts and prints ('' is UTC)."""
    if name in ("", "UTC"):
        return "UTC"
    if name == "Local":
        return "Local"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ParseError(f"unable to find time zone {name}") from None
    return name


class SelectParser(ExprParser):
    def parse_select_statement(self, tr: int) -> SelectStatement:
        stmt = SelectStatement()
        stmt.fields = self.parse_fields()
        stmt.target = self.parse_target(tr)
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.FROM:
            raise unexpected(tok, lit, ["FROM"], pos)
        stmt.sources = self.parse_sources(True)
        stmt.condition = self.parse_condition()
        stmt.dimensions = self.parse_dimensions()
        stmt.fill, stmt.fill_value = self.parse_fill()
        stmt.sort_fields = self.parse_order_by()
        stmt.limit = self.parse_optional_token_and_int(Tok.LIMIT)
        stmt.offset = self.parse_optional_token_and_int(Tok.OFFSET)
        stmt.slimit = self.parse_optional_token_and_int(Tok.SLIMIT)
        stmt.soffset = self.parse_optional_token_and_int(Tok.SOFFSET)
        stmt.location = self.parse_location()
        stmt.is_raw_query = not any(isinstance(n, Call) for f in stmt.fields for n in walk(f))
        return stmt

    def parse_fields(self) -> list[Field]:
        fields = [self.parse_field()]
        while True:
            if self.scan()[0] != Tok.COMMA:
                self.unscan()
                return fields
            fields.append(self.parse_field())

    def parse_field(self) -> Field:
        re_ = self.parse_regex()
        if re_ is not None:
            f = Field(re_)
        else:
            _, pos, _ = self.scan_ignore_ws()
            self.unscan()
            expr = self.parse_expr()
            bad = _bad_where_op(expr)
            if bad is not None:
                raise ParseError(
                    f"invalid operator {tok_name(bad)} in SELECT clause at line {pos[0] + 1}, "
                    f"char {pos[1] + 1}; operator is intended for WHERE clause")
            f = Field(expr)
        if self.accept(Tok.AS):
            f.alias = self.parse_ident()
        self.consume_whitespace()
        return f

    def parse_target(self, tr: int) -> Target | None:
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.INTO:
            if tr == TARGET_REQUIRED:
                raise unexpected(tok, lit, ["INTO"], pos)
            self.unscan()
            return None
        idents = self.parse_segmented_idents()
        if len(idents) < 3 and self.peek_rune() == ":":
            self.expect_tokens(Tok.COLON, Tok.MEASUREMENT)
            idents.append("")
        m = Measurement(is_target=True)
        if len(idents) == 1:
            m.name = idents[0]
        elif len(idents) == 2:
            m.retention_policy, m.name = idents
        else:
            m.database, m.retention_policy, m.name = idents
        return Target(m)

    def parse_sources(self, subqueries: bool) -> list:
        sources = [self.parse_source(subqueries)]
        while self.accept(Tok.COMMA):
            sources.append(self.parse_source(subqueries))
        return sources

    def parse_source(self, subqueries: bool):
        re_ = self.parse_regex()
        if re_ is not None:
            return Measurement(regex=re_)
        if subqueries:
            if self.scan_ignore_ws()[0] == Tok.LPAREN:
                self.expect_tokens(Tok.SELECT)
                stmt = self.parse_select_statement(TARGET_SUBQUERY)
                self.expect_tokens(Tok.RPAREN)
                return SubQuery(stmt)
            self.unscan()
        idents = self.parse_segmented_idents()
        m = Measurement()
        if len(idents) == 3:
            m.database, m.retention_policy, m.name = idents
            return m
        re_ = self.parse_regex()
        m.regex = re_
        if len(idents) == 1:
            if re_ is not None:
                m.retention_policy = idents[0]
            else:
                m.name = idents[0]
        elif re_ is not None:
            m.database, m.retention_policy = idents
        else:
            m.retention_policy, m.name = idents
        return m

    def parse_condition(self) -> Expr | None:
        if not self.accept(Tok.WHERE):
            return None
        return self.parse_expr()

    def parse_dimensions(self) -> list[Dimension]:
        if not self.accept(Tok.GROUP):
            return []
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.BY:
            raise unexpected(tok, lit, ["BY"], pos)
        dims = [self.parse_dimension()]
        while True:
            if self.scan()[0] != Tok.COMMA:
                self.unscan()
                return dims
            dims.append(self.parse_dimension())

    def parse_dimension(self) -> Dimension:
        re_ = self.parse_regex()
        if re_ is not None:
            return Dimension(re_)
        expr = self.parse_expr()
        self.consume_whitespace()
        return Dimension(expr)

    def _peek_call_named(self, name: str) -> bool:
        tok, _, lit = self.scan_ignore_ws()
        self.unscan()
        return tok == Tok.IDENT and lit.lower() == name

    def parse_fill(self):
        if not self._peek_call_named("fill"):
            return FillOption.NULL, None
        expr = self.parse_expr()
        if not isinstance(expr, Call):
            raise ParseError("fill must be a function call")
        if len(expr.args) != 1:
            raise ParseError("fill requires an argument, e.g.: 0, null, none, previous, linear")
        arg = expr.args[0]
        if str(arg) in _FILLS:
            return _FILLS[str(arg)], None
        if isinstance(arg, (IntegerLiteral, NumberLiteral)):
            return FillOption.NUMBER, arg.val
        raise ParseError("expected number argument in fill()")

    def parse_location(self) -> str | None:
        if not self._peek_call_named("tz"):
            return None
        expr = self.parse_expr()
        if not isinstance(expr, Call):
            raise ParseError("tz must be a function call")
        if len(expr.args) != 1:
            raise ParseError("tz requires exactly one argument")
        from .ast_expr import StringLiteral
        if not isinstance(expr.args[0], StringLiteral):
            raise ParseError("expected string argument in tz()")
        return load_location(expr.args[0].val)

    def parse_order_by(self) -> list[SortField]:
        if not self.accept(Tok.ORDER):
            return []
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.BY:
            raise unexpected(tok, lit, ["BY"], pos)
        return self.parse_sort_fields()

    def parse_sort_fields(self) -> list[SortField]:
        tok, pos, lit = self.scan_ignore_ws()
        if tok in (Tok.ASC, Tok.DESC):
            fields = [SortField(ascending=tok == Tok.ASC)]
        elif tok == Tok.IDENT:
            self.unscan()
            f = self.parse_sort_field()
            if lit != "time":
                raise ParseError("only ORDER BY time supported at this time")
            fields = [f]
        else:
            raise unexpected(tok, lit, ["identifier", "ASC", "DESC"], pos)
        while self.accept(Tok.COMMA):
            fields.append(self.parse_sort_field())
        if len(fields) > 1:
            raise ParseError("only ORDER BY time supported at this time")
        return fields

    def parse_sort_field(self) -> SortField:
        name = self.parse_ident()
        tok = self.scan_ignore_ws()[0]
        if tok not in (Tok.ASC, Tok.DESC):
            self.unscan()
            tok = Tok.ASC
        return SortField(name, tok == Tok.ASC)
