"""Regression tests for the paths through which acknowledged data could be lost, files
overwritten or written outside the data directory (storage-safety review). Faults are real: a
file where a directory must go, a full filesystem (tests/test_disk_full.py), an fsync that fails
through the ``influxlite._fsync.fsync`` hook, SIGKILL (tests/test_crash.py)."""

from __future__ import annotations

import errno
import json
import os
import threading

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from influxlite import _fsync, parse_points
from influxlite.seriesfile import SeriesFile
from influxlite.shard import CacheFullError, Shard, ShardError
from influxlite.storage import parquet
from influxlite.storage.wal import WALError


def _values(shard, m="cpu", field="v"):
    t = shard.read(m)
    return sorted(zip(t.column("time").cast(pa.int64()).to_pylist(), t.column(field).to_pylist()))


def _crash(shard):
    """Leaves the shard as a killed process would: descriptors closed, nothing compacted."""
    shard._closing.set()
    shard.wal.close()
    shard.index.close()


def _block(shard, measurement: bytes) -> str:
    """A file where the measurement's directory must go: its write-outs fail."""
    os.makedirs(shard.parquet_dir, exist_ok=True)
    path = os.path.join(shard.parquet_dir, parquet.dir_name(measurement))
    with open(path, "wb") as f:
        f.write(b"in the way")
    return path


# --- 1. a failed write-out loses nothing, is retried, and is visible --------------------------

def test_failed_compaction_keeps_its_wal_until_a_retry_succeeds(env, tmp_path):
    _, sf, shard = env
    shard.write(parse_points(b"cpu v=1 1\ncpu v=2 2\n"))
    blocker = _block(shard, b"cpu")
    with pytest.raises(OSError):
        shard.compact()
    shard.write(parse_points(b"cpu v=3 3\nmem v=1 1\n"))
    with pytest.raises(OSError):  # the old snapshot is retried first, and fails again
        shard.compact()
    assert _values(shard) == [(1, 1.0), (2, 2.0), (3, 3.0)]  # reads still see the failed snapshot
    os.remove(blocker)
    shard.compact()  # the retry succeeds; the newer cache waits for the next round
    shard.compact()
    assert shard.cache.points == 0 and shard._pending is None
    _crash(shard)
    shard = Shard(tmp_path / "1", 1, sf).open()
    assert _values(shard) == [(1, 1.0), (2, 2.0), (3, 3.0)]
    assert _values(shard, "mem") == [(1, 1.0)]
    shard.close()


def test_background_compaction_retries_with_backoff_and_bounds_memory(tmp_path):
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=2000, cache_max_memory_size=20000).open()
    blocker = _block(shard, b"cpu")
    body = lambda k: b"".join(b"cpu,host=h%d v=%d %d\n" % (i, k, k * 100 + i) for i in range(20))  # noqa: E731
    written = 0
    with pytest.raises(CacheFullError, match=r"^cache-max-memory-size exceeded: \(\d+/20000\)$"):
        for k in range(1000):
            shard.write(parse_points(body(k)))
            written += 20
    assert isinstance(shard.compaction_error, OSError)  # visible to inspect and /debug/vars
    assert shard.stats["compaction_errors"] >= 1
    assert shard.memory_size() <= 20000 + 4000  # bounded: the refused write added nothing
    assert shard.read("cpu").num_rows == written
    os.remove(blocker)
    shard.wait_for_compaction()  # the retry loop gets through once the obstacle is gone
    shard.write(parse_points(body(5000)))  # writes are accepted again
    assert shard.read("cpu").num_rows == written + 20
    shard.close()
    shard = Shard(tmp_path / "1", 1, sf).open()
    assert shard.read("cpu").num_rows == written + 20
    shard.close()
    sf.close()


# --- 2. no name chooses a path -------------------------------------------------------------------

@given(st.binary(min_size=1, max_size=300))
def test_dir_names_are_safe_and_reversible(name):
    d = parquet.dir_name(name)
    assert d not in (".", "..") and "/" not in d and "\0" not in d and d == d.lower() and len(d) <= 200
    back = parquet.measurement_from_dir(d)
    assert back == name or (back is None and "~" in d)


def test_dir_names_of_different_names_differ():
    names = [b"cpu", b"CPU", b"Cpu", b".", b"..", b"%2e", b"^c", b"a/b", b"a%2fb", b"x" * 500, b"x" * 499 + b"y"]
    dirs = [parquet.dir_name(n) for n in names]
    assert len({d.lower() for d in dirs}) == len(names)
    assert parquet.dir_name(b"cpu_load-1") == "cpu_load-1"  # plain names stay readable


