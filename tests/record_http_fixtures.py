"""Records InfluxDB's answers to the HTTP write requests in ``CASES`` into
``tests/fixtures/http_write.json``, which tests/test_http_write.py compares influxlite with.

    apt-get install influxdb && python tests/record_http_fixtures.py

It starts its own ``influxd`` (the installed one: Debian's 1.6.7) on free 127.0.0.1 ports with
a temporary directory, creates database ``db`` (retention policies ``autogen`` and ``short``,
1h), sets ``max-body-size`` to ``MAX_BODY``, sends every case in order on one keep-alive
connection (a case may see what earlier ones wrote), stores status, headers and body, and stops
the server by its pid.

Where InfluxDB 1.8 answers differently from the recorded 1.6.7 (read from 1.8.10's
services/httpd/handler.go), the case carries ``v18``: what 1.8 answers, which influxlite follows.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "http_write.json"
MAX_BODY = 1000
T = 1_700_000_000_000_000_000  # a time every retention policy keeps (autogen: forever)


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _v18_precision(p: str, then: list[str] | None = None, v2: bool = False) -> dict:
    """1.8 answers an invalid precision 400 and goes on (a missing ``return``): each later
    error adds its line to the body; a write that then succeeds stays 400."""
    use = "use ns, us, ms or s" if v2 else "use n, u, ms, s, m or h"
    errors = [f'invalid precision "{p}" ({use})'] + (then or [])
    return {"status": 400, "error_header": errors[0], "errors": errors}


# Each case: name, method, path, headers, body (bytes, or a list of chunks for a chunked body),
# optionally "v18" (1.8's answer where the recorded 1.6.7 one differs).
CASES: list[dict] = [
    {"name": "ping", "method": "GET", "path": "/ping"},
    {"name": "ping_head", "method": "HEAD", "path": "/ping"},
    {"name": "ping_verbose", "method": "GET", "path": "/ping?verbose=true",
     "v18": {"status": 200, "json": {"version": None}}},
    {"name": "ping_verbose_false", "method": "GET", "path": "/ping?verbose=false"},
    {"name": "health", "method": "GET", "path": "/health",
     "v18": {"status": 200, "json": {"checks": [], "message": "ready for queries and writes", "name": "influxdb",
                                     "status": "pass", "version": None}}},
    {"name": "unknown_path", "method": "GET", "path": "/nothing"},
    {"name": "write_by_get", "method": "GET", "path": "/write?db=db"},
    {"name": "options_write", "method": "OPTIONS", "path": "/write?db=db"},
    {"name": "no_db", "method": "POST", "path": "/write", "body": b"m v=1 1"},
    {"name": "empty_db", "method": "POST", "path": "/write?db=", "body": b"m v=1 1"},
    {"name": "unknown_db", "method": "POST", "path": "/write?db=nope", "body": b"m v=1 1"},
    {"name": "unknown_db_quoted", "method": "POST", "path": "/write?db=a%22b%5Cc", "body": b"m v=1 1"},
    {"name": "good", "method": "POST", "path": "/write?db=db", "body": b"m,host=a v=1.5 %d\n" % T},
    {"name": "request_id_echoed", "method": "POST", "path": "/write?db=db", "headers": {"X-Request-Id": "abc-123"},
     "body": b"m,host=a v=2 %d\n" % (T + 1)},
    {"name": "request_id_old_header", "method": "POST", "path": "/write?db=db", "headers": {"Request-Id": "old-1"},
     "body": b""},
    {"name": "cors", "method": "POST", "path": "/write?db=db", "headers": {"Origin": "http://example.com"},
     "body": b""},
    {"name": "empty_body", "method": "POST", "path": "/write?db=db", "body": b""},
    {"name": "comments_only", "method": "POST", "path": "/write?db=db", "body": b"# a comment\n\n   \n"},
    {"name": "credentials_ignored", "method": "POST", "path": "/write?db=db&u=root&p=secret",
     "headers": {"Authorization": "Basic cm9vdDpyb290"}, "body": b"m,host=a v=3 %d\n" % (T + 2)},
    {"name": "bad_line", "method": "POST", "path": "/write?db=db", "body": b"bad line\n"},
    {"name": "bad_lines_joined", "method": "POST", "path": "/write?db=db", "body": b"bad line\nm\nm v=\n"},
    {"name": "html_in_error", "method": "POST", "path": "/write?db=db", "body": b"<m>&x v=1 1 2 3\n"},
    {"name": "not_utf8_in_error", "method": "POST", "path": "/write?db=db", "body": b"b\xffad\xe2\x28 line\n"},
    {"name": "escapes_in_error", "method": "POST", "path": "/write?db=db",
     "body": b"a\\b\x01\x7f\"q\"\tc\xe2\x80\xa8\n"},
    {"name": "many_bad_lines", "method": "POST", "path": "/write?db=db",
     "body": b"".join(b"bad line %d\n" % i for i in range(60))},
    {"name": "partial_parse", "method": "POST", "path": "/write?db=db",
     "body": b"m,host=b v=4 %d\ncpu,host=a\n" % (T + 3)},
    {"name": "consistency_all_upper", "method": "POST", "path": "/write?db=db&consistency=ALL",
     "body": b"m,host=a v=5 %d\n" % (T + 4)},
    {"name": "consistency_invalid", "method": "POST", "path": "/write?db=db&consistency=most",
     "body": b"m,host=a v=6 %d\n" % (T + 5)},
    {"name": "consistency_invalid_and_bad_lines", "method": "POST", "path": "/write?db=db&consistency=most",
     "body": b"bad line\n"},
    {"name": "precision_s", "method": "POST", "path": "/write?db=db&precision=s", "body": b"m,host=s v=1 1700000000\n"},
    {"name": "precision_ns", "method": "POST", "path": "/write?db=db&precision=ns",
     "body": b"m,host=ns v=1 %d\n" % (T + 6)},
    {"name": "precision_invalid", "method": "POST", "path": "/write?db=db&precision=x",
     "body": b"m,host=x v=1 %d\n" % (T + 7), "v18": _v18_precision("x")},
    {"name": "precision_us", "method": "POST", "path": "/write?db=db&precision=us",
     "body": b"m,host=us v=1 %d\n" % (T + 8), "v18": _v18_precision("us")},
    {"name": "precision_invalid_no_db", "method": "POST", "path": "/write?precision=x", "body": b"m v=1 1",
     "v18": _v18_precision("x", ["database is required"])},
    {"name": "unknown_rp", "method": "POST", "path": "/write?db=db&rp=nope", "body": b"m v=1 %d\n" % T},
    {"name": "retention_drop", "method": "POST", "path": "/write?db=db&rp=short", "body": b"m v=1 1000000000\n"},
    {"name": "type_conflict_in_batch", "method": "POST", "path": "/write?db=db",
     "body": b"fresh v=1i %d\nfresh v=2 %d\n" % (T, T + 1)},
    {"name": "type_conflict_stored", "method": "POST", "path": "/write?db=db", "body": b'm,host=a v="s" %d\n' % T},
    {"name": "time_field", "method": "POST", "path": "/write?db=db", "body": b"m time=1 %d\n" % T},
    {"name": "gzip_good", "method": "POST", "path": "/write?db=db", "headers": {"Content-Encoding": "gzip"},
     "body": _gz(b"m,host=gz v=1 %d\n" % T)},
    {"name": "gzip_two_members", "method": "POST", "path": "/write?db=db", "headers": {"Content-Encoding": "gzip"},
     "body": _gz(b"m,host=gz1 v=1 %d\n" % T) + _gz(b"m,host=gz2 v=1 %d\n" % T)},
    {"name": "gzip_not_gzip", "method": "POST", "path": "/write?db=db", "headers": {"Content-Encoding": "gzip"},
     "body": b"m v=1 1\n"},
    {"name": "gzip_empty", "method": "POST", "path": "/write?db=db", "headers": {"Content-Encoding": "gzip"},
     "body": b""},
    {"name": "gzip_truncated", "method": "POST", "path": "/write?db=db", "headers": {"Content-Encoding": "gzip"},
     "body": _gz(b"m,host=t v=1 %d\n" % T * 20)[:-12]},
    {"name": "gzip_bad_checksum", "method": "POST", "path": "/write?db=db", "headers": {"Content-Encoding": "gzip"},
     "body": _gz(b"m v=1 1\n")[:-8] + b"\0\0\0\0\x08\0\0\0"},
    {"name": "gzip_bad_data_after_member", "method": "POST", "path": "/write?db=db",
     "headers": {"Content-Encoding": "gzip"}, "body": _gz(b"m v=1 %d\n" % T) + b"garbage!!!!!"},
    {"name": "too_large_content_length", "method": "POST", "path": "/write?db=db",
     "body": b"m v=1 %d\n" % T * (MAX_BODY // 20 + 1)},
    {"name": "too_large_chunked", "method": "POST", "path": "/write?db=db",
     "body": [b"m v=1 %d\n" % T * 20] * (MAX_BODY // 400 + 2)},
    {"name": "chunked_good", "method": "POST", "path": "/write?db=db",
     "body": [b"m,host=c1 v=1 %d\n" % T, b"m,host=c2 v=1 %d\n" % T]},
    {"name": "at_max_body_size", "method": "POST", "path": "/write?db=db",
     "body": (b"m,host=max v=1 %d\n" % T).ljust(MAX_BODY - 1, b" ") + b"\n"},
    {"name": "v2_write", "method": "POST", "path": "/api/v2/write?bucket=db&org=x&precision=s",
     "body": b"m,host=v2 v=1 1700000000\n", "v18": {"status": 204}},
    {"name": "v2_write_db_rp", "method": "POST", "path": "/api/v2/write?bucket=db/autogen&precision=ns",
     "headers": {"Authorization": "Token user:password"}, "body": b"m,host=v2rp v=1 %d\n" % T,
     "v18": {"status": 204}},
    {"name": "v2_no_bucket", "method": "POST", "path": "/api/v2/write", "body": b"m v=1 1",
     "v18": {"status": 404, "errors": ['bucket name "" is missing a slash; not in "database/retention-policy" format']}},
    {"name": "v2_empty_db", "method": "POST", "path": "/api/v2/write?bucket=/rp", "body": b"m v=1 1",
     "v18": {"status": 404, "errors": ['bucket name "/rp" is in db/rp form but has an empty database']}},
    {"name": "v2_unknown_db", "method": "POST", "path": "/api/v2/write?bucket=nope/autogen", "body": b"m v=1 1",
     "v18": {"status": 404, "errors": ['database not found: "nope"']}},
    {"name": "v2_precision_invalid", "method": "POST", "path": "/api/v2/write?bucket=db&precision=h",
     "body": b"m,host=v2h v=1 1\n", "v18": _v18_precision("h", v2=True)},  # 1.8 still writes it, at 1h
    {"name": "v2_bad_line", "method": "POST", "path": "/api/v2/write?bucket=db", "body": b"bad line\n",
     "v18": {"status": 400, "errors": ["unable to parse 'bad line': invalid field format"]}},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, what: str) -> None:
    """Polls until the port accepts a connection (no timed assertion: the process exiting
    is the failure)."""
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)


def send(port: int, case: dict, conn: http.client.HTTPConnection | None = None):
    """Sends one case; returns (response dict, connection to reuse or None)."""
    if conn is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = dict(case.get("headers", {}))
    body = case.get("body")
    if body is None and case["method"] == "POST":
        body = b""
    try:
        if isinstance(body, list):
            conn.request(case["method"], case["path"], body=iter(body), headers=headers, encode_chunked=True)
        else:
            conn.request(case["method"], case["path"], body=body, headers=headers)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered (a 413) and closed while the body was still going out
    resp = conn.getresponse()
    data = resp.read()
    out = {"status": resp.status, "headers": [[k, v] for k, v in resp.getheaders()],
           "body": data.decode("utf-8", "surrogateescape")}
    keep = not resp.will_close
    if not keep:
        conn.close()
    return out, (conn if keep else None)


def run_cases(port: int) -> dict[str, dict]:
    answers: dict[str, dict] = {}
    conn = None
    for case in CASES:
        answers[case["name"]], conn = send(port, case, conn)
    if conn is not None:
        conn.close()
    return answers


class Influxd:
    """A private influxd on free ports with a temporary directory; ``stop()`` ends it by pid."""

    def __init__(self, max_body: int = MAX_BODY, env: dict | None = None, setup: tuple | None = None) -> None:
        """``env``: more INFLUXDB_* settings (e.g. INFLUXDB_DATA_MAX_SERIES_PER_DATABASE)."""
        self.dir = tempfile.mkdtemp(prefix="influxd-")
        self.port = free_port()
        env = dict(os.environ,
                   INFLUXDB_HTTP_BIND_ADDRESS=f"127.0.0.1:{self.port}",
                   INFLUXDB_BIND_ADDRESS=f"127.0.0.1:{free_port()}",
                   INFLUXDB_META_DIR=os.path.join(self.dir, "meta"),
                   INFLUXDB_DATA_DIR=os.path.join(self.dir, "data"),
                   INFLUXDB_DATA_WAL_DIR=os.path.join(self.dir, "wal"),
                   INFLUXDB_HTTP_MAX_BODY_SIZE=str(max_body),
                   INFLUXDB_REPORTING_DISABLED="true",
                   INFLUXDB_HTTP_LOG_ENABLED="false", **(env or {}))
        self.proc = subprocess.Popen([shutil.which("influxd") or "influxd"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.proc, "influxd")
        # ``setup``: the queries sent first instead (each must answer 200), e.g. with auth enabled.
        for q in setup or ("CREATE DATABASE db", "CREATE RETENTION POLICY short ON db DURATION 1h REPLICATION 1"):
            self._setup_query(q)

    def _setup_query(self, q: str) -> None:
        """Sends one setup query until it answers 200 without an error in the body (a freshly
        started influxd has once answered a CREATE RETENTION POLICY with an error)."""
        for attempt in range(50):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("POST", "/query?" + __import__("urllib.parse").parse.urlencode({"q": q}))
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            if resp.status == 200 and b'"error"' not in body:
                return
            time.sleep(0.1)
        raise AssertionError(f"influxd setup {q!r}: {resp.status} {body[:300]!r}")

    def version(self) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", "/ping")
        resp = conn.getresponse()
        resp.read()
        conn.close()
        return resp.getheader("X-Influxdb-Version")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    server = Influxd()
    try:
        version = server.version()
        answers = run_cases(server.port)
    finally:
        server.stop()
    FIXTURE.write_text(json.dumps({"influxdb_version": version, "max_body_size": MAX_BODY, "answers": answers},
                                  indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {len(answers)} answers of InfluxDB {version} in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
