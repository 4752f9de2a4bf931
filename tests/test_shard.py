"""A shard: write path, reads, reopen, WAL recovery, concurrency and crash consistency."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from influxlite import _fsync, parse_points
from influxlite.seriesfile import SeriesFile
from influxlite.shard import Shard


@pytest.fixture
def env(tmp_path):
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf).open()
    yield tmp_path, sf, shard
    shard.close()
    sf.close()


def _plain(table):
    """The table with ``time`` as int64 ns (Python datetimes stop at microseconds)."""
    import pyarrow as pa

    return table.set_column(0, "time", table.column("time").cast(pa.int64()))


def _rows(table):
    return [tuple(r.values()) for r in _plain(table).to_pylist()]


def test_write_and_read(env):
    _, sf, shard = env
    r = shard.write(parse_points(b"cpu,host=a v=1,s=\"x\" 10\ncpu,host=b v=2 20\ncpu,host=a w=5i 10\n"
                                 b"cpu,time=x v=1 1\nmem v=1u 1\n", unsigned=True))
    assert (r.written, r.dropped) == (4, 1)
    assert r.reason == 'invalid tag key: input tag "time" on measurement "cpu" is invalid'
    t = shard.read("cpu")
    assert t.column_names == ["time", "series_id", "v", "s", "w"]
    a, b = sf.series_id("cpu", {"host": "a"}), sf.series_id("cpu", {"host": "b"})
    rows = sorted((r["series_id"], r["time"], r["v"], r["s"], r["w"]) for r in _plain(t).to_pylist())
    assert rows == sorted([(a, 10, 1.0, "x", 5), (b, 20, 2.0, None, None)])
    assert shard.read("cpu", [b]).num_rows == 1
    assert shard.read("cpu", tmin=15).num_rows == 1
    assert shard.read("nope").num_rows == 0
    assert shard.measurement_names() == [b"cpu", b"mem"]
    assert shard.field_types("mem") == {b"v": "unsigned"}


@pytest.mark.parametrize("n", [5, 40, 300])
def test_repeated_field_keys_keep_their_first_place_and_last_value(env, tmp_path, n):
    """Below and above the size where keys are looked up by hash instead of a linear search."""
    _, _, shard = env
    keys = [f"f{i}" for i in range(n)]
    repeated = keys + [keys[1], keys[n - 1], keys[1]]
    values = list(range(n)) + [100, 200, 300]
    line = "m " + ",".join(f"{k}={v}i" for k, v in zip(repeated, values)) + " 7\n"
    result = shard.write(parse_points(line.encode()))
    assert result.written == 1
    t = shard.read("m")
    want = dict(zip(keys, range(n)))
    want.update({keys[1]: 300, keys[n - 1]: 200})
    assert {k: t.column(k).to_pylist() for k in keys} == {k: [v] for k, v in want.items()}
    assert list(shard.field_types("m")) == [k.encode() for k in keys]  # first places kept
    shard.close()
    reopened = Shard(tmp_path / "1", 1, env[1]).open()  # replayed from the WAL alike
    t = reopened.read("m")
    assert {k: t.column(k).to_pylist() for k in keys} == {k: [v] for k, v in want.items()}
    reopened.close()


def test_field_type_conflicts_first_writer_wins(env):
    _, _, shard = env
    r = shard.write(parse_points(b"m v=1i 1\nm v=2 2\nm v=\"s\" 3\nm w=1 4\n"))
    assert (r.written, r.dropped) == (2, 2)
    assert r.reason == 'field type conflict: input field "v" on measurement "m" is type float, already exists as type integer'
    r = shard.write(parse_points(b"m v=true 5\n"))
    assert r.written == 0 and "already exists as type integer" in r.reason
    assert shard.field_types("m") == {b"v": "integer", b"w": "float"}


def test_reopen_replays_the_wal_and_cuts_a_torn_tail(env, tmp_path):
    _, sf, shard = env
    shard.write(parse_points(b"cpu,host=a v=1 10\n"))
    shard.write(parse_points(b"cpu,host=b v=2 20\n"))
    before = _rows(shard.read("cpu"))
    shard.close()
    wal = tmp_path / "1" / "wal"
    (seg,) = sorted(wal.iterdir())
    data = seg.read_bytes()
    seg.write_bytes(data + data[:7])  # a torn third entry
    shard2 = Shard(tmp_path / "1", 1, sf).open()
    assert _rows(shard2.read("cpu")) == before
    assert seg.stat().st_size == len(data)
    shard2.write(parse_points(b"cpu,host=c v=3 30\n"))
    shard2.close()
    shard3 = Shard(tmp_path / "1", 1, sf).open()
    assert shard3.read("cpu").num_rows == 3
    shard3.close()


def test_concurrent_writers_share_series_and_types(env):
    _, sf, shard = env
    errors = []

    def writer(seed):
        rng = random.Random(seed)
        try:
            for _ in range(20):
                lines = b"".join(b"cpu,host=h%d v=%di %d\n" % (rng.randrange(50), rng.randrange(9), rng.randrange(10**6))
                                 for _ in range(100))
                shard.write(parse_points(lines))
                shard.write(parse_points(b"race,k=%d v=%s 1\n" % (seed, b"1i" if seed % 2 else b"1.5")))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    race_type = shard.field_types("race")[b"v"]  # one type, whoever wrote first
    winners = [k for k in range(4) if (k % 2 == 1) == (race_type == "integer")]
    # a point refused for its type creates no series: 50 hosts plus the winners' race series
    assert sf.series_count() == 50 + len(winners) == 52
    assert shard.index.tag_values("race", "k") == [str(k).encode() for k in winners]
    assert len(shard.index.tag_values("cpu", "host")) == 50
    assert len(set(sf.series_ids(["cpu"] * 50, [{"host": f"h{i}"} for i in range(50)]))) == 50


def test_fsync_delay_groups_concurrent_writes(tmp_path):
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, fsync_delay=0.01).open()
    calls = []
    real = _fsync.fsync

    def counting(fd):
        calls.append(fd)
        return real(fd)

    _fsync.fsync = counting
    try:
        wal = shard.wal
        entries = [b"x" * 10] * 40
        threads = [threading.Thread(target=wal.write, args=(e,)) for e in entries]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        _fsync.fsync = real
    assert 1 <= len(calls) < 40  # writers shared fsyncs
    shard.close()
    sf.close()


def _kill_and_check(tmp_path, rounds: int, mode: str, seed: int) -> tuple[set, set]:
    """Runs crash_writer.py ``rounds`` times, killing it at a random moment each time, and
    checks the shard after every reopen: each acknowledged batch whole (200 points of its value)
    unless an acknowledged delete removed it, nothing partial, no file the manifest lacks."""
    rng = random.Random(seed)
    root = str(tmp_path)
    acked: set[int] = set()
    deleted: set[int] = set()
    maybe: set[int] = set()
    start = 0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for _ in range(rounds):
        child = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "crash_writer.py"),
                                  root, str(start), mode], stdout=subprocess.PIPE, env=env)
        time.sleep(rng.uniform(0.4, 1.2))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate()
        for tok in out.split():
            if tok.startswith(b"D"):
                maybe.add(int(tok[1:]))  # a delete under way: whole or gone, both fine
            else:
                (deleted if tok.startswith(b"d") else acked).add(int(tok.lstrip(b"d")))
        start = max(acked | {start}) + 1000  # new batch numbers: an unacknowledged batch stays unique
        sf = SeriesFile(tmp_path / "_series")
        shard = Shard(tmp_path / "1", 1, sf).open()
        counts: dict[int, int] = {}
        table = shard.read("crash")  # empty, without columns, when a kill came before any write
        for v in (table.column("v").to_pylist() if "v" in table.column_names else []):
            counts[v] = counts.get(v, 0) + 1
        for n in acked - deleted - maybe:
            assert counts.get(n) == 200, (n, counts.get(n))
        for n in deleted:
            assert n not in counts, n
        assert all(c == 200 for c in counts.values())  # whole batches only
        listed = {os.path.join(root, "1", f.path) for f in shard.manifest.files}
        assert all(os.path.exists(p) for p in listed)
        shard._closing.set()  # as the next crash would find it: nothing compacted on the way out
        shard.wal.close()
        shard.index.close()
        sf.close()
    return acked, deleted


@pytest.mark.compares_implementations
def test_sigkill_during_compactions_merges_and_deletes(tmp_path):
    """20 kills of a writer whose small cache is written out, merged and tombstoned all the
    time: nothing acknowledged is lost, no acknowledged delete comes back, nothing half-applied."""
    acked, deleted = _kill_and_check(tmp_path, 20, "deletes", 7)
    assert len(acked) > 100 and len(deleted) > 10
    files = [n for n in os.listdir(tmp_path / "1" / "parquet" / "crash")]
    assert files  # write-outs really happened before the kills


@pytest.mark.compares_implementations
def test_acknowledged_writes_survive_sigkill(tmp_path):
    """A child writes batches and prints each acknowledged one; it is killed at random moments
    (20 times, each followed by a reopen): every acknowledged point is there, nothing partial."""
    acked, _ = _kill_and_check(tmp_path, 20, "plain", 42)
    assert len(acked) > 20
