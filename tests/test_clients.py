"""Real clients, unchanged, against ``influxlite serve``: influxdb-python 5.3.2 (``InfluxDBClient``),
influxdb-client 1.50.0 (the v2 API with InfluxDB 1.8's compatibility settings), Telegraf's write
shape (gzip, ns, ``User-Agent: Telegraf``) and Grafana's InfluxQL data source (health check and
meta queries with ``epoch=ms``), as /work/shared/spec/clients.md describes them.

Points written by the clients are checked through SHOW SERIES / SHOW FIELD KEYS and, after the
server stops, read back with the engine's read API (series keys from the series file)."""

from __future__ import annotations

import gzip
import json
from urllib.parse import urlencode

import pytest

from test_http_write import Server, request

T_S = 1_700_000_000  # seconds


def read_points(data_dir, db: str, measurement: str) -> list[tuple]:
    """``(series key text, time ns, {field: value})`` of every point, in series id then time order."""
    from influxlite import _backend
    from influxlite.engine import Engine

    with Engine(data_dir, retention_check_interval=0) as engine:
        import pyarrow as pa

        table = engine.read(db, measurement)
        table = table.set_column(table.schema.get_field_index("time"), "time", table["time"].cast(pa.int64()))
        sf = engine.series_file(db)
        out = []
        for row in table.to_pylist():
            name, tags = _backend.backend.parse_series_key(sf.series_key(row.pop("series_id")))
            key = ",".join([name.decode()] + [f"{k.decode()}={v.decode()}" for k, v in tags])
            ns = row.pop("time")
            out.append((key, ns, {k: v for k, v in row.items() if v is not None}))
        return out


@pytest.fixture
def server(tmp_path, impl):
    s = Server(tmp_path / "data", impl)
    s.data_dir = tmp_path / "data"
    yield s
    assert s.stop() == 0, s.output()


def test_influxdb_python_client(server):
    from influxdb import InfluxDBClient
    from influxdb.resultset import ResultSet

    c = InfluxDBClient("127.0.0.1", server.port, database="cdb")  # sends Basic root:root: ignored
    assert c.ping() == "1.8.10"
    c.create_database("cdb")
    c.create_database("tmpdb")
    assert {"name": "cdb"} in c.get_list_database()
    fields = {"f": 1.5, "i": 7, "s": "text \"q\"", "b": True}
    for precision, t in (("s", T_S), ("ms", T_S * 10**3 + 1), ("u", T_S * 10**6 + 2), ("n", T_S * 10**9 + 3000)):
        assert c.write_points([{"measurement": f"p_{precision}", "tags": {"host": "a b", "dc": "x,y"},
                                "time": t, "fields": fields}], time_precision=precision)
    assert c.write_points(["line_m,host=z v=2i %d" % (T_S * 10**9)], protocol="line")
    rs = c.query("SHOW MEASUREMENTS")
    assert isinstance(rs, ResultSet)
    names = [p["name"] for p in rs.get_points()]
    assert names == ["line_m", "p_ms", "p_n", "p_s", "p_u"]
    assert [m["name"] for m in c.get_list_measurements()] == names
    keys = c.query("SHOW FIELD KEYS FROM p_s")
    assert list(keys.get_points()) == [{"fieldKey": "b", "fieldType": "boolean"},
                                       {"fieldKey": "f", "fieldType": "float"},
                                       {"fieldKey": "i", "fieldType": "integer"},
                                       {"fieldKey": "s", "fieldType": "string"}]
    series = [p["key"] for p in c.query("SHOW SERIES FROM p_u").get_points()]
    assert series == ["p_u,dc=x\\,y,host=a\\ b"]
    chunks = list(c.query("SHOW SERIES", chunked=True, chunk_size=2))
    assert [len(list(r.get_points())) for r in chunks] == [2, 2, 1]

    c.create_retention_policy("week", "7d", 1, database="cdb", shard_duration="1d")
    rps = c.get_list_retention_policies("cdb")
    assert [r["name"] for r in rps] == ["autogen", "week"]
    assert rps[1]["duration"] == "168h0m0s" and rps[1]["shardGroupDuration"] == "24h0m0s"

    c.create_user("u1", "pw")
    c.grant_privilege("read", "cdb", "u1")
    assert {"user": "u1", "admin": False} in c.get_list_users()
    assert c.get_list_privileges("u1") == [{"database": "cdb", "privilege": "READ"}]
    c.revoke_privilege("read", "cdb", "u1")
    assert c.get_list_privileges("u1") == [{"database": "cdb", "privilege": "NO PRIVILEGES"}]
    c.drop_user("u1")
    assert c.get_list_users() == []

    c.drop_measurement("line_m")
    assert "line_m" not in [m["name"] for m in c.get_list_measurements()]
    c.drop_database("tmpdb")
    assert {"name": "tmpdb"} not in c.get_list_database()
    c.close()
    assert server.stop() == 0, server.output()

    want = {"f": 1.5, "i": 7, "s": 'text "q"', "b": True}
    for measurement, t in (("p_s", T_S * 10**9), ("p_ms", T_S * 10**9 + 10**6), ("p_u", T_S * 10**9 + 2000),
                           ("p_n", T_S * 10**9 + 3000)):
        assert read_points(server.data_dir, "cdb", measurement) == [(f"{measurement},dc=x,y,host=a b", t, want)]


