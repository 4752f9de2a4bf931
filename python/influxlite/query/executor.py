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
from dataclasses import dataclass, field

from . import ast_select as S
from . import ast_statements as A
from . import meta_cardinality as C
from . import meta_ddl as D
from . import meta_show as M
from .parser import parse_query
from .results import StatementError, make_result

__all__ = ["QueryExecutor", "NOT_EXECUTED", "SELECT_NOT_IMPLEMENTED"]

NOT_EXECUTED = "not executed"
SELECT_NOT_IMPLEMENTED = "not implemented yet: SELECT"


def _not_implemented(what: str):
    def run(ctx, stmt):
        raise StatementError(f"not implemented yet: {what}")
    return run


HANDLERS = {
    S.SelectStatement: _not_implemented("SELECT"),
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
    A.CreateContinuousQueryStatement: _not_implemented("CREATE CONTINUOUS QUERY"),
    A.CreateSubscriptionStatement: _not_implemented("CREATE SUBSCRIPTION"),
    A.DropSubscriptionStatement: D.drop_subscription,
}


@dataclass
class RunningQuery:
    qid: int
    text: str
    database: str
    started: int = field(default_factory=time.monotonic_ns)

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

    def running_queries(self) -> list[RunningQuery]:
        return self.registry.running_queries() if self.registry is not None else []


class QueryExecutor:
    """Runs InfluxQL against an open ``Engine``; thread-safe (one per engine is enough)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.started_at = time.time_ns()
        self._qids = itertools.count(1)
        self._lock = threading.Lock()
        self._running: dict[int, RunningQuery] = {}

    def running_queries(self) -> list[RunningQuery]:
        with self._lock:
            return sorted(self._running.values(), key=lambda q: q.qid)

    def execute(self, query, database: str = "", retention_policy: str = "", params: dict | None = None,
                now: int | None = None, user=None) -> list[dict]:
        """The ``results`` list of a query (text or a parsed ``Query``); see the module doc."""
        q = parse_query(query, params) if isinstance(query, str) else query
        ctx = Context(self.engine, database or "", retention_policy or "", time.time_ns() if now is None else now,
                      user, self.started_at, self)
        results: list[dict] = []
        n = len(q.statements)
        for i, stmt in enumerate(q.statements):
            error = self._run_one(ctx, i, stmt, results)
            if error is not None:
                results.append(make_result(i, error=NOT_EXECUTED if i < n - 1 else error))
                break
        return results

    def _run_one(self, ctx: Context, i: int, stmt, results: list[dict]) -> str | None:
        handler = HANDLERS.get(type(stmt))
        if handler is None:
            return f"not implemented yet: {type(stmt).__name__}"
        rq = RunningQuery(next(self._qids), str(stmt), ctx.database)
        with self._lock:
            self._running[rq.qid] = rq
        try:
            rows = handler(ctx, stmt)
        except StatementError as e:
            return str(e)
        except Exception as e:  # noqa: BLE001 - a statement's failure is its result's error
            return str(e) or type(e).__name__
        finally:
            with self._lock:
                self._running.pop(rq.qid, None)
        results.append(make_result(i, rows))
        return None
