"""SHOW statements answered from the meta store and the shards' TSI indexes (never from points).

Each ``show_*`` takes the executor's ``Context`` and the statement and returns the rows
(``results.make_row`` dicts); errors are ``StatementError`` with InfluxDB's text.
"""

from __future__ import annotations

import os

from .ast_expr import BinaryExpr, ListLiteral, ParenExpr, RegexLiteral, StringLiteral, VarRef
from .ast_select import Measurement
from .results import StatementError, format_time_rfc3339, make_row
from .tagfilter import TagFilterError, name_matches, series_ids, strip_time
from .tokens import Tok
from .util import go_duration_string
from ..serieskey import parse_series_key
from ..tsi.index import make_key

FIELD_TYPE_NAMES = {"float": "float", "integer": "integer", "string": "string", "boolean": "boolean",
                    "unsigned": "unsigned", "f": "float", "i": "integer", "s": "string", "b": "boolean",
                    "u": "unsigned"}


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


# --- database and shard resolution ----------------------------------------------------------

def database_name(ctx, name: str) -> str:
    name = name or ctx.database
    if not name:
        raise StatementError("database name required")
    return name


def require_database(ctx, name: str):
    name = database_name(ctx, name)
    db = ctx.engine.meta.database(name)
    if db is None:
        raise StatementError(f"database not found: {name}")
    return db


def db_shards(ctx, db, rp: str = "") -> list:
    """The database's shards on disk (of one policy if ``rp``), opened."""
    engine = ctx.engine
    out = []
    for policy in db.retention_policies:
        if rp and policy.name != rp:
            continue
        for g in policy.shard_groups:
            if g.deleted:
                continue
            for sid in g.shards:
                if os.path.isdir(engine.shard_path(db.name, policy.name, sid)):
                    out.append(engine.shard(db.name, policy.name, sid))
    return out


def _source_matches(sources, name: str) -> bool:
    if not sources:
        return True
    for src in sources:
        if isinstance(src, Measurement):
            if src.regex is not None:
                if src.regex.compiled().search(name) is not None:
                    return True
            elif src.name == name:
                return True
    return False


def _source_rp(sources) -> str:
    for src in sources or ():
        if isinstance(src, Measurement) and src.retention_policy:
            return src.retention_policy
    return ""


def _cond(ctx, cond):
    try:
        return strip_time(cond, ctx.now)
    except TagFilterError as e:
        raise StatementError(str(e)) from None


def matching_series(shards, sources, cond) -> dict[bytes, dict[int, object]]:
    """measurement -> {series id: shard} of the series satisfying ``cond`` (per shard index)."""
    out: dict[bytes, dict[int, object]] = {}
    for shard in shards:
        for m in shard.index.measurement_names():
            if not _source_matches(sources, _s(m)):
                continue
            try:
                ids = series_ids(shard.index, m, cond)
            except TagFilterError as e:
                raise StatementError(str(e)) from None
            if ids:
                d = out.setdefault(m, {})
                for sid in ids:
                    d.setdefault(sid, shard)
    return out


def _series_tags(shard, ids) -> list[tuple[bytes, list[tuple[bytes, bytes]]]]:
    sf = shard.series_file
    out = []
    for sid in ids:
        key = sf.series_key(sid)
        if key is not None:
            out.append(parse_series_key(key))
    return out


def _page(items: list, offset: int, limit: int) -> list:
    if offset:
        items = items[offset:]
    if limit:
        items = items[:limit]
    return items


# --- databases, policies, users, shards ---------------------------------------------------

def show_databases(ctx, stmt) -> list[dict]:
    names = [db.name for db in ctx.engine.meta.databases]
    if ctx.user is not None and not ctx.user.admin:
        names = [n for n in names if ctx.user.privileges.get(n, "NO PRIVILEGES") != "NO PRIVILEGES"]
    return [make_row("databases", ["name"], [[n] for n in names])]


def show_retention_policies(ctx, stmt) -> list[dict]:
    db = require_database(ctx, stmt.database)
    values = [[rp.name, go_duration_string(rp.duration), go_duration_string(rp.shard_group_duration),
               rp.replica_n, rp.name == db.default_retention_policy] for rp in db.retention_policies]
    return [make_row("", ["name", "duration", "shardGroupDuration", "replicaN", "default"], values)]


def show_users(ctx, stmt) -> list[dict]:
    return [make_row("", ["user", "admin"], [[u.name, u.admin] for u in ctx.engine.meta.users])]


PRIVILEGE_TEXT = {"READ": "READ", "WRITE": "WRITE", "ALL": "ALL PRIVILEGES"}


def show_grants(ctx, stmt) -> list[dict]:
    u = ctx.engine.meta.user(stmt.name)
    if u is None:
        raise StatementError("user not found")
    values = [[db, PRIVILEGE_TEXT.get(p, p)] for db, p in u.privileges.items()]
    return [make_row("", ["database", "privilege"], values)]


def _expiry(g, rp) -> int:
    return g.end + rp.duration if rp.duration else g.end