def test_influxdb_client_v2_api(server):
    from influxdb_client import InfluxDBClient, Point, WritePrecision
    from influxdb_client.client.write_api import SYNCHRONOUS

    assert request(server.port, "POST", "/query?q=CREATE+DATABASE+v2db")["status"] == 200
    with InfluxDBClient(url=f"http://127.0.0.1:{server.port}", token="user:password", org="-") as client:
        assert client.ping() is True
        assert client.version() == "1.8.10"
        with pytest.warns(DeprecationWarning):  # the client's own note; it still asks /health
            health = client.health()
        assert (health.status, health.message) == ("pass", "ready for queries and writes")
        write = client.write_api(write_options=SYNCHRONOUS)
        write.write(bucket="v2db/autogen", record=Point("pt").tag("host", "a").field("f", 1.5).field("i", 3)
                    .field("s", "x").field("b", False).time(T_S * 10**9 + 5, WritePrecision.NS))
        for precision, t in ((WritePrecision.NS, T_S * 10**9 + 9), (WritePrecision.US, T_S * 10**6 + 9),
                             (WritePrecision.MS, T_S * 10**3 + 9), (WritePrecision.S, T_S + 9)):
            write.write(bucket="v2db/autogen", record=f"lp,p={precision} v=1i {t}", write_precision=precision)
        write.write(bucket="v2db", record=["lp,p=nobucketrp v=2i %d" % (T_S * 10**9)])
    assert server.stop() == 0, server.output()
    assert read_points(server.data_dir, "v2db", "pt") == [
        ("pt,host=a", T_S * 10**9 + 5, {"f": 1.5, "i": 3, "s": "x", "b": False})]
    assert sorted(read_points(server.data_dir, "v2db", "lp")) == [
        ("lp,p=ms", T_S * 10**9 + 9 * 10**6, {"v": 1}), ("lp,p=nobucketrp", T_S * 10**9, {"v": 2}),
        ("lp,p=ns", T_S * 10**9 + 9, {"v": 1}), ("lp,p=s", (T_S + 9) * 10**9, {"v": 1}),
        ("lp,p=us", T_S * 10**9 + 9000, {"v": 1})]


