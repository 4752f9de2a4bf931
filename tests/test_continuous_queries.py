"""Continuous queries: CREATE/SHOW/DROP CONTINUOUS QUERY against InfluxDB 1.6.7's recorded answers
(tests/fixtures/cq.json, written by tests/record_cq.py), and the continuous-query service of a
real ``influxlite serve`` running them on InfluxDB's schedule while points arrive."""

from __future__ import annotations

import json
import pathlib
import random
import time
import urllib.parse

import pytest

from test_http_write import Server, request
from test_select import ask

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "cq.json").read_text())


def replay(port: int, steps) -> None:
    for step in steps:
        got = ask(port, step["q"], step["db"], step["method"])
        assert got == (step["status"], step["body"]), f"{step['method']} {step['q']}\n  influxdb: {step['body']}\n  ours: {got[1]}"


def test_ddl_answers_as_influxdb(tmp_path, impl):
    server = Server(tmp_path / "data", impl)
    try:
        replay(server.port, FIXTURE["steps"])
    finally:
        assert server.stop() == 0
    # The continuous queries are in the meta store: a restart lists them as before.
    server = Server(tmp_path / "data", impl, prepare=False)
    try:
        last = FIXTURE["steps"][-1]  # "CREATE ... cq1 ...; SHOW CONTINUOUS QUERIES"
        listed = dict(last["body"]["results"][1], statement_id=0)
        assert ask(server.port, "SHOW CONTINUOUS QUERIES", "", "POST") == (200, {"results": [listed]})
    finally:
        assert server.stop() == 0


S = 10**9
C1 = ("CREATE CONTINUOUS QUERY c1 ON db BEGIN SELECT mean(value) AS mean, count(value) AS n INTO cq_1s "
      "FROM cpu GROUP BY time(1s), host END")
C2 = ("CREATE CONTINUOUS QUERY c2 ON db RESAMPLE EVERY 2s FOR 4s BEGIN SELECT sum(value) AS total "
      "INTO cq_resample FROM cpu GROUP BY time(1s) END")


