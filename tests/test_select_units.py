"""SELECT behaviour the recorded fixtures do not reach, in process (both implementations)."""

from __future__ import annotations

import pytest

from influxlite import parse_points
from influxlite.engine import Engine
from influxlite.query.executor import QueryExecutor


@pytest.fixture
def x(tmp_path):
    engine = Engine(tmp_path / "data").open()
    engine.meta.create_database("db")
    lines = b"".join(b"m,h=%d v=%d,s=\"x%d\" %d\n" % (i % 3, i, i, i * 10**9) for i in range(30))
    engine.write_points("db", None, parse_points(lines))
    yield QueryExecutor(engine)
    engine.close()


@pytest.mark.parametrize("fn", ["holt_winters(mean(v), 2, 1)", "exponential_moving_average(v, 2)",
                                "chande_momentum_oscillator(v, 2)"])
def test_functions_not_run_yet_say_so(x, fn):
    got = x.execute(f"SELECT {fn} FROM m WHERE time < 30s GROUP BY time(10s)", database="db")
    assert got == [{"statement_id": 0, "error": f"not implemented yet: {fn.split('(')[0]}()"}]


def test_unknown_functions_are_undefined(x):
    assert x.execute("SELECT nope(v) FROM m", database="db") == [
        {"statement_id": 0, "error": "undefined function nope()"}]


def test_select_reads_the_cache_and_files_alike(x):
    """The same answer before and after the shard's cache is written out to Parquet."""
    q = "SELECT count(v), sum(v), last(s) FROM m GROUP BY h"
    before = x.execute(q, database="db")
    x.engine.compact()
    assert x.execute(q, database="db") == before
    assert [r["values"][0][1:] for r in before[0]["series"]] == [[10, 135, "x27"], [10, 145, "x28"],
                                                                 [10, 155, "x29"]]


def test_overwrites_and_deletes_are_seen(x):
    x.engine.write_points("db", None, parse_points(b"m,h=0 v=1000 0\n"))  # overwrite one point
    x.execute("DELETE FROM m WHERE h = '1'", database="db")
    got = x.execute("SELECT sum(v) FROM m GROUP BY h", database="db")[0]["series"]
    assert [(r["tags"]["h"], r["values"][0][1]) for r in got] == [("0", 135 + 1000), ("2", 155)]