def test_dot_names_and_case_stay_inside_their_folders(env, tmp_path):
    _, _, shard = env
    shard.write(parse_points(b".,host=a v=1 1\n..,../x=y v=2 2\ncpu v=3 3\nCPU v=4 4\n"
                             b"a/b,t=1 ../../f=5 5\n"))
    shard.compact()
    root = tmp_path / "1" / "parquet"
    found = sorted(str(p.relative_to(tmp_path / "1")) for p in (tmp_path / "1").rglob("*.parquet"))
    assert all(p.startswith("parquet/") and p.count("/") == 2 for p in found), found
    assert not list(tmp_path.glob("*.parquet")) and not list((tmp_path / "1").glob("*.parquet"))
    names = {pq.read_schema(root / p.split("/", 1)[1]).metadata[b"influxlite.measurement"] for p in found}
    assert names == {b".", b"..", b"cpu", b"CPU", b"a/b"}
    assert _values(shard, "..") == [(2, 2.0)] and _values(shard, "CPU") == [(4, 4.0)]
    assert _values(shard, "a/b", "../../f") == [(5, 5.0)]
    t = pq.read_table(root / parquet.dir_name(b".."))
    assert "../x" in t.column_names  # a tag key is a column, never a path


# --- 3. no file is ever overwritten; ids are never reused -----------------------------------------

def test_file_ids_are_never_reused_across_reopens_and_deletes(env, tmp_path):
    _, sf, shard = env
    seen: list[int] = []
    for k in range(6):
        shard.write(parse_points(b"cpu v=%d %d\nmem v=1 %d\n" % (k, k, k)))
        shard.compact()
        seen += [f.id for f in shard.manifest.files if f.id not in seen]
        if k == 2:
            shard.drop_measurement("mem")  # a tombstone; the files go at the next compaction
        if k % 2:
            shard.close()
            shard = Shard(tmp_path / "1", 1, sf, cache_max_size=1 << 30).open()
    ids = [f.id for f in shard.manifest.files]
    assert len(set(seen)) == len(seen) and all(i in seen for i in ids)
    # an orphan left on disk by a crash (an id the manifest never listed) is not reused either
    orphan = tmp_path / "1" / "parquet" / "cpu" / "00000999.parquet"
    orphan.write_bytes(b"junk")
    shard.close()
    shard = Shard(tmp_path / "1", 1, sf).open()
    assert not orphan.exists() and shard.manifest.next_id >= 1000
    shard.write(parse_points(b"cpu v=100 100\n"))
    shard.compact()
    assert min(f.id for f in shard.manifest.files if f.max_time == 100) >= 1000
    assert [v for t, v in _values(shard) if t == 100] == [100.0]
    shard.close()


# --- 4. a failed append leaves no partial entry: tests/test_disk_full.py (a real full filesystem)


# --- 5. a failed fsync fails every waiting writer and every later write ---------------------------

def test_fsync_failure_wakes_every_waiter_and_refuses_writes(tmp_path, monkeypatch):
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, fsync_delay=0.05).open()
    shard.write(parse_points(b"cpu v=0 1\n"))
    real = _fsync.fsync

    def failing(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".wal"):
            raise OSError(errno.EIO, "Input/output error")
        return real(fd)

    monkeypatch.setattr(_fsync, "fsync", failing)
    outcomes: list = []

    def writer(k):
        try:
            shard.write(parse_points(b"cpu v=%d %d\n" % (k, k + 10)))
            outcomes.append("ok")
        except Exception as e:  # noqa: BLE001 - each one is checked below
            outcomes.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)  # nobody hangs
    assert len(outcomes) == 8 and all(isinstance(o, (WALError, ShardError)) for o in outcomes), outcomes
    assert all("fsync failed" in str(o) for o in outcomes)
    monkeypatch.setattr(_fsync, "fsync", real)
    with pytest.raises(ShardError, match="refused until it is reopened"):  # even with a healthy disk
        shard.write(parse_points(b"cpu v=99 99\n"))
    _crash(shard)
    shard = Shard(tmp_path / "1", 1, sf).open()  # the reopen replays what the disk really holds
    shard.write(parse_points(b"cpu v=100 100\n"))
    assert (100, 100.0) in _values(shard) and (1, 0.0) in _values(shard)
    shard.close()
    sf.close()


