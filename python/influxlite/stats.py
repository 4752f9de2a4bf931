"""Statistics and diagnostics as InfluxDB 1.x's monitor keeps them (``SHOW STATS``,
``SHOW DIAGNOSTICS``, ``/debug/vars``, ``/metrics``).

A ``Statistic`` is InfluxDB's ``models.Statistic``: a ``name``, ``tags`` and ``values``. Its
counters are bumped once per request or batch (``add``/``update``, under the statistic's own
lock), never per point; values that are cheaper to read than to count (sizes on disk, series in
an index) come from a ``gauges`` callable at read time. Components register their statistics in
the process-wide ``registry`` (as Go components publish to the process-wide expvar map) and
unregister them when they close; readers take ``registry.statistics()``, a consistent copy
ordered as InfluxDB's monitor lists them (runtime, query executor, databases, shards, write,
subscriber, services).

Diagnostics are named providers returning ``{column: value}`` (``build``, ``runtime``,
``network`` and ``system`` are the monitor's own; the server adds its ``config-*`` sections).

Nothing of influxlite is imported here: every layer may use it.
"""

from __future__ import annotations

import gc
import os
import platform
import socket
import threading
import time

# Process start, for the ``system`` diagnostics (the monitor's ``startTime``).
STARTED_NS = time.time_ns()

# Where a statistic sorts in InfluxDB's listing (Server.Statistics, then the services).
ORDER = {"runtime": 0, "queryExecutor": 10, "database": 20, "shard": 30, "influxlite": 31, "write": 40,
         "subscriber": 50, "cq": 60, "httpd": 70}

# InfluxDB's version line, as ``SHOW DIAGNOSTICS`` build reports it.
VERSION = "1.8.10"


