"""Monitoring over HTTP: ``GET /debug/vars`` (InfluxDB's expvar JSON) and ``GET /metrics``
(Prometheus text), both from the statistics registry (``influxlite.stats``); the ``httpd``
statistic and the ASGI wrapper that counts every request as InfluxDB's ``ServeHTTP`` does; the
server's ``config-*`` diagnostics (``SHOW DIAGNOSTICS``).

``/debug/vars`` is InfluxDB's ``serveExpvar``: ``system`` (currentTime, started, uptime in
seconds), ``cmdline``, ``memstats``, then one member per statistic, keyed as InfluxDB keys them
(``shard:<path>:<id>``, ``httpd:<bind>``, ``database:<db>``, ``write``...).

``/metrics``: InfluxDB 1.8 serves only the Go client's default registry there (``go_*``,
``process_*``); influxlite serves the ``process_*`` families that mean the same for this process
and, besides, every statistic as ``influxdb_<name>_<key>`` (snake case; ``_total`` for counters),
its tags as labels.
"""

from __future__ import annotations

import gc
import json
import os
import re
import resource
import sys
import time

from ..query.meta_cardinality import statistics
from ..query.results import format_time_rfc3339nano
from ..stats import STARTED_NS, Duration, Statistic, memory, registry, runtime_statistic

# InfluxDB 1.8's ``httpd`` statistic (services/httpd/handler.go), in its order.
HTTPD_STATS = ("req", "queryReq", "writeReq", "pingReq", "statusReq", "writeReqBytes", "queryRespBytes",
               "pointsWrittenOK", "pointsWrittenDropped", "pointsWrittenFail", "authFail", "reqDurationNs",
               "queryReqDurationNs", "writeReqDurationNs", "reqActive", "writeReqActive", "clientError",
               "serverError", "recoveredPanics", "promWriteReq", "promReadReq", "fluxQueryReq",
               "fluxQueryReqDurationNs")
PROMETHEUS_CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
JSON_CONTENT_TYPE = b"application/json; charset=utf-8"


def httpd_statistic(config) -> Statistic:
    return Statistic("httpd", {"bind": config.bind_address}, HTTPD_STATS)