# --- 6. directories are fsynced; field types survive losing the registry -------------------------

def test_new_files_and_directories_are_fsynced_with_their_directory(tmp_path, monkeypatch):
    synced: list[str] = []
    real = _fsync.fsync

    def recording(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(_fsync, "fsync", recording)
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=1 << 30).open()
    shard.write(parse_points(b"cpu v=1 1\n"))
    shard.delete("cpu", None, 0, 0)
    shard.write(parse_points(b"cpu v=2 2\n"))
    shard.compact()
    d = str(tmp_path / "1")
    # each file is fsynced under its temporary name, then its directory after the rename
    for must in [d, f"{d}/wal", f"{d}/parquet", f"{d}/parquet/cpu", f"{d}/fields.json.tmp",
                 f"{d}/manifest.json.tmp", str(tmp_path), f"{d}/index/0", f"{d}/index/0/MANIFEST.tmp"]:
        assert must in synced, (must, sorted(set(synced)))
    assert any(p.startswith(f"{d}/parquet/cpu/") and p.endswith(".parquet.tmp") for p in synced)
    shard.close()
    sf.close()


def test_wal_replay_restores_field_types_the_registry_lost(env, tmp_path):
    _, sf, shard = env
    shard.write(parse_points(b'cpu v=1i,s="x" 1\n'))
    _crash(shard)
    os.remove(tmp_path / "1" / "fields.json")
    shard = Shard(tmp_path / "1", 1, sf).open()
    assert shard.field_types("cpu") == {b"s": "string", b"v": "integer"} or \
        shard.field_types("cpu") == {b"v": "integer", b"s": "string"}
    assert shard.write(parse_points(b"cpu v=2.5 2\n")).dropped == 1  # the type is still enforced
    shard.compact()
    assert shard.read("cpu").column("s").to_pylist() == ["x"]
    shard.close()


# --- 8. drop measurement is atomic with respect to writes ----------------------------------------

def test_drop_measurement_racing_writes_keeps_types_and_points_consistent(env):
    _, _, shard = env
    errors: list = []
    stop = threading.Event()

    def writer(kind):
        try:
            k = 0
            while not stop.is_set():
                value = b"%di" % k if kind == "int" else b"%d.5" % k
                shard.write(parse_points(b"m v=%s %d\n" % (value, k)))
                k += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in ("int", "float")]
    for t in threads:
        t.start()
    for _ in range(30):
        shard.drop_measurement("m")
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    shard.compact()
    types = shard.field_types("m")
    t = shard.read("m")
    if t.num_rows:  # every point kept has the registry's type: none was dropped for a lost type
        want = {"integer": pa.int64(), "float": pa.float64()}[types[b"v"]]
        assert t.schema.field("v").type == want and t.column("v").null_count == 0


# --- 7. one writer per data directory; read-only opens change nothing ----------------------------

