"""Bytes on disk per stored value: influxlite's Parquet files beside InfluxDB 1.6.7's TSM files
for the same points (Debian's ``influxdb`` package: ``apt-get install influxdb``).

    python bench/tsm_compare.py [POINTS]     # default 1,000,000 points = 3,000,000 values

influxd runs on 127.0.0.1 (a free port) with its own temporary directories and is stopped at
the end. Both stores get the same points (engine_load's workload: 10,000 series, two floats
and an integer per point, 10 s apart per series); InfluxDB is given time to compact fully.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine_load import BATCH, T0  # noqa: E402

from influxlite import parse_points  # noqa: E402
from influxlite.engine import Engine  # noqa: E402


def bodies(total: int, series: int = 10_000) -> list[bytes]:
    import random

    rng = random.Random(0)
    out = []
    for start in range(0, total, BATCH):
        lines = []
        for i in range(start, min(start + BATCH, total)):
            s = i % series
            lines.append(b"cpu,host=host_%d,region=r_%d usage_user=%.3f,usage_system=%.3f,n=%di %d" % (
                s, s % 10, rng.random() * 100, rng.random() * 100, i % 1000, T0 + (i // series) * 10_000_000_000))
        out.append(b"\n".join(lines))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def size(path: str, suffix: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs if f.endswith(suffix))


def influxdb_bytes(data: list[bytes]) -> int:
    influxd = shutil.which("influxd")
    if influxd is None:
        raise SystemExit("influxd not found: apt-get install influxdb")
    root = tempfile.mkdtemp(prefix="influxdb-bench-")
    port = free_port()
    env = {**os.environ,
           "INFLUXDB_META_DIR": f"{root}/meta", "INFLUXDB_DATA_DIR": f"{root}/data",
           "INFLUXDB_DATA_WAL_DIR": f"{root}/wal", "INFLUXDB_HTTP_BIND_ADDRESS": f"127.0.0.1:{port}",
           "INFLUXDB_BIND_ADDRESS": f"127.0.0.1:{free_port()}", "INFLUXDB_REPORTING_DISABLED": "true",
           "INFLUXDB_DATA_INDEX_VERSION": "tsi1", "INFLUXDB_HTTP_LOG_ENABLED": "false",
           "INFLUXDB_DATA_QUERY_LOG_ENABLED": "false", "INFLUXDB_MONITOR_STORE_ENABLED": "false",
           "INFLUXDB_DATA_CACHE_SNAPSHOT_WRITE_COLD_DURATION": "1s",
           "INFLUXDB_DATA_COMPACT_FULL_WRITE_COLD_DURATION": "2s"}
    proc = subprocess.Popen([influxd, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/ping", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        urllib.request.urlopen(urllib.request.Request(base + "/query?q=CREATE+DATABASE+db", method="POST"))
        for body in data:
            urllib.request.urlopen(urllib.request.Request(base + "/write?db=db", data=body, method="POST"))
        # wait until the cache is snapshotted and the shard fully compacted (TSM size settles)
        last, stable = -1, 0
        for _ in range(240):
            time.sleep(1)
            now = size(f"{root}/data", ".tsm")
            wal = size(f"{root}/wal", ".wal")
            stable = stable + 1 if now == last and wal == 0 and now else 0
            last = now
            if stable >= 8:
                break
        return last
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def influxlite_bytes(data: list[bytes]) -> int:
    root = tempfile.mkdtemp(prefix="influxlite-bench-")
    try:
        with Engine(root, retention_check_interval=0) as e:
            e.meta.create_database("db")
            for body in data:
                e.write_points("db", None, parse_points(body))
            for shard in list(e._shards.values()):
                shard.wait_for_compaction()
                shard.compact()
        return size(root, ".parquet")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    data = bodies(total)
    values = total * 3
    ours = influxlite_bytes(data)
    theirs = influxdb_bytes(data)
    print(f"{total:,} points, {values:,} values (10,000 series)\n")
    print("| store | bytes | bytes per value |")
    print("|---|---:|---:|")
    print(f"| influxlite Parquet files | {ours:,} | {ours / values:.2f} |")
    print(f"| InfluxDB 1.6.7 TSM files (fully compacted) | {theirs:,} | {theirs / values:.2f} |")


if __name__ == "__main__":
    main()