class RequestStatistics:
    """ASGI wrapper around the ``App``: InfluxDB's ``ServeHTTP`` around its mux.

    Every HTTP request counts ``req``, is ``reqActive`` while served and adds its wall time to
    ``reqDurationNs`` (the request that reads the statistics sees itself). Answers of the routes
    (those with a Request-Id; Go's mux answers 404 and 405 itself) count ``clientError`` (4xx,
    ``authFail`` for 401) and ``serverError`` (5xx); ``/query`` counts ``queryReq``,
    ``queryReqDurationNs`` and ``queryRespBytes``, ``/ping`` ``pingReq``. ``/debug/vars`` is
    answered here, before the routes, as Go's handler does (any method, no Request-Id);
    ``/metrics`` answers get the Prometheus content type."""

    def __init__(self, app) -> None:
        self.app = app
        self.stat: Statistic = app.stats

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        stat = self.stat
        stat.update(req=1, reqActive=1)
        start = time.perf_counter_ns()
        path = scope["path"]
        seen = {"status": 0, "bytes": 0}

        async def counting_send(msg) -> None:
            if msg["type"] == "http.response.start":
                seen["status"] = msg["status"]
                headers = msg.get("headers", [])
                if any(k.lower() == b"request-id" for k, _ in headers):
                    _count_status(stat, msg["status"])
                    if path == "/metrics" and msg["status"] == 200:
                        msg = dict(msg, headers=[(k, PROMETHEUS_CONTENT_TYPE if k.lower() == b"content-type" else v)
                                                 for k, v in headers])
            elif msg["type"] == "http.response.body":
                seen["bytes"] += len(msg.get("body", b""))
            await send(msg)

        try:
            if path.startswith("/debug/vars"):
                await self._debug_vars(scope, send)
            else:
                await self.app(scope, receive, counting_send)
        finally:
            end = time.perf_counter_ns()
            if path == "/query" and scope["method"] in ("GET", "POST") and seen["status"] not in (401, 404, 405):
                stat.update(queryReq=1, queryReqDurationNs=end - start,
                            queryRespBytes=seen["bytes"] if seen["status"] == 200 else 0)
            elif path == "/ping" and scope["method"] in ("GET", "HEAD") and seen["status"] != 401:
                stat.add("pingReq")
            stat.update(reqActive=-1, reqDurationNs=end - start)

    async def _debug_vars(self, scope, send) -> None:
        import asyncio

        from .server import BUILD_TYPE, INFLUXDB_VERSION

        loop = asyncio.get_running_loop()
        body = await loop.run_in_executor(self.app.executor, debug_vars, self.app.engine)
        headers = [(b"Content-Type", JSON_CONTENT_TYPE), (b"X-Influxdb-Build", BUILD_TYPE.encode()),
                   (b"X-Influxdb-Version", INFLUXDB_VERSION.encode()), (b"Content-Length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _count_status(stat: Statistic, status: int) -> None:
    if status == 401:
        stat.update(clientError=1, authFail=1)
    elif 400 <= status < 500:
        stat.add("clientError")
    elif status >= 500:
        stat.add("serverError")


# --- config diagnostics ------------------------------------------------------------------------------

def config_diagnostics(engine, config) -> dict:
    """InfluxDB's ``config-*`` diagnostics sections for the settings influxlite has."""
    s = 10**9
    data = engine.data_dir
    return {
        "config": {"bind-address": "", "reporting-disabled": True},
        "config-coordinator": {"log-queries-after": Duration(0), "max-concurrent-queries": 0,
                               "max-select-buckets": 0, "max-select-point": 0, "max-select-series": 0,
                               "query-timeout": Duration(0), "write-timeout": Duration(int(config.write_timeout * s))},
        "config-data": {"cache-max-memory-size": max(8 * config.cache_snapshot_memory_size, 1 << 30),
                        "cache-snapshot-memory-size": config.cache_snapshot_memory_size,
                        "cache-snapshot-write-cold-duration": Duration(600 * s),
                        "compact-full-write-cold-duration": Duration(600 * s),
                        "dir": os.path.join(data, "data"), "max-concurrent-compactions": 0,
                        "max-index-log-file-size": 1 << 20,
                        "max-series-per-database": config.max_series_per_database,
                        "max-values-per-tag": config.max_values_per_tag, "series-id-set-cache-size": 100,
                        "series-file-max-concurrent-compactions": 0, "strict-error-handling": False,
                        "wal-dir": os.path.join(data, "data"),
                        "wal-fsync-delay": Duration(int(config.wal_fsync_delay * s))},
        "config-httpd": {"access-log-path": "", "bind-address": config.bind_address, "enabled": True,
                         "https-enabled": False, "max-connection-limit": 0, "max-row-limit": 0},
        "config-meta": {"dir": os.path.join(data, "meta")},
        "config-monitor": {"store-database": "_internal", "store-enabled": False, "store-interval": Duration(10 * s)},
        "config-retention": {"check-interval": Duration(1800 * s), "enabled": True},
    }


def register_config_diagnostics(engine, config) -> list[str]:
    sections = config_diagnostics(engine, config)
    for name, values in sections.items():
        registry.register_diagnostics(name, lambda v=values: v)
    return list(sections)


# --- /debug/vars ---------------------------------------------------------------------------------------

def _json(obj) -> str:
    """Go's json.Marshal for plain data: map keys sorted, <, > and & escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def expvar_key(name: str, tags: dict | None) -> str:
    """serveExpvar's "very hacky" unique key of a statistic."""
    tags = tags or {}
    key = name
    if "path" in tags:
        key += ":" + tags["path"] + (":" + tags["id"] if "id" in tags else "")
    elif "bind" in tags:
        key += (":" + tags["proto"] if "proto" in tags else "") + ":" + tags["bind"]
    elif "database" in tags:
        key += ":" + tags["database"]
        if "retention_policy" in tags:
            key += ":" + tags["retention_policy"]
            for k in ("name", "destination"):
                if k in tags:
                    key += ":" + tags[k]
    return key


def memstats() -> dict:
    """Go's ``runtime.MemStats`` members that have a meaning here (see ``stats.runtime_statistic``)."""
    values = runtime_statistic()[2]
    return {"Alloc": values["Alloc"], "TotalAlloc": values["TotalAlloc"], "Sys": values["Sys"], "Lookups": 0,
            "Mallocs": 0, "Frees": values["Frees"], "HeapAlloc": values["HeapAlloc"], "HeapSys": values["HeapSys"],
            "HeapIdle": 0, "HeapInuse": values["HeapInUse"], "HeapReleased": 0,
            "HeapObjects": values["HeapObjects"], "NumGC": values["NumGC"], "PauseTotalNs": 0}


def debug_vars(engine) -> bytes:
    """The ``/debug/vars`` body, member for member as InfluxDB writes it."""
    system = registry.diagnostics().get("system")
    parts = []
    if system is not None:
        parts.append('"system": ' + _json({"currentTime": format_time_rfc3339nano(int(system["currentTime"])),
                                            "started": format_time_rfc3339nano(int(system["started"])),
                                            "uptime": int(system["uptime"]) // 10**9}))
    parts.append('"cmdline": ' + _json(list(getattr(sys, "orig_argv", sys.argv))))
    parts.append('"memstats": ' + json.dumps(memstats(), separators=(",", ":")))
    for name, tags, values in statistics(engine):
        stat = {"name": name, "tags": tags, "values": values}
        parts.append(json.dumps(expvar_key(name, tags), ensure_ascii=False) + ": " + _json(stat))
    return ("{\n" + ",\n".join(parts) + "\n}\n").encode("utf-8", "surrogateescape")


# --- /metrics --------------------------------------------------------------------------------------------

# Values that go up and down; every other value is a counter (``_total``).
GAUGES = frozenset((
    "reqActive", "writeReqActive", "diskBytes", "seriesCreate", "numSeries", "numMeasurements", "cacheBytes",
    "cachePoints", "snapshotBytes", "walBytes", "walSegments", "parquetFiles", "parquetBytes", "tombstones",
    "fullyCompacted", "queriesActive", "Alloc", "HeapAlloc", "HeapIdle", "HeapInUse", "HeapObjects",
    "HeapReleased", "HeapSys", "NumGoroutine", "Sys"))

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``pointsWrittenOK`` -> ``points_written_ok``, ``HeapInUse`` -> ``heap_in_use``."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", _CAMEL.sub("_", name)).lower()


def _label_value(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _sample(name: str, labels: dict | None, value) -> str:
    if labels:
        inner = ",".join(f'{snake(k)}="{_label_value(str(v))}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value}"
    return f"{name} {value}"


def metrics(engine) -> bytes:
    """Prometheus text exposition (version 0.0.4): process_* and python_* families, then every
    statistic; one HELP and TYPE per family, its samples together."""
    families: dict[str, tuple[str, str, list[str]]] = {}

    def add(name: str, kind: str, help_text: str, labels, value) -> None:
        fam = families.setdefault(name, (kind, help_text, []))
        fam[2].append(_sample(name, labels, value))

    rss, vsz = memory()
    cpu = os.times()
    add("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", None,
        round(cpu.user + cpu.system, 6))
    add("process_max_fds", "gauge", "Maximum number of open file descriptors.", None,
        resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    try:
        add("process_open_fds", "gauge", "Number of open file descriptors.", None, len(os.listdir("/proc/self/fd")))
    except OSError:
        pass
    add("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", None, rss)
    add("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", None,
        STARTED_NS / 1e9)
    add("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", None, vsz)
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    add("process_virtual_memory_max_bytes", "gauge", "Maximum amount of virtual memory available in bytes.", None,
        float(2**64 if limit == resource.RLIM_INFINITY else limit))
    for gen, st in enumerate(gc.get_stats()):
        add("python_gc_collections_total", "counter", "Number of times this generation was collected.",
            {"generation": str(gen)}, st.get("collections", 0))
    add("python_info", "gauge", "Python platform information.",
        {"implementation": sys.implementation.name, "version": sys.version.split()[0]}, 1)
    for name, tags, values in statistics(engine):
        for key in sorted(values):
            counter = key not in GAUGES
            metric = f"influxdb_{snake(name)}_{snake(key)}" + ("_total" if counter else "")
            add(metric, "counter" if counter else "gauge", f"InfluxDB statistic {name} {key}.", tags, values[key])
    lines = []
    for name, (kind, help_text, samples) in families.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *samples]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
