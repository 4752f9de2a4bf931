"""Query limits as InfluxDB 1.8's [coordinator] has them, KILL QUERY and the query timeout:
texts checked against answers recorded from 1.6.7 (tests/fixtures/query_limits.json, by
tests/record_query_limits.py); killing and timing out checked on a statement that really runs."""

from __future__ import annotations

import json
import pathlib
import threading
import time
import urllib.parse

import pytest

from influxlite import parse_points
from influxlite.engine import Engine
from influxlite.query.executor import QueryExecutor
from influxlite.query.limits import QueryLimits
from test_http_write import Server, request
from test_select import ask

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "query_limits.json").read_text())


def test_limits_answer_as_influxdb(tmp_path, impl):
    env = {k.replace("INFLUXDB_", "INFLUXLITE_"): v for k, v in FIXTURE["env"].items()}
    server = Server(tmp_path / "data", impl, env)
    try:
        r = request(server.port, "POST", "/write?db=db&precision=s", FIXTURE["data"].encode())
        assert r["status"] == 204
        for a in FIXTURE["answers"]:
            assert ask(server.port, a["q"], "db") == (a["status"], a["body"]), a["q"]
    finally:
        assert server.stop() == 0


@pytest.fixture
def loaded(tmp_path):
    engine = Engine(tmp_path / "data").open()
    engine.meta.create_database("db")
    lines = b"".join(b"m,h=%d v=%d %d\n" % (i % 4, i, i * 10**9) for i in range(2000))
    engine.write_points("db", None, parse_points(lines))
    yield engine
    engine.close()


# a statement with millions of GROUP BY time buckets: it runs until stopped
HEAVY = "SELECT mean(v) FROM m WHERE time >= 0 AND time < 2000s GROUP BY time(1ms), h fill(linear)"


def _run_in_thread(executor, q):
    out, errors = {}, []

    def run():
        try:
            out["results"] = executor.execute(q, database="db")
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    return t, out, errors


def test_kill_query_stops_a_running_select(loaded):
    executor = QueryExecutor(loaded)
    t, out, errors = _run_in_thread(executor, HEAVY)
    deadline = time.monotonic() + 60
    while not executor.running_queries() and time.monotonic() < deadline:
        time.sleep(0.01)
    [running] = executor.running_queries()
    shown = executor.execute("SHOW QUERIES")[0]["series"][0]["values"]
    assert [row[0] for row in shown] == [running.qid, running.qid + 1]  # itself and SHOW QUERIES
    assert executor.execute(f"KILL QUERY {running.qid}") == [{"statement_id": 0}]
    t.join(60)
    assert not t.is_alive() and not errors
    assert out["results"] == [{"statement_id": 0, "error": "query interrupted"}]
    assert executor.running_queries() == []


def test_query_timeout_stops_a_statement(loaded):
    executor = QueryExecutor(loaded, QueryLimits(query_timeout=0.2))
    assert executor.execute(HEAVY, database="db") == [{"statement_id": 0, "error": "query-timeout limit exceeded"}]
    # a quick statement is not affected
    assert executor.execute("SELECT count(v) FROM m", database="db")[0]["series"][0]["values"] == [[0, 2000]]


def test_max_select_point_stops_a_large_scan(loaded):
    executor = QueryExecutor(loaded, QueryLimits(max_select_point=500))
    got = executor.execute("SELECT v FROM m", database="db")
    assert got[0]["error"].startswith("max-select-point limit exceeed: (") and got[0]["error"].endswith("/500)")
    assert "series" in QueryExecutor(loaded, QueryLimits(max_select_point=5000)).execute(
        "SELECT v FROM m", database="db")[0]


def test_max_concurrent_queries(loaded):
    executor = QueryExecutor(loaded, QueryLimits(max_concurrent_queries=1))
    t, out, errors = _run_in_thread(executor, HEAVY)
    deadline = time.monotonic() + 60
    while not executor.running_queries() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert executor.execute("SHOW DATABASES") == [
        {"statement_id": 0, "error": "max-concurrent-queries limit exceeded(2, 1)"}]
    executor.kill(executor.running_queries()[0].qid)
    t.join(60)
    assert not errors and out["results"][0]["error"] == "query interrupted"


def test_kill_query_over_http(tmp_path, impl):
    server = Server(tmp_path / "data", impl)
    try:
        assert ask(server.port, "KILL QUERY 12345", "db", "POST") == (
            200, {"results": [{"statement_id": 0, "error": "no such query id: 12345"}]})
        q = urllib.parse.quote("SHOW QUERIES")
        body = json.loads(request(server.port, "GET", f"/query?q={q}")["body"])
        assert body["results"][0]["series"][0]["columns"] == ["qid", "query", "database", "duration", "status"]
    finally:
        assert server.stop() == 0


def test_query_memory_limit_fails_the_query_not_the_server(tmp_path, impl):
    """[coordinator] query-memory-limit (influxlite's own) bounds DuckDB's memory: a query that
    needs more gets an error, the server and the next queries go on."""
    server = Server(tmp_path / "data", impl, {"INFLUXLITE_COORDINATOR_QUERY_MEMORY_LIMIT": "16m",
                                              "INFLUXLITE_COORDINATOR_WRITE_TIMEOUT": "300s"})  # pure: slow
    try:
        n = 300_000
        body = "".join(f"mem,h=h{i % 3} v={i * 0.5} {i}\n" for i in range(n)).encode()
        assert request(server.port, "POST", "/write?db=db", body)["status"] == 204
        status, answer = ask(server.port, "SELECT percentile(v, 95) FROM mem GROUP BY h", "db")
        assert status == 200
        error = answer["results"][0]["error"]
        assert error.startswith("query-memory-limit exceeded: Out of Memory Error"), error
        assert "\n" not in error
        assert ask(server.port, "SELECT count(v) FROM mem", "db") == (
            200, {"results": [{"statement_id": 0, "series": [
                {"name": "mem", "columns": ["time", "count"], "values": [["1970-01-01T00:00:00Z", n]]}]}]})
        assert server.proc.poll() is None
    finally:
        assert server.stop() == 0, server.output()