def show_shards(ctx, stmt) -> list[dict]:
    cols = ["id", "database", "retention_policy", "shard_group", "start_time", "end_time", "expiry_time",
            "owners"]
    rows = []
    for db in ctx.engine.meta.databases:
        values = []
        for rp in db.retention_policies:
            for g in rp.shard_groups:
                if g.deleted:
                    continue
                for sid in g.shards:
                    values.append([sid, db.name, rp.name, g.id, format_time_rfc3339(g.start),
                                   format_time_rfc3339(g.end), format_time_rfc3339(_expiry(g, rp)), ""])
        rows.append(make_row(db.name, cols, values))
    return rows


def show_shard_groups(ctx, stmt) -> list[dict]:
    cols = ["id", "database", "retention_policy", "start_time", "end_time", "expiry_time"]
    values = []
    for db in ctx.engine.meta.databases:
        for rp in db.retention_policies:
            for g in rp.shard_groups:
                if not g.deleted:
                    values.append([g.id, db.name, rp.name, format_time_rfc3339(g.start), format_time_rfc3339(g.end),
                                   format_time_rfc3339(_expiry(g, rp))])
    return [make_row("shard groups", cols, values)]


def show_continuous_queries(ctx, stmt) -> list[dict]:
    return [make_row(db.name, ["name", "query"], [[cq.name, cq.query] for cq in db.continuous_queries])
            for db in ctx.engine.meta.databases]


def show_subscriptions(ctx, stmt) -> list[dict]:
    return []


def show_queries(ctx, stmt) -> list[dict]:
    values = [[q.qid, q.text, q.database, go_duration_string(q.elapsed_us() * 1000), "running"]
              for q in ctx.running_queries()]
    return [make_row("", ["qid", "query", "database", "duration", "status"], values)]


# --- measurements, tags, fields, series ---------------------------------------------------

def show_measurements(ctx, stmt) -> list[dict]:
    name = database_name(ctx, stmt.database)
    db = ctx.engine.meta.database(name)
    if db is None:
        return []
    cond = _cond(ctx, stmt.condition)
    src = stmt.source
    names = set()
    for shard in db_shards(ctx, db):
        try:
            found = measurement_names_by_expr(shard.index, cond)
        except TagFilterError as e:
            raise StatementError(str(e)) from None
        names.update(_s(m) for m in found if src is None or _with_measurement(src, _s(m)))
    names = _page(sorted(names), stmt.offset, stmt.limit)
    if not names:
        return []
    return [make_row("measurements", ["name"], [[n] for n in names])]


def measurement_names_by_expr(index, cond) -> set[bytes]:
    """InfluxDB's measurementNamesByExpr: AND intersects, OR unites; ``tag op value`` takes
    the measurements that have the tag key and (for = and =~) some value matching, (for != and
    !~) no value matching. Measurements without series are left out."""
    if cond is None:
        return {m for m in index.measurement_names() if index.measurement_series_ids(m)}
    if isinstance(cond, ParenExpr):
        return measurement_names_by_expr(index, cond.expr)
    if isinstance(cond, BinaryExpr) and cond.op in (Tok.AND, Tok.OR):
        lhs, rhs = measurement_names_by_expr(index, cond.lhs), measurement_names_by_expr(index, cond.rhs)
        return lhs & rhs if cond.op == Tok.AND else lhs | rhs
    if not isinstance(cond, BinaryExpr) or cond.op not in (Tok.EQ, Tok.NEQ, Tok.EQREGEX, Tok.NEQREGEX):
        raise TagFilterError("invalid tag comparison operator")
    key, value = _tag_operands(cond)
    positive = cond.op in (Tok.EQ, Tok.EQREGEX)
    out = set()
    for m in index.measurement_names():
        if key == "_name":
            if name_matches(_s(m), cond.op, value):
                out.add(m)
            continue
        k = key.encode("utf-8", "surrogateescape")
        if not index.tag_key_series_ids(m, k):
            continue
        match = any(_value_matches(value, _s(v)) for v in index.tag_values(m, k)
                    if index.tag_value_series_ids(m, k, v))
        if match == positive:
            out.add(m)
    return out


def _tag_operands(e):
    if isinstance(e.lhs, VarRef) and isinstance(e.rhs, (StringLiteral, RegexLiteral)):
        return e.lhs.val, e.rhs
    if isinstance(e.rhs, VarRef) and isinstance(e.lhs, (StringLiteral, RegexLiteral)):
        return e.rhs.val, e.lhs
    raise TagFilterError("invalid tag comparison operator")


def _value_matches(value, v: str) -> bool:
    if isinstance(value, RegexLiteral):
        return value.compiled().search(v) is not None
    return v == value.val


def _with_measurement(src, name: str) -> bool:
    if isinstance(src, Measurement):
        if src.regex is not None:
            return name_matches(name, Tok.EQREGEX, src.regex)
        return src.name == name
    return name_matches(name, Tok.EQ, src)


