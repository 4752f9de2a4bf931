"""``SELECT ... INTO``: the statement's rows written back through the normal write path.

The target is ``m``, ``rp.m``, ``db.rp.m``, ``db..m`` or ``[db.rp.]:MEASUREMENT`` (each source
measurement into its own name); the database defaults to the query's, the policy to the
database's default. GROUP BY tags stay tags; every other column, a selected tag included, is a
field; null values are not written and a row without any value is not a point. The answer is
InfluxDB's: one row ``result`` with ``time`` 0 and ``written``.
"""

from __future__ import annotations

import dataclasses

from .render import TIME_NS
from .results import StatementError
from ..models import escape_field_key, format_field_value, make_key, parse_points

__all__ = ["select_into", "target_of"]

BATCH_LINES = 5000


def target_of(ctx, stmt) -> tuple[str, str, str]:
    """(database, retention policy, measurement or '' for :MEASUREMENT) of an INTO clause."""
    m = stmt.target.measurement
    db = m.database or ctx.database
    if not db:
        raise StatementError("database name required")
    info = ctx.engine.meta.database(db)
    if info is None:
        raise StatementError(f"database not found: {db}")
    rp = m.retention_policy or info.default_retention_policy
    if info.retention_policy(rp) is None:
        raise StatementError(f"retention policy not found: {rp}")
    return db, rp, m.name


def _type(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    return "string"


def _lines(series: list[dict], name: str):
    for row in series:
        measurement = (name or row.get("name", "")).encode("utf-8", "surrogateescape")
        tags = [(k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
                for k, v in (row.get("tags") or {}).items() if v]
        key = make_key(measurement, tags)
        columns = [c.encode("utf-8", "surrogateescape") for c in row["columns"][1:]]
        for values in row.get("values") or ():
            fields = [escape_field_key(c) + b"=" + format_field_value(x, _type(x))
                      for c, x in zip(columns, values[1:]) if x is not None]
            if fields:
                yield key + b" " + b",".join(fields) + b" %d" % values[0]


def select_into(ctx, stmt, run) -> list[dict]:
    db, rp, name = target_of(ctx, stmt)
    _, series = run(ctx, dataclasses.replace(stmt, target=None))
    written = 0
    batch: list[bytes] = []

    def flush() -> int:
        if not batch:
            return 0
        points = parse_points(b"\n".join(batch))
        error = points.error_text()
        if error:
            raise StatementError(error)
        result = ctx.engine.write_points(db, rp, points)
        batch.clear()
        return result.written

    for line in _lines(series, name):
        batch.append(line)
        if len(batch) >= BATCH_LINES:
            written += flush()
    written += flush()
    return [{"name": "result", "columns": ["time", "written"], "values": [[0, written]], TIME_NS: True}]
