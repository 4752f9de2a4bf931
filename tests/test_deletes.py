"""Deleting series, measurements and time ranges: in the cache, in Parquet files (tombstones),
across restarts and compactions."""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pytest

from influxlite import parse_points
from influxlite.seriesfile import SeriesFile
from influxlite.shard import Shard


def _body(n: int = 30) -> bytes:
    return b"".join(b"cpu,host=h%d v=%d %d\n" % (i % 3, i, i) for i in range(n))


def _vt(shard, m="cpu"):
    t = shard.read(m)
    return sorted(zip(t.column("time").cast(pa.int64()).to_pylist(), t.column("v").to_pylist()))


@pytest.mark.parametrize("compact_first", [False, True])
def test_delete_time_range_of_series(env, tmp_path, compact_first):
    _, sf, shard = env
    shard.write(parse_points(_body()))
    if compact_first:
        shard.compact()
    h1 = sf.series_id("cpu", {"host": "h1"})
    shard.delete("cpu", [h1], 10, 20)
    want = [(i, float(i)) for i in range(30) if not (i % 3 == 1 and 10 <= i <= 20)]
    assert _vt(shard) == want
    _crash(shard)
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=1 << 30).open()  # WAL replay / tombstones
    assert _vt(shard) == want
    shard.write(parse_points(b"cpu,host=h1 v=99 13\n"))  # a write after the delete stands
    assert (13, 99.0) in _vt(shard)
    shard.compact()  # the tombstone is applied to the files and dropped
    assert _vt(shard) == sorted(want + [(13, 99.0)])
    assert shard.manifest.tombstones == []
    assert json_tombstones(tmp_path) == []
    shard.close()


def json_tombstones(tmp_path):
    import json

    p = tmp_path / "1" / "manifest.json"
    return json.loads(p.read_text())["tombstones"] if p.exists() else []


def _crash(shard):
    """Leaves the shard as a killed process would: files closed, nothing compacted or cleaned."""
    shard.wal.close()
    shard.index.close()


def test_delete_survives_a_crash_before_the_tombstone_file(env, tmp_path):
    _, sf, shard = env
    shard.write(parse_points(_body()))
    shard.compact()
    shard.delete("cpu", None, 0, 9)
    _crash(shard)
    manifest = tmp_path / "1" / "manifest.json"
    d = json.loads(manifest.read_text())
    d["tombstones"] = []  # as if killed between the WAL append and the manifest's update
    manifest.write_text(json.dumps(d))
    shard = Shard(tmp_path / "1", 1, sf).open()
    assert _vt(shard) == [(i, float(i)) for i in range(10, 30)]
    assert json_tombstones(tmp_path) != []
    shard.close()


def test_drop_series_and_measurement(env, tmp_path):
    _, sf, shard = env
    shard.write(parse_points(_body() + b"mem v=1i 1\n"))
    shard.compact()
    h0 = sf.series_id("cpu", {"host": "h0"})
    shard.drop_series([h0])
    assert shard.index.tag_values("cpu", "host") == [b"h1", b"h2"]
    assert all(t % 3 != 0 for t, _ in _vt(shard))
    shard.drop_measurement("mem")
    assert shard.measurement_names() == [b"cpu"]
    assert shard.read("mem").num_rows == 0 and shard.field_types("mem") == {}
    r = shard.write(parse_points(b"mem v=\"now a string\" 2\n"))  # any type again
    assert r.written == 1 and shard.field_types("mem") == {b"v": "string"}
    assert shard.read("mem").column("v").to_pylist() == ["now a string"]
    shard.close()
    shard = Shard(tmp_path / "1", 1, sf).open()
    assert shard.read("mem").column("v").to_pylist() == ["now a string"]
    assert all(t % 3 != 0 for t, _ in _vt(shard))
    shard.close()


def test_many_files_are_merged(tmp_path):
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=1 << 30).open()
    for k in range(12):
        shard.write(parse_points(b"cpu,host=h v=%d %d\n" % (k, k)))
        shard.compact()
    files = os.listdir(tmp_path / "1" / "parquet" / "cpu")
    assert len(files) <= 4 and len(shard.manifest.files) == len(files)
    assert [v for _, v in _vt(shard)] == [float(k) for k in range(12)]
    shard.close()
    sf.close()
