"""The InfluxQL statement executor (every statement but SELECT), below HTTP.

    from influxlite.query.executor import QueryExecutor
    results = QueryExecutor(engine).execute("SHOW DATABASES; SHOW MEASUREMENTS", database="db")
    body = to_json(results)              # influxlite.query.results.to_json: {"results":[...]}

``execute`` returns the ``results`` list exactly as InfluxDB's JSON has it, one dict per
statement: ``{"statement_id":N}`` when empty, ``"series"`` when rows, ``"error"`` when it
failed. Statements run in order; after a failing statement k the rest do not run and, when
more statements followed, statement k reads ``{"statement_id":k,"error":"not executed"}``
(what InfluxDB's handler ends up sending, influxql.md §6.4). A text that does not parse raises
``ParseError`` (the HTTP layer answers 400 ``error parsing query: <text>``).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import ast_select as S
from . import ast_statements as A
from . import meta_cardinality as C
from . import meta_ddl as D
from . import meta_show as M
from .authorize import authorize_query
from .parser import parse_query
from .chunks import merge_results, results_of
from .limits import Guard, QueryLimits
from .results import StatementError, make_result
from .select_exec import select

__all__ = ["QueryExecutor", "NOT_EXECUTED", "SELECT_NOT_IMPLEMENTED"]

NOT_EXECUTED = "not executed"
SELECT_NOT_IMPLEMENTED = "not implemented yet: SELECT"


def _not_implemented(what: str):
    def run(ctx, stmt):
        raise StatementError(f"not implemented yet: {what}")
    return run


HANDLERS = {
    S.SelectStatement: select,
    A.ExplainStatement: _not_implemented("EXPLAIN"),
    A.ShowDatabasesStatement: M.show_databases,
    A.ShowRetentionPoliciesStatement: M.show_retention_policies,
    A.ShowMeasurementsStatement: M.show_measurements,
    A.ShowTagKeysStatement: M.show_tag_keys,
    A.ShowTagValuesStatement: M.show_tag_values,
    A.ShowFieldKeysStatement: M.show_field_keys,
    A.ShowSeriesStatement: M.show_series,
    A.ShowUsersStatement: M.show_users,
    A.ShowGrantsForUserStatement: M.show_grants,
    A.ShowShardsStatement: M.show_shards,
    A.ShowShardGroupsStatement: M.show_shard_groups,
    A.ShowQueriesStatement: M.show_queries,
    A.ShowContinuousQueriesStatement: M.show_continuous_queries,
    A.ShowSubscriptionsStatement: M.show_subscriptions,
    A.ShowSeriesCardinalityStatement: C.show_series_cardinality,
    A.ShowMeasurementCardinalityStatement: C.show_measurement_cardinality,
    A.ShowTagKeyCardinalityStatement: C.show_tag_key_cardinality,
    A.ShowFieldKeyCardinalityStatement: C.show_field_key_cardinality,
    A.ShowTagValuesCardinalityStatement: C.show_tag_values_cardinality,
    A.ShowDiagnosticsStatement: C.show_diagnostics,
    A.ShowStatsStatement: C.show_stats,
    A.CreateDatabaseStatement: D.create_database,
    A.DropDatabaseStatement: D.drop_database,
    A.CreateRetentionPolicyStatement: D.create_retention_policy,
    A.AlterRetentionPolicyStatement: D.alter_retention_policy,
    A.DropRetentionPolicyStatement: D.drop_retention_policy,
    A.DropMeasurementStatement: D.drop_measurement,
    A.DropSeriesStatement: D.drop_series,
    A.DeleteSeriesStatement: D.delete_series,
    A.DropShardStatement: D.drop_shard,
    A.CreateUserStatement: D.create_user,
    A.DropUserStatement: D.drop_user,
    A.SetPasswordUserStatement: D.set_password,
    A.GrantStatement: D.grant,
    A.GrantAdminStatement: D.grant_admin,
    A.RevokeStatement: D.revoke,
    A.RevokeAdminStatement: D.revoke_admin,
    A.KillQueryStatement: D.kill_query,
    A.DropContinuousQueryStatement: D.drop_continuous_query,
    A.CreateContinuousQueryStatement: D.create_continuous_query,
    A.CreateSubscriptionStatement: _not_implemented("CREATE SUBSCRIPTION"),
    A.DropSubscriptionStatement: D.drop_subscription,
}


# Statements that write: sent by GET they still run, with InfluxDB's deprecation warning
# (recorded from 1.6.7; DELETE and KILL QUERY get none).
WARNED_ON_GET = (A.CreateDatabaseStatement, A.DropDatabaseStatement, A.CreateRetentionPolicyStatement,
                 A.AlterRetentionPolicyStatement, A.DropRetentionPolicyStatement, A.CreateUserStatement,
                 A.SetPasswordUserStatement, A.GrantStatement, A.GrantAdminStatement, A.RevokeStatement,
                 A.RevokeAdminStatement, A.DropUserStatement, A.DropSeriesStatement, A.DropMeasurementStatement,
                 A.DropShardStatement, A.CreateContinuousQueryStatement, A.DropContinuousQueryStatement,
                 A.CreateSubscriptionStatement, A.DropSubscriptionStatement)


def read_only_warning(stmt) -> dict:
    """query.ReadOnlyWarning: the message a statement that writes gets when sent by GET."""
    return {"level": "warning",
            "text": f"deprecated use of '{stmt}' in a read only context, please use a POST request instead"}


@dataclass
class RunningQuery:
    qid: int
    text: str
    database: str
    started: int = field(default_factory=time.monotonic_ns)
    guard: Guard = field(default_factory=lambda: Guard(QueryLimits()))

    def elapsed_us(self) -> int:
        return max(1, (time.monotonic_ns() - self.started) // 1000)


@dataclass
class Context:
    """What a statement handler sees."""

    engine: object
    database: str
    retention_policy: str
    now: int
    user: object = None
    started_at: int = 0
    registry: "QueryExecutor | None" = None
    guard: Guard | None = None  # the running statement's limits and kill switch

    def running_queries(self) -> list[RunningQuery]:
        return self.registry.running_queries() if self.registry is not None else []


class QueryExecutor:
    """Runs InfluxQL against an open ``Engine``; thread-safe (one per engine is enough)."""

    def __init__(self, engine, limits: QueryLimits | None = None) -> None:
        self.engine = engine
        self.limits = limits or QueryLimits()
        if self.limits.query_memory_limit:
            from .select_exec import set_memory_limit

            set_memory_limit(self.limits.query_memory_limit)
        self.started_at = time.time_ns()
        self._qids = itertools.count(1)
        self._lock = threading.Lock()
        self._running: dict[int, RunningQuery] = {}

    def running_queries(self) -> list[RunningQuery]:
        with self._lock:
            return sorted(self._running.values(), key=lambda q: q.qid)

    def kill(self, qid: int) -> bool:
        """KILL QUERY: the statement stops at its next check with ``query interrupted``."""
        with self._lock:
            rq = self._running.get(qid)
        if rq is None:
            return False
        rq.guard.kill()
        return True

    def authorize(self, query, database: str = "", user=None) -> None:
        """With authentication on, before ``execute``: raises ``query.authorize.AuthorizeError``
        unless ``user`` (a ``UserInfo``, None when unauthenticated) may run every statement."""
        authorize_query(self.engine.meta, user, parse_query(query) if isinstance(query, str) else query,
                        database or "")

    def execute(self, query, database: str = "", retention_policy: str = "", params: dict | None = None,
                now: int | None = None, user=None) -> list[dict]:
        """The ``results`` list of a query (text or a parsed ``Query``); see the module doc."""
        return merge_results(self.execute_iter(query, database, retention_policy, params, now, user))

    def execute_iter(self, query, database: str = "", retention_policy: str = "", params: dict | None = None,
                     now: int | None = None, user=None, *, chunk_size: int | None = None,
                     read_only: bool = False) -> Iterator[dict]:
        """The results one by one, as InfluxDB's executor sends them: with ``chunk_size`` a
        statement's rows are cut into several results (``query.chunks``), else each statement is
        one result. A failing statement k (of n) is followed by n-1-k ``not executed`` results,
        all with id k (recorded from 1.6.7; merged, they read as the module doc says).
        ``read_only`` (a GET) adds InfluxDB's deprecation warning to statements that write.
        Rows are produced while the iterator is consumed; closing it stops the statement."""
        q = parse_query(query, params) if isinstance(query, str) else query
        ctx = Context(self.engine, database or "", retention_policy or "", time.time_ns() if now is None else now,
                      user, self.started_at, self)
        n = len(q.statements)
        for i, stmt in enumerate(q.statements):
            failed = yield from self._results(ctx, i, stmt, chunk_size, read_only)
            if failed is not None:
                yield make_result(i, error=failed)
                for _ in range(i, n - 1):
                    yield make_result(i, error=NOT_EXECUTED)
                return

    def _results(self, ctx: Context, i: int, stmt, chunk_size: int | None, read_only: bool):
        """Yields statement i's results; returns its error text when it failed."""
        handler = HANDLERS.get(type(stmt))
        if handler is None:
            return f"not implemented yet: {type(stmt).__name__}"
        rq = RunningQuery(next(self._qids), str(stmt), ctx.database, guard=Guard(self.limits))
        limit = self.limits.max_concurrent_queries
        with self._lock:
            if limit and len(self._running) >= limit:
                return f"max-concurrent-queries limit exceeded({len(self._running) + 1}, {limit})"
            self._running[rq.qid] = rq
        ctx.guard = rq.guard
        try:
            rows = handler(ctx, stmt)
            messages = [read_only_warning(stmt)] if read_only and isinstance(stmt, WARNED_ON_GET) else None
            yield from results_of(stmt, i, rows or (), chunk_size, messages)
        except StatementError as e:
            return str(e)
        except Exception as e:  # noqa: BLE001 - a statement's failure is its result's error
            return str(e) or type(e).__name__
        finally:
            with self._lock:
                self._running.pop(rq.qid, None)
        return None