def test_telegraf_write_shape(server):
    # Telegraf creates its database with a form POST, then writes gzip batches at ns.
    r = request(server.port, "POST", "/query", body=urlencode({"q": 'CREATE DATABASE "telegraf"'}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "Telegraf/1.30.0"})
    assert (r["status"], json.loads(r["body"])) == (200, {"results": [{"statement_id": 0}]})
    t0 = T_S * 10**9
    lines = []
    for i in range(3000):
        lines.append(b"cpu,cpu=cpu%d,host=h%d usage_idle=%d.5,usage_user=0.25 %d" % (i % 8, i % 5, i, t0 + i))
        lines.append(b"mem,host=h%d used=%di,available_percent=50.5,active=true %d" % (i % 5, i, t0 + i))
    body = gzip.compress(b"\n".join(lines) + b"\n")
    headers = {"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8",
               "User-Agent": "Telegraf/1.30.0"}
    r = request(server.port, "POST", "/write?db=telegraf&rp=autogen&precision=ns", body=body, headers=headers)
    assert r["status"] == 204, r
    r = request(server.port, "POST", "/write?db=nope", body=gzip.compress(b"cpu v=1\n"), headers=headers)
    assert r["status"] == 404 and "database not found" in json.loads(r["body"])["error"]  # Telegraf re-creates
    r = request(server.port, "GET", "/query?" + urlencode({"q": "SHOW SERIES EXACT CARDINALITY", "db": "telegraf"}))
    counts = {s["name"]: s["values"][0][0] for s in json.loads(r["body"])["results"][0]["series"]}
    assert counts == {"cpu": 40, "mem": 5}
    assert server.stop() == 0, server.output()
    cpu = read_points(server.data_dir, "telegraf", "cpu")
    assert len(cpu) == 3000
    assert ("cpu,cpu=cpu1,host=h1", t0 + 1, {"usage_idle": 1.5, "usage_user": 0.25}) in cpu
    mem = read_points(server.data_dir, "telegraf", "mem")
    assert len(mem) == 3000 and ("mem,host=h2", t0 + 7, {"used": 7, "available_percent": 50.5, "active": True}) in mem


def _grafana(port: int, q: str, method: str = "GET") -> dict:
    params = {"db": "gdb", "epoch": "ms"}
    if method == "GET":
        r = request(port, "GET", "/query?" + urlencode({**params, "q": q}))
    else:  # httpMode=POST: q in a form body
        r = request(port, "POST", "/query?" + urlencode(params), body=urlencode({"q": q}).encode(),
                    headers={"Content-type": "application/x-www-form-urlencoded"})
    assert r["status"] == 200, r
    return json.loads(r["body"])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_grafana_influxql_health_check_and_meta_queries(server, method):
    p = server.port
    # Before the database has data the health check still succeeds: "0 measurements found".
    assert request(p, "POST", "/query?q=CREATE+DATABASE+gdb")["status"] == 200
    assert _grafana(p, "SHOW measurements", method) == {"results": [{"statement_id": 0}]}
    body = b"cpu,host=a,dc=x value=1 %d\ncpu,host=b,dc=y value=2 %d\nmem,host=a used=3i %d\n" % ((T_S * 10**9,) * 3)
    assert request(p, "POST", "/write?db=gdb", body=body)["status"] == 204
    assert _grafana(p, "SHOW measurements", method)["results"][0]["series"] == [
        {"name": "measurements", "columns": ["name"], "values": [["cpu"], ["mem"]]}]
    assert _grafana(p, "SHOW MEASUREMENTS WITH MEASUREMENT =~ /(?i)CP/ LIMIT 100", method)["results"][0]["series"] == [
        {"name": "measurements", "columns": ["name"], "values": [["cpu"]]}]
    assert _grafana(p, 'SHOW TAG KEYS FROM "autogen"."cpu"', method)["results"][0]["series"] == [
        {"name": "cpu", "columns": ["tagKey"], "values": [["dc"], ["host"]]}]
    assert _grafana(p, 'SHOW TAG VALUES FROM "cpu" WITH KEY = "host" WHERE "dc" = \'y\'', method)["results"][0][
        "series"] == [{"name": "cpu", "columns": ["key", "value"], "values": [["host", "b"]]}]
    assert _grafana(p, 'SHOW FIELD KEYS FROM "autogen"."cpu"', method)["results"][0]["series"] == [
        {"name": "cpu", "columns": ["fieldKey", "fieldType"], "values": [["value", "float"]]}]
    assert _grafana(p, 'SHOW RETENTION POLICIES on "gdb"', method)["results"][0]["series"] == [
        {"columns": ["name", "duration", "shardGroupDuration", "replicaN", "default"],
         "values": [["autogen", "0s", "168h0m0s", 1, True]]}]
