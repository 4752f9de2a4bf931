"""Continuous queries: CREATE/SHOW/DROP CONTINUOUS QUERY against InfluxDB 1.6.7's recorded answers
(tests/fixtures/cq.json, written by tests/record_cq.py), and the continuous-query service of a
real ``influxlite serve`` running them on InfluxDB's schedule while points arrive."""

from __future__ import annotations

import json
import pathlib

from test_http_write import Server
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
