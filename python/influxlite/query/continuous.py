"""The continuous-query service (InfluxDB 1.8's ``services/continuous_querier``).

    querier = ContinuousQuerier(engine, run_interval=1.0).start()
    ...
    querier.stop()                       # before engine.close()

Every ``run_interval`` seconds each continuous query of each database is looked at; one runs
when ``now`` has crossed its next boundary: the last run (``now - offset`` truncated to the
resample interval, plus the offset) plus ``RESAMPLE EVERY`` (default: the GROUP BY interval).
It then runs its ``SELECT ... INTO`` through the normal executor and write path over
``[start, end)``:

* ``start``: ``nextRun + interval - FOR - offset - 1ns``, truncated to the interval, plus the
  offset (``FOR`` defaults to the interval, or to EVERY when EVERY is longer);
* ``end``: ``now + interval - min(EVERY, interval) - offset``, truncated, plus the offset.

The range replaces the statement's own time conditions (its other conditions stay, ANDed).
The last runs are kept in memory, as InfluxDB keeps them: after a restart a query without
RESAMPLE first only notes the time and runs from the next boundary on. Queries without
``GROUP BY time()`` are stored but never run, as in InfluxDB. Times are truncated as Go's
``Time.Truncate`` (from the year 1); ``tz()`` is not applied to the schedule (UTC).
"""

from __future__ import annotations

import copy
import sys
import threading
import time

from . import ast_statements as A
from .ast_expr import BinaryExpr, ParenExpr, TimeLiteral, VarRef, format_time_rfc3339nano
from .executor import QueryExecutor
from .limits import lower_thread_priority
from .parser import parse_statement
from .timerange import condition_expr
from .tokens import Tok
from ..meta.durations import format_duration, truncate
from ..stats import Statistic, registry

__all__ = ["ContinuousQuerier", "DEFAULT_RUN_INTERVAL", "time_range"]

DEFAULT_RUN_INTERVAL = 1.0  # seconds; InfluxDB's run-interval


def time_range(cq: A.CreateContinuousQueryStatement, now: int, last_run: int | None):
    """(run, new last run, start, end) of a continuous query at ``now`` (ns): whether it is
    due, and the range it covers (``start >= end``: nothing to compute this time)."""
    interval = cq.source.group_by_interval()
    offset = cq.source.group_by_offset()
    every = cq.resample_every or interval
    if last_run is not None:
        next_run = last_run + every
        if next_run > now:
            return False, last_run, 0, 0
    else:
        next_run = now
    new_last = truncate(now - offset, every) + offset
    for_ = cq.resample_for or (every if interval < every else interval)
    every = min(every, interval)
    start = truncate(next_run + interval - for_ - offset - 1, interval) + offset
    end = truncate(now + interval - every - offset, interval) + offset
    return True, new_last, start, end


def _with_time_range(select, start: int, end: int):
    """The SELECT with its time conditions replaced by ``time >= start AND time < end``."""
    stmt = copy.deepcopy(select)
    rest, _ = condition_expr(stmt.condition)
    cond = BinaryExpr(Tok.AND, BinaryExpr(Tok.GTE, VarRef("time"), TimeLiteral(start)),
                      BinaryExpr(Tok.LT, VarRef("time"), TimeLiteral(end)))
    stmt.condition = cond if rest is None else BinaryExpr(Tok.AND, ParenExpr(rest), cond)
    return stmt


class ContinuousQuerier:
    """Runs the continuous queries of an open ``Engine`` in one thread."""

    def __init__(self, engine, *, run_interval: float = DEFAULT_RUN_INTERVAL, log_enabled: bool = True,
                 log=None, executor: QueryExecutor | None = None) -> None:
        self.engine = engine
        self.run_interval = run_interval if run_interval > 0 else DEFAULT_RUN_INTERVAL
        self.log_enabled = log_enabled
        self.log = log if log is not None else sys.stderr
        self.executor = executor if executor is not None else QueryExecutor(engine)
        self.last_runs: dict[tuple[str, str], int] = {}
        self.stats = Statistic("cq", None, ("queryOk", "queryFail"))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ContinuousQuerier:
        registry.register(self.stats)
        self._log("Starting continuous query service")
        self._thread = threading.Thread(target=self._loop, name="influxlite-continuous-querier", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops the loop; a query running finishes first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._log("continuous query service terminating")
        registry.unregister(self.stats)

    def _loop(self) -> None:
        lower_thread_priority()
        while not self._stop.wait(self.run_interval):
            try:
                self.run_continuous_queries(time.time_ns())
            except Exception as e:  # noqa: BLE001 - the service lives on; the next pass retries
                self._log(f"Error running continuous queries: {e}")

    def run_continuous_queries(self, now: int) -> list[str]:
        """One pass at ``now`` (ns): runs every query that is due; returns the names run."""
        ran = []
        live = set()
        for db in list(self.engine.meta.databases):
            for cqi in list(db.continuous_queries):
                if self._stop.is_set():
                    return ran
                live.add((db.name, cqi.name))
                try:
                    if self.execute_continuous_query(db.name, cqi, now):
                        ran.append(cqi.name)
                        self.stats.add("queryOk")
                except Exception as e:  # noqa: BLE001 - logged and counted, as InfluxDB does
                    self.stats.add("queryFail")
                    self._log(f"Error executing query name={cqi.name} db={db.name} query={cqi.query!r} error={e}",
                              always=True)
        for key in [k for k in self.last_runs if k not in live]:
            del self.last_runs[key]
        return ran

    def execute_continuous_query(self, database: str, cqi, now: int) -> bool:
        """Runs one query if it is due; False when it was not (or covered no interval)."""
        cq = parse_statement(cqi.query)
        if not isinstance(cq, A.CreateContinuousQueryStatement) or cq.source.target is None:
            raise ValueError("query isn't a valid continuous query")
        if cq.source.group_by_interval() == 0:
            return False
        key = (database, cqi.name)
        run, self.last_runs[key], start, end = time_range(cq, now, self.last_runs.get(key))
        if not run or end <= start:
            return False
        stmt = _with_time_range(cq.source, start, end)
        span = f"start={format_time_rfc3339nano(start)} end={format_time_rfc3339nano(end)}"
        self._log(f"Executing continuous query name={cqi.name} db={database} {span}")
        began = time.monotonic_ns()
        result = self.executor.execute(A.Query([stmt]), database=database)[0]
        if "error" in result:
            raise ValueError(result["error"])
        written = result["series"][0]["values"][0][1] if result.get("series") else 0
        took = format_duration(time.monotonic_ns() - began)
        self._log(f"Finished continuous query name={cqi.name} db={database} written={written} {span} duration={took}")
        return True

    def _log(self, text: str, always: bool = False) -> None:
        if not (self.log_enabled or always):
            return
        try:
            self.log.write(f"[continuous_querier] {text}\n")
            self.log.flush()
        except (OSError, ValueError):
            pass
