"""Record real InfluxDB's answers to meta queries and DDL for tests/fixtures/query_meta.json.

Starts `influxd` (1.6.7) on a free 127.0.0.1 port with a temporary directory (as
tests/record_influxql_errors.py does), creates the databases, writes DATA, then sends each
step of STEPS in order (DDL steps change what later steps see) and stores the `results`
list of each. tests/test_query_meta.py replays the same steps against influxlite.
Usage: python tests/record_query_meta.py
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from record_influxql_errors import start_influxd  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "query_meta.json"

DATA = {
    "db": (
        "cpu,host=a,region=us usage=1.5,n=1i 1700000000000000000\n"
        "cpu,host=b,region=eu usage=2,n=2i 1700000000000000000\n"
        "cpu,host=c usage=3 1700000060000000000\n"
        "mem,host=a free=3i,s=\"x<y\",ok=true 1700000000000000000\n"
        "my\\ measure,tag\\ key=v\\,1 f=1 1700000000000000000\n"
        "disk,host=a,path=/ used=0.25 1600000000000000000\n"
    ),
    "other": "net,iface=eth0 rx=1i 1700000000000000000\n",
}

# (query, db param) in order; statements after the data is written.
STEPS = [
    ("SHOW DATABASES", ""),
    ("SHOW RETENTION POLICIES", "db"),
    ("SHOW RETENTION POLICIES ON other", ""),
    ("SHOW RETENTION POLICIES", ""),
    ("SHOW RETENTION POLICIES ON nodb", ""),
    ("SHOW MEASUREMENTS", "db"),
    ("SHOW MEASUREMENTS ON other", ""),
    ("SHOW MEASUREMENTS ON nodb", ""),
    ("SHOW MEASUREMENTS", ""),
    ("SHOW MEASUREMENTS WITH MEASUREMENT = cpu", "db"),
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /m.*/", "db"),
    ("SHOW MEASUREMENTS WHERE host = 'a'", "db"),
    ("SHOW MEASUREMENTS WHERE host = 'c' OR \"tag key\" = 'v,1'", "db"),
    ("SHOW MEASUREMENTS WHERE region =~ /u/", "db"),
    ("SHOW MEASUREMENTS WHERE host !~ /a/", "db"),
    ("SHOW MEASUREMENTS LIMIT 2 OFFSET 1", "db"),
    ("SHOW MEASUREMENTS WHERE host > 'a'", "db"),
    ("SHOW TAG KEYS", "db"),
    ("SHOW TAG KEYS FROM cpu", "db"),
    ("SHOW TAG KEYS FROM cpu WHERE host = 'c'", "db"),
    ("SHOW TAG KEYS ON other", ""),
    ("SHOW TAG KEYS", ""),
    ("SHOW TAG KEYS ON nodb", ""),
    ("SHOW TAG KEYS FROM /c.*/", "db"),
    ("SHOW TAG KEYS LIMIT 1", "db"),
    ("SHOW TAG KEYS LIMIT 1 OFFSET 1", "db"),
    ("SHOW TAG VALUES WITH KEY = host", "db"),
    ("SHOW TAG VALUES FROM cpu WITH KEY = host", "db"),
    ("SHOW TAG VALUES WITH KEY != host", "db"),
    ("SHOW TAG VALUES WITH KEY =~ /h|r/", "db"),
    ("SHOW TAG VALUES WITH KEY !~ /h/", "db"),
    ("SHOW TAG VALUES WITH KEY IN (host, region)", "db"),
    ("SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'us'", "db"),
    ("SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = ''", "db"),
    ("SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region != 'us'", "db"),
    ("SHOW TAG VALUES FROM cpu WITH KEY = host WHERE time > 0", "db"),
    ("SHOW TAG VALUES WITH KEY = host LIMIT 1 OFFSET 1", "db"),
    ("SHOW TAG VALUES WITH KEY = \"tag key\"", "db"),
    ("SHOW FIELD KEYS", "db"),
    ("SHOW FIELD KEYS FROM mem", "db"),
    ("SHOW FIELD KEYS ON other", ""),
    ("SHOW FIELD KEYS LIMIT 1", "db"),
    ("SHOW FIELD KEYS FROM nope", "db"),
    ("SHOW SERIES", "db"),
    ("SHOW SERIES FROM cpu", "db"),
    ("SHOW SERIES WHERE host = 'a'", "db"),
    ("SHOW SERIES WHERE host = 'a' AND time > 0", "db"),
    ("SHOW SERIES FROM cpu WHERE host = 'a' OR (region = 'eu' AND host = 'b')", "db"),
    ("SHOW SERIES WHERE region =~ /^$/", "db"),
    ("SHOW SERIES LIMIT 2 OFFSET 1", "db"),
    ("SHOW SERIES ON other", ""),
    ("SHOW SERIES", ""),
    ("SHOW SERIES WHERE usage > 1", "db"),
    ("SHOW SERIES CARDINALITY", "db"),
    ("SHOW SERIES EXACT CARDINALITY", "db"),
    ("SHOW SERIES CARDINALITY FROM cpu", "db"),
    ("SHOW SERIES EXACT CARDINALITY WHERE host = 'a'", "db"),
    ("SHOW SERIES EXACT CARDINALITY WHERE time > 0", "db"),
    ("SHOW MEASUREMENT CARDINALITY", "db"),
    ("SHOW MEASUREMENT EXACT CARDINALITY", "db"),
    ("SHOW MEASUREMENT EXACT CARDINALITY FROM cpu", "db"),
    ("SHOW TAG KEY CARDINALITY", "db"),
    ("SHOW TAG KEY EXACT CARDINALITY FROM cpu", "db"),
    ("SHOW FIELD KEY CARDINALITY", "db"),
    ("SHOW FIELD KEY EXACT CARDINALITY", "db"),
    ("SHOW TAG VALUES CARDINALITY WITH KEY = host", "db"),
    ("SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host", "db"),
    ("SHOW USERS", ""),
    ("CREATE USER alice WITH PASSWORD 'pw'", ""),
    ("CREATE USER alice WITH PASSWORD 'pw'", ""),
    ("CREATE USER alice WITH PASSWORD 'other'", ""),
    ("CREATE USER root WITH PASSWORD 'r' WITH ALL PRIVILEGES", ""),
    ("CREATE USER \"\" WITH PASSWORD 'x'", ""),
    ("SHOW USERS", ""),
    ("GRANT READ ON db TO alice", ""),
    ("SHOW GRANTS FOR alice", ""),
    ("GRANT ALL ON db TO alice", ""),
    ("SHOW GRANTS FOR alice", ""),
    ("REVOKE READ ON db FROM alice", ""),
    ("SHOW GRANTS FOR alice", ""),
    ("REVOKE WRITE ON db FROM alice", ""),
    ("SHOW GRANTS FOR alice", ""),
    ("GRANT READ ON nodb TO alice", ""),
    ("GRANT READ ON db TO bob", ""),
    ("SHOW GRANTS FOR bob", ""),
    ("GRANT ALL PRIVILEGES TO alice", ""),
    ("SHOW USERS", ""),
    ("REVOKE ALL PRIVILEGES FROM alice", ""),
    ("SET PASSWORD FOR alice = 'new'", ""),
    ("SET PASSWORD FOR bob = 'new'", ""),
    ("DROP USER bob", ""),
    ("DROP USER alice", ""),
    ("SHOW USERS", ""),
    ("CREATE DATABASE db2", ""),
    ("CREATE DATABASE db2", ""),
    ("CREATE DATABASE db3 WITH DURATION 2d REPLICATION 1 SHARD DURATION 1h NAME short", ""),
    ("CREATE DATABASE db3 WITH DURATION 2d REPLICATION 1 SHARD DURATION 1h NAME short", ""),
    ("CREATE DATABASE db3 WITH DURATION 3d NAME short", ""),
    ("CREATE DATABASE db4 WITH DURATION 30m", ""),
    ("CREATE DATABASE db5 WITH SHARD DURATION 30m", ""),
    ("CREATE DATABASE \"a/b\"", ""),
    ("SHOW RETENTION POLICIES ON db3", ""),
    ("SHOW RETENTION POLICIES ON db5", ""),
    ("SHOW DATABASES", ""),
    ("CREATE RETENTION POLICY rp1 ON db2 DURATION 1d REPLICATION 1", ""),
    ("CREATE RETENTION POLICY rp1 ON db2 DURATION 1d REPLICATION 1", ""),
    ("CREATE RETENTION POLICY rp1 ON db2 DURATION 2d REPLICATION 1", ""),
    ("CREATE RETENTION POLICY rp2 ON db2 DURATION INF REPLICATION 2 SHARD DURATION 2h DEFAULT", ""),
    ("CREATE RETENTION POLICY rp3 ON db2 DURATION 1h REPLICATION 1 SHARD DURATION 2h", ""),
    ("CREATE RETENTION POLICY rp3 ON nodb DURATION 1h REPLICATION 1", ""),
    ("SHOW RETENTION POLICIES ON db2", ""),
    ("ALTER RETENTION POLICY rp1 ON db2 DURATION 3d DEFAULT", ""),
    ("ALTER RETENTION POLICY nope ON db2 DURATION 3d", ""),
    ("ALTER RETENTION POLICY rp1 ON db2 SHARD DURATION 30m", ""),
    ("SHOW RETENTION POLICIES ON db2", ""),
    ("DROP RETENTION POLICY rp1 ON db2", ""),
    ("DROP RETENTION POLICY nope ON db2", ""),
    ("DROP RETENTION POLICY nope ON nodb", ""),
    ("SHOW RETENTION POLICIES ON db2", ""),
    ("DROP DATABASE db2", ""),
    ("DROP DATABASE nodb", ""),
    ("SHOW DATABASES", ""),
    ("SHOW DATABASES; SHOW MEASUREMENTS ON nodb; SHOW RETENTION POLICIES ON nodb; SHOW DATABASES", ""),
    ("SHOW DATABASES; SHOW RETENTION POLICIES ON nodb", ""),
    ("DROP MEASUREMENT nope", "db"),
    ("DROP MEASUREMENT nope", ""),
    ("DROP SERIES FROM cpu", ""),
    ("DELETE FROM cpu", ""),
    ("DROP SERIES WHERE time > 0", "db"),
    ("DROP SERIES FROM cpu WHERE usage > 1", "db"),
    ("DROP SERIES FROM cpu WHERE host = 'c'", "db"),
    ("SHOW SERIES FROM cpu", "db"),
    ("DELETE FROM mem WHERE host = 'b'", "db"),
    ("DROP MEASUREMENT \"my measure\"", "db"),
    ("SHOW MEASUREMENTS", "db"),
    ("SHOW SERIES", "db"),
    ("DROP SHARD 999", ""),
    ("KILL QUERY 99999", ""),
    ("DROP CONTINUOUS QUERY nope ON db", ""),
    ("SHOW SHARDS", ""),
    ("SHOW SHARD GROUPS", ""),
    ("SHOW QUERIES", ""),
    ("SHOW SUBSCRIPTIONS", ""),
    ("SHOW CONTINUOUS QUERIES", ""),
    ("SHOW DIAGNOSTICS FOR 'nope'", ""),
    ("SHOW STATS FOR 'nope'", ""),
]


def request(port: int, path: str, data: bytes, params: dict) -> tuple[int, dict | None]:
    url = f"http://127.0.0.1:{port}{path}?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, data=data, timeout=30) as r:
            body = r.read()
            return r.status, json.loads(body) if body else None
    except urllib.error.HTTPError as e:
        body = e.read()
        return e.code, json.loads(body) if body else None


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    tmp = tempfile.mkdtemp(prefix="query-meta-rec-")
    proc, port = start_influxd(tmp)
    steps = []
    try:
        for db, lp in DATA.items():
            request(port, "/query", urllib.parse.urlencode({"q": f"CREATE DATABASE {db}"}).encode(), {})
            status, _ = request(port, "/write", lp.encode(), {"db": db})
            assert status == 204, status
        for q, db in STEPS:
            params = {"db": db} if db else {}
            status, body = request(port, "/query", urllib.parse.urlencode({"q": q}).encode(), params)
            steps.append({"q": q, "db": db, "status": status, "body": body})
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    FIXTURE.write_text(json.dumps({"influxd": "1.6.7~rc0", "data": DATA, "steps": steps},
                                  indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {len(steps)} answers into {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