def poll(check, what: str, seconds: float = 20.0):
    """Calls ``check()`` -> (done, detail) until done; fails with the last detail after the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        done, detail = check()
        if done:
            return detail
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not reached within {seconds}s: {detail}")
        time.sleep(0.1)


def write_for(port: int, seconds: float, written: list) -> None:
    """Writes cpu,host=a|b value=<int> at the current time for a while. Each point is noted
    with whether its write was acknowledged before its 1 s interval ended: only then is a
    query over that interval, run once the interval is over, sure to see it."""
    rng = random.Random(seconds)
    until = time.time_ns() + int(seconds * S)
    while time.time_ns() < until:
        t = time.time_ns()
        values = {"a": rng.randint(0, 100), "b": rng.randint(0, 100)}
        body = "".join(f"cpu,host={h} value={v} {t}\n" for h, v in values.items()).encode()
        resp = request(port, "POST", "/write?db=db", body)
        assert resp["status"] == 204, resp["body"]
        sure = time.time_ns() < t // S * S + S
        written += [(h, t, v, sure) for h, v in values.items()]
        time.sleep(0.05)


def expected(written: list, after: int = 0) -> tuple[dict, dict, set]:
    """(c1 {(host, bucket): [mean, n]}, c2 {bucket: total}, every bucket written) for the buckets
    starting at ``after`` or later whose every point was acknowledged in time."""
    buckets: dict = {}
    for h, t, v, sure in written:
        buckets.setdefault(t // S * S, []).append((h, v, sure))
    c1, c2 = {}, {}
    for b, points in buckets.items():
        if b < after or not all(sure for _, _, sure in points):
            continue
        c2[b] = float(sum(v for _, v, _ in points))
        for host in ("a", "b"):
            vs = [v for h, v, _ in points if h == host]
            c1[(host, b)] = [sum(vs) / len(vs), len(vs)]
    return c1, c2, set(buckets)


def stored(port: int, q: str) -> dict:
    status, body = ask(port, q, "db", "GET", {"epoch": "ns"})
    assert status == 200 and "error" not in body["results"][0], body
    out = {}
    for row in body["results"][0].get("series", ()):
        for values in row["values"]:
            key = (row["tags"]["host"], values[0]) if row.get("tags") else values[0]
            out[key] = values[1:] if len(values) > 2 else values[1]
    return out


def check_targets(port: int, want1: dict, want2: dict, buckets: set):
    """Done when both targets hold the wanted values. Outside the buckets written only count()'s
    0 may appear (a late pass covers two intervals, and count() is 0 where mean() is null)."""
    got1 = stored(port, "SELECT mean, n FROM cq_1s GROUP BY host")
    got2 = stored(port, "SELECT total FROM cq_resample")
    assert all(v == [None, 0] for (_, b), v in got1.items() if b not in buckets), (got1, buckets)
    assert set(got2) <= buckets, (got2, buckets)
    missing1 = {k: (v, got1.get(k)) for k, v in want1.items() if got1.get(k) != v}
    missing2 = {k: (v, got2.get(k)) for k, v in want2.items() if got2.get(k) != v}
    return not missing1 and not missing2, {"cq_1s (want, got)": missing1, "cq_resample (want, got)": missing2}


def wait_first_pass(server: Server) -> int:
    """c2 (RESAMPLE) runs on the service's first pass, the pass that notes c1's first time."""
    poll(lambda: ("Executing continuous query name=c2 db=db" in server.output(), server.output()[-2000:]),
         "the service's first pass")
    return time.time_ns()


def test_serve_runs_continuous_queries(tmp_path, impl):
    server = Server(tmp_path / "data", impl)
    try:
        for q in (C1, C2):
            assert ask(server.port, q, "", "POST") == (200, {"results": [{"statement_id": 0}]})
        wait_first_pass(server)
        written: list = []
        write_for(server.port, 3.0, written)
        want1, want2, buckets = expected(written)
        assert len(want1) >= 4 and len(want2) >= 2, written  # the run must be able to fail
        poll(lambda: check_targets(server.port, want1, want2, buckets), "downsampled values")
        assert "Finished continuous query name=c1 db=db written=2 " in server.output()
    finally:
        assert server.stop() == 0

    # The queries are in the meta store: after a restart they go on running.
    server = Server(tmp_path / "data", impl, prepare=False)
    try:
        since = wait_first_pass(server)
        more: list = []
        write_for(server.port, 2.0, more)
        new1, new2, new_buckets = expected(more, after=since // S * S)
        assert new1 and new2, more
        old1, old2, _ = expected(written)
        poll(lambda: check_targets(server.port, {**old1, **new1}, {**old2, **new2}, buckets | new_buckets),
             "downsampled values after the restart")

        # DROP stops it: a bucket written after the DROP reaches c2's target, never c1's.
        assert ask(server.port, "DROP CONTINUOUS QUERY c1 ON db", "", "POST") == (
            200, {"results": [{"statement_id": 0}]})
        last: list = []
        while not expected(last)[1]:
            write_for(server.port, 0.01, last)
        bucket, total = next(iter(expected(last)[1].items()))
        poll(lambda: (stored(server.port, "SELECT total FROM cq_resample").get(bucket) == total,
                      stored(server.port, "SELECT total FROM cq_resample")), "c2 after the DROP")
        assert not any(b == bucket for _, b in stored(server.port, "SELECT mean, n FROM cq_1s GROUP BY host"))
        status, body = ask(server.port, "SHOW CONTINUOUS QUERIES", "", "POST")
        assert [v[0] for v in body["results"][0]["series"][0]["values"]] == ["c2"]
    finally:
        assert server.stop() == 0


# --- the schedule and the range, as services/continuous_querier computes them (no server) ---

M = 60 * S
T = 1_700_000_040 * S  # a multiple of 2m, counted from the epoch and from Go's year 1 alike


def _cq(text: str):
    from influxlite.query.parser import parse_statement

    return parse_statement(text)


@pytest.mark.parametrize("text, passes", [
    # no RESAMPLE: the first pass only notes the time; then one interval, once it is over
    ("BEGIN SELECT mean(v) INTO x FROM m GROUP BY time(1m) END",
     [(T + 20 * S, (True, T, T, T)), (T + 50 * S, (False, T, 0, 0)), (T + M + 20 * S, (True, T + M, T, T + M)),
      (T + 3 * M + 5 * S, (True, T + 3 * M, T + M, T + 3 * M))]),  # a late pass covers what it missed
    # EVERY 2m FOR 10m: runs at once over 9 intervals, then every 2m over the last 10
    ("RESAMPLE EVERY 2m FOR 10m BEGIN SELECT mean(v) INTO x FROM m GROUP BY time(1m) END",
     [(T + 30 * S, (True, T, T - 9 * M, T)), (T + M + 30 * S, (False, T, 0, 0)),
      (T + 2 * M + 5 * S, (True, T + 2 * M, T - 8 * M, T + 2 * M))]),
    # EVERY shorter than the interval: the interval in progress is computed too
    ("RESAMPLE EVERY 30s BEGIN SELECT mean(v) INTO x FROM m GROUP BY time(1m) END",
     [(T + 10 * S, (True, T, T, T)), (T + 30 * S, (True, T + 30 * S, T, T + M)),
      (T + 45 * S, (False, T + 30 * S, 0, 0)), (T + M, (True, T + M, T, T + M))]),
    # an offset moves the boundaries
    ("BEGIN SELECT mean(v) INTO x FROM m GROUP BY time(1m, 15s) END",
     [(T + 20 * S, (True, T + 15 * S, T + 15 * S, T + 15 * S)),
      (T + M + 20 * S, (True, T + M + 15 * S, T + 15 * S, T + M + 15 * S))]),
])
def test_time_range(text, passes):
    from influxlite.query.continuous import time_range

    cq = _cq("CREATE CONTINUOUS QUERY c ON db " + text)
    last = None
    for now, want in passes:
        got = time_range(cq, now, last)
        assert got == want, (now - T, [(x - T) / S for x in got[1:]], [(x - T) / S for x in want[1:]])
        last = got[1]


def test_range_replaces_the_time_conditions():
    from influxlite.query.continuous import _with_time_range

    cq = _cq("CREATE CONTINUOUS QUERY c ON db BEGIN SELECT mean(v) INTO x FROM m WHERE time > now() - 1h "
             "AND host = 'a' OR host = 'b' GROUP BY time(1m) END")
    stmt = _with_time_range(cq.source, T, T + M)
    assert str(stmt.condition) == ("(host = 'a' OR host = 'b') AND time >= '2023-11-14T22:14:00Z' "
                                   "AND time < '2023-11-14T22:15:00Z'")
    assert cq.source.condition is not stmt.condition  # the stored statement is left alone


def test_service_logs_counts_and_skips(tmp_path):
    import io

    from influxlite.engine import Engine
    from influxlite.models import parse_points
    from influxlite.query.continuous import ContinuousQuerier
    from influxlite.query.executor import QueryExecutor

    with Engine(tmp_path / "d", retention_check_interval=0) as engine:
        ex = QueryExecutor(engine)
        ex.execute("CREATE DATABASE db; CREATE RETENTION POLICY gone ON db DURATION 1h REPLICATION 1")
        for q in ("CREATE CONTINUOUS QUERY raw ON db BEGIN SELECT v INTO raw_copy FROM m END",
                  "CREATE CONTINUOUS QUERY c ON db BEGIN SELECT sum(v) INTO s FROM m GROUP BY time(1m) END",
                  "CREATE CONTINUOUS QUERY bad ON db BEGIN SELECT sum(v) INTO gone.s FROM m GROUP BY time(1m) END"):
            assert ex.execute(q) == [{"statement_id": 0}]
        ex.execute("DROP RETENTION POLICY gone ON db")
        engine.write_points("db", None, parse_points(b"m v=1 %d\nm v=2 %d\nm v=4 %d" % (T + S, T + 2 * S, T + M)))
        quiet, loud = io.StringIO(), io.StringIO()
        q = ContinuousQuerier(engine, log_enabled=False, log=quiet)
        assert q.run_continuous_queries(T + 20 * S) == []
        assert q.run_continuous_queries(T + M + 20 * S) == ["c"]
        assert "Executing" not in quiet.getvalue() and "Finished" not in quiet.getvalue()
        assert "Error executing query name=bad db=db" in quiet.getvalue()  # errors are always logged
        assert "retention policy not found: gone" in quiet.getvalue()
        assert (q.stats.get("queryOk"), q.stats.get("queryFail")) == (1, 1)
        q2 = ContinuousQuerier(engine, log=loud)
        q2.run_continuous_queries(T + M + 20 * S)
        assert q2.run_continuous_queries(T + 2 * M + 20 * S) == ["c"]
        assert "[continuous_querier] Finished continuous query name=c db=db written=1 start=2023-11-14T22:15:00Z" \
            in loud.getvalue()
        got = ex.execute("SELECT sum FROM s", database="db", now=T + 3 * M)
        assert got[0]["series"][0]["values"] == [[T, 3.0], [T + M, 4.0]]
        assert "series" not in ex.execute("SELECT * FROM raw_copy", database="db")[0]  # raw CQs never run
