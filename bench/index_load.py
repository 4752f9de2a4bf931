"""Series file + TSI index at scale: new series/s (batches of 5,000), lookups/s, RSS per series
and reopen time, at 1,000,000 series by default, on one core.

    python bench/index_load.py [SERIES] [--pure]

Workload: ``cpu,host=host_<i>,region=r_<i % 10>`` (a unique host per series, as the parse
benchmark's file). Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import time

if "--pure" in sys.argv:
    os.environ["INFLUXLITE_PURE"] = "1"

from influxlite import _backend  # noqa: E402
from influxlite.seriesfile import SeriesFile  # noqa: E402
from influxlite.tsi import Index  # noqa: E402

BATCH = 5000


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def batch(start: int, n: int):
    return [b"cpu"] * n, [{b"host": b"host_%d" % i, b"region": b"r_%d" % (i % 10)} for i in range(start, start + n)]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    total = int(args[0]) if args else 1_000_000
    os.sched_setaffinity(0, {0})
    root = tempfile.mkdtemp(prefix="influxlite-index-bench-")
    try:
        gc.collect()
        base = rss()
        sf = SeriesFile(os.path.join(root, "_series"))
        ix = Index(os.path.join(root, "index"), sf).open()
        spent = 0.0
        for start in range(0, total, BATCH):
            names, tags = batch(start, min(BATCH, total - start))
            t0 = time.perf_counter()
            ix.add_series_list(names, tags)
            spent += time.perf_counter() - t0
        assert ix.series_n() == total
        gc.collect()
        per_series = (rss() - base) / total

        # lookups of existing series (the write path's question for every point)
        look = 0.0
        n_look = min(total, 200_000)
        for start in range(0, n_look, BATCH):
            names, tags = batch(start, BATCH)
            t0 = time.perf_counter()
            ids = sf.series_ids(names, tags)
            look += time.perf_counter() - t0
            assert all(ids)
        ix.close()
        sf.close()

        t0 = time.perf_counter()
        sf = SeriesFile(os.path.join(root, "_series"))
        ix = Index(os.path.join(root, "index"), sf).open()
        reopen = time.perf_counter() - t0
        assert ix.series_n() == total and sf.series_count() == total
        ix.close()
        sf.close()
        disk = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    print(f"{total:,} series, batches of {BATCH:,}, implementation: {_backend.implementation}\n")
    print("| measure | result | target |")
    print("|---|---:|---|")
    print(f"| new series/s (series file + index) | {total / spent:,.0f} | >= 300,000 |")
    print(f"| lookups of existing series/s | {n_look / look:,.0f} | |")
    print(f"| RSS per series | {per_series:,.0f} bytes | < 250 bytes |")
    print(f"| reopen time | {reopen:.2f} s | < 2 s |")
    print(f"| bytes on disk (preallocated segments included) | {disk / 1e6:,.1f} MB | |")


if __name__ == "__main__":
    main()
