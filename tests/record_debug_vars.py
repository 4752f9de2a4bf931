"""Records the SHAPE of InfluxDB's monitoring answers, and the counters a known workload moves,
into ``tests/fixtures/debug_vars.json``, which tests/test_http_debug.py compares influxlite with.

    apt-get install influxdb && python tests/record_debug_vars.py

It starts its own ``influxd`` (``Influxd`` of record_http_fixtures: database ``db`` with
``autogen`` and ``short`` (1h)), reads ``/debug/vars``, sends ``WORKLOAD`` (writes good, partial,
refused, beyond retention; a ping; a query), reads ``/debug/vars`` again and stores:

- ``debug_vars``: the top-level member names in order (statistics keyed with the temporary
  directory as ``<dir>`` and the port as ``<port>``), ``system``'s and ``memstats``' member
  names, and per statistic its name, tag keys and value keys;
- ``deltas``: for the counters ``COUNTERS`` names, the workload's change (after minus before;
  the second ``/debug/vars`` request itself included, as InfluxDB counts it);
- ``show_stats`` and ``show_diagnostics``: per series its name, tag keys and columns;
- ``metrics``: the ``/metrics`` content type and metric family names.
"""

from __future__ import annotations

import http.client
import json
import pathlib
import shutil
import sys
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).parent))

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "debug_vars.json"
T = 1_700_000_000_000_000_000


def _lines(measurement: str, series: int, per_series: int, field: str) -> bytes:
    return b"".join(b"%s,host=h%d %s %d\n" % (measurement.encode(), s, field.encode(), T + i * 10**9)
                    for s in range(series) for i in range(per_series))


# (method, path, body): 100 + 50 good points, a body with 3 good lines and 1 bad one, a
# field type conflict (1 of 2 points dropped), an unknown database, 2 points older than the
# 1h policy keeps, an empty body, a ping and a query.
WORKLOAD: list[tuple[str, str, bytes | None]] = [
    ("POST", "/write?db=db", _lines("cpu", 10, 10, "value=1.5")),
    ("POST", "/write?db=db", _lines("mem", 5, 10, "used=3i")),
    ("POST", "/write?db=db", b"disk,host=a free=1i %d\ndisk,host=b free=2i %d\nbad line\ndisk,host=c free=3i %d\n"
     % (T, T, T)),
    ("POST", "/write?db=db", b"cpu,host=h0 value=7i %d\ncpu,host=zz value=2.5 %d\n" % (T + 500, T + 500)),
    ("POST", "/write?db=nope", b"cpu value=1 1\n"),
    ("POST", "/write?db=db&rp=short", b"old,host=a v=1 1000000000\nold,host=b v=2 2000000000\n"),
    ("POST", "/write?db=db", b""),
    ("GET", "/ping", None),
    ("GET", "/query?q=SHOW+DATABASES", None),
]

# The counters whose change the workload fixes (InfluxDB and influxlite must agree on them).
COUNTERS = {
    "httpd": ["req", "writeReq", "writeReqBytes", "pointsWrittenOK", "pointsWrittenFail", "pointsWrittenDropped",
              "clientError", "serverError", "queryReq", "pingReq", "writeReqActive", "reqActive"],
    "write": ["req", "pointReq", "pointReqLocal", "writeOk", "writeError", "writeDrop", "writeTimeout"],
    "shard": ["writeReq", "writeReqOk", "writeReqErr", "writePointsOk", "writePointsErr", "writePointsDropped",
              "seriesCreate", "fieldsCreate"],
    "database": ["numSeries", "numMeasurements"],
}


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def statistics(doc: dict) -> dict[str, dict]:
    """The statistic members of a /debug/vars document (those with name, tags, values)."""
    return {k: v for k, v in doc.items() if isinstance(v, dict) and "values" in v and "name" in v}


def by_group(doc: dict) -> dict[str, dict]:
    """Statistics of the groups in COUNTERS, by "name" or "name:database" (one shard here)."""
    out = {}
    for v in statistics(doc).values():
        if v["name"] in COUNTERS:
            out[v["name"]] = v["values"]
    return out


def deltas(before: dict, after: dict) -> dict[str, dict[str, int]]:
    b, a = by_group(before), by_group(after)
    return {g: {k: a.get(g, {}).get(k, 0) - b.get(g, {}).get(k, 0) for k in keys} for g, keys in COUNTERS.items()}


def run_workload(port: int) -> list[int]:
    return [request(port, m, p, body)[0] for m, p, body in WORKLOAD]


def shape(doc: dict, data_dir: str, port: int) -> dict:
    def generic(key: str) -> str:
        return key.replace(data_dir, "<dir>").replace(f":{port}", ":<port>")

    return {
        "members": [generic(k) for k in doc],
        "system": list(doc.get("system", {})),
        "memstats": list(doc.get("memstats", {})),
        "statistics": {generic(k): {"name": v["name"], "tags": None if v["tags"] is None else sorted(v["tags"]),
                                    "values": sorted(v["values"])} for k, v in statistics(doc).items()},
    }


def series_shapes(body: bytes) -> list[dict]:
    series = json.loads(body)["results"][0].get("series", [])
    return [{"name": s["name"], "tags": sorted(s.get("tags", {})), "columns": s["columns"]} for s in series]


def main() -> int:
    from record_http_fixtures import Influxd

    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    server = Influxd(max_body=25_000_000)
    try:
        version = server.version()
        before = json.loads(request(server.port, "GET", "/debug/vars")[2])
        statuses = run_workload(server.port)
        status, headers, body = request(server.port, "GET", "/debug/vars")
        after = json.loads(body)
        stats = request(server.port, "GET", "/query?" + urllib.parse.urlencode({"q": "SHOW STATS"}))[2]
        diags = request(server.port, "GET", "/query?" + urllib.parse.urlencode({"q": "SHOW DIAGNOSTICS"}))[2]
        m_status, m_headers, m_body = request(server.port, "GET", "/metrics")
    finally:
        server.stop()
    families = sorted({line.split()[2] for line in m_body.decode().splitlines() if line.startswith("# TYPE ")})
    fixture = {
        "influxdb_version": version,
        "workload_statuses": statuses,
        "debug_vars": {"status": status, "content_type": headers.get("Content-Type"),
                       **shape(after, server.dir, server.port)},
        "deltas": deltas(before, after),
        "show_stats": series_shapes(stats),
        "show_diagnostics": series_shapes(diags),
        "metrics": {"status": m_status, "content_type": m_headers.get("Content-Type"), "families": families},
    }
    FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"recorded InfluxDB {version}'s monitoring shapes in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