class Statistic:
    """One named, tagged set of counters; ``gauges()`` (if given) adds values read on demand."""

    __slots__ = ("name", "tags", "_values", "_lock", "_gauges")

    def __init__(self, name: str, tags: dict[str, str] | None = None, keys=(), gauges=None) -> None:
        self.name = name
        self.tags = None if tags is None else dict(tags)  # None: Go's nil map (JSON null)
        self._values = dict.fromkeys(keys, 0)
        self._lock = threading.Lock()
        self._gauges = gauges

    def add(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._values[key] = self._values.get(key, 0) + n

    def update(self, **counts: int) -> None:
        """Adds several counters under one lock acquisition."""
        with self._lock:
            v = self._values
            for k, n in counts.items():
                v[k] = v.get(k, 0) + n

    def get(self, key: str) -> int:
        with self._lock:
            return self._values.get(key, 0)

    def values(self) -> dict:
        with self._lock:
            out = dict(self._values)
        if self._gauges is not None:
            out.update(self._gauges())
        return out

    def snapshot(self) -> tuple[str, dict[str, str], dict]:
        return self.name, None if self.tags is None else dict(self.tags), self.values()


class Registry:
    """The statistics and diagnostics providers of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: dict[int, tuple[int, int, object]] = {}  # id -> (order, seq, Statistic or callable)
        self._seq = 0
        self._diags: dict[str, object] = {}

    def register(self, stat) -> object:
        """Adds a ``Statistic``, or a callable returning ``[(name, tags, values)]`` (listed at the
        place of its ``order`` attribute, default after the services); returns it."""
        order = ORDER.get(stat.name, 100) if isinstance(stat, Statistic) else getattr(stat, "order", 100)
        with self._lock:
            self._seq += 1
            self._stats[id(stat)] = (order, self._seq, stat)
        return stat

    def unregister(self, stat) -> None:
        with self._lock:
            self._stats.pop(id(stat), None)

    def statistics(self, extra=()) -> list[tuple[str, dict[str, str], dict]]:
        """Every statistic as ``(name, tags, values)``, runtime first, in InfluxDB's order;
        ``extra`` (an iterable of such triples, e.g. the databases) is placed by name."""
        with self._lock:
            entries = sorted(self._stats.values(), key=lambda e: (e[0], e[1]))
        rows = [(0, 0, runtime_statistic())]
        for order, seq, stat in entries:
            if isinstance(stat, Statistic):
                rows.append((order, seq, stat.snapshot()))
            else:
                rows.extend((order, seq, s) for s in stat())
        rows.extend((ORDER.get(s[0], 100), -1, s) for s in extra)
        rows.sort(key=lambda r: (r[0], r[1]))
        return [r[2] for r in rows]

    def register_diagnostics(self, name: str, provider) -> None:
        """``provider()`` returns ``{column: value}``."""
        with self._lock:
            self._diags[name] = provider

    def unregister_diagnostics(self, name: str) -> None:
        with self._lock:
            self._diags.pop(name, None)

    def diagnostics(self) -> dict[str, dict]:
        """Every diagnostics section, by name (sorted), columns sorted as InfluxDB's RowFromMap."""
        with self._lock:
            providers = dict(self._diags)
        out = {}
        for name in sorted(providers):
            try:
                d = providers[name]()
            except Exception:  # noqa: BLE001 - as the monitor: a failing provider is left out
                continue
            out[name] = {k: d[k] for k in sorted(d)}
        return out


registry = Registry()


# --- the runtime statistic: Go's MemStats keys, read from this process ---------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def memory() -> tuple[int, int]:
    """(resident, virtual) bytes of this process (``/proc/self/statm``; 0 where unreadable)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            size, resident = f.read().split()[:2]
        return int(resident) * _PAGE, int(size) * _PAGE
    except (OSError, ValueError):
        return 0, 0


def runtime_statistic() -> tuple[str, dict, dict]:
    """InfluxDB's ``runtime`` statistic with this interpreter's numbers where the key means the
    same: ``Sys`` is the virtual size, ``Alloc``/``HeapAlloc``/``HeapInUse`` the resident size,
    ``HeapObjects`` the objects the collector tracks, ``NumGC`` its collections, ``NumGoroutine``
    the threads; the rest (Go allocator internals) are 0."""
    rss, vsz = memory()
    gcs = gc.get_stats()
    collections = sum(g.get("collections", 0) for g in gcs)
    collected = sum(g.get("collected", 0) for g in gcs)
    objects = sum(gc.get_count())
    values = {"Alloc": rss, "Frees": collected, "HeapAlloc": rss, "HeapIdle": 0, "HeapInUse": rss,
              "HeapObjects": objects, "HeapReleased": 0, "HeapSys": rss, "Lookups": 0, "Mallocs": 0,
              "NumGC": collections, "NumGoroutine": threading.active_count(), "PauseTotalNs": 0, "Sys": vsz,
              "TotalAlloc": rss}
    return "runtime", {}, values


# --- the monitor's own diagnostics -----------------------------------------------------------------

def _build() -> dict:
    return {"Branch": "", "Build Time": "", "Commit": "", "Version": VERSION}


def _runtime() -> dict:
    return {"GOARCH": _goarch(), "GOMAXPROCS": os.cpu_count() or 1, "GOOS": platform.system().lower(),
            "version": f"python{platform.python_version()}"}


def _goarch() -> str:
    m = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "i386": "386"}.get(m, m)


def _network() -> dict:
    return {"hostname": socket.gethostname()}


class Timestamp(int):
    """A diagnostics value that is a time (nanoseconds since the epoch): shown as Go shows a
    ``time.Time`` (RFC3339 with nanoseconds, UTC)."""


class Duration(int):
    """A diagnostics value that is a duration (nanoseconds): shown as Go's ``Duration.String()``."""


def _system() -> dict:
    now = time.time_ns()
    return {"PID": os.getpid(), "currentTime": Timestamp(now), "started": Timestamp(STARTED_NS),
            "uptime": Duration(now - STARTED_NS)}


for _name, _provider in (("build", _build), ("runtime", _runtime), ("network", _network), ("system", _system)):
    registry.register_diagnostics(_name, _provider)
