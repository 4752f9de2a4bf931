"""SHOW ... CARDINALITY, SHOW DIAGNOSTICS and SHOW STATS.

Cardinalities are exact here (InfluxDB's plain form is an HLL estimate; its column is still
called ``cardinality estimation``).
"""

from __future__ import annotations

import platform
import time

from .meta_show import (_cond, _measurement_keys, _page, _s, database_name, db_shards, field_keys,
                        matching_series, require_database, series_keys, tag_values)
from .results import StatementError, make_row
from .tagfilter import has_time

VERSION = "1.8.10"


def _per_measurement(counts: dict, stmt) -> list[dict]:
    rows = []
    for m, n in sorted(counts.items()):
        if n:
            rows.append(make_row(_s(m), ["count"], [[n]]))
    return _page(rows, stmt.offset, stmt.limit)


def show_series_cardinality(ctx, stmt) -> list[dict]:
    if stmt.exact and has_time(stmt.condition):
        raise StatementError("SHOW SERIES EXACT CARDINALITY doesn't support time in WHERE clause")
    if not stmt.exact and not stmt.sources and stmt.condition is None and not stmt.dimensions:
        db = require_database(ctx, stmt.database)
        ids = set()
        for shard in db_shards(ctx, db):
            ids.update(shard.index.series_id_set())
        return [make_row("", ["cardinality estimation"], [[len(ids)]])] if ids else []
    keys = series_keys(ctx, stmt)
    return _per_measurement({m: len(k) for m, k in keys.items()}, stmt)


def show_measurement_cardinality(ctx, stmt) -> list[dict]:
    if stmt.exact and has_time(stmt.condition):
        raise StatementError("SHOW MEASUREMENT EXACT CARDINALITY doesn't support time in WHERE clause")
    name = database_name(ctx, stmt.database)
    db = ctx.engine.meta.database(name)
    if db is None:
        raise StatementError(f"database not found: {name}")
    cond = _cond(ctx, stmt.condition)
    n = len(matching_series(db_shards(ctx, db), stmt.sources, cond))
    if not stmt.exact and not stmt.sources and stmt.condition is None:
        return [make_row("", ["cardinality estimation"], [[n]])]
    return [make_row("", ["count"], [[n]])] if n else []


def show_tag_key_cardinality(ctx, stmt) -> list[dict]:
    if stmt.exact and has_time(stmt.condition):
        raise StatementError("SHOW TAG KEY EXACT CARDINALITY doesn't support time in WHERE clause")
    return _per_measurement({m: len(k) for m, k in _measurement_keys(ctx, stmt).items()}, stmt)


def show_field_key_cardinality(ctx, stmt) -> list[dict]:
    if stmt.exact and has_time(stmt.condition):
        raise StatementError("SHOW FIELD KEY EXACT CARDINALITY doesn't support time in WHERE clause")
    return _per_measurement({m: len(k) for m, k in field_keys(ctx, stmt).items()}, stmt)


def show_tag_values_cardinality(ctx, stmt) -> list[dict]:
    if stmt.exact and has_time(stmt.condition):
        raise StatementError("SHOW TAG VALUES EXACT CARDINALITY doesn't support time in WHERE clause")
    pairs = tag_values(ctx, stmt)
    return _per_measurement({m: len({v for _, v in p}) for m, p in pairs.items()}, stmt)


def _modules(ctx) -> dict[str, tuple[list[str], list]]:
    started = ctx.started_at
    return {
        "build": (["Branch", "Build Time", "Commit", "Version"], ["", "", "", VERSION]),
        "runtime": (["GOARCH", "GOMAXPROCS", "GOOS", "version"],
                    [platform.machine(), 1, platform.system().lower(), "python" + platform.python_version()]),
        "system": (["PID", "currentTime", "started", "uptime"],
                   [__import__("os").getpid(), _now_text(), _fmt(started), _uptime(started)]),
    }


def _now_text() -> str:
    from .results import format_time_rfc3339nano
    return format_time_rfc3339nano(time.time_ns())


def _fmt(ns: int) -> str:
    from .results import format_time_rfc3339nano
    return format_time_rfc3339nano(ns)


def _uptime(started: int) -> str:
    from .util import go_duration_string
    return go_duration_string(time.time_ns() - started)


def show_diagnostics(ctx, stmt) -> list[dict]:
    rows = []
    for name, (cols, vals) in sorted(_modules(ctx).items()):
        if stmt.module and stmt.module != name:
            continue
        rows.append(make_row(name, cols, [vals]))
    return rows


def show_stats(ctx, stmt) -> list[dict]:
    """Simple module rows: ``database`` (numSeries, numMeasurements per database) and ``shard``."""
    rows = []
    want = stmt.module
    for db in ctx.engine.meta.databases:
        shards = db_shards(ctx, db)
        if not want or want == "database":
            ids, ms = set(), set()
            for s in shards:
                ids.update(s.index.series_id_set())
                ms.update(s.index.measurement_names())
            rows.append(make_row("database", ["numMeasurements", "numSeries"], [[len(ms), len(ids)]],
                                 tags={"database": db.name}))
        if not want or want == "shard":
            for s in shards:
                rows.append(make_row("shard", ["seriesCreate"], [[s.index.series_n()]],
                                     tags={"database": db.name, "id": str(s.id),
                                           "retentionPolicy": s.retention_policy}))
    return rows
