"""The InfluxQL executor's meta queries and DDL against real InfluxDB's recorded answers.

tests/fixtures/query_meta.json holds InfluxDB 1.6.7's answers (tests/record_query_meta.py)
to a sequence of statements run after the same data was written; here the same sequence
runs against an Engine and every result must equal InfluxDB's, except (normalise()):
  * SHOW SHARDS / SHOW SHARD GROUPS: shard and group ids (allocation order differs); the
    times are compared.
  * SHOW QUERIES: qid, duration and the query text (InfluxDB's own qid counter), columns and
    status are compared.
  * SHOW GRANTS: row order (InfluxDB's is unstable, it iterates a Go map).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from influxlite import Engine, parse_points
from influxlite.query import ParseError
from influxlite.query.executor import QueryExecutor

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "query_meta.json").read_text())
PARSE_PREFIX = "error parsing query: "


def normalise(q: str, results: list[dict]) -> list[dict]:
    results = json.loads(json.dumps(results))
    up = q.upper()
    for r in results:
        for row in r.get("series", []):
            vals = row.get("values", [])
            if up.startswith("SHOW SHARDS"):
                for v in vals:
                    v[0] = v[3] = None
            elif up.startswith("SHOW SHARD GROUPS"):
                for v in vals:
                    v[0] = None
            elif up.startswith("SHOW QUERIES"):
                row["values"] = [[None, None, v[2], None, v[4]] for v in vals]
            elif up.startswith("SHOW GRANTS"):
                vals.sort()
    return results


def ours(x: QueryExecutor, q: str, db: str):
    try:
        return 200, {"results": x.execute(q, database=db)}
    except ParseError as e:
        return 400, {"error": PARSE_PREFIX + str(e)}


@pytest.fixture
def engine(tmp_path):
    with Engine(tmp_path / "data", retention_check_interval=0, cache_snapshot_write_cold_duration=0) as e:
        for db, lp in FIXTURE["data"].items():
            e.meta.create_database(db)
            e.write_points(db, None, parse_points(lp.encode()))
        yield e


def test_every_recorded_statement_answers_as_influxdb(engine):
    x = QueryExecutor(engine)
    diffs = []
    for step in FIXTURE["steps"]:
        status, body = ours(x, step["q"], step["db"])
        want = step["body"]
        if status == 200 and step["status"] == 200:
            got_n, want_n = normalise(step["q"], body["results"]), normalise(step["q"], want["results"])
        else:
            got_n, want_n = (status, body), (step["status"], want)
        if got_n != want_n:
            diffs.append(f"{step['q']!r} db={step['db']!r}\n  influxdb: {json.dumps(want_n)}\n  ours:     "
                         f"{json.dumps(got_n)}")
    assert not diffs, f"{len(diffs)} differences:\n" + "\n".join(diffs)
