"""Public entry points: parse_query, parse_statement, parse_expr.

The statement dispatch is InfluxDB's parse tree (parse_tree.go): keyword paths to
handlers, each level's keys in registration order, which is the order the
`expected` list of a parse error names them.
"""

from __future__ import annotations

from .ast_expr import Expr
from .ast_select import Statement
from .ast_statements import (DropContinuousQueryStatement, DropDatabaseStatement,
                             DropMeasurementStatement, DropRetentionPolicyStatement,
                             DropShardStatement, DropSubscriptionStatement, DropUserStatement,
                             Query, ShowContinuousQueriesStatement, ShowDatabasesStatement,
                             ShowQueriesStatement, ShowShardGroupsStatement, ShowShardsStatement,
                             ShowSubscriptionsStatement, ShowUsersStatement)
from .errors import ParseError
from .parser_base import unexpected
from .parser_select import TARGET_NOT_REQUIRED
from .parser_statements import StatementParser
from .tokens import Tok, tok_name

__all__ = ["Parser", "parse_query", "parse_statement", "parse_expr"]


class _Tree:
    def __init__(self) -> None:
        self.tokens: dict[Tok, _Tree] = {}
        self.handlers: dict[Tok, object] = {}
        self.keys: list[str] = []

    def group(self, *toks: Tok) -> "_Tree":
        t = self
        for tok in toks:
            if tok not in t.tokens:
                t.tokens[tok] = _Tree()
                t.keys.append(tok_name(tok))
            t = t.tokens[tok]
        return t

    def handle(self, tok: Tok, fn) -> None:
        self.handlers[tok] = fn
        self.keys.append(tok_name(tok))


def _simple(cls):
    return lambda p: cls()


def _name_on(cls):
    def parse(p):
        name = p.parse_ident()
        p._expect(Tok.ON, "ON")
        return cls(name, p.parse_ident())
    return parse


def _drop_subscription(p):
    name = p.parse_ident()
    p._expect(Tok.ON, "ON")
    db = p.parse_ident()
    p._expect_dot()
    return DropSubscriptionStatement(name, db, p.parse_ident())


