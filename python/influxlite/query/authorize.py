"""Which statements a user may run: InfluxDB 1.8's ``QueryAuthorizer.AuthorizeQuery``
(services/meta/query_authorizer.go) over influxql's ``RequiredPrivileges``.

    authorize_query(meta, user, query, database)     # raises AuthorizeError, or returns

The whole query is checked before any statement runs (a query with one forbidden statement runs
none). ``str(AuthorizeError)`` is InfluxDB's text; the HTTP layer answers 403
``error authorizing query: <text>``:

* no user at all: only a query whose first statement is ``CREATE USER ... WITH ALL PRIVILEGES``
  (``create admin user first or disable authentication``);
* users but none authenticated (no admin left, so requests are not authenticated): ``no user
  provided``;
* an admin may run anything; anyone else needs each statement's privileges:
  ``<user> not authorized to execute statement '<stmt>', requires admin privilege`` or
  ``..., requires READ on <db>`` (the statement's database, else the request's ``db``).
"""

from __future__ import annotations

from . import ast_select as S
from . import ast_statements as A

__all__ = ["AuthorizeError", "authorize_query", "required_privileges"]

READ, WRITE, ALL, NONE = A.Privilege.READ, A.Privilege.WRITE, A.Privilege.ALL, A.Privilege.NONE
ADMIN = (True, "", ALL)

# Statements that need admin privilege, whatever their database.
_ADMIN_ONLY = (
    A.CreateDatabaseStatement, A.DropDatabaseStatement, A.CreateRetentionPolicyStatement,
    A.AlterRetentionPolicyStatement, A.CreateUserStatement, A.DropUserStatement, A.SetPasswordUserStatement,
    A.GrantStatement, A.GrantAdminStatement, A.RevokeStatement, A.RevokeAdminStatement, A.KillQueryStatement,
    A.DropShardStatement, A.DropMeasurementStatement, A.ShowGrantsForUserStatement, A.ShowUsersStatement,
    A.ShowStatsStatement, A.ShowShardGroupsStatement, A.ShowShardsStatement, A.ShowDiagnosticsStatement,
    A.CreateSubscriptionStatement, A.DropSubscriptionStatement, A.ShowSubscriptionsStatement,
)
# Statements that read the database they name (or the request's).
_READ_OWN_DATABASE = (
    A.ShowSeriesStatement, A.ShowMeasurementsStatement, A.ShowRetentionPoliciesStatement,
    A.ShowTagKeysStatement, A.ShowTagValuesStatement, A.ShowFieldKeysStatement,
)
# Cardinality statements: an estimate reads the named database, an exact count its sources.
_CARDINALITY = (A.ShowSeriesCardinalityStatement, A.ShowMeasurementCardinalityStatement)
_BY_SOURCES = (A.ShowTagKeyCardinalityStatement, A.ShowTagValuesCardinalityStatement,
               A.ShowFieldKeyCardinalityStatement)


class AuthorizeError(Exception):
    """A query the user may not run; ``str(e)`` is InfluxDB's ``ErrAuthorize`` text."""

    def __init__(self, message: str, user: str = "") -> None:
        super().__init__(f"{user} not authorized to execute {message}" if user else message)
        self.user = user


def _sources(sources) -> list[tuple[bool, str, A.Privilege]]:
    out = []
    for src in sources or []:
        if isinstance(src, S.SubQuery):
            out += required_privileges(src.statement)
        else:  # a Measurement: READ on its database
            out.append((False, getattr(src, "database", ""), READ))
    return out


def required_privileges(stmt) -> list[tuple[bool, str, A.Privilege]]:
    """influxql's ``RequiredPrivileges``: (admin, database or "" for the request's, privilege)."""
    if isinstance(stmt, _ADMIN_ONLY):
        return [ADMIN]
    if isinstance(stmt, _READ_OWN_DATABASE):
        return [(False, stmt.database, READ)]
    if isinstance(stmt, _CARDINALITY):
        return _sources(stmt.sources) if stmt.exact else [(False, stmt.database, READ)]
    if isinstance(stmt, _BY_SOURCES):
        return _sources(stmt.sources)
    if isinstance(stmt, S.SelectStatement):
        privs = _sources(stmt.sources)
        if stmt.target is not None:
            privs.append((False, stmt.target.measurement.database, WRITE))
        return privs
    if isinstance(stmt, A.ExplainStatement):
        return required_privileges(stmt.statement)
    if isinstance(stmt, (A.DeleteSeriesStatement, A.DropSeriesStatement)):
        return [(False, "", WRITE)]
    if isinstance(stmt, (A.DropRetentionPolicyStatement, A.DropContinuousQueryStatement)):
        return [(False, stmt.database, WRITE)]
    if isinstance(stmt, (A.ShowContinuousQueriesStatement, A.ShowQueriesStatement)):
        return [(False, "", READ)]
    if isinstance(stmt, A.ShowDatabasesStatement):
        return [(False, "", NONE)]  # anyone; the answer lists only what the user may see
    if isinstance(stmt, A.CreateContinuousQueryStatement):
        privs = [(False, stmt.database, READ)]
        target = stmt.source.target.measurement.database if stmt.source.target is not None else ""
        if target:
            privs.append((False, target, WRITE))
        return privs
    return [ADMIN]  # a statement this table does not know: admins only


def authorize_query(meta, user, query, database: str) -> None:
    """Raises ``AuthorizeError`` unless ``user`` (a ``UserInfo`` or None) may run every
    statement of ``query`` with ``database`` as the request's ``db``."""
    statements = query.statements
    if not meta.users:
        first = statements[0] if statements else None
        if isinstance(first, A.CreateUserStatement) and first.admin:
            return
        raise AuthorizeError("create admin user first or disable authentication")
    if user is None:
        raise AuthorizeError("no user provided")
    if user.admin:
        return
    for stmt in statements:
        for admin, name, privilege in required_privileges(stmt):
            if admin:
                raise AuthorizeError(f"statement '{stmt}', requires admin privilege", user.name)
            db = name or database
            if not user.authorize_database(str(privilege) if privilege != ALL else "ALL", db):
                raise AuthorizeError(f"statement '{stmt}', requires {privilege} on {db}", user.name)
