"""The benchmark workload: 10,000 series of ``cpu,host=..,region=.. usage_user=..,usage_system=..,n=12i``
lines, the same shape as ``../shared/oracle/verify/gen_cpu50mb.py`` (so lpbench sees the same file)."""

from __future__ import annotations

import pathlib
import random

SERIES = 10_000


def generate(target_bytes: int, seed: int = 42) -> bytes:
    rng = random.Random(seed)
    ts = 1_600_000_000_000_000_000
    out: list[bytes] = []
    size = i = 0
    while size < target_bytes:
        s = i % SERIES
        line = b"cpu,host=host_%d,region=r_%d usage_user=%.6f,usage_system=%.6f,n=12i %d\n" % (
            s, s % 10, rng.random() * 100, rng.random() * 100, ts + i * 1000)
        out.append(line)
        size += len(line)
        i += 1
    return b"".join(out)


def cached(target_bytes: int, directory: pathlib.Path | None = None) -> pathlib.Path:
    """The generated file, written once to a temporary directory."""
    import tempfile

    directory = directory or pathlib.Path(tempfile.gettempdir())
    path = directory / f"influxlite-bench-cpu-{target_bytes}.lp"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(generate(target_bytes))
        tmp.replace(path)
    return path
