"""DDL and admin statements: databases, retention policies, series data, shards, users and
privileges, with InfluxDB 1.x's rules and texts (``coordinator/statement_executor.go``)."""

from __future__ import annotations

from .ast_expr import VarRef, walk
from .ast_select import Measurement
from .meta_show import _s, _source_matches, db_shards
from .results import StatementError
from .tagfilter import TagFilterError, has_time, series_ids
from .timerange import condition_expr
from ..meta.errors import MetaError

MIN_TIME = -(1 << 63) + 2  # InfluxDB's models.MinNanoTime
MAX_TIME = (1 << 63) - 2


def _meta(call, *args, **kw):
    try:
        return call(*args, **kw)
    except MetaError as e:
        raise StatementError(str(e)) from None


def create_database(ctx, stmt) -> list:
    meta = ctx.engine.meta
    if not stmt.retention_policy_create:
        _meta(meta.create_database, stmt.name)
        return []
    _meta(meta.create_database_with_retention_policy, stmt.name, stmt.retention_policy_name,
          stmt.retention_policy_duration, stmt.retention_policy_shard_group_duration,
          stmt.retention_policy_replication or 1)
    return []


def drop_database(ctx, stmt) -> list:
    ctx.engine.drop_database(stmt.name)
    return []


def create_retention_policy(ctx, stmt) -> list:
    _meta(ctx.engine.meta.create_retention_policy, stmt.database, stmt.name, stmt.duration,
          stmt.shard_group_duration, stmt.replication, stmt.default)
    return []


def alter_retention_policy(ctx, stmt) -> list:
    meta = ctx.engine.meta
    _meta(meta.alter_retention_policy, stmt.database, stmt.name, duration=stmt.duration,
          shard_group_duration=stmt.shard_group_duration, replica_n=stmt.replication, default=stmt.default)
    return []


def drop_retention_policy(ctx, stmt) -> list:
    ctx.engine.drop_retention_policy(stmt.database, stmt.name)
    return []


def _series_db(ctx):
    db = ctx.engine.meta.database(ctx.database)
    if db is None:
        raise StatementError(f"database not found: {ctx.database}")
    return db


def drop_measurement(ctx, stmt) -> list:
    db = _series_db(ctx)
    for rp in list(db.retention_policies):
        ctx.engine.drop_measurement(db.name, stmt.name, rp.name)
    return []


def _check_no_fields(shard, m: bytes, cond) -> None:
    if cond is None:
        return
    fields = shard.field_types(m)
    tags = set(shard.index.tag_keys(m))
    for n in walk(cond):
        if isinstance(n, VarRef):
            k = n.val.encode("utf-8", "surrogateescape")
            if k in fields and k not in tags:
                raise StatementError(f"shard {shard.id}: fields not supported in WHERE clause during deletion")


def _targets(ctx, db, sources, cond):
    """(shard, measurement, series ids or None for all) of what a DROP SERIES / DELETE hits."""
    out = []
    for shard in db_shards(ctx, db):
        for m in shard.index.measurement_names():
            if not _source_matches(sources, _s(m)):
                continue
            _check_no_fields(shard, m, cond)
            try:
                ids = series_ids(shard.index, m, cond)
            except TagFilterError as e:
                raise StatementError(str(e)) from None
            if ids:
                out.append((shard, m, ids))
    return out


def drop_series(ctx, stmt) -> list:
    db = _series_db(ctx)
    if has_time(stmt.condition):
        raise StatementError("DROP SERIES doesn't support time in WHERE clause")
    for shard, _, ids in _targets(ctx, db, stmt.sources, stmt.condition):
        shard.drop_series(list(ids))
    return []


def delete_series(ctx, stmt) -> list:
    db = _series_db(ctx)
    try:
        cond, tr = condition_expr(stmt.condition, ctx.now)
    except ValueError as e:
        raise StatementError(str(e)) from None
    tmin = MIN_TIME if tr.min is None else tr.min
    tmax = MAX_TIME if tr.max is None else tr.max
    for shard, m, ids in _targets(ctx, db, stmt.sources, cond):
        shard.delete(m, None if cond is None else list(ids), tmin, tmax)
    return []


def drop_shard(ctx, stmt) -> list:
    owner = ctx.engine.meta.drop_shard(stmt.id)
    if owner is not None:
        ctx.engine._remove_shard(owner[0], owner[1], stmt.id)  # closes the shard and removes its files
    return []


# --- users ---------------------------------------------------------------------------------

def create_user(ctx, stmt) -> list:
    _meta(ctx.engine.meta.create_user, stmt.name, stmt.password, stmt.admin)
    return []


def drop_user(ctx, stmt) -> list:
    _meta(ctx.engine.meta.drop_user, stmt.name)
    return []


def set_password(ctx, stmt) -> list:
    _meta(ctx.engine.meta.update_user, stmt.name, stmt.password)
    return []


_PRIV = {1: "READ", 2: "WRITE", 3: "ALL", 0: "NO PRIVILEGES"}


def grant(ctx, stmt) -> list:
    _meta(ctx.engine.meta.set_privilege, stmt.user, stmt.on, _PRIV[int(stmt.privilege)])
    return []


def revoke(ctx, stmt) -> list:
    meta = ctx.engine.meta
    if meta.user(stmt.user) is None:
        raise StatementError("user not found")
    _meta(meta.revoke_privilege, stmt.user, stmt.on, _PRIV[int(stmt.privilege)])
    return []


def grant_admin(ctx, stmt) -> list:
    _meta(ctx.engine.meta.set_admin, stmt.user, True)
    return []


def revoke_admin(ctx, stmt) -> list:
    _meta(ctx.engine.meta.set_admin, stmt.user, False)
    return []


def kill_query(ctx, stmt) -> list:
    if ctx.registry is None or not ctx.registry.kill(stmt.query_id):
        raise StatementError(f"no such query id: {stmt.query_id}")
    return []


def create_continuous_query(ctx, stmt) -> list:
    """Stored with its measurements qualified (``INTO test.autogen.cpu_mean FROM
    test.autogen.cpu``), as InfluxDB's statement normalizer leaves it: the query's ``db``
    parameter first, else the CQ's database (recorded from 1.6.7). ``stmt`` is qualified in
    place, so a GET's warning quotes the stored text, as InfluxDB's does."""
    meta = ctx.engine.meta
    measurements = [stmt.source.target.measurement] if stmt.source.target is not None else []
    measurements += [n for n in walk(stmt.source) if isinstance(n, Measurement)]
    for m in measurements:
        m.database = m.database or ctx.database or stmt.database
        info = meta.database(m.database)
        if info is None:
            raise StatementError(f"database not found: {m.database}")
        m.retention_policy = m.retention_policy or ctx.retention_policy or info.default_retention_policy
        if not m.retention_policy:
            raise StatementError(f"default retention policy not set for: {info.name}")
    for m in measurements:
        info = meta.database(m.database)
        if info is None or info.retention_policy(m.retention_policy) is None:
            raise StatementError(f"retention policy not found: {m.database}.{m.retention_policy}")
    _meta(meta.create_continuous_query, stmt.database, stmt.name, str(stmt))
    return []


def drop_continuous_query(ctx, stmt) -> list:
    _meta(ctx.engine.meta.drop_continuous_query, stmt.database, stmt.name)
    return []


def drop_subscription(ctx, stmt) -> list:
    raise StatementError("subscription not found")


def unsupported(ctx, stmt) -> list:
    raise StatementError(f"not implemented yet: {type(stmt).__name__.removesuffix('Statement')}")
