"""SHOW ... CARDINALITY, SHOW DIAGNOSTICS and SHOW STATS.

Cardinalities are exact here (InfluxDB's plain form is an HLL estimate; its column is still
called ``cardinality estimation``).
"""

from __future__ import annotations

import os
from types import SimpleNamespace

from ..meta.durations import format_duration
from ..stats import Duration, Timestamp, registry
from .meta_show import (_cond, _measurement_keys, _page, _s, database_name, db_shards, field_keys,
                        matching_series, require_database, series_keys, tag_values)
from .results import StatementError, format_time_rfc3339nano, make_row
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


def database_statistics(engine) -> list[tuple[str, dict, dict]]:
    """InfluxDB's ``database`` statistics: numSeries and numMeasurements of every database, read
    from the shards' indexes (exact)."""
    ctx = SimpleNamespace(engine=engine)
    out = []
    for db in list(engine.meta.databases):
        ids, ms = set(), set()
        for s in db_shards(ctx, db):
            ids.update(s.index.series_id_set())
            ms.update(s.index.measurement_names())
        out.append(("database", {"database": db.name}, {"numMeasurements": len(ms), "numSeries": len(ids)}))
    return out


def statistics(engine) -> list[tuple[str, dict, dict]]:
    """Every statistic ``(name, tags, values)`` in InfluxDB's order: the registry's and the
    databases'."""
    return registry.statistics(database_statistics(engine))


def diagnostic_value(v):
    """A diagnostics value as InfluxDB's JSON shows it: times in RFC3339 (nanoseconds),
    durations as Go prints them."""
    if isinstance(v, Timestamp):
        return format_time_rfc3339nano(int(v))
    if isinstance(v, Duration):
        return format_duration(int(v))
    return v


def show_diagnostics(ctx, stmt) -> list[dict]:
    """One row per diagnostics section (sorted), columns sorted; ``FOR 'module'`` keeps one."""
    rows = []
    for name, d in registry.diagnostics().items():
        if stmt.module and stmt.module != name:
            continue
        rows.append(make_row(name, list(d), [[diagnostic_value(v) for v in d.values()]]))
    return rows


def show_stats(ctx, stmt) -> list[dict]:
    """One row per statistic (name, tags; columns its value keys sorted); ``FOR 'module'`` keeps
    one name. ``FOR 'indexes'`` answers the indexes' memory, as InfluxDB's tsdb.Store does."""
    if stmt.module == "indexes":
        shards = [s for db in list(ctx.engine.meta.databases) for s in db_shards(ctx, db)]
        return [make_row("indexes", ["memoryBytes"], [[sum(_index_bytes(s) for s in shards)]])]
    rows = []
    for name, tags, values in statistics(ctx.engine):
        if stmt.module and stmt.module != name:
            continue
        keys = sorted(values)
        rows.append(make_row(name, keys, [[values[k] for k in keys]], tags=tags))
    return rows


def _index_bytes(shard) -> int:
    """The bytes of a shard's index on disk (influxlite keeps the TSI index files mapped)."""
    total = 0
    for root, _dirs, names in os.walk(os.path.join(shard.path, "index")):
        for n in names:
            try:
                total += os.stat(os.path.join(root, n)).st_size
            except OSError:
                pass
    return total
