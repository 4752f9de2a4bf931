"""Side-by-side parse throughput on one core: influxlite native and pure, the PyPI
``line-protocol-parser`` and InfluxDB's own Go parser (lpbench, when it can be built).

    python bench/parse_throughput.py [MB]      # default 50 MB, the oracle's file shape

Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "tests"))

import lpdata  # noqa: E402

from influxlite import _native, _pure  # noqa: E402


def timed(fn, reps: int, min_seconds: float = 1.0) -> float:
    """Median seconds of one call, over at least ``reps`` calls and ``min_seconds``."""
    times = []
    start = time.perf_counter()
    while len(times) < reps or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    path = lpdata.cached(mb * 1_000_000)
    data = path.read_bytes()
    points = data.count(b"\n")
    rows = []

    def row(name, seconds, note=""):
        rows.append((name, len(data) / seconds / 1e6, points / seconds / 1e6, note))

    os.sched_setaffinity(0, {0})  # one core, as lpbench runs with GOMAXPROCS=1
    batch = _native.parse(data, "n", 0, False)
    assert len(batch) == points and not batch.error_messages()
    row("influxlite native", timed(lambda: _native.parse(data, "n", 0, False), 5),
        "validates every field as InfluxDB does; points kept as ranges")
    # Decoding every value too (what a write does next), for comparison with lpbench -full.
    row("influxlite native + decode all values", timed(lambda: _native.parse(data, "n", 0, False).points(), 3),
        "plus a Python tuple per point: not the hot path")

    small = data[: 2_000_000]
    small = small[: small.rfind(b"\n") + 1]
    t = timed(lambda: _pure.parse(small, "n", 0, False), 1, 0)
    rows.append(("influxlite pure", len(small) / t / 1e6, small.count(b"\n") / t / 1e6, "on the first 2 MB"))

    from line_protocol_parser import parse_line

    text = data.decode()

    def lpp():
        for line in text.splitlines():
            parse_line(line)

    row("line-protocol-parser 2.0.1 (PyPI, C)", timed(lpp, 1, 0), "one dict per line")

    try:
        import oracle

        binary = oracle.lpdump_path()
        lpbench = binary.parent / "lpbench" if binary else None
    except Exception:  # pragma: no cover - the oracle is optional
        lpbench = None
    if lpbench and lpbench.exists():
        for args, note in ((["-reps", "5"], "InfluxDB 1.6.7 models.ParsePointsWithPrecision, GOMAXPROCS=1"),
                           (["-reps", "3", "-full"], "... plus decoding every tag and field")):
            out = subprocess.run([str(lpbench), *args, str(path)], check=True, capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            row("lpbench" + (" -full" if "-full" in args else ""), r["seconds"], note)

    print(f"file: {path.name}, {len(data):,} bytes, {points:,} points, 10,000 series\n")
    print("| parser | MB/s | M points/s | note |")
    print("|---|---:|---:|---|")
    for name, mbs, mps, note in rows:
        print(f"| {name} | {mbs:,.1f} | {mps:,.2f} | {note} |")


if __name__ == "__main__":
    main()
