"""Storage costs that the storage-safety work promised to bound:

* write amplification: Parquet bytes rewritten by merges per Parquet byte first written out by
  the cache, for POINTS points (default 10M) in 10,000 series through the engine with its
  default cache size, and again counting the full compaction a clean close does;
* the caches' memory: the largest ``memory_size()`` seen against ``cache_max_size``, and the
  process's peak RSS;
* WAL group commit at ``wal-fsync-delay = 0``: acknowledged writes per second and fsyncs per
  write for 1 to 8 writer threads of small batches.

    python bench/storage_load.py [POINTS]

* a compaction's memory and time: ``merge [POINTS] [OTHER_PYTHON_DIR]`` loads POINTS points
  (default 20M) into one shard, then, in a fresh process for each, merges all of its files into
  one (the largest merge a compaction can make) and reports that process's peak RSS and the
  merge's time; with OTHER_PYTHON_DIR (an exported ``python/`` of another commit, with its
  native module) the same merge runs on a copy of the shard with that code too.
"""

from __future__ import annotations

import os
import resource
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from influxlite import _backend, _fsync, parse_points
from influxlite.engine import Engine

BATCH = 5000
SERIES = 10_000
T0 = 1_600_000_000_000_000_000


def batch(k: int) -> object:
    lines = [b"cpu,host=host_%d,region=r_%d usage_user=%d.5,usage_system=%d.25,n=%di %d" % (
        s % SERIES, s % 10, (k * 7 + s) % 1000, (k + s) % 977, s % 1000, T0 + ((k * BATCH + s) // SERIES) * 10**10)
        for s in range(BATCH)]
    return parse_points(b"\n".join(lines))


def write_amplification(total: int) -> list[tuple[str, str, str]]:
    root = tempfile.mkdtemp(prefix="influxlite-wa-")
    e = Engine(root, retention_check_interval=0).open(start_services=False)
    e.meta.create_database("db")
    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.02):
            for s in list(e._shards.values()):
                peak[0] = max(peak[0], s.memory_size())

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    for k in range(total // BATCH):
        e.write_points("db", None, batch(k))
    elapsed = time.perf_counter() - t0
    shards = list(e._shards.values())
    for s in shards:
        s.wait_for_compaction()
    flushed = sum(s.stats["bytes_flushed"] for s in shards)
    rewritten = sum(s.stats["bytes_rewritten"] for s in shards)
    limit = shards[0].cache_max_size
    for s in shards:
        s.compact_full()
    flushed_all = sum(s.stats["bytes_flushed"] for s in shards)
    rewritten_all = sum(s.stats["bytes_rewritten"] for s in shards)
    stop.set()
    sampler.join()
    files = sum(len(s.manifest.files) for s in shards)
    e.close()
    shutil.rmtree(root, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return [
        (f"{total:,} points, {SERIES:,} series, one writer (parse included)", f"{total / elapsed:,.0f} points/s", ""),
        ("bytes rewritten per byte written out, during the load", f"{rewritten / max(flushed, 1):.2f}", "<= 3"),
        ("... including the full compaction of a clean close", f"{rewritten_all / max(flushed_all, 1):.2f}",
         f"<= 3 ({files} files left)"),
        ("largest cache memory_size() seen / cache_max_size", f"{peak[0] / 2**20:.1f} MiB / {limit / 2**20:.0f} MiB",
         "bounded"),
        ("peak RSS of the whole process", f"{rss / 2**20:,.0f} MiB", ""),
    ]


def group_commit() -> list[tuple[str, str, str]]:
    rows = []
    real = _fsync.fsync
    for threads in (1, 2, 4, 8):
        root = tempfile.mkdtemp(prefix="influxlite-gc-")
        e = Engine(root, retention_check_interval=0).open(start_services=False)
        e.meta.create_database("db")
        body = [parse_points(b"\n".join(b"m,w=%d v=%di %d" % (t, i, T0 + i) for i in range(10))) for t in range(threads)]
        e.write_points("db", None, body[0])
        calls = [0]

        def counting(fd):
            calls[0] += 1
            return real(fd)

        _fsync.fsync = counting
        n_each = 300
        t0 = time.perf_counter()
        ts = [threading.Thread(target=lambda b=b: [e.write_points("db", None, b) for _ in range(n_each)])
              for b in body]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - t0
        _fsync.fsync = real
        writes = threads * n_each
        rows.append((f"WAL group commit, {threads} writer threads, 10-point writes",
                     f"{writes / elapsed:,.0f} writes/s", f"{calls[0] / writes:.2f} fsyncs per write"))
        e.close()
        shutil.rmtree(root, ignore_errors=True)
    return rows


def merge_child(shard_dir: str, series_dir: str) -> None:
    """Merges every file of the shard into one; prints RSS before, peak RSS and seconds."""
    from influxlite.seriesfile import SeriesFile
    from influxlite.shard import Shard
    from influxlite.storage.compaction import Job
    from influxlite.storage.compactor import Compactor

    sf = SeriesFile(series_dir)
    shard = Shard(shard_dir, 1, sf, cache_max_size=1 << 30).open()
    files = shard.manifest.of(b"cpu")
    rss0 = _status("VmRSS")
    t0 = time.perf_counter()
    with shard._compact_lock:
        Compactor(shard).run([Job("merge", b"cpu", files, max(f.level for f in files) + 1)])
    elapsed = time.perf_counter() - t0
    print(json.dumps({"files": len(files), "rows": sum(f.rows for f in files), "rss_before": rss0,
                      "peak": _status("VmHWM"), "seconds": elapsed, "left": len(shard.manifest.of(b"cpu"))}))
    shard.close(compact=False)
    sf.close()


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))


def merge_memory(total: int, other: str | None) -> list[tuple[str, str, str]]:
    root = tempfile.mkdtemp(prefix="influxlite-merge-")
    e = Engine(root, retention_check_interval=0).open(start_services=False)
    e.meta.create_database("db")
    for k in range(total // BATCH):
        e.write_points("db", None, batch(k))
    (shard,) = e._shards.values()
    shard.wait_for_compaction()
    shard_dir, series_dir = shard.path, shard.series_file.path
    e.close()  # its full compaction writes the cache out (time-ordered files do not overlap: no merge)
    rows = []
    for label, path in (("this commit", None), ("other code", other)):
        if label == "other code" and path is None:
            continue
        work = tempfile.mkdtemp(prefix="influxlite-merge-run-")
        shutil.copytree(shard_dir, os.path.join(work, "shard"))
        shutil.copytree(series_dir, os.path.join(work, "series"))
        env = dict(os.environ, **({"PYTHONPATH": path} if path else {}))
        out = subprocess.run([sys.executable, __file__, "merge-child", os.path.join(work, "shard"),
                              os.path.join(work, "series")], env=env, check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        shutil.rmtree(work, ignore_errors=True)
        rows.append((f"merge of {r['files']} files, {r['rows']:,} points into {r['left']} ({label})",
                     f"{r['peak'] / 2**20:,.0f} MiB peak RSS, {r['seconds']:.1f} s",
                     f"RSS {r['rss_before'] / 2**20:,.0f} MiB before the merge"))
    shutil.rmtree(root, ignore_errors=True)
    return rows


def main() -> None:
    if sys.argv[1:2] == ["merge-child"]:
        return merge_child(sys.argv[2], sys.argv[3])
    if sys.argv[1:2] == ["merge"]:
        rows = merge_memory(int(sys.argv[2]) if len(sys.argv) > 2 else 20_000_000, (sys.argv[3:4] or [None])[0])
        print("| measure | result | note |\n|---|---:|---|")
        print("\n".join("| " + " | ".join(r) + " |" for r in rows))
        return
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    rows = group_commit() + write_amplification(total)
    print(f"implementation: {_backend.implementation}, cores: {os.cpu_count()}\n")
    print("| measure | result | note |")
    print("|---|---:|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