def _measurement_keys(ctx, stmt) -> dict[bytes, set[bytes]]:
    """measurement -> tag keys of its series that satisfy the statement's WHERE."""
    db = require_database(ctx, stmt.database)
    cond = _cond(ctx, stmt.condition)
    shards = db_shards(ctx, db, _source_rp(stmt.sources))
    out: dict[bytes, set[bytes]] = {}
    if cond is None:
        for shard in shards:
            for m in shard.index.measurement_names():
                if _source_matches(stmt.sources, _s(m)):
                    out.setdefault(m, set()).update(shard.index.tag_keys(m))
        return out
    for m, ids in matching_series(shards, stmt.sources, cond).items():
        keys = out.setdefault(m, set())
        for shard, sids in _by_shard(ids).items():
            for _, tags in _series_tags(shard, sids):
                keys.update(k for k, _ in tags)
    return out


def _by_shard(ids: dict[int, object]) -> dict[object, list[int]]:
    out: dict[object, list[int]] = {}
    for sid, shard in ids.items():
        out.setdefault(shard, []).append(sid)
    return out


def show_tag_keys(ctx, stmt) -> list[dict]:
    rows = []
    per = _measurement_keys(ctx, stmt)
    names = _page(sorted(per), stmt.soffset, stmt.slimit)
    for m in names:
        keys = _page(sorted(per[m]), stmt.offset, stmt.limit)
        if keys:
            rows.append(make_row(_s(m), ["tagKey"], [[_s(k)] for k in keys]))
    return rows


def _key_selected(op: Tok, expr, key: str) -> bool:
    if op == Tok.IN and isinstance(expr, ListLiteral):
        return key in expr.vals
    if isinstance(expr, RegexLiteral):
        hit = expr.compiled().search(key) is not None
        return hit if op == Tok.EQREGEX else not hit
    if isinstance(expr, StringLiteral):
        return (key == expr.val) == (op == Tok.EQ)
    return False


def tag_values(ctx, stmt) -> dict[bytes, set[tuple[bytes, bytes]]]:
    """measurement -> {(key, value)} for SHOW TAG VALUES (and its cardinality)."""
    db = require_database(ctx, stmt.database)
    cond = _cond(ctx, stmt.condition)
    shards = db_shards(ctx, db, _source_rp(stmt.sources))
    out: dict[bytes, set[tuple[bytes, bytes]]] = {}
    if cond is None:
        for shard in shards:
            idx = shard.index
            for m in idx.measurement_names():
                if not _source_matches(stmt.sources, _s(m)):
                    continue
                pairs = out.setdefault(m, set())
                for k in idx.tag_keys(m):
                    if _key_selected(stmt.op, stmt.tag_key_expr, _s(k)):
                        pairs.update((k, v) for v in idx.tag_values(m, k) if idx.tag_value_series_ids(m, k, v))
        return out
    for m, ids in matching_series(shards, stmt.sources, cond).items():
        pairs = out.setdefault(m, set())
        for shard, sids in _by_shard(ids).items():
            for _, tags in _series_tags(shard, sids):
                pairs.update((k, v) for k, v in tags if _key_selected(stmt.op, stmt.tag_key_expr, _s(k)))
    return out


def show_tag_values(ctx, stmt) -> list[dict]:
    rows = []
    for m, pairs in sorted(tag_values(ctx, stmt).items()):
        values = _page(sorted(pairs), stmt.offset, stmt.limit)
        if values:
            rows.append(make_row(_s(m), ["key", "value"], [[_s(k), _s(v)] for k, v in values]))
    return rows


def field_keys(ctx, stmt) -> dict[bytes, dict[bytes, str]]:
    db = require_database(ctx, stmt.database)
    out: dict[bytes, dict[bytes, str]] = {}
    for shard in db_shards(ctx, db, _source_rp(stmt.sources)):
        for m in shard.index.measurement_names():
            if not _source_matches(stmt.sources, _s(m)):
                continue
            d = out.setdefault(m, {})
            for k, t in shard.field_types(m).items():
                d.setdefault(k, FIELD_TYPE_NAMES.get(t, t))
    return out


def show_field_keys(ctx, stmt) -> list[dict]:
    rows = []
    for m, types in sorted(field_keys(ctx, stmt).items()):
        keys = _page(sorted(types), stmt.offset, stmt.limit)
        if keys:
            rows.append(make_row(_s(m), ["fieldKey", "fieldType"], [[_s(k), types[k]] for k in keys]))
    return rows


def series_keys(ctx, stmt) -> dict[bytes, set[bytes]]:
    """measurement -> escaped series keys of the series SHOW SERIES shows."""
    db = require_database(ctx, stmt.database)
    cond = _cond(ctx, stmt.condition)
    shards = db_shards(ctx, db, _source_rp(stmt.sources))
    out: dict[bytes, set[bytes]] = {}
    for m, ids in matching_series(shards, stmt.sources, cond).items():
        keys = out.setdefault(m, set())
        for shard, sids in _by_shard(ids).items():
            for name, tags in _series_tags(shard, sids):
                keys.add(make_key(name, tags))
    return out


def show_series(ctx, stmt) -> list[dict]:
    keys = [k for _, ks in sorted(series_keys(ctx, stmt).items()) for k in sorted(ks)]
    keys = _page(keys, stmt.offset, stmt.limit)
    if not keys:
        return []
    return [make_row("", ["key"], [[_s(k)] for k in keys])]
