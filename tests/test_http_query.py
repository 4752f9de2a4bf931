"""``/query`` over real HTTP: the meta statements and DDL through ``influxlite serve``, with
InfluxDB's shapes (a top-level 400 for parse errors, statement errors inside a 200)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from test_http_write import Server, request


def _q(port: int, q: str, method: str = "GET", **params) -> tuple[int, object]:
    if method == "GET":
        r = request(port, "GET", "/query?" + urlencode({"q": q, **params}))
    else:
        r = request(port, "POST", "/query?" + urlencode(params), body=urlencode({"q": q}).encode(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    return r["status"], json.loads(r["body"])


def test_ddl_and_meta_queries_through_the_server(tmp_path, impl):
    s = Server(tmp_path / "data", impl)
    try:
        p = s.port
        assert _q(p, "CREATE DATABASE mydb", "POST") == (200, {"results": [{"statement_id": 0}]})
        r = request(p, "POST", "/write?db=mydb", body=b"cpu,host=a,region=west v=1 1\ncpu,host=b v=2 2\n")
        assert r["status"] == 204
        status, body = _q(p, "SHOW DATABASES; SHOW MEASUREMENTS; SHOW TAG VALUES WITH KEY = host", db="mydb")
        assert status == 200
        assert body["results"][0]["series"] == [{"name": "databases", "columns": ["name"],
                                                 "values": [["db"], ["mydb"]]}]
        assert body["results"][1]["series"][0]["values"] == [["cpu"]]
        assert body["results"][2]["series"][0]["values"] == [["host", "a"], ["host", "b"]]
        status, body = _q(p, "SHOW FIELD KEYS FROM cpu", db="mydb")
        assert body["results"][0]["series"][0]["values"] == [["v", "float"]]
        assert _q(p, "SHOW MEASUREMENTS", db="nodb") == (200, {"results": [{"statement_id": 0}]})
        status, body = _q(p, "SHOW TAG KEYS", db="nodb")
        assert body == {"results": [{"statement_id": 0, "error": "database not found: nodb"}]}
        status, body = _q(p, "SELECT * FROM cpu", db="mydb")
        assert status == 200 and body["results"][0]["series"] == [{
            "name": "cpu", "columns": ["time", "host", "region", "v"],
            "values": [["1970-01-01T00:00:00.000000001Z", "a", "west", 1],
                       ["1970-01-01T00:00:00.000000002Z", "b", None, 2]]}]
        assert _q(p, "DROP DATABASE mydb", "POST") == (200, {"results": [{"statement_id": 0}]})
        status, body = _q(p, "SHOW DATABASES")
        assert body["results"][0]["series"][0]["values"] == [["db"]]
    finally:
        assert s.stop() == 0


def test_query_errors_as_influxdb(tmp_path, impl):
    s = Server(tmp_path / "data", impl)
    try:
        r = request(s.port, "GET", "/query")
        assert (r["status"], json.loads(r["body"])) == (400, {"error": 'missing required parameter "q"'})
        assert _q(s.port, "SELECT * FROM") == (
            400, {"error": "error parsing query: found EOF, expected identifier at line 1, "
                           "char 15"})  # InfluxDB 1.6.7 recorded
        status, body = _q(s.port, "SHOW MEASUREMENTS WHERE host = $h", db="db", params=json.dumps({"h": "a"}))
        assert status == 200 and body == {"results": [{"statement_id": 0}]}
    finally:
        assert s.stop() == 0