def test_a_second_writer_fails_at_once_naming_the_holder(tmp_path):
    import subprocess
    import sys

    from influxlite.datadir import DataDirLockedError
    from influxlite.engine import Engine

    code = ("import sys, time; from influxlite.engine import Engine; "
            "e = Engine(sys.argv[1], retention_check_interval=0).open(); print('open', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert child.stdout.readline() == b"open\n"
        with pytest.raises(DataDirLockedError, match=f"pid {child.pid}\\)"):
            Engine(tmp_path, retention_check_interval=0).open()
        with Engine(tmp_path, read_only=True) as e:  # a reader is still welcome
            assert e.meta.databases == []
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    with Engine(tmp_path, retention_check_interval=0) as e:  # the lock died with its holder
        e.meta.create_database("db")


def _tree(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


def test_inspect_changes_no_byte_and_reports_torn_tails(tmp_path, capsys):
    from influxlite.cli import main
    from influxlite.engine import Engine

    data = tmp_path / "data"
    e = Engine(data, retention_check_interval=0).open()
    e.meta.create_database("db")
    e.write_points("db", None, parse_points(b"cpu,host=a v=1 1700000000000000000\n"))
    shard = e.open_shards()[0]
    e.write_points("db", None, parse_points(b"cpu,host=b v=2 1700000000000000001\n"))
    (seg,) = [os.path.join(shard.wal.path, n) for n in os.listdir(shard.wal.path)]
    with open(seg, "ab") as f:
        f.write(b"\x01\x02torn")  # as a crash mid-append leaves it; the writer is still running
    before = _tree(data)
    assert main(["inspect", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert _tree(data) == before
    assert "torn tail (not repaired, read-only)" in out and seg in out
    assert "2 rows in the WAL since" in out and "bytes on disk (" in out
    e.close()


# --- 9 and 10. cold shards are compacted; compacted files are the truth ---------------------------

def test_cold_shards_are_compacted_fully_by_the_engine(tmp_path):
    import time

    from influxlite.engine import Engine

    with Engine(tmp_path, retention_check_interval=0, cache_snapshot_write_cold_duration=0.3) as e:
        e.meta.create_database("db")
        e.write_points("db", None, parse_points(b"cpu v=1 1700000000000000000\n"))
        shard = e.open_shards()[0]
        deadline = time.monotonic() + 10
        while not shard.fully_compacted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shard.fully_compacted and shard.cache.points == 0
        assert [os.path.getsize(s) for s in shard.wal.segments()] == [0]  # nothing left to replay


def test_after_a_full_compaction_the_files_are_the_truth(env, tmp_path):
    _, sf, shard = env
    rows = []
    for k in range(10):
        shard.write(parse_points(b"".join(b"cpu,host=h%d v=%d,k=%di %d\n" % (i % 4, k, k, i) for i in range(50))))
        if k % 3 == 0:
            shard.compact()  # overlapping files: the same (series, time) written again and again
    shard.delete("cpu", None, 0, 9)
    shard.compact()
    shard.write(parse_points(b"cpu,host=h0 v=-1 100\n"))  # only in the cache
    want = _values(shard)
    shard.compact_full()
    assert shard.fully_compacted
    on_disk = pq.read_table(tmp_path / "1" / "parquet" / "cpu")  # what any Parquet reader sees
    rows = sorted(zip(on_disk.column("time").cast(pa.int64()).to_pylist(), on_disk.column("v").to_pylist()))
    assert rows == want and len(rows) == 41
    keys = list(zip(on_disk.column("series_id").to_pylist(), on_disk.column("time").cast(pa.int64()).to_pylist()))
    assert len(set(keys)) == len(keys)
    assert json.loads((tmp_path / "1" / "manifest.json").read_text())["tombstones"] == []


def test_a_field_named_series_id_gets_its_own_column(env, tmp_path):
    _, sf, shard = env
    shard.write(parse_points(b"m,host=a series_id=5i,v=1 10\n"))
    sid = sf.series_id("m", {"host": "a"})
    for _ in range(2):  # from the cache, then from the Parquet file
        t = shard.read("m")
        assert t.column_names == ["time", "series_id", "series_id::field", "v"]
        assert t.column("series_id").to_pylist() == [sid] and t.column("series_id::field").to_pylist() == [5]
        shard.compact()
    assert pq.read_table(tmp_path / "1" / "parquet" / "m").column("series_id::field").to_pylist() == [5]


def test_database_and_policy_names_never_reach_other_paths(tmp_path):
    from influxlite.engine import Engine

    t = 1_700_000_000_000_000_000
    with Engine(tmp_path, retention_check_interval=0) as e:
        for db in ("meta", "DB", "db", ".lock", "data"):
            e.meta.create_database(db)
            e.write_points(db, None, parse_points(b"cpu v=1 %d" % t))
        e.meta.create_retention_policy("db", "RP", 0)
        e.meta.create_retention_policy("db", "rp", 0)
        e.write_points("db", "RP", parse_points(b"cpu v=2 %d" % t))
        e.write_points("db", "rp", parse_points(b"cpu v=3 %d" % t))
        e.drop_database("meta")  # once, this removed <data>/meta/meta.json with it
        assert (tmp_path / "meta" / "meta.json").exists()
        assert [d.name for d in e.meta.databases] == ["DB", "db", ".lock", "data"]
        assert e.read("db", "cpu", rp="RP").column("v").to_pylist() == [2.0]
        assert e.read("db", "cpu", rp="rp").column("v").to_pylist() == [3.0]
        assert e.read("DB", "cpu").column("v").to_pylist() == [1.0]
    with Engine(tmp_path, retention_check_interval=0) as e:  # all of it survives a reopen
        assert e.read(".lock", "cpu").column("v").to_pylist() == [1.0]
        assert sorted(os.listdir(tmp_path / "data")) == sorted(["^d^b", "db", "%2elock", "data"])
