"""SHOW statements."""

from __future__ import annotations

from .ast_expr import ListLiteral, StringLiteral
from .ast_select import Measurement
from .ast_statements import (ShowDiagnosticsStatement, ShowFieldKeyCardinalityStatement,
                             ShowFieldKeysStatement, ShowMeasurementCardinalityStatement,
                             ShowMeasurementsStatement, ShowRetentionPoliciesStatement,
                             ShowSeriesCardinalityStatement, ShowSeriesStatement,
                             ShowStatsStatement, ShowTagKeyCardinalityStatement,
                             ShowTagKeysStatement, ShowTagValuesCardinalityStatement,
                             ShowTagValuesStatement, ShowGrantsForUserStatement)
from .parser_base import unexpected
from .parser_select import SelectParser
from .tokens import Tok

__all__ = ["ShowParser"]


class ShowParser(SelectParser):
    def _on_from(self, stmt) -> None:
        if self.accept(Tok.ON):
            stmt.database = self.parse_ident()
        if self.accept(Tok.FROM):
            stmt.sources = self.parse_sources(False)

    def _cardinality_tail(self, stmt, tag_key: bool = False):
        self._on_from(stmt)
        if tag_key:
            stmt.op, stmt.tag_key_expr = self.parse_tag_key_expr()
        stmt.condition = self.parse_condition()
        stmt.dimensions = self.parse_dimensions()
        stmt.limit = self.parse_optional_token_and_int(Tok.LIMIT)
        stmt.offset = self.parse_optional_token_and_int(Tok.OFFSET)
        return stmt

    def _order_limit(self, stmt, slimit: bool = False):
        stmt.sort_fields = self.parse_order_by()
        stmt.limit = self.parse_optional_token_and_int(Tok.LIMIT)
        stmt.offset = self.parse_optional_token_and_int(Tok.OFFSET)
        if slimit:
            stmt.slimit = self.parse_optional_token_and_int(Tok.SLIMIT)
            stmt.soffset = self.parse_optional_token_and_int(Tok.SOFFSET)
        return stmt

    def parse_show_series(self):
        exact = self.accept(Tok.EXACT)
        if self.accept(Tok.CARDINALITY):
            return self._cardinality_tail(ShowSeriesCardinalityStatement(exact=exact))
        stmt = ShowSeriesStatement()
        self._on_from(stmt)
        stmt.condition = self.parse_condition()
        return self._order_limit(stmt)

    def parse_show_measurement_cardinality(self, exact: bool):
        if exact:
            tok, pos, lit = self.scan_ignore_ws()
            if tok != Tok.CARDINALITY:
                raise unexpected(tok, lit, ["CARDINALITY"], pos)
        return self._cardinality_tail(ShowMeasurementCardinalityStatement(exact=exact))

    def parse_show_measurements(self):
        stmt = ShowMeasurementsStatement()
        if self.accept(Tok.ON):
            stmt.database = self.parse_ident()
        if self.accept(Tok.WITH):
            self.expect_tokens(Tok.MEASUREMENT)
            tok, pos, lit = self.scan_ignore_ws()
            if tok not in (Tok.EQ, Tok.EQREGEX):
                raise unexpected(tok, lit, ["=", "=~"], pos)
            stmt.source = self.parse_source(False)
        stmt.condition = self.parse_condition()
        return self._order_limit(stmt)

    def parse_show_retention_policies(self):
        stmt = ShowRetentionPoliciesStatement()
        if self.accept(Tok.ON):
            stmt.database = self.parse_ident()
        return stmt

    def _key_cardinality(self, cls):
        required = ["EXACT", "CARDINALITY"]
        exact = self.accept(Tok.EXACT)
        if exact:
            required = required[1:]
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.CARDINALITY:
            raise unexpected(tok, lit, required, pos)
        return self._cardinality_tail(cls(exact=exact))

    def parse_show_tag_key_cardinality(self):
        return self._key_cardinality(ShowTagKeyCardinalityStatement)

    def parse_show_field_key_cardinality(self):
        return self._key_cardinality(ShowFieldKeyCardinalityStatement)

    def parse_show_tag_keys(self):
        stmt = ShowTagKeysStatement()
        self._on_from(stmt)
        stmt.condition = self.parse_condition()
        return self._order_limit(stmt, slimit=True)

    def parse_show_tag_values(self):
        tok = self.scan_ignore_ws()[0]
        if tok == Tok.EXACT:
            return self.parse_show_tag_values_cardinality(True)
        if tok == Tok.CARDINALITY:
            return self.parse_show_tag_values_cardinality(False)
        self.unscan()
        stmt = ShowTagValuesStatement()
        self._on_from(stmt)
        stmt.op, stmt.tag_key_expr = self.parse_tag_key_expr()
        stmt.condition = self.parse_condition()
        return self._order_limit(stmt)

    def parse_show_tag_values_cardinality(self, exact: bool):
        if exact:
            tok, pos, lit = self.scan_ignore_ws()
            if tok != Tok.CARDINALITY:
                raise unexpected(tok, lit, ["CARDINALITY"], pos)
        return self._cardinality_tail(ShowTagValuesCardinalityStatement(exact=exact), tag_key=True)

    def parse_tag_key_expr(self):
        self.expect_tokens(Tok.WITH, Tok.KEY)
        tok, pos, lit = self.scan_ignore_ws()
        if tok == Tok.IN:
            tok, pos, lit = self.scan_ignore_ws()
            if tok != Tok.LPAREN:
                raise unexpected(tok, lit, ["("], pos)
            keys = self.parse_ident_list()
            tok, pos, lit = self.scan_ignore_ws()
            if tok != Tok.RPAREN:
                raise unexpected(tok, lit, [")"], pos)
            return Tok.IN, ListLiteral(keys)
        if tok in (Tok.EQ, Tok.NEQ):
            return tok, StringLiteral(self.parse_ident())
        if tok in (Tok.EQREGEX, Tok.NEQREGEX):
            re_ = self.parse_regex()
            if re_ is None:
                t2, p2, l2 = self.scan_ignore_ws()
                raise unexpected(t2, l2, ["regex"], p2)
            return tok, re_
        raise unexpected(tok, lit, ["IN", "=", "=~"], pos)

    def parse_show_field_keys(self):
        stmt = ShowFieldKeysStatement()
        self._on_from(stmt)
        return self._order_limit(stmt)

    def parse_show_stats(self):
        return ShowStatsStatement(self.parse_string() if self.accept(Tok.FOR) else "")

    def parse_show_diagnostics(self):
        return ShowDiagnosticsStatement(self.parse_string() if self.accept(Tok.FOR) else "")

    def parse_show_grants_for_user(self):
        return ShowGrantsForUserStatement(self.parse_ident())


__all__ += ["Measurement"]
