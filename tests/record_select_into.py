"""Record InfluxDB 1.6.7's answers to SELECT ... INTO and to reads of what it wrote, for
tests/fixtures/select_into.json (replayed by tests/test_select_into.py).

Usage: python tests/record_select_into.py  (needs influxd: apt-get install influxdb)
"""

from __future__ import annotations

import json
import pathlib
import shutil
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from record_http_fixtures import Influxd  # noqa: E402
from record_select import Client  # noqa: E402

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "select_into.json"
T0 = 1700000000  # 2023-11-14T22:13:20Z
DATA = "\n".join(
    [f"cpu,host=h{h},region={'us' if h % 2 else 'eu'} usage={h * 10 + i * 0.5},n={h * 100 + i}i,"
     f"status=\"{'ok' if i % 3 else 'warn'}\",up={'true' if i % 2 else 'false'} {T0 + i * 60}"
     for h in range(3) for i in range(10)]
    + [f"mem,host=h{h} free={1000 + h}i {T0 + 30}" for h in range(2)]) + "\n"
RANGE = f"time >= {T0}s AND time < {T0 + 600}s"
STEPS = [
    ("CREATE DATABASE other", ""),
    (f"SELECT mean(usage) INTO cpu_mean FROM cpu WHERE {RANGE} GROUP BY time(2m), host", "db"),
    (f"SELECT * FROM cpu_mean WHERE {RANGE}", "db"),
    ("SHOW TAG KEYS FROM cpu_mean", "db"),
    (f"SELECT usage, host, status, up INTO raw_copy FROM cpu WHERE {RANGE}", "db"),
    (f"SELECT * FROM raw_copy WHERE {RANGE}", "db"),
    ("SHOW FIELD KEYS FROM raw_copy", "db"),
    (f"SELECT max(n) INTO other.autogen.cpu_max FROM cpu WHERE {RANGE} GROUP BY time(5m), *", "db"),
    (f"SELECT * FROM other.autogen.cpu_max WHERE {RANGE}", "db"),
    (f"SELECT count(usage) INTO short.cpu_count FROM cpu WHERE {RANGE} GROUP BY time(5m)", "db"),
    (f"SELECT * FROM short.cpu_count WHERE {RANGE}", "db"),
    (f"SELECT * INTO db..:MEASUREMENT_copy FROM cpu, mem WHERE {RANGE}", "db"),
    (f"SELECT * INTO copies.:MEASUREMENT FROM /cpu|mem/ WHERE {RANGE}", "db"),
    (f"SELECT * INTO other..:MEASUREMENT FROM cpu, mem WHERE {RANGE} GROUP BY host", "db"),
    (f"SELECT * FROM other..cpu WHERE {RANGE} GROUP BY host LIMIT 2", "db"),
    (f"SELECT * FROM other..mem WHERE {RANGE}", "db"),
    (f"SELECT mean(usage) INTO nodb..x FROM cpu WHERE {RANGE} GROUP BY time(5m)", "db"),
    (f"SELECT mean(usage) INTO x FROM cpu WHERE {RANGE} GROUP BY time(5m) fill(none)", "db"),
    (f"SELECT mean(usage) INTO y FROM cpu WHERE time >= {T0 + 3600}s AND time < {T0 + 7200}s GROUP BY time(5m)",
     "db"),
    ("SHOW MEASUREMENTS", "db"),
]


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    server = Influxd(max_body=25_000_000)
    try:
        client = Client(server.port)
        client.write({"db": "db", "precision": "s"}, DATA)
        steps = []
        for q, db in STEPS:
            status, body = client.query(q, db, "POST")
            steps.append({"q": q, "db": db, "status": status, "body": body})
        version = server.version()
    finally:
        server.stop()
    FIXTURE.write_text(json.dumps({"influxdb_version": version, "data": DATA, "steps": steps}, indent=1) + "\n")
    print(f"recorded {len(steps)} steps of InfluxDB {version} in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