def _build() -> _Tree:
    T = Tok
    lang = _Tree()
    lang.handle(T.SELECT, lambda p: p.parse_select_statement(TARGET_NOT_REQUIRED))
    lang.handle(T.DELETE, lambda p: p.parse_delete())
    show = lang.group(T.SHOW)
    show.group(T.CONTINUOUS).handle(T.QUERIES, _simple(ShowContinuousQueriesStatement))
    show.handle(T.DATABASES, _simple(ShowDatabasesStatement))
    show.handle(T.DIAGNOSTICS, lambda p: p.parse_show_diagnostics())
    show.group(T.FIELD).handle(T.KEY, lambda p: p.parse_show_field_key_cardinality())
    show.group(T.FIELD).handle(T.KEYS, lambda p: p.parse_show_field_keys())
    show.group(T.GRANTS).handle(T.FOR, lambda p: p.parse_show_grants_for_user())
    show.group(T.MEASUREMENT).handle(T.EXACT, lambda p: p.parse_show_measurement_cardinality(True))
    show.group(T.MEASUREMENT).handle(T.CARDINALITY,
                                     lambda p: p.parse_show_measurement_cardinality(False))
    show.handle(T.MEASUREMENTS, lambda p: p.parse_show_measurements())
    show.handle(T.QUERIES, _simple(ShowQueriesStatement))
    show.group(T.RETENTION).handle(T.POLICIES, lambda p: p.parse_show_retention_policies())
    show.handle(T.SERIES, lambda p: p.parse_show_series())
    show.group(T.SHARD).handle(T.GROUPS, _simple(ShowShardGroupsStatement))
    show.handle(T.SHARDS, _simple(ShowShardsStatement))
    show.handle(T.STATS, lambda p: p.parse_show_stats())
    show.handle(T.SUBSCRIPTIONS, _simple(ShowSubscriptionsStatement))
    tag = show.group(T.TAG)
    tag.handle(T.KEY, lambda p: p.parse_show_tag_key_cardinality())
    tag.handle(T.KEYS, lambda p: p.parse_show_tag_keys())
    tag.handle(T.VALUES, lambda p: p.parse_show_tag_values())
    show.handle(T.USERS, _simple(ShowUsersStatement))
    create = lang.group(T.CREATE)
    create.group(T.CONTINUOUS).handle(T.QUERY, lambda p: p.parse_create_continuous_query())
    create.handle(T.DATABASE, lambda p: p.parse_create_database())
    create.handle(T.USER, lambda p: p.parse_create_user())
    create.group(T.RETENTION).handle(T.POLICY, lambda p: p.parse_create_retention_policy())
    create.handle(T.SUBSCRIPTION, lambda p: p.parse_create_subscription())
    drop = lang.group(T.DROP)
    drop.group(T.CONTINUOUS).handle(T.QUERY, _name_on(DropContinuousQueryStatement))
    drop.handle(T.DATABASE, lambda p: DropDatabaseStatement(p.parse_ident()))
    drop.handle(T.MEASUREMENT, lambda p: DropMeasurementStatement(p.parse_ident()))
    drop.group(T.RETENTION).handle(T.POLICY, _name_on(DropRetentionPolicyStatement))
    drop.handle(T.SERIES, lambda p: p.parse_drop_series())
    drop.handle(T.SHARD, lambda p: DropShardStatement(p.parse_uint64()))
    drop.handle(T.SUBSCRIPTION, _drop_subscription)
    drop.handle(T.USER, lambda p: DropUserStatement(p.parse_ident()))
    lang.handle(T.EXPLAIN, lambda p: p.parse_explain())
    lang.handle(T.GRANT, lambda p: p.parse_grant())
    lang.handle(T.REVOKE, lambda p: p.parse_revoke())
    lang.group(T.ALTER, T.RETENTION).handle(T.POLICY, lambda p: p.parse_alter_retention_policy())
    lang.group(T.SET, T.PASSWORD).handle(T.FOR, lambda p: p.parse_set_password())
    lang.group(T.KILL).handle(T.QUERY, lambda p: p.parse_kill_query())
    return lang


LANGUAGE = _build()


class Parser(StatementParser):
    """An InfluxQL parser over one text (with optional bound parameters)."""

    def parse_statement(self) -> Statement:
        t = LANGUAGE
        while True:
            tok, pos, lit = self.scan_ignore_ws()
            if tok in t.tokens:
                t = t.tokens[tok]
                continue
            if tok in t.handlers:
                return t.handlers[tok](self)
            raise unexpected(tok, lit, t.keys, pos)

    def parse_query(self) -> Query:
        stmts: list[Statement] = []
        semi = True
        while True:
            tok, pos, lit = self.scan_ignore_ws()
            if tok == Tok.EOF:
                return Query(stmts)
            if tok == Tok.SEMICOLON:
                semi = True
                continue
            if not semi:
                raise unexpected(tok, lit, [";"], pos)
            self.unscan()
            stmts.append(self.parse_statement())
            semi = False


NESTED_TOO_DEEPLY = "query nested too deeply"


def _bounded(parse):
    """InfluxDB's Go parser recurses as deep as the query nests; this one stops at Python's
    recursion limit (some hundreds of parentheses or subqueries) with a ParseError, a 400,
    rather than a RecursionError."""
    try:
        return parse()
    except RecursionError:
        raise ParseError(NESTED_TOO_DEEPLY) from None


def parse_query(text: str, params: dict | None = None) -> Query:
    """Parse ';'-separated statements; raises ParseError worded as InfluxDB's."""
    return _bounded(Parser(text, params).parse_query)


def parse_statement(text: str, params: dict | None = None) -> Statement:
    """Parse one statement (trailing text is ignored, as in InfluxDB's ParseStatement)."""
    return _bounded(Parser(text, params).parse_statement)


def parse_expr(text: str, params: dict | None = None) -> Expr:
    """Parse one expression, e.g. a WHERE condition."""
    return _bounded(Parser(text, params).parse_expr)


__all__ += ["ParseError"]
