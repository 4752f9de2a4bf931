"""SELECT ... INTO against InfluxDB 1.6.7's recorded answers (tests/fixtures/select_into.json,
written by tests/record_select_into.py): the ``written`` counts, what lands where (tags kept by
GROUP BY, selected tags as fields, other databases and policies, ``:MEASUREMENT``), and the
errors (unknown database or policy, points beyond the target policy's retention)."""

from __future__ import annotations

import json
import pathlib
import urllib.parse

from test_http_write import Server, request
from test_select import ask, first_difference, ties_sorted

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "select_into.json").read_text())


def test_select_into_answers_as_influxdb(tmp_path, impl):
    server = Server(tmp_path / "data", impl)
    try:
        resp = request(server.port, "POST", "/write?" + urllib.parse.urlencode({"db": "db", "precision": "s"}),
                       FIXTURE["data"].encode())
        assert resp["status"] == 204, resp["body"]
        for step in FIXTURE["steps"]:
            status, body = ask(server.port, step["q"], step["db"], "POST")
            diff = None if status == step["status"] else f"status: want {step['status']}, got {status}"
            diff = diff or first_difference(ties_sorted(step["body"]), ties_sorted(body))
            assert diff is None, f"{step['q']}\n  {diff}\n  influxdb: {step['body']}\n  ours: {body}"
    finally:
        assert server.stop() == 0
