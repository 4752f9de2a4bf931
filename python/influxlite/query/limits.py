"""What keeps one heavy query from taking the server down: InfluxDB 1.8's ``[coordinator]``
query limits, KILL QUERY and the query timeout.

A ``Guard`` rides along with each running statement. The SELECT executor calls ``points(n)``
for every batch it scans and ``check()`` in its loops; either raises ``StatementError`` with
InfluxDB's text once the statement was killed (``query interrupted``), ran past
``query-timeout`` (``query-timeout limit exceeded``) or read more than ``max-select-point``
points (``max-select-point limit exceeed: (N/L)``, InfluxDB's spelling). InfluxDB checks the
point count on a 1 s ticker, so a short query never trips it there; here every batch is checked.
``max-select-series`` and ``max-select-buckets`` are checked when the query is planned.

Threads that run queries call ``lower_thread_priority()`` first: queries then take the CPU the
writes leave over (the server's query pool, the continuous querier).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

from .results import StatementError

__all__ = ["QueryLimits", "Guard", "lower_thread_priority", "QUERY_NICE"]

QUERY_NICE = 10


def lower_thread_priority() -> None:
    """Raises this thread's nice value to ``QUERY_NICE`` (Linux keeps one per thread; threads
    it starts, DuckDB's workers among them, inherit it). Where that is not possible, nothing."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), QUERY_NICE))
    except (AttributeError, OSError):
        pass


@dataclass(frozen=True)
class QueryLimits:
    """0 disables a limit (InfluxDB's defaults)."""

    max_select_point: int = 0
    max_select_series: int = 0
    max_select_buckets: int = 0
    query_timeout: float = 0.0  # seconds
    max_concurrent_queries: int = 0
    query_memory_limit: int = 0  # bytes DuckDB may hold for all queries (influxlite's own)


class Guard:
    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits
        self.read = 0
        self._why: str | None = None
        self._killed = threading.Event()
        self.deadline = time.monotonic() + limits.query_timeout if limits.query_timeout > 0 else None

    def kill(self, why: str = "query interrupted") -> None:
        if self._why is None:
            self._why = why
        self._killed.set()

    def check(self) -> None:
        if self._killed.is_set():
            raise StatementError(self._why or "query interrupted")
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.kill("query-timeout limit exceeded")
            raise StatementError("query-timeout limit exceeded")

    def points(self, n: int) -> None:
        self.read += n
        limit = self.limits.max_select_point
        if limit and self.read > limit:
            self.kill(f"max-select-point limit exceeed: ({self.read}/{limit})")
        self.check()

    def series(self, n: int) -> None:
        limit = self.limits.max_select_series
        if limit and n > limit:
            raise StatementError(f"max-select-series limit exceeded: ({n}/{limit})")

    def buckets(self, n: int) -> None:
        limit = self.limits.max_select_buckets
        if limit and n > limit:
            raise StatementError(f"max-select-buckets limit exceeded: ({n}/{limit})")

    @property
    def reason(self) -> str | None:
        return self._why
