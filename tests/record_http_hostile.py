"""Records InfluxDB 1.6.7's answers to hostile requests (``CASES``) into
``tests/fixtures/http_hostile.json``; tests/test_http_hostile.py compares influxlite with them.

    python tests/record_http_hostile.py

Each case is sent as raw bytes on its own connection (``Connection: close``), so that request
lines and headers may hold bytes that are not UTF-8: invalid UTF-8 in the path, in query
parameters, in headers, in line protocol and in InfluxQL; malformed and truncated gzip; a gzip
bomb; 10,000 tags and 100,000 fields on a line; 1 MB keys and lines; unknown parameters; broken
InfluxQL. influxd runs with ``max-body-size`` ``MAX_BODY``. Bodies of answers are stored whole
up to ``KEEP`` characters, with their length and SHA-256.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import pathlib
import socket
import sys
import urllib.parse

from record_http_fixtures import Influxd

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "http_hostile.json"
MAX_BODY = 4_000_000
KEEP = 2000
T = 1_700_000_000_000_000_000


def _q(text: str | bytes) -> bytes:
    return urllib.parse.quote_from_bytes(text.encode() if isinstance(text, str) else text, safe="").encode()


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


_GOOD_GZ = _gz(b"m,host=gz v=1 %d\n" % T * 50)
_BIG = b"x" * (1 << 20)

# name -> (method, target, headers, body). The target is bytes, sent as is.
CASES: dict[str, tuple[str, bytes, list[tuple[bytes, bytes]], bytes]] = {
    # gzip
    "gzip_header_only": ("POST", b"/write?db=db", [(b"Content-Encoding", b"gzip")], _GOOD_GZ[:10]),
    "gzip_cut_in_deflate": ("POST", b"/write?db=db", [(b"Content-Encoding", b"gzip")], _GOOD_GZ[:20]),
    "gzip_cut_in_trailer": ("POST", b"/write?db=db", [(b"Content-Encoding", b"gzip")], _GOOD_GZ[:-3]),
    "gzip_garbage_deflate": ("POST", b"/write?db=db", [(b"Content-Encoding", b"gzip")],
                             _GOOD_GZ[:10] + b"\xff\xfe\xfd" * 20),
    "gzip_bomb": ("POST", b"/write?db=db", [(b"Content-Encoding", b"gzip")], _gz(b"\n" * (3 * MAX_BODY))),
    "gzip_bomb_lines": ("POST", b"/write?db=db", [(b"Content-Encoding", b"gzip")],
                        _gz(b"bomb v=1 %d\n" % T * (MAX_BODY // 25 + 1000))),
    # invalid UTF-8 outside the body
    "utf8_path": ("GET", b"/pi\xffng", [], b""),
    "utf8_db_param": ("POST", b"/write?db=" + _q(b"d\xffb"), [], b"m v=1 1\n"),
    "utf8_db_param_raw": ("POST", b"/write?db=d\xffb", [], b"m v=1 1\n"),
    "utf8_precision": ("POST", b"/write?db=db&precision=" + _q(b"\xff"), [], b"m v=1 1\n"),
    "utf8_rp": ("POST", b"/write?db=db&rp=" + _q(b"r\xffp"), [], b"m v=1 1\n"),
    "utf8_header": ("POST", b"/write?db=db", [(b"User-Agent", b"ag\xffent"), (b"X-Request-Id", b"id-\xff")],
                    b"m,host=hdr v=1 %d\n" % T),
    "utf8_line_measurement": ("POST", b"/write?db=db", [], b"m\xff\xfe,host=a v=1 %d\n" % T),
    "utf8_line_tag": ("POST", b"/write?db=db", [], b"m,host=\xc3\x28 v=1 %d\n" % T),
    "utf8_line_string_field": ("POST", b"/write?db=db", [], b'm,host=s v="\xed\xa0\x80" %d\n' % T),
    "utf8_query": ("GET", b"/query?q=" + _q(b"SHOW DATABASES \xff"), [], b""),
    "utf8_query_ident": ("GET", b"/query?db=db&q=" + _q(b'SELECT * FROM "m\xff\xfe"'), [], b""),
    "utf8_query_string": ("GET", b"/query?db=db&q=" + _q(b"SELECT * FROM m WHERE host = '\xc3\x28'"), [], b""),
    "utf8_query_db": ("GET", b"/query?db=" + _q(b"\xff") + b"&q=" + _q("SELECT * FROM m"), [], b""),
    # huge lines
    "tags_10000": ("POST", b"/write?db=db", [],
                   b"wide," + b",".join(b"t%d=v" % i for i in range(10_000)) + b" v=1 %d\n" % T),
    "fields_100000": ("POST", b"/write?db=db", [],
                      b"many " + b",".join(b"f%d=1" % i for i in range(100_000)) + b" %d\n" % T),
    "measurement_1mb": ("POST", b"/write?db=db", [], _BIG + b" v=1 %d\n" % T),
    "tag_key_1mb": ("POST", b"/write?db=db", [], b"k," + _BIG + b"=v v=1 %d\n" % T),
    "tag_value_1mb": ("POST", b"/write?db=db", [], b"k,t=" + _BIG + b" v=1 %d\n" % T),
    "field_key_1mb": ("POST", b"/write?db=db", [], b"fk " + _BIG + b"=1 %d\n" % T),
    "string_field_1mb": ("POST", b"/write?db=db", [], b'sf v="' + _BIG + b'" %d\n' % T),
    "line_1mb_no_fields": ("POST", b"/write?db=db", [], _BIG + b"\n"),
    # unknown parameters
    "write_unknown_params": ("POST", b"/write?db=db&foo=bar&u2=x&chunked=maybe", [], b"m,host=u v=1 %d\n" % T),
    "query_unknown_params": ("GET", b"/query?q=SHOW+DATABASES&foo=bar&epoch=zz&chunk_size=-5", [], b""),
    "ping_unknown_params": ("GET", b"/ping?wait=abc&x=1", [], b""),
    # broken InfluxQL
    **{f"influxql_{i}": ("GET", b"/query?db=db&q=" + _q(q), [], b"") for i, q in enumerate([
        "SELECT", "SELECT * FROM", "SELECT * FROM m WHERE", "SELECT * FROM m GROUP BY", "SELECT (", "SELECT )",
        "SELECT * FROM m LIMIT -1", "SELECT * FROM m WHERE time > now() -", "SELECT \"unterminated FROM m",
        "SELECT 'unterminated FROM m", "SELECT * FROM /unterminated", "SHOW", "DROP", "CREATE DATABASE",
        "SELECT * FROM m; ;", ";", "SELECT mean(v) FROM m GROUP BY time(", "SELECT * FROM m WHERE v =~ /(/",
        "SELECT * INTO FROM m", "SELECT 1e999999 FROM m", "SELECT 99999999999999999999 FROM m",
        "SELECT * FROM m WHERE time > '2020-13-45'", "SELECT * FROM m OFFSET 99999999999999999999",
        "SELECT * FROM m\x00", "SELECT count(distinct(count(v))) FROM m", "SELECT * FROM m ORDER BY v",
    ])},
}


def send_raw(port: int, method: str, target: bytes, headers: list, body: bytes) -> dict:
    """One request as raw bytes on a new connection; the answer as status, headers and body."""
    head = [b"%s %s HTTP/1.1" % (method.encode(), target), b"Host: 127.0.0.1", b"Connection: close"]
    head += [k + b": " + v for k, v in headers]
    if method in ("POST", "PUT"):
        head.append(b"Content-Length: %d" % len(body))
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    try:
        try:
            sock.sendall(b"\r\n".join(head) + b"\r\n\r\n" + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before the body was all sent (a 413)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        data = resp.read()
    finally:
        sock.close()
    text = data.decode("utf-8", "surrogateescape")
    return {"status": resp.status, "content_type": resp.getheader("Content-Type"), "body": text[:KEEP],
            "body_len": len(data), "body_sha256": hashlib.sha256(data).hexdigest()}


def run(port: int) -> dict:
    return {name: send_raw(port, *case) for name, case in CASES.items()}


def main() -> int:
    server = Influxd(max_body=MAX_BODY)
    try:
        version = server.version()
        answers = run(server.port)
    finally:
        server.stop()
    FIXTURE.write_text(json.dumps({"influxdb_version": version, "max_body_size": MAX_BODY, "answers": answers},
                                  indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {len(answers)} answers of InfluxDB {version} in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
