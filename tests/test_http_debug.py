"""Monitoring over real HTTP: ``/debug/vars``, ``/metrics``, ``SHOW STATS`` and ``SHOW
DIAGNOSTICS`` of ``influxlite serve``, against InfluxDB's recorded shapes and counters
(tests/fixtures/debug_vars.json, recorded by tests/record_debug_vars.py from InfluxDB 1.6.7).

The workload of the recorder (good, partial, refused and too-old writes, a ping, a query) is
sent to influxlite; the counters it moves must change exactly as InfluxDB's did, except where
noted (``KNOWN_DIFFERENCES``). Where 1.8 differs from 1.6.7 (the shard's ``indexType`` tag, the
``config`` section's ``reporting-disabled``), influxlite follows 1.8. InfluxDB 1.8's ``/metrics``
serves only the Go client's runtime and process families; influxlite serves the ``process_*``
ones and, besides, every statistic as ``influxdb_<name>_<key>``.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse

import pytest

from record_debug_vars import COUNTERS, FIXTURE, WORKLOAD, by_group, deltas, run_workload, shape
from test_http_write import Server, header, request

RECORDED = json.loads(FIXTURE.read_text())

# influxlite's counters that differ from InfluxDB's for the workload, and why.
KNOWN_DIFFERENCES = {
    # InfluxDB writes an empty body's zero points through the PointsWriter (one more request);
    # influxlite answers 204 without calling it.
    ("write", "req"): -1,
}
# InfluxDB counts fieldsCreate per point that brings a field its shard lacks (153 here: every
# point of the first batches); influxlite counts the fields it creates: cpu.value, mem.used,
# disk.free.
FIELDS_CREATED = 3
# 1.8 adds the shard's index type to its tags.
TAGS_18 = {"shard": {"indexType"}}
# Sections of services influxlite does not run.
NO_SUCH_SERVICE = {"config-cqs", "config-precreator", "config-subscriber"}
# 1.8's names where 1.6.7 had others.
COLUMNS_18 = {"config": {"reporting-enabled": "reporting-disabled"}}


@pytest.fixture
def server(tmp_path, impl):
    srv = Server(tmp_path / "data", impl)
    yield srv
    assert srv.stop() == 0, srv.output()


def debug_vars(port: int) -> dict:
    r = request(port, "GET", "/debug/vars")
    assert r["status"] == 200
    assert header(r, "Content-Type") == RECORDED["debug_vars"]["content_type"]
    return json.loads(r["body"])


def query(port: int, q: str) -> list[dict]:
    r = request(port, "GET", "/query?" + urllib.parse.urlencode({"q": q}))
    assert r["status"] == 200, r["body"]
    result = json.loads(r["body"])["results"][0]
    assert "error" not in result, result
    return result.get("series", [])


def test_workload_moves_the_counters_as_influxdb(server):
    before = debug_vars(server.port)
    assert run_workload(server.port) == RECORDED["workload_statuses"]
    after = debug_vars(server.port)
    got = deltas(before, after)
    want = {g: dict(v) for g, v in RECORDED["deltas"].items()}
    for (group, key), diff in KNOWN_DIFFERENCES.items():
        want[group][key] += diff
    want["shard"]["fieldsCreate"] = FIELDS_CREATED
    assert got == want
    # Independently of the fixture: the bytes of every body that reached the parser, the
    # distinct series and measurements the workload wrote.
    sent = sum(len(body) for m, path, body in WORKLOAD if path.startswith("/write?db=db"))
    assert got["httpd"]["writeReqBytes"] == sent
    assert after["database:db"]["values"] == {"numMeasurements": 3, "numSeries": 19}


def test_debug_vars_shape(server):
    run_workload(server.port)
    doc = debug_vars(server.port)
    rec = RECORDED["debug_vars"]
    data_dir = str(server.log.parent / "data")
    ours = shape(doc, data_dir, server.port)
    assert ours["members"][:4] == ["system", "cmdline", "memstats", "runtime"] == rec["members"][:4]
    assert ours["system"] == rec["system"]
    assert set(ours["memstats"]) <= set(rec["memstats"])
    assert doc["cmdline"][-4:] == ["--bind", f"127.0.0.1:{server.port}", "--data-dir", data_dir]
    # The statistics both have, keyed alike and in the same order.
    common = [k for k in ours["members"] if k in rec["statistics"]]
    assert common == [k for k in rec["members"] if k in ours["statistics"]]
    assert {ours["statistics"][k]["name"] for k in common} >= {"runtime", "database", "shard", "write", "httpd"}
    for key in common:
        mine, theirs = ours["statistics"][key], rec["statistics"][key]
        tags = None if theirs["tags"] is None else set(theirs["tags"]) | TAGS_18.get(mine["name"], set())
        assert (None if mine["tags"] is None else set(mine["tags"])) == tags, key
        assert set(theirs["values"]) <= set(mine["values"]), key
    # The value keys the issue names.
    shard = next(v for v in doc.values() if isinstance(v, dict) and v.get("name") == "shard")
    assert {"diskBytes", "writeBytes", "seriesCreate", "fieldsCreate"} <= set(shard["values"])
    assert shard["values"]["diskBytes"] > 0 and shard["values"]["writeBytes"] > 0
    engine = next(v for v in doc.values() if isinstance(v, dict) and v.get("name") == "influxlite")
    assert engine["values"]["cachePoints"] == 154 and engine["values"]["walBytes"] > 0
    assert doc["runtime"]["values"]["NumGoroutine"] >= 2
    assert doc["system"]["uptime"] >= 0 and doc["system"]["started"] <= doc["system"]["currentTime"]


# --- /metrics -----------------------------------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text: str) -> dict[str, tuple[str, list[tuple[dict, float]]]]:
    """Prometheus text format 0.0.4, strictly: a TYPE before a family's samples, each family's
    lines together, every sample line well formed. ``{family: (type, [(labels, value)])}``."""
    families: dict[str, tuple[str, list]] = {}
    current = None
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert name not in families, f"family {name} split"
            assert kind in ("counter", "gauge", "untyped", "summary", "histogram")
            families[name] = (kind, [])
            current = name
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        assert m.group(1) == current, f"{m.group(1)} outside its family"
        labels = {k: v for k, v in _LABEL.findall(m.group(2) or "")}
        families[current][1].append((labels, float(m.group(3))))
    return families


def test_metrics_is_prometheus_text_with_the_same_numbers(server):
    run_workload(server.port)
    r = request(server.port, "GET", "/metrics")
    assert r["status"] == 200
    assert header(r, "Content-Type") == RECORDED["metrics"]["content_type"]
    fams = parse_prometheus(r["body"])
    doc = debug_vars(server.port)
    httpd = by_group(doc)["httpd"]
    for key in ("writeReq", "writeReqBytes", "pointsWrittenOK", "pointsWrittenDropped", "clientError"):
        name = "influxdb_httpd_" + re.sub(r"(?<=[a-z])(?=[A-Z])", "_", key).lower() + "_total"
        kind, samples = fams[name]
        assert kind == "counter"
        assert samples == [({"bind": f"127.0.0.1:{server.port}"}, float(httpd[key]))], name
    shard = by_group(doc)["shard"]
    (labels, value), = fams["influxdb_shard_write_points_ok_total"][1]
    assert value == shard["writePointsOk"] == 154
    assert labels["database"] == "db" and labels["retention_policy"] == "autogen" and labels["index_type"] == "tsi1"
    assert fams["influxdb_shard_series_create"] == ("gauge", [(labels, 19.0)])
    assert fams["influxdb_database_num_series"] == ("gauge", [({"database": "db"}, 19.0)])
    assert fams["influxdb_write_point_req_total"][1] == [({}, 157.0)]
    # The process families InfluxDB's Go client serves, with sensible values.
    process = {f for f in RECORDED["metrics"]["families"] if f.startswith("process_")}
    assert process <= set(fams)
    assert fams["process_resident_memory_bytes"][1][0][1] > 0
    assert fams["process_open_fds"][1][0][1] >= 3


# --- SHOW STATS / SHOW DIAGNOSTICS --------------------------------------------------------------------

def test_show_stats_shape(server):
    run_workload(server.port)
    ours = query(server.port, "SHOW STATS")
    recorded = {(s["name"]): s for s in RECORDED["show_stats"]}
    names = [s["name"] for s in ours]
    assert names[0] == "runtime"
    assert {"runtime", "database", "shard", "write", "httpd"} <= set(names)
    order = [n for n in names if n in recorded]
    assert order == [s["name"] for s in RECORDED["show_stats"] if s["name"] in names]
    for s in ours:
        assert s["columns"] == sorted(s["columns"])
        assert len(s["values"]) == 1 and len(s["values"][0]) == len(s["columns"])
        rec = recorded.get(s["name"])
        if rec is None:
            continue
        assert set(rec["columns"]) <= set(s["columns"]), s["name"]
        assert set(s.get("tags", {})) == set(rec["tags"]) | TAGS_18.get(s["name"], set()), s["name"]
    shard = query(server.port, "SHOW STATS FOR 'shard'")
    assert [s["name"] for s in shard] == ["shard"]
    row = dict(zip(shard[0]["columns"], shard[0]["values"][0]))
    assert row["writePointsOk"] == 154 and row["seriesCreate"] == 19 and row["writePointsDropped"] == 1
    (idx,) = query(server.port, "SHOW STATS FOR 'indexes'")
    assert idx["name"] == "indexes" and idx["columns"] == ["memoryBytes"] and idx["values"][0][0] > 0
    assert query(server.port, "SHOW STATS FOR 'nothing'") == []


def test_show_diagnostics_shape(server):
    ours = {s["name"]: s for s in query(server.port, "SHOW DIAGNOSTICS")}
    assert list(ours) == sorted(ours)
    for rec in RECORDED["show_diagnostics"]:
        if rec["name"] in NO_SUCH_SERVICE:
            assert rec["name"] not in ours
            continue
        mine = ours[rec["name"]]
        renamed = COLUMNS_18.get(rec["name"], {})
        want = {renamed.get(c, c) for c in rec["columns"]}
        if rec["name"] in ("build", "network", "runtime", "system", "config", "config-httpd"):
            assert mine["columns"] == sorted(want), rec["name"]
        else:  # 1.8 reports more settings in some sections
            assert want <= set(mine["columns"]), rec["name"]
    system = dict(zip(ours["system"]["columns"], ours["system"]["values"][0]))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", system["currentTime"])
    assert re.fullmatch(r"[0-9.hmsµun]+", system["uptime"])
    httpd = dict(zip(ours["config-httpd"]["columns"], ours["config-httpd"]["values"][0]))
    assert httpd["bind-address"] == f"127.0.0.1:{server.port}"
    coordinator = dict(zip(ours["config-coordinator"]["columns"], ours["config-coordinator"]["values"][0]))
    assert coordinator["write-timeout"] == "10s"
    assert [s["name"] for s in query(server.port, "SHOW DIAGNOSTICS FOR 'build'")] == ["build"]


# --- the registry itself -------------------------------------------------------------------------------

def test_statistic_counts_exactly_under_concurrency():
    from influxlite.stats import Registry, Statistic

    reg = Registry()
    stat = reg.register(Statistic("write", None, ("req", "pointReq")))
    errors = []

    def bump() -> None:
        try:
            for _ in range(5000):
                stat.update(req=1, pointReq=3)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    names = [s[0] for s in reg.statistics([("database", {"database": "db"}, {"numSeries": 1})])]
    assert names == ["runtime", "database", "write"]
    assert reg.statistics()[1] == ("write", None, {"req": 20000, "pointReq": 60000})
    reg.unregister(stat)
    assert [s[0] for s in reg.statistics()] == ["runtime"]

