"""Record InfluxDB 1.6.7's answers under [coordinator] query limits for
tests/fixtures/query_limits.json (replayed by tests/test_query_limits.py): max-select-series,
max-select-buckets, max-concurrent-queries' and KILL QUERY's texts.

Usage: python tests/record_query_limits.py  (needs influxd: apt-get install influxdb)
"""

from __future__ import annotations

import json
import pathlib
import shutil
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from record_http_fixtures import Influxd  # noqa: E402
from record_select import Client  # noqa: E402

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "query_limits.json"
T0 = 1700000000
DATA = "\n".join(f"cpu,host=h{h} v={h + i} {T0 + i * 60}" for h in range(3) for i in range(10)) + "\n"
ENV = {"INFLUXDB_COORDINATOR_MAX_SELECT_SERIES": "2", "INFLUXDB_COORDINATOR_MAX_SELECT_BUCKETS": "5"}
QUERIES = [
    f"SELECT v FROM cpu WHERE host = 'h1' AND time >= {T0}s",
    f"SELECT v FROM cpu WHERE host =~ /h[12]/ AND time >= {T0}s",
    f"SELECT v FROM cpu WHERE time >= {T0}s",
    f"SELECT * FROM cpu LIMIT 1",
    f"SELECT mean(v) FROM cpu WHERE host = 'h0' AND time >= {T0}s AND time < {T0 + 300}s GROUP BY time(1m)",
    f"SELECT mean(v) FROM cpu WHERE host = 'h0' AND time >= {T0}s AND time < {T0 + 301}s GROUP BY time(1m)",
    f"SELECT mean(v) FROM cpu WHERE host = 'h0' AND time >= {T0}s AND time <= {T0 + 600}s GROUP BY time(1m)",
    "KILL QUERY 99999",
]


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    server = Influxd(env=ENV)
    try:
        client = Client(server.port)
        client.write({"db": "db", "precision": "s"}, DATA)
        answers = []
        for q in QUERIES:
            status, body = client.query(q, "db")
            answers.append({"q": q, "status": status, "body": body})
        version = server.version()
    finally:
        server.stop()
    FIXTURE.write_text(json.dumps({"influxdb_version": version, "env": ENV, "data": DATA, "answers": answers},
                                  indent=1) + "\n")
    for a in answers:
        print(a["q"][:70], json.dumps(a["body"])[:160])
    return 0


if __name__ == "__main__":
    sys.exit(main())
