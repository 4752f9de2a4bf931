"""Engine write throughput: points/s through ``Engine.write_points`` (parse excluded), for a
10,000-series workload in batches of 5,000 and for all-new series; bytes on disk per value
after compaction; and a scan of a compacted shard.

    python bench/engine_load.py [POINTS]     # default 2,000,000

Runs writers on as many threads as there are cores (the work releases the GIL in Rust).
Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from influxlite import _backend, parse_points  # noqa: E402
from influxlite.engine import Engine  # noqa: E402

BATCH = 5000
T0 = 1_600_000_000_000_000_000


def batches(total: int, series: int | None, seed: int = 0) -> list:
    """Parsed batches of ``BATCH`` points (parsing is not timed)."""
    import random

    rng = random.Random(seed)
    out = []
    for start in range(0, total, BATCH):
        lines = []
        for i in range(start, min(start + BATCH, total)):
            s = i % series if series else i
            lines.append(b"cpu,host=host_%d,region=r_%d usage_user=%.3f,usage_system=%.3f,n=%di %d" % (
                s, s % 10, rng.random() * 100, rng.random() * 100, i % 1000, T0 + (i // (series or 1)) * 10_000_000_000))
        out.append(parse_points(b"\n".join(lines)))
    return out


def run(total: int, series: int | None, threads: int) -> tuple[float, Engine, str]:
    root = tempfile.mkdtemp(prefix="influxlite-engine-bench-")
    e = Engine(root, shards_per_group=threads, retention_check_interval=0).open(start_services=False)
    e.meta.create_database("db")
    work = batches(total, series)
    e.write_points("db", None, work[0])  # create the shard group(s) and shards outside the timing
    rest = work[1:]
    chunks = [rest[i::threads] for i in range(threads)]

    def writer(chunk):
        for b in chunk:
            e.write_points("db", None, b)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=writer, args=(c,)) for c in chunks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - t0
    return (total - BATCH) / elapsed, e, root


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    cores = os.cpu_count() or 1
    rows = []
    rate, e, root = run(total, 10_000, cores)
    rows.append((f"10,000 series, {total:,} points, {cores} writer threads", f"{rate:,.0f} points/s", ">= 1,000,000"))
    # compaction: everything to Parquet, then bytes per stored value
    t0 = time.perf_counter()
    for sid in list(e._shards):
        e._shards[sid].compact()
    compact_s = time.perf_counter() - t0
    pq_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) if "parquet" in d for f in fs)
    values = total * 3
    rows.append(("compaction of all shards to Parquet", f"{compact_s:.2f} s", ""))
    rows.append(("Parquet bytes per stored value (3 fields)", f"{pq_bytes / values:.2f}", "<= InfluxDB TSM"))
    t0 = time.perf_counter()
    t = e.read("db", "cpu")
    scan_s = time.perf_counter() - t0
    rows.append(("scan of the compacted measurement (all rows, merged)", f"{t.num_rows / scan_s:,.0f} rows/s", ""))
    e.close()
    shutil.rmtree(root, ignore_errors=True)
    n_new = min(total, 500_000)
    rate, e, root = run(n_new, None, cores)
    rows.append((f"all-new series, {n_new:,} points, {cores} writer threads", f"{rate:,.0f} points/s", ""))
    e.close()
    shutil.rmtree(root, ignore_errors=True)
    print(f"implementation: {_backend.implementation}, cores: {cores}\n")
    print("| measure | result | target |")
    print("|---|---:|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
