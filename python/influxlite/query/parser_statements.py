"""CREATE / DROP / ALTER / GRANT / REVOKE / SET / KILL / DELETE / EXPLAIN statements."""

from __future__ import annotations

from .ast_select import Measurement
from .ast_statements import (AlterRetentionPolicyStatement, CreateContinuousQueryStatement,
                             CreateDatabaseStatement, CreateRetentionPolicyStatement,
                             CreateSubscriptionStatement, CreateUserStatement,
                             DeleteSeriesStatement, DropSeriesStatement, ExplainStatement,
                             GrantAdminStatement, GrantStatement, KillQueryStatement, Privilege,
                             RevokeAdminStatement, RevokeStatement, SetPasswordUserStatement)
from .ast_expr import walk
from .errors import ParseError
from .parser_base import INT32_MAX, unexpected
from .parser_select import TARGET_NOT_REQUIRED, TARGET_REQUIRED
from .parser_show import ShowParser
from .tokens import Tok
from .util import format_duration

__all__ = ["StatementParser"]


class StatementParser(ShowParser):
    def _expect(self, tok: Tok, text: str) -> None:
        t, pos, lit = self.scan_ignore_ws()
        if t != tok:
            raise unexpected(t, lit, [text], pos)

    def _expect_dot(self) -> None:
        t, pos, lit = self.scan()
        if t != Tok.DOT:
            raise unexpected(t, lit, ["."], pos)

    def _shard_duration(self) -> int:
        tok, pos, _ = self.scan_ignore_ws()
        if tok == Tok.INF:
            raise ParseError("invalid duration INF for shard duration", pos=pos)
        self.unscan()
        return self.parse_duration()

    def parse_create_database(self):
        stmt = CreateDatabaseStatement(self.parse_ident())
        if not self.accept(Tok.WITH):
            return stmt
        tok, pos, lit = self.scan_ignore_ws()
        if tok not in (Tok.DURATION, Tok.NAME, Tok.REPLICATION, Tok.SHARD):
            raise unexpected(tok, lit, ["DURATION", "NAME", "REPLICATION", "SHARD"], pos)
        self.unscan()
        stmt.retention_policy_create = True
        if self.accept(Tok.DURATION):
            stmt.retention_policy_duration = self.parse_duration()
        if self.accept(Tok.REPLICATION):
            stmt.retention_policy_replication = self.parse_int(1, INT32_MAX)
        if self.accept(Tok.SHARD):
            self._expect(Tok.DURATION, "DURATION")
            stmt.retention_policy_shard_group_duration = self.parse_duration()
        if self.accept(Tok.NAME):
            stmt.retention_policy_name = self.parse_ident()
        return stmt

    def parse_create_retention_policy(self):
        name = self.parse_ident()
        self._expect(Tok.ON, "ON")
        stmt = CreateRetentionPolicyStatement(name, self.parse_ident())
        self._expect(Tok.DURATION, "DURATION")
        stmt.duration = self.parse_duration()
        self._expect(Tok.REPLICATION, "REPLICATION")
        stmt.replication = self.parse_int(1, INT32_MAX)
        if self.accept(Tok.SHARD):
            self._expect(Tok.DURATION, "DURATION")
            stmt.shard_group_duration = self._shard_duration()
        stmt.default = self.accept(Tok.DEFAULT)
        return stmt

    def parse_alter_retention_policy(self):
        tok, pos, lit = self.scan_ignore_ws()
        if tok == Tok.DEFAULT:
            name = "default"
        elif tok == Tok.IDENT:
            name = lit
        else:
            raise unexpected(tok, lit, ["identifier"], pos)
        self._expect(Tok.ON, "ON")
        stmt = AlterRetentionPolicyStatement(name, self.parse_ident())
        found: set[Tok] = set()
        while True:
            tok, pos, lit = self.scan_ignore_ws()
            if tok in found:
                raise ParseError(f"found duplicate {tok.name} option", pos=pos)
            if not self._alter_option(stmt, tok):
                if not found:
                    raise unexpected(tok, lit, ["DURATION", "REPLICATION", "SHARD", "DEFAULT"], pos)
                self.unscan()
                return stmt
            found.add(tok)

    def _alter_option(self, stmt, tok: Tok) -> bool:
        if tok == Tok.DURATION:
            stmt.duration = self.parse_duration()
        elif tok == Tok.REPLICATION:
            stmt.replication = self.parse_int(1, INT32_MAX)
        elif tok == Tok.SHARD:
            self._expect(Tok.DURATION, "DURATION")
            stmt.shard_group_duration = self._shard_duration()
        elif tok == Tok.DEFAULT:
            stmt.default = True
        else:
            return False
        return True

    def parse_create_user(self):
        stmt = CreateUserStatement(self.parse_ident())
        self.expect_tokens(Tok.WITH, Tok.PASSWORD)
        stmt.password = self.parse_string()
        if not self.accept(Tok.WITH):
            return stmt
        self.expect_tokens(Tok.ALL, Tok.PRIVILEGES)
        stmt.admin = True
        return stmt

    def parse_set_password(self):
        name = self.parse_ident()
        self._expect(Tok.EQ, "=")
        return SetPasswordUserStatement(name, self.parse_string())

    def parse_kill_query(self):
        qid = self.parse_uint64()
        host = self.parse_ident() if self.accept(Tok.ON) else ""
        return KillQueryStatement(qid, host)

    def parse_privilege(self) -> Privilege:
        tok, pos, lit = self.scan_ignore_ws()
        if tok == Tok.READ:
            return Privilege.READ
        if tok == Tok.WRITE:
            return Privilege.WRITE
        if tok == Tok.ALL:
            self.accept(Tok.PRIVILEGES)
            return Privilege.ALL
        raise unexpected(tok, lit, ["READ", "WRITE", "ALL [PRIVILEGES]"], pos)

    def _grant_or_revoke(self, word: Tok, word_text: str, on_cls, admin_cls):
        priv = self.parse_privilege()
        tok, pos, lit = self.scan_ignore_ws()
        if tok == Tok.ON:
            on = self.parse_ident()
            self._expect(word, word_text)
            return on_cls(priv, on, self.parse_ident())
        if tok == word:
            if priv != Privilege.ALL:
                raise unexpected(tok, lit, ["ON"], pos)
            return admin_cls(self.parse_ident())
        if priv == Privilege.ALL:
            raise unexpected(tok, lit, ["ON", word_text], pos)
        raise unexpected(tok, lit, ["ON"], pos)

    def parse_grant(self):
        return self._grant_or_revoke(Tok.TO, "TO", GrantStatement, GrantAdminStatement)

    def parse_revoke(self):
        return self._grant_or_revoke(Tok.FROM, "FROM", RevokeStatement, RevokeAdminStatement)

    def _series_target(self, cls):
        stmt = cls()
        tok, pos, lit = self.scan_ignore_ws()
        if tok == Tok.FROM:
            stmt.sources = self.parse_sources(False)
            err = None
            for n in walk_sources(stmt.sources):
                if n.database:
                    err = "database not supported"
                if n.retention_policy:
                    err = "retention policy not supported"
            if err:
                raise ParseError(err, pos=(0, 0))
        else:
            self.unscan()
        stmt.condition = self.parse_condition()
        if stmt.condition is None and stmt.sources is None:
            raise unexpected(tok, lit, ["FROM", "WHERE"], pos)
        return stmt

    def parse_delete(self):
        return self._series_target(DeleteSeriesStatement)

    def parse_drop_series(self):
        return self._series_target(DropSeriesStatement)

    def parse_create_subscription(self):
        name = self.parse_ident()
        self._expect(Tok.ON, "ON")
        db = self.parse_ident()
        self._expect_dot()
        stmt = CreateSubscriptionStatement(name, db, self.parse_ident())
        self._expect(Tok.DESTINATIONS, "DESTINATIONS")
        tok, pos, lit = self.scan_ignore_ws()
        if tok not in (Tok.ALL, Tok.ANY):
            raise unexpected(tok, lit, ["ALL", "ANY"], pos)
        stmt.mode = tok.name
        stmt.destinations = self.parse_string_list()
        return stmt

    def parse_explain(self):
        analyze = self.accept(Tok.ANALYZE)
        self._expect(Tok.SELECT, "SELECT")
        return ExplainStatement(self.parse_select_statement(TARGET_NOT_REQUIRED), analyze)

    def parse_create_continuous_query(self):
        name = self.parse_ident()
        self._expect(Tok.ON, "ON")
        db = self.parse_ident()
        every = for_ = 0
        if self.accept(Tok.RESAMPLE):
            every, for_ = self.parse_resample()
        self.expect_tokens(Tok.BEGIN, Tok.SELECT)
        source = self.parse_select_statement(TARGET_REQUIRED)
        if not source.is_raw_query:
            self._check_cq_interval(source)
        self._expect(Tok.END, "END")
        stmt = CreateContinuousQueryStatement(name, db, source, every, for_)
        _validate_cq(stmt)
        return stmt

    def _check_cq_interval(self, source) -> None:
        err = None
        try:
            d = source.group_by_interval()
        except ValueError as e:
            d, err = 0, str(e)
        if d == 0 or err:
            self.unscan()
            self.unscan()
            tok, pos, lit = self.scan_ignore_ws()
            expected = ["GROUP BY time(...)"] + ([err] if err else [])
            raise unexpected(tok, lit, expected, pos)

    def parse_resample(self) -> tuple[int, int]:
        every = self._resample_duration(Tok.EVERY)
        for_ = self._resample_duration(Tok.FOR)
        if every == 0 and for_ == 0:
            tok, pos, lit = self.scan_ignore_ws()
            raise unexpected(tok, lit, ["EVERY", "FOR"], pos)
        return every, for_

    def _resample_duration(self, word: Tok) -> int:
        if not self.accept(word):
            return 0
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.DURATIONVAL:
            raise unexpected(tok, lit, ["duration"], pos)
        self.unscan()
        return self.parse_duration()


def walk_sources(sources):
    for s in sources:
        for n in walk(s):
            if isinstance(n, Measurement):
                yield n


def _validate_cq(stmt) -> None:
    try:  # a raw query's GROUP BY time(v) gets here: InfluxDB's parse error, without a position
        interval = stmt.source.group_by_interval()
    except ValueError as e:
        raise ParseError(str(e)) from None
    if stmt.resample_for != 0:
        if stmt.resample_every != 0 and stmt.resample_every > interval:
            interval = stmt.resample_every
        if interval > stmt.resample_for:
            raise ParseError(
                "FOR duration must be >= GROUP BY time duration: must be a minimum of "
                f"{format_duration(interval)}, got {format_duration(stmt.resample_for)}")
