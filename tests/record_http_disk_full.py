"""Records what InfluxDB 1.6.7 answers a /write on a full disk into
``tests/fixtures/http_disk_full.json`` (tests/test_http_disk_full.py compares influxlite with it).

    python tests/record_http_disk_full.py      # as root: it mounts an 8 MiB tmpfs

influxd (``Influxd`` of tests/record_http_fixtures.py, no body limit) runs with its whole
directory on the tmpfs; a filler file leaves 512 KiB free; batches of 500 points with random
text are written until one is refused. Stored: that answer (the data directory's path replaced
by ``<dir>``), /ping and the count of points a SELECT still reads afterwards, and the answer to
the same write once the filler is deleted.
"""

from __future__ import annotations

import http.client
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import urllib.parse

from record_http_fixtures import Influxd

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "http_disk_full.json"
T = 1_700_000_000_000_000_000
FREE = 512 << 10


def body(k: int, n: int = 500) -> bytes:
    """Points with 40 random hex characters each, so that compression cannot make room."""
    pads = os.urandom(20 * n).hex().encode()
    return b"".join(b'disk,host=h%d v=%di,pad="%s" %d\n' % (i % 50, k, pads[40 * i:40 * i + 40], T + k * 100_000 + i)
                    for i in range(n))


def fill(path: str, leave: int) -> None:
    """A filler file at ``path`` taking all but about ``leave`` bytes of its filesystem."""
    with open(path, "wb") as f:
        while os.statvfs(os.path.dirname(path)).f_bavail * os.statvfs(os.path.dirname(path)).f_frsize > leave:
            try:
                f.write(b"\xff" * (64 << 10))
                f.flush()
            except OSError:
                break


def call(port: int, method: str, path: str, data: bytes | None = None) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, data)
    resp = conn.getresponse()
    out = {"status": resp.status, "body": resp.read().decode("utf-8", "replace"),
           "error_header": resp.getheader("X-Influxdb-Error")}
    conn.close()
    return out


def count(port: int) -> int:
    r = call(port, "GET", "/query?db=db&q=" + urllib.parse.quote("SELECT count(v) FROM disk"))
    series = json.loads(r["body"])["results"][0].get("series")
    return series[0]["values"][0][1] if series else 0


def record(mnt: str) -> dict:
    tempfile.tempdir = mnt  # Influxd's directory (meta, data, wal) on the small filesystem
    try:
        server = Influxd(max_body=0)
    finally:
        tempfile.tempdir = None
    try:
        fill(os.path.join(mnt, "filler"), FREE)
        acked = 0
        for k in range(1000):
            answer = call(server.port, "POST", "/write?db=db", body(k))
            if answer["status"] != 204:
                break
            acked += 1
        else:
            raise RuntimeError("the disk never filled up")
        for key in ("body", "error_header"):
            answer[key] = answer[key].replace(server.dir, "<dir>")
        out = {"influxdb_version": server.version(), "acked_batches": acked, "full": answer,
               "ping_status": call(server.port, "GET", "/ping")["status"], "readable": count(server.port)}
        os.remove(os.path.join(mnt, "filler"))
        after = call(server.port, "POST", "/write?db=db", body(k))
        for key in ("body", "error_header"):
            after[key] = (after[key] or "").replace(server.dir, "<dir>") or None
        out["after_space_returns"] = after
        return out
    finally:
        server.stop()


def main() -> int:
    mnt = tempfile.mkdtemp(prefix="influxd-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], check=True)
    try:
        out = record(mnt)
    finally:
        subprocess.run(["umount", "-l", mnt], check=True)
        os.rmdir(mnt)
    FIXTURE.write_text(json.dumps(out, indent=1) + "\n")
    print(f"recorded InfluxDB {out['influxdb_version']} on a full disk in {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
