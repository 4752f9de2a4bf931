"""Every non-SELECT statement InfluxDB 1.8 parses, with its String() rendering."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from .ast_expr import Expr, StringLiteral
from .ast_select import (Dimension, Node, SelectStatement, SortField, Statement,
                         dimensions_str, sort_fields_str, sources_str)
from .tokens import Tok, tok_name
from .util import format_duration, go_duration_string, quote_ident, quote_string

__all__ = [
    "Privilege", "Query", "CreateDatabaseStatement", "DropDatabaseStatement",
    "CreateRetentionPolicyStatement", "AlterRetentionPolicyStatement",
    "DropRetentionPolicyStatement", "CreateUserStatement", "DropUserStatement",
    "SetPasswordUserStatement", "GrantStatement", "GrantAdminStatement", "RevokeStatement",
    "RevokeAdminStatement", "KillQueryStatement", "ShowDatabasesStatement",
    "ShowRetentionPoliciesStatement", "ShowMeasurementsStatement",
    "ShowMeasurementCardinalityStatement", "ShowSeriesStatement",
    "ShowSeriesCardinalityStatement", "ShowTagKeysStatement", "ShowTagKeyCardinalityStatement",
    "ShowTagValuesStatement", "ShowTagValuesCardinalityStatement", "ShowFieldKeysStatement",
    "ShowFieldKeyCardinalityStatement", "ShowShardsStatement", "ShowShardGroupsStatement",
    "ShowUsersStatement", "ShowGrantsForUserStatement", "ShowDiagnosticsStatement",
    "ShowStatsStatement", "ShowQueriesStatement", "ShowSubscriptionsStatement",
    "ShowContinuousQueriesStatement", "DropMeasurementStatement", "DropSeriesStatement",
    "DeleteSeriesStatement", "DropShardStatement", "DropContinuousQueryStatement",
    "CreateContinuousQueryStatement", "CreateSubscriptionStatement",
    "DropSubscriptionStatement", "ExplainStatement",
]


class Privilege(enum.IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    ALL = 3

    def __str__(self) -> str:
        return {0: "NO PRIVILEGES", 1: "READ", 2: "WRITE", 3: "ALL PRIVILEGES"}[int(self)]


@dataclass(eq=True)
class Query(Node):
    statements: list[Statement] = field(default_factory=list)

    def __str__(self) -> str:
        return ";\n".join(str(s) for s in self.statements)

    def children(self) -> list[Node]:
        return list(self.statements)


def _on(db: str) -> str:
    return f" ON {quote_ident(db)}" if db else ""


def _tail(stmt, *, sources=True, cond=True, sort=False, dims=False, slim=False) -> str:
    """The shared SHOW tail: FROM, WHERE, GROUP BY, ORDER BY, LIMIT, OFFSET, SLIMIT, SOFFSET."""
    out = []
    if sources and stmt.sources is not None:
        out.append(" FROM " + sources_str(stmt.sources))
    if cond and stmt.condition is not None:
        out.append(f" WHERE {stmt.condition}")
    if dims and stmt.dimensions:
        out.append(" GROUP BY " + dimensions_str(stmt.dimensions))
    if sort and stmt.sort_fields:
        out.append(" ORDER BY " + sort_fields_str(stmt.sort_fields))
    names = ["limit", "offset"] + (["slimit", "soffset"] if slim else [])
    for n in names:
        v = getattr(stmt, n, 0)
        if v > 0:
            out.append(f" {n.upper()} {v}")
    return "".join(out)


def _kids(stmt) -> list[Node]:
    kids: list[Node] = list(getattr(stmt, "sources", None) or [])
    if getattr(stmt, "condition", None) is not None:
        kids.append(stmt.condition)
    return kids + list(getattr(stmt, "dimensions", None) or [])


@dataclass(eq=True)
class CreateDatabaseStatement(Statement):
    name: str
    retention_policy_create: bool = False
    retention_policy_duration: int | None = None
    retention_policy_replication: int | None = None
    retention_policy_name: str = ""
    retention_policy_shard_group_duration: int = 0

    def __str__(self) -> str:
        s = "CREATE DATABASE " + quote_ident(self.name)
        if not self.retention_policy_create:
            return s
        s += " WITH"
        if self.retention_policy_duration is not None:
            s += " DURATION " + go_duration_string(self.retention_policy_duration)
        if self.retention_policy_replication is not None:
            s += f" REPLICATION {self.retention_policy_replication}"
        if self.retention_policy_shard_group_duration > 0:
            s += " SHARD DURATION " + go_duration_string(self.retention_policy_shard_group_duration)
        if self.retention_policy_name:
            s += " NAME " + quote_ident(self.retention_policy_name)
        return s


@dataclass(eq=True)
class DropDatabaseStatement(Statement):
    name: str

    def __str__(self) -> str:
        return "DROP DATABASE " + quote_ident(self.name)


@dataclass(eq=True)
class CreateRetentionPolicyStatement(Statement):
    name: str
    database: str
    duration: int = 0
    replication: int = 1
    default: bool = False
    shard_group_duration: int = 0

    def __str__(self) -> str:
        s = (f"CREATE RETENTION POLICY {quote_ident(self.name)} ON {quote_ident(self.database)}"
             f" DURATION {format_duration(self.duration)} REPLICATION {self.replication}")
        if self.shard_group_duration > 0:
            s += " SHARD DURATION " + format_duration(self.shard_group_duration)
        return s + (" DEFAULT" if self.default else "")


@dataclass(eq=True)
class AlterRetentionPolicyStatement(Statement):
    name: str
    database: str
    duration: int | None = None
    replication: int | None = None
    default: bool = False
    shard_group_duration: int | None = None

    def __str__(self) -> str:
        s = f"ALTER RETENTION POLICY {quote_ident(self.name)} ON {quote_ident(self.database)}"
        if self.duration is not None:
            s += " DURATION " + format_duration(self.duration)
        if self.replication is not None:
            s += f" REPLICATION {self.replication}"
        if self.shard_group_duration is not None:
            s += " SHARD DURATION " + format_duration(self.shard_group_duration)
        return s + (" DEFAULT" if self.default else "")


@dataclass(eq=True)
class DropRetentionPolicyStatement(Statement):
    name: str
    database: str

    def __str__(self) -> str:
        return f"DROP RETENTION POLICY {quote_ident(self.name)} ON {quote_ident(self.database)}"


@dataclass(eq=True)
class CreateUserStatement(Statement):
    name: str
    password: str = field(default="", repr=False)
    admin: bool = False

    def __str__(self) -> str:
        s = f"CREATE USER {quote_ident(self.name)} WITH PASSWORD [REDACTED]"
        return s + (" WITH ALL PRIVILEGES" if self.admin else "")


@dataclass(eq=True)
class DropUserStatement(Statement):
    name: str

    def __str__(self) -> str:
        return "DROP USER " + quote_ident(self.name)


@dataclass(eq=True)
class SetPasswordUserStatement(Statement):
    name: str
    password: str = field(default="", repr=False)

    def __str__(self) -> str:
        return f"SET PASSWORD FOR {quote_ident(self.name)} = [REDACTED]"


@dataclass(eq=True)
class GrantStatement(Statement):
    privilege: Privilege
    on: str
    user: str

    def __str__(self) -> str:
        return f"GRANT {self.privilege} ON {quote_ident(self.on)} TO {quote_ident(self.user)}"


@dataclass(eq=True)
class GrantAdminStatement(Statement):
    user: str

    def __str__(self) -> str:
        return "GRANT ALL PRIVILEGES TO " + quote_ident(self.user)


@dataclass(eq=True)
class RevokeStatement(Statement):
    privilege: Privilege
    on: str
    user: str

    def __str__(self) -> str:
        return f"REVOKE {self.privilege} ON {quote_ident(self.on)} FROM {quote_ident(self.user)}"


@dataclass(eq=True)
class RevokeAdminStatement(Statement):
    user: str

    def __str__(self) -> str:
        return "REVOKE ALL PRIVILEGES FROM " + quote_ident(self.user)


@dataclass(eq=True)
class KillQueryStatement(Statement):
    query_id: int
    host: str = ""

    def __str__(self) -> str:
        s = f"KILL QUERY {self.query_id}"
        return s + (f" ON {quote_ident(self.host)}" if self.host else "")


def _fixed(text: str):
    """A statement class with no parts that always renders as `text`."""

    @dataclass(eq=True)
    class _Fixed(Statement):
        def __str__(self) -> str:
            return text

    return _Fixed


class ShowDatabasesStatement(_fixed("SHOW DATABASES")):
    pass


class ShowShardsStatement(_fixed("SHOW SHARDS")):
    pass


class ShowShardGroupsStatement(_fixed("SHOW SHARD GROUPS")):
    pass


class ShowUsersStatement(_fixed("SHOW USERS")):
    pass


class ShowQueriesStatement(_fixed("SHOW QUERIES")):
    pass


class ShowSubscriptionsStatement(_fixed("SHOW SUBSCRIPTIONS")):
    pass


class ShowContinuousQueriesStatement(_fixed("SHOW CONTINUOUS QUERIES")):
    pass


@dataclass(eq=True)
class ShowRetentionPoliciesStatement(Statement):
    database: str = ""

    def __str__(self) -> str:
        return "SHOW RETENTION POLICIES" + _on(self.database)


@dataclass(eq=True)
class ShowGrantsForUserStatement(Statement):
    name: str

    def __str__(self) -> str:
        return "SHOW GRANTS FOR " + quote_ident(self.name)


@dataclass(eq=True)
class ShowDiagnosticsStatement(Statement):
    module: str = ""

    def __str__(self) -> str:
        return "SHOW DIAGNOSTICS" + (f" FOR {quote_string(self.module)}" if self.module else "")


@dataclass(eq=True)
class ShowStatsStatement(Statement):
    module: str = ""

    def __str__(self) -> str:
        return "SHOW STATS" + (f" FOR {quote_string(self.module)}" if self.module else "")


@dataclass(eq=True)
class ShowMeasurementsStatement(Statement):
    database: str = ""
    source: Node | None = None  # WITH MEASUREMENT = name / =~ /re/
    condition: Expr | None = None
    sort_fields: list[SortField] = field(default_factory=list)
    limit: int = 0
    offset: int = 0

    def __str__(self) -> str:
        s = "SHOW MEASUREMENTS"
        if self.database:
            s += " ON " + self.database  # InfluxDB does not quote this one
        if self.source is not None:
            op = "=~" if getattr(self.source, "regex", None) is not None else "="
            s += f" WITH MEASUREMENT {op} {self.source}"
        return s + _tail(self, sources=False, sort=True)

    def children(self) -> list[Node]:
        return ([self.source] if self.source else []) + _kids(self)


@dataclass(eq=True)
class _CardinalityBase(Statement):
    database: str = ""
    exact: bool = False
    sources: list[Node] | None = None
    condition: Expr | None = None
    dimensions: list[Dimension] = field(default_factory=list)
    limit: int = 0
    offset: int = 0

    def children(self) -> list[Node]:
        return _kids(self)


class ShowMeasurementCardinalityStatement(_CardinalityBase):
    def __str__(self) -> str:
        s = "SHOW MEASUREMENT" + (" EXACT" if self.exact else "") + " CARDINALITY"
        return s + _on(self.database) + _tail(self, dims=True)


class ShowSeriesCardinalityStatement(_CardinalityBase):
    def __str__(self) -> str:
        s = "SHOW SERIES" + (" EXACT" if self.exact else "") + " CARDINALITY"
        return s + _on(self.database) + _tail(self, dims=True)


class ShowTagKeyCardinalityStatement(_CardinalityBase):
    def __str__(self) -> str:
        s = "SHOW TAG KEY " + ("EXACT " if self.exact else "") + "CARDINALITY"
        return s + _on(self.database) + _tail(self, dims=True)


class ShowFieldKeyCardinalityStatement(_CardinalityBase):
    def __str__(self) -> str:
        s = "SHOW FIELD KEY " + ("EXACT " if self.exact else "") + "CARDINALITY"
        return s + _on(self.database) + _tail(self, dims=True)


@dataclass(eq=True)
class ShowSeriesStatement(Statement):
    database: str = ""
    sources: list[Node] | None = None
    condition: Expr | None = None
    sort_fields: list[SortField] = field(default_factory=list)
    limit: int = 0
    offset: int = 0

    def __str__(self) -> str:
        return "SHOW SERIES" + _on(self.database) + _tail(self, sort=True)

    def children(self) -> list[Node]:
        return _kids(self)


@dataclass(eq=True)
class ShowTagKeysStatement(Statement):
    database: str = ""
    sources: list[Node] | None = None
    condition: Expr | None = None
    sort_fields: list[SortField] = field(default_factory=list)
    limit: int = 0
    offset: int = 0
    slimit: int = 0
    soffset: int = 0

    def __str__(self) -> str:
        return "SHOW TAG KEYS" + _on(self.database) + _tail(self, sort=True, slim=True)

    def children(self) -> list[Node]:
        return _kids(self)


def _tag_key_expr(op: Tok, expr: Expr) -> str:
    val = quote_ident(expr.val) if isinstance(expr, StringLiteral) else str(expr)
    return f" WITH KEY {tok_name(op)} {val}"


@dataclass(eq=True)
class ShowTagValuesStatement(Statement):
    database: str = ""
    sources: list[Node] | None = None
    op: Tok = Tok.EQ
    tag_key_expr: Expr | None = None
    condition: Expr | None = None
    sort_fields: list[SortField] = field(default_factory=list)
    limit: int = 0
    offset: int = 0

    def __str__(self) -> str:
        s = "SHOW TAG VALUES" + _on(self.database)
        if self.sources is not None:
            s += " FROM " + sources_str(self.sources)
        s += _tag_key_expr(self.op, self.tag_key_expr)
        return s + _tail(self, sources=False, sort=True)

    def children(self) -> list[Node]:
        return _kids(self)


@dataclass(eq=True)
class ShowTagValuesCardinalityStatement(Statement):
    database: str = ""
    exact: bool = False
    sources: list[Node] | None = None
    op: Tok = Tok.EQ
    tag_key_expr: Expr | None = None
    condition: Expr | None = None
    dimensions: list[Dimension] = field(default_factory=list)
    limit: int = 0
    offset: int = 0

    def __str__(self) -> str:
        s = "SHOW TAG VALUES " + ("EXACT " if self.exact else "") + "CARDINALITY"
        s += _on(self.database)
        if self.sources is not None:
            s += " FROM " + sources_str(self.sources)
        s += _tag_key_expr(self.op, self.tag_key_expr)
        return s + _tail(self, sources=False, dims=True)

    def children(self) -> list[Node]:
        return _kids(self)


@dataclass(eq=True)
class ShowFieldKeysStatement(Statement):
    database: str = ""
    sources: list[Node] | None = None
    sort_fields: list[SortField] = field(default_factory=list)
    limit: int = 0
    offset: int = 0

    def __str__(self) -> str:
        return "SHOW FIELD KEYS" + _on(self.database) + _tail(self, cond=False, sort=True)

    def children(self) -> list[Node]:
        return _kids(self)


@dataclass(eq=True)
class DropMeasurementStatement(Statement):
    name: str

    def __str__(self) -> str:
        return "DROP MEASUREMENT " + quote_ident(self.name)


@dataclass(eq=True)
class DropSeriesStatement(Statement):
    sources: list[Node] | None = None
    condition: Expr | None = None

    def __str__(self) -> str:
        return "DROP SERIES" + _tail(self)

    def children(self) -> list[Node]:
        return _kids(self)


@dataclass(eq=True)
class DeleteSeriesStatement(Statement):
    sources: list[Node] | None = None
    condition: Expr | None = None

    def __str__(self) -> str:
        return "DELETE" + _tail(self)

    def children(self) -> list[Node]:
        return _kids(self)


@dataclass(eq=True)
class DropShardStatement(Statement):
    id: int

    def __str__(self) -> str:
        return f"DROP SHARD {self.id}"


@dataclass(eq=True)
class CreateContinuousQueryStatement(Statement):
    name: str
    database: str
    source: SelectStatement
    resample_every: int = 0
    resample_for: int = 0

    def __str__(self) -> str:
        s = f"CREATE CONTINUOUS QUERY {quote_ident(self.name)} ON {quote_ident(self.database)} "
        if self.resample_every > 0 or self.resample_for > 0:
            s += "RESAMPLE "
            if self.resample_every > 0:
                s += f"EVERY {format_duration(self.resample_every)} "
            if self.resample_for > 0:
                s += f"FOR {format_duration(self.resample_for)} "
        return s + f"BEGIN {self.source} END"

    def children(self) -> list[Node]:
        return [self.source]


@dataclass(eq=True)
class DropContinuousQueryStatement(Statement):
    name: str
    database: str

    def __str__(self) -> str:
        return f"DROP CONTINUOUS QUERY {quote_ident(self.name)} ON {quote_ident(self.database)}"


@dataclass(eq=True)
class CreateSubscriptionStatement(Statement):
    name: str
    database: str
    retention_policy: str
    mode: str = "ALL"
    destinations: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        dests = ", ".join(quote_string(d) for d in self.destinations)
        return (f"CREATE SUBSCRIPTION {quote_ident(self.name)} ON {quote_ident(self.database)}"
                f".{quote_ident(self.retention_policy)} DESTINATIONS {self.mode} {dests}")


@dataclass(eq=True)
class DropSubscriptionStatement(Statement):
    name: str
    database: str
    retention_policy: str

    def __str__(self) -> str:
        return (f"DROP SUBSCRIPTION {quote_ident(self.name)} ON {quote_ident(self.database)}"
                f".{quote_ident(self.retention_policy)}")


@dataclass(eq=True)
class ExplainStatement(Statement):
    statement: SelectStatement
    analyze: bool = False

    def __str__(self) -> str:
        return "EXPLAIN " + ("ANALYZE " if self.analyze else "") + str(self.statement)

    def children(self) -> list[Node]:
        return [self.statement]
