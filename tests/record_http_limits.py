"""Records InfluxDB's answers to writes past ``max-series-per-database`` and
``max-values-per-tag`` into ``tests/fixtures/http_limits.json`` (tests/test_http_limits.py).

    apt-get install influxdb && python tests/record_http_limits.py

One ``influxd`` per limit (``Influxd`` of tests/record_http_fixtures.py with
INFLUXDB_DATA_MAX_SERIES_PER_DATABASE=5, then INFLUXDB_DATA_MAX_VALUES_PER_TAG=3), database
``db`` (policies ``autogen`` and ``short``) and ``db2``; each step of ``STEPS`` in order.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import sys
from urllib.parse import urlencode

from record_http_fixtures import Influxd, send

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "http_limits.json"
T = 1_700_000_000_000_000_000
MAX_SERIES, MAX_VALUES = 5, 3


def _w(name: str, body: bytes, db: str = "db", rp: str = "") -> dict:
    return {"name": name, "method": "POST", "path": f"/write?db={db}" + (f"&rp={rp}" if rp else ""), "body": body}


def _q(name: str, q: str, db: str = "db") -> dict:
    return {"name": name, "method": "POST", "path": "/query?" + urlencode({"q": q, "db": db})}


def _lines(*items: str) -> bytes:
    return b"".join(b"%s v=1 %d\n" % (s.encode(), T + i) for i, s in enumerate(items))


STEPS = {
    "max_series": [
        _q("create_db2", "CREATE DATABASE db2"),
        _w("three", _lines("cpu,host=a", "cpu,host=b", "cpu,host=c")),
        _w("over", _lines("cpu,host=a", "cpu,host=d", "cpu,host=e", "cpu,host=f", "cpu,host=f", "cpu,host=g",
                          "cpu,host=b")),
        _w("existing_only", _lines("cpu,host=a", "cpu,host=e")),
        _w("full_one_new", _lines("mem,host=z")),
        _w("other_rp_same_db", _lines("cpu,host=q"), rp="short"),
        _w("other_db", _lines("cpu,host=a", "cpu,host=b", "cpu,host=c", "cpu,host=d", "cpu,host=e"), db="db2"),
        _w("other_db_over", _lines("cpu,host=x", "cpu,host=a"), db="db2"),
        _q("series", "SHOW SERIES"),
        _q("drop_some", "DROP SERIES FROM cpu WHERE host = 'a'"),
        _w("after_drop", _lines("cpu,host=h", "cpu,host=i")),
        _q("series_after", "SHOW SERIES"),
    ],
    "max_values": [
        _w("two", _lines("cpu,host=a", "cpu,host=b")),
        _w("past_in_one_write", _lines("cpu,host=c", "cpu,host=d", "cpu,host=e")),
        _w("over", _lines("cpu,host=f")),
        _w("over_two_values", _lines("cpu,host=g", "cpu,host=a", "cpu,host=h", "cpu,host=g")),
        _w("existing_value_new_series", _lines("cpu,host=a,region=x")),
        _w("other_measurement", _lines("mem,host=f", "mem,host=g")),
        _w("quoted", _lines('cpu,host=q"x\\ y')),
        _w("two_tags_first_refuses", _lines("cpu,host=z,region=y")),
        _q("values", "SHOW TAG VALUES WITH KEY = host"),
    ],
}
ENV = {"max_series": {"INFLUXDB_DATA_MAX_SERIES_PER_DATABASE": str(MAX_SERIES)},
       "max_values": {"INFLUXDB_DATA_MAX_VALUES_PER_TAG": str(MAX_VALUES)}}


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    out: dict = {}
    version = None
    for topic, steps in STEPS.items():
        server = Influxd(max_body=0, env=ENV[topic])
        try:
            version = server.version()
            out[topic] = {}
            for step in steps:
                resp, conn = send(server.port, step)
                if conn is not None:
                    conn.close()
                out[topic][step["name"]] = {"status": resp["status"], "body": resp["body"]}
        finally:
            server.stop()
    FIXTURE.write_text(json.dumps({"influxdb_version": version, "answers": out}, indent=1, ensure_ascii=False)
                       + "\n")
    print(f"recorded InfluxDB {version}'s answers in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
