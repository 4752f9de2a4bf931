"""A full disk, for real: a small tmpfs the test mounts itself (root only; skipped elsewhere with
the reason). Writes fail cleanly with ENOSPC, leave no partial WAL entry behind, reads go on,
writing resumes once space returns, and nothing acknowledged is lost."""

from __future__ import annotations

import errno
import os
import subprocess
import uuid

import pytest

from influxlite import parse_points
from influxlite.engine import Engine
from influxlite.errors import InfluxliteError
from influxlite.seriesfile import SeriesFile
from influxlite.shard import Shard

T0 = 1_700_000_000_000_000_000


def mounted_tmpfs(tmp_path, size: str):
    """Yields a directory on a tmpfs of ``size`` (``mount -o size=``), unmounted afterwards;
    skips the test where mounting is not allowed."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = tmp_path / f"fs-{uuid.uuid4().hex[:8]}"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)


@pytest.fixture
def small_fs(tmp_path):
    """A directory on a tmpfs of 24 MiB, unmounted afterwards."""
    yield from mounted_tmpfs(tmp_path, "24m")


def _fill(path, leave: int) -> None:
    """Writes a filler file until only about ``leave`` bytes are free."""
    chunk = b"\xff" * (1 << 20)
    with open(path, "wb") as f:
        while True:
            st = os.statvfs(os.path.dirname(path))
            free = st.f_bavail * st.f_frsize
            if free <= leave:
                break
            try:
                f.write(chunk[: max(4096, min(len(chunk), free - leave))])
                f.flush()
            except OSError as e:
                assert e.errno == errno.ENOSPC
                break


def _body(k: int, n: int, hosts: int = 50) -> bytes:
    """Points with 40 random bytes of text each, so that compression cannot make room."""
    pads = os.urandom(20 * n).hex().encode()
    return b"".join(b"disk,host=h%d v=%di,pad=\"%s\" %d\n" % (i % hosts, k, pads[40 * i:40 * i + 40],
                                                               T0 + k * 100_000 + i) for i in range(n))


def test_a_wal_append_that_hits_enospc_leaves_no_partial_entry(small_fs):
    sf = SeriesFile(small_fs / "_series")
    shard = Shard(small_fs / "1", 1, sf, cache_max_size=1 << 30).open()
    shard.write(parse_points(_body(0, 50)))  # every series exists: later writes only touch the WAL
    filler = small_fs / "filler"
    _fill(filler, leave=16 << 10)
    (seg,) = shard.wal.segments()
    size = os.path.getsize(seg)
    with pytest.raises(InfluxliteError, match="No space left on device"):
        shard.write(parse_points(_body(1, 2000)))  # ~150 KB entry: a short write, then ENOSPC
    assert os.path.getsize(seg) == size  # cut back to the last whole entry
    assert shard.read("disk").num_rows == 50  # reads go on
    os.remove(filler)
    shard.write(parse_points(_body(2, 50)))  # space is back: writes are accepted again
    shard._closing.set()
    shard.wal.close()  # a crash: no compaction, the WAL alone must bring everything back
    shard.index.close()
    shard = Shard(small_fs / "1", 1, sf).open()
    assert shard.wal.torn == []
    assert sorted(set(shard.read("disk").column("v").to_pylist())) == [0, 2]
    assert shard.read("disk").num_rows == 100
    shard.close()
    sf.close()


def test_an_engine_on_a_full_disk_refuses_cleanly_and_resumes(small_fs):
    data = small_fs / "data"
    filler = small_fs / "filler"
    with open(filler, "wb") as f:
        f.write(b"\xff" * (6 << 20))  # the space that comes back later
    _fill(small_fs / "ballast", leave=3 << 20)  # fill the disk quickly: 3 MiB left to write into
    acked: list[int] = []
    failures: list[str] = []
    e = Engine(data, retention_check_interval=0, cache_max_size=256 << 10).open()
    e.meta.create_database("db")
    k = 0
    while len(failures) < 5 and k < 1000:
        try:
            e.write_points("db", None, parse_points(_body(k, 500, hosts=500 + k)))
            acked.append(k)
        except (InfluxliteError, OSError) as err:
            failures.append(str(err))
        k += 1
    assert failures, "the disk never filled up"
    assert all("No space left on device" in f or "cache-max-memory-size exceeded" in f for f in failures), failures
    assert e.read("db", "disk").num_rows >= 500 * len(acked)  # earlier data stays readable
    os.remove(filler)
    for j in range(k, k + 3):  # writing resumes when space returns
        e.write_points("db", None, parse_points(_body(j, 500, hosts=500 + j)))
        acked.append(j)
    e.close()
    with Engine(data, retention_check_interval=0) as e:
        t = e.read("db", "disk")
        got: dict[int, int] = {}
        for v in t.column("v").to_pylist():
            got[v] = got.get(v, 0) + 1
        for n in acked:
            assert got.get(n) == 500, (n, got.get(n))
