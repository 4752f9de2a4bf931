"""Record InfluxDB 1.6.7's answers to CREATE/SHOW/DROP CONTINUOUS QUERY, for tests/fixtures/cq.json
(replayed by tests/test_continuous_queries.py).

Usage: python tests/record_cq.py  (needs influxd: apt-get install influxdb)
"""

from __future__ import annotations

import json
import pathlib
import shutil
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from record_http_fixtures import Influxd  # noqa: E402
from record_select import Client  # noqa: E402

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "cq.json"
CQ1 = "CREATE CONTINUOUS QUERY cq1 ON test BEGIN SELECT mean(value) INTO cpu_mean FROM cpu GROUP BY time(1m), host END"
# (query, db, method)
STEPS = [
    ("CREATE DATABASE test", "", "POST"),
    ("SHOW CONTINUOUS QUERIES", "", "POST"),
    (CQ1, "", "POST"),
    (CQ1, "", "POST"),
    (CQ1.lower(), "", "POST"),
    ("CREATE CONTINUOUS QUERY cq1 ON test BEGIN SELECT max(value) INTO cpu_mean FROM cpu GROUP BY time(1m) END",
     "", "POST"),
    ("CREATE CONTINUOUS QUERY cq1 ON nodb BEGIN SELECT mean(value) INTO cpu_mean FROM cpu GROUP BY time(1m) END",
     "", "POST"),
    ("CREATE CONTINUOUS QUERY cq2 ON test BEGIN SELECT mean(value) INTO nodb..x FROM cpu GROUP BY time(1m) END",
     "", "POST"),
    ("CREATE CONTINUOUS QUERY cq2 ON test BEGIN SELECT mean(value) INTO x FROM nodb..cpu GROUP BY time(1m) END",
     "", "POST"),
    ("CREATE CONTINUOUS QUERY cq2 ON test BEGIN SELECT mean(value) INTO nope.x FROM cpu GROUP BY time(1m) END",
     "", "POST"),
    ("CREATE CONTINUOUS QUERY cq2 ON test BEGIN SELECT mean(value) INTO x FROM test.nope.cpu GROUP BY time(1m) END",
     "", "POST"),
    ("CREATE CONTINUOUS QUERY cq2 ON test RESAMPLE EVERY 2m FOR 10m BEGIN SELECT max(value) INTO cpu_max "
     "FROM cpu WHERE host = 'a' GROUP BY time(1m, 15s), * fill(0) END", "", "POST"),
    ("CREATE CONTINUOUS QUERY cq3 ON test RESAMPLE EVERY 30s BEGIN SELECT count(value) INTO test.autogen.cpu_count "
     "FROM test.autogen.cpu GROUP BY time(1m) END", "", "POST"),
    ("CREATE CONTINUOUS QUERY cq4 ON test RESAMPLE FOR 2m BEGIN SELECT sum(value) INTO :MEASUREMENT_sum "
     "FROM /cpu.*/ GROUP BY time(1m) END", "", "POST"),
    ("CREATE CONTINUOUS QUERY \"my cq\" ON test BEGIN SELECT min(\"the value\") INTO \"a b\".\"c d\" "
     "FROM \"x y\" GROUP BY time(1h) tz('Europe/Paris') END", "", "POST"),
    ("CREATE RETENTION POLICY \"a b\" ON test DURATION 1h REPLICATION 1", "", "POST"),
    ("CREATE CONTINUOUS QUERY \"my cq\" ON test BEGIN SELECT min(\"the value\") INTO \"a b\".\"c d\" "
     "FROM \"x y\" GROUP BY time(1h) tz('Europe/Paris') END", "", "POST"),
    ("CREATE CONTINUOUS QUERY raw ON test BEGIN SELECT value INTO raw_copy FROM cpu END", "", "POST"),
    ("CREATE CONTINUOUS QUERY bad ON test BEGIN SELECT mean(value) FROM cpu GROUP BY time(1m) END", "", "POST"),
    ("CREATE CONTINUOUS QUERY bad ON test BEGIN SELECT mean(value) INTO x FROM cpu END", "", "POST"),
    ("CREATE CONTINUOUS QUERY bad ON test RESAMPLE BEGIN SELECT mean(value) INTO x FROM cpu GROUP BY time(1m) END",
     "", "POST"),
    ("CREATE CONTINUOUS QUERY bad ON test RESAMPLE FOR 30s BEGIN SELECT mean(value) INTO x FROM cpu "
     "GROUP BY time(1m) END", "", "POST"),
    ("CREATE CONTINUOUS QUERY bad ON test RESAMPLE EVERY 5m FOR 2m BEGIN SELECT mean(value) INTO x FROM cpu "
     "GROUP BY time(1m) END", "", "POST"),
    ("CREATE CONTINUOUS QUERY bad ON test BEGIN SELECT mean(value) INTO x FROM cpu GROUP BY time(1m)", "", "POST"),
    ("CREATE CONTINUOUS QUERY cq5 ON test BEGIN SELECT mean(value) INTO cpu_5m FROM cpu GROUP BY time(5m) END",
     "", "GET"),
    ("CREATE DATABASE other", "", "POST"),
    ("CREATE CONTINUOUS QUERY cq1 ON other BEGIN SELECT mean(value) INTO test..cpu_mean FROM cpu "
     "GROUP BY time(1m) END", "test", "POST"),
    ("SHOW CONTINUOUS QUERIES", "", "POST"),
    ("SHOW CONTINUOUS QUERIES", "test", "GET"),
    ("DROP CONTINUOUS QUERY cq1 ON test", "", "POST"),
    ("DROP CONTINUOUS QUERY cq1 ON test", "", "POST"),
    ("DROP CONTINUOUS QUERY cq1 ON nodb", "", "POST"),
    ("DROP CONTINUOUS QUERY \"my cq\" ON test", "", "GET"),
    ("DROP DATABASE other", "", "POST"),
    ("SHOW CONTINUOUS QUERIES", "", "POST"),
    (CQ1 + "; SHOW CONTINUOUS QUERIES", "", "POST"),
]


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    server = Influxd(max_body=25_000_000, setup=())
    try:
        client = Client(server.port)
        steps = []
        for q, db, method in STEPS:
            status, body = client.query(q, db, method)
            steps.append({"q": q, "db": db, "method": method, "status": status, "body": body})
        version = server.version()
    finally:
        server.stop()
    FIXTURE.write_text(json.dumps({"influxdb_version": version, "steps": steps}, indent=1) + "\n")
    print(f"recorded {len(steps)} steps of InfluxDB {version} in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
