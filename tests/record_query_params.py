"""Records InfluxDB's answers to ``/query`` with its parameters (``chunked``, ``chunk_size``,
``pretty``, ``epoch``) and to statements that write sent by GET, into
``tests/fixtures/query_params.json``; tests/test_http_query_params.py compares influxlite.

    apt-get install influxdb && python tests/record_query_params.py

The server (``Influxd`` of tests/record_http_fixtures.py) gets the points of ``SETUP`` first:
25 ``cpu`` series, one ``mem``, 10001 ``big`` series (more than the default chunk size), and
database ``many`` with 25 measurements. Cases run in order on one connection; a body larger
than ``DIGEST_OVER`` bytes is stored as its SHA-256, length, head and tail.

The SELECT cases (``select_*``) record how ``epoch`` renders times and how a SELECT is cut
into chunks (Go's emitter).
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import shutil
import sys
from urllib.parse import urlencode

from record_http_fixtures import Influxd, send

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "query_params.json"
DIGEST_OVER = 8192
T = 1_700_000_000_123_456_789


def setup_writes() -> list[tuple[str, bytes]]:
    cpu = b"".join(b"cpu,host=h%02d,region=r%d v=%d,w=1i %d\n" % (i, i % 3, i, T + i) for i in range(25))
    mem = b"mem,host=a free=1i,used=2.5,name=\"x\",ok=true %d\n" % T
    big = b"".join(b"big,k=%d v=1 %d\n" % (i, T) for i in range(10001))
    many = b"".join(b"m%02d,t=a f=1 %d\n" % (i, T) for i in range(25))
    neg = b"tm v=1 -1500000\ntm v=2 1500000\ntm v=3 0\ntm v=4 -3600000000001\n"
    return [("db", cpu + mem + big + neg), ("many", many)]


def _case(name: str, q: str, method: str = "GET", **params) -> dict:
    params = {"db": "db", **params}
    if method == "GET":
        return {"name": name, "method": "GET", "path": "/query?" + urlencode({"q": q, **params})}
    return {"name": name, "method": "POST", "path": "/query?" + urlencode(params),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": urlencode({"q": q}).encode()}


C10 = {"chunked": "true", "chunk_size": "10"}

CASES: list[dict] = [
    _case("plain", "SHOW DATABASES"),
    _case("pretty", "SHOW DATABASES", pretty="true"),
    _case("pretty_empty_and_error", "SHOW MEASUREMENTS ON nope; SHOW DATABASES", pretty="true"),
    _case("pretty_empty", "SHOW MEASUREMENTS", db="nope2", pretty="true"),
    _case("pretty_1", "SHOW DATABASES", pretty="1"),
    _case("pretty_tags", "SHOW SERIES FROM cpu WHERE host = 'h01'", pretty="true"),
    _case("pretty_parse_error", "SHOW", pretty="true"),
    _case("chunked_default_size", "SHOW SERIES FROM cpu", chunked="true"),
    _case("chunked_series_10", "SHOW SERIES", **C10),
    _case("chunked_tag_values_10", "SHOW TAG VALUES WITH KEY = host", **C10),
    _case("chunked_tag_values_many", "SHOW TAG VALUES WITH KEY = t", chunked="true", chunk_size="10", db="many"),
    _case("chunked_tag_keys", "SHOW TAG KEYS", chunked="true", chunk_size="1"),
    _case("chunked_tag_keys_many", "SHOW TAG KEYS", chunked="true", chunk_size="10", db="many"),
    _case("chunked_field_keys", "SHOW FIELD KEYS", chunked="true", chunk_size="1"),
    _case("chunked_field_keys_many", "SHOW FIELD KEYS", chunked="true", chunk_size="10", db="many"),
    _case("chunked_measurements_many", "SHOW MEASUREMENTS", chunked="true", chunk_size="10", db="many"),
    _case("chunked_databases", "SHOW DATABASES", chunked="true", chunk_size="1"),
    _case("chunked_retention_policies", "SHOW RETENTION POLICIES", chunked="true", chunk_size="1"),
    _case("chunked_multi", "SHOW MEASUREMENTS; SHOW SERIES FROM cpu; SHOW DATABASES", **C10),
    _case("chunked_error_then_more", "SHOW SERIES FROM cpu; SHOW TAG KEYS ON nope; SHOW DATABASES", **C10),
    _case("error_first_of_three", "SHOW TAG KEYS ON nope; SHOW DATABASES; SHOW DATABASES"),
    _case("chunked_error_first_of_three", "SHOW TAG KEYS ON nope; SHOW DATABASES; SHOW DATABASES", **C10),
    _case("chunked_empty", "SHOW SERIES FROM nothing", **C10),
    _case("chunked_size_0", "SHOW SERIES FROM cpu", chunked="true", chunk_size="0"),
    _case("chunked_size_negative", "SHOW SERIES FROM cpu", chunked="true", chunk_size="-3"),
    _case("chunked_size_junk", "SHOW SERIES FROM cpu", chunked="true", chunk_size="ten"),
    _case("chunked_1_is_not_true", "SHOW SERIES FROM cpu", chunked="1", chunk_size="10"),
    _case("chunked_pretty", "SHOW SERIES FROM cpu WHERE region = 'r1'", chunked="true", chunk_size="3",
          pretty="true"),
    _case("chunked_post", "SHOW SERIES FROM cpu", "POST", **C10),
    _case("chunked_parse_error", "SHOW SERIES FROM", **C10),
    _case("big_series", "SHOW SERIES FROM big"),
    _case("big_series_chunked", "SHOW SERIES FROM big", chunked="true"),
    _case("big_tag_values", "SHOW TAG VALUES FROM big WITH KEY = k"),
    _case("big_tag_values_chunked", "SHOW TAG VALUES FROM big WITH KEY = k", chunked="true", chunk_size="5000"),
    _case("big_series_cardinality", "SHOW SERIES CARDINALITY FROM big"),
    _case("epoch_meta", "SHOW DATABASES", epoch="ms"),
    _case("epoch_junk_meta", "SHOW DATABASES", epoch="x"),
    # GET runs statements that write, with a deprecation warning (issue #6290).
    _case("get_create_database", "CREATE DATABASE g1"),
    _case("get_create_database_twice", "CREATE DATABASE g1; CREATE DATABASE g1 WITH DURATION 2h"),
    _case("get_create_rp", "CREATE RETENTION POLICY r1 ON g1 DURATION 2h REPLICATION 1 SHARD DURATION 1h"),
    _case("get_alter_rp", "ALTER RETENTION POLICY r1 ON g1 DURATION 3h DEFAULT"),
    _case("get_drop_rp", "DROP RETENTION POLICY r1 ON g1"),
    _case("get_create_user", "CREATE USER u1 WITH PASSWORD 'pw'"),
    _case("get_set_password", "SET PASSWORD FOR u1 = 'pw2'"),
    _case("get_grant", "GRANT READ ON g1 TO u1"),
    _case("get_revoke", "REVOKE READ ON g1 FROM u1"),
    _case("get_grant_admin", "GRANT ALL PRIVILEGES TO u1"),
    _case("get_revoke_admin", "REVOKE ALL PRIVILEGES FROM u1"),
    _case("get_drop_user", "DROP USER u1"),
    _case("get_delete", "DELETE FROM mem WHERE time < 0"),
    _case("get_drop_series", "DROP SERIES FROM mem WHERE host = 'zz'"),
    _case("get_drop_measurement", "DROP MEASUREMENT nothing"),
    _case("get_drop_shard", "DROP SHARD 99999"),
    _case("get_kill_query", "KILL QUERY 99999"),
    _case("get_drop_cq", "DROP CONTINUOUS QUERY nope ON db"),
    _case("get_failing_write", "CREATE RETENTION POLICY r2 ON nope DURATION 2h REPLICATION 1"),
    _case("get_mixed", "SHOW DATABASES; CREATE DATABASE g2; DROP DATABASE g2"),
    _case("get_pretty_warning", "DROP DATABASE g1", pretty="true"),
    _case("get_chunked_warning", "CREATE DATABASE g3; DROP DATABASE g3", chunked="true"),
    _case("post_no_warning", "CREATE DATABASE g4; DROP DATABASE g4", "POST"),
    # SELECT: how epoch renders times (influxlite renders these rows with query.render).
    _case("select_rfc3339", "SELECT v FROM tm"),
    *[_case(f"select_epoch_{e}", "SELECT v FROM tm", epoch=e) for e in ("ns", "n", "u", "µ", "ms", "s", "m", "h",
                                                                        "x", "")],
    _case("select_epoch_pretty", "SELECT v FROM tm", epoch="s", pretty="true"),
    _case("select_chunked", "SELECT v FROM tm", chunked="true", chunk_size="3", epoch="ms"),
    _case("select_chunked_two_series", "SELECT v FROM cpu WHERE host =~ /h0[12]/ GROUP BY host", chunked="true",
          chunk_size="1"),
]


def stored(resp: dict) -> dict:
    out = {"status": resp["status"], "headers": resp["headers"]}
    body = resp["body"]
    raw = body.encode("utf-8", "surrogateescape")
    if len(raw) > DIGEST_OVER:
        out.update(body_sha256=hashlib.sha256(raw).hexdigest(), body_len=len(raw), body_head=body[:400],
                   body_tail=body[-400:])
    else:
        out["body"] = body
    return out


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    server = Influxd(max_body=0)
    try:
        version = server.version()
        send(server.port, _case("create_many", "CREATE DATABASE many", "POST"))
        for db, body in setup_writes():
            resp, _ = send(server.port, {"method": "POST", "path": f"/write?db={db}", "body": body})
            assert resp["status"] == 204, resp
        answers, conn = {}, None
        for case in CASES:
            resp, conn = send(server.port, case, conn)
            answers[case["name"]] = stored(resp)
        if conn is not None:
            conn.close()
    finally:
        server.stop()
    FIXTURE.write_text(json.dumps({"influxdb_version": version, "answers": answers}, indent=1,
                                  ensure_ascii=False) + "\n")
    print(f"recorded {len(answers)} answers of InfluxDB {version} in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
