"""A compaction's merge, streamed in key ranges (storage.merge), makes the file a merge of the
whole inputs makes: row for row, columns and types, with ranges small enough that many chunks
are written."""

from __future__ import annotations

import os
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from influxlite import parse_points
from influxlite.seriesfile import SeriesFile
from influxlite.shard import Shard
from influxlite.storage import merge, parquet
from influxlite.storage.compactor import Compactor

T0 = 1_000_000


@pytest.fixture
def small(monkeypatch):
    """Row groups of 64 rows, ranges of about 300 rows: a few thousand rows make many chunks."""
    monkeypatch.setattr(parquet, "ROW_GROUP_SIZE", 64)
    monkeypatch.setattr(merge, "RANGE_ROWS", 300)


@pytest.fixture
def shard(tmp_path):
    sf = SeriesFile(tmp_path / "_series")
    s = Shard(tmp_path / "1", 1, sf, cache_max_size=1 << 30).open()
    yield s
    s.close(compact=False)
    sf.close()


def _lines(rng: random.Random, hosts, times, fields: str) -> bytes:
    out = []
    for h in hosts:
        for t in times:
            vals = ",".join(f"{f}={rng.randrange(100)}{'i' if f == 'n' else ''}" for f in fields.split(",")
                            if rng.random() < 0.9) or "v=0"
            out.append(f"cpu,{h} {vals} {T0 + t}")
    return "\n".join(out).encode()


def _fill(shard) -> None:
    """Four files of one measurement: overlapping series and times, overwrites, tag keys
    differing between files (and a tag ``w`` that later becomes a field too), fields added
    later, and deletes covering some of the files."""
    rng = random.Random(7)
    a = [f"host=h{i},region=r{i % 3}" for i in range(12)]
    b = [f"host=h{i},zone=z{i % 2}" for i in range(8, 20)]
    c = [f"host=h{i},w=t{i}" for i in range(30, 36)]
    shard.write(parse_points(_lines(rng, a, range(0, 400, 2), "v,n")))
    _write_out(shard)
    shard.write(parse_points(_lines(rng, a[4:] + b, range(100, 600, 3), "v,n") + b"\n"
                             + _lines(rng, c, range(0, 50), "v")))
    _write_out(shard)
    ids = [shard.series_file.series_id("cpu", {"host": f"h{i}", "region": f"r{i % 3}"}) for i in (5, 6)]
    shard.delete("cpu", ids, T0 + 150, T0 + 350)
    shard.delete("cpu", None, T0 + 500, T0 + 520)
    shard.write(parse_points(_lines(rng, b + c, range(50, 450, 5), "v,n,w,s")))
    _write_out(shard)
    shard.write(parse_points(_lines(rng, a[:3], range(0, 700, 7), "v,n,x")))
    _write_out(shard)


def _write_out(shard) -> None:
    """The cache to a new file, and no merge (four files would be merged)."""
    with shard._compact_lock:
        Compactor(shard).write_out()


def _one_shot(shard, out: str) -> dict:
    files, tombs = shard.manifest.of(b"cpu"), list(shard.manifest.tombstones)
    merged = parquet.merge([shard.read_file(f, tombstones=tombs) for f in files])
    table = parquet.add_tags(merged, shard.series_file.series_key, shard.series_file.invert)
    return parquet.write(out, table, b"cpu", shard.fields.types(b"cpu"))


def _streamed(shard, out: str) -> dict | None:
    files, tombs = shard.manifest.of(b"cpu"), list(shard.manifest.tombstones)
    return merge.merge_files([(os.path.join(shard.path, f.path), f) for f in files], tombs, out, b"cpu",
                             shard.fields.types(b"cpu"), shard.series_file.series_key, shard.series_file.invert)


def _decoded(path: str) -> tuple[pa.Schema, list[dict]]:
    t = pq.read_table(path)
    plain = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in t.columns]
    plain[0] = plain[0].cast(pa.int64())
    return t.schema, pa.Table.from_arrays(plain, names=t.column_names).to_pylist()


def test_streamed_merge_is_the_one_shot_merge(shard, tmp_path, small, monkeypatch):
    _fill(shard)
    assert len(shard.manifest.of(b"cpu")) == 4 and len(shard.manifest.tombstones) == 2
    one = _one_shot(shard, str(tmp_path / "one.parquet"))
    calls = []
    real = parquet.merge
    monkeypatch.setattr(parquet, "merge", lambda tables: calls.append(1) or real(tables))
    two = _streamed(shard, str(tmp_path / "two.parquet"))
    assert len(calls) > 10  # many ranges, each merged and written on its own
    schema1, rows1 = _decoded(str(tmp_path / "one.parquet"))
    schema2, rows2 = _decoded(str(tmp_path / "two.parquet"))
    assert schema2 == schema1
    assert schema1.names == ["time", "series_id", "host", "region", "w::tag", "zone", "v", "n", "w", "s", "x"]
    assert rows2 == rows1
    assert {k: two[k] for k in ("rows", "min_time", "max_time")} == {k: one[k] for k in ("rows", "min_time", "max_time")}
    assert (two["size"], two["crc32"]) == parquet.file_checksum(str(tmp_path / "two.parquet"))
    meta = pq.read_metadata(str(tmp_path / "two.parquet"))
    sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
    assert set(sizes[:-1]) == {64} and 0 < sizes[-1] <= 64  # chunks' tails go with the next chunk
    assert meta.metadata[b"influxlite.measurement"] == b"cpu"
    assert pq.read_metadata(str(tmp_path / "one.parquet")).metadata == meta.metadata


def test_streamed_merge_of_nothing_left_writes_no_file(shard, tmp_path, small):
    _fill(shard)
    shard.delete("cpu", None, 0, T0 + 10_000)
    assert _streamed(shard, str(tmp_path / "none.parquet")) is None
    assert not os.path.exists(tmp_path / "none.parquet")
    assert not os.path.exists(str(tmp_path / "none.parquet") + ".tmp")


def test_compactions_through_the_streamed_merge_keep_every_point(shard, small):
    _fill(shard)
    before = shard.read("cpu")
    shard.compact_full()
    files = shard.manifest.of(b"cpu")
    assert len(files) == 1 and not shard.manifest.tombstones
    f = files[0]
    path = os.path.join(shard.path, f.path)
    assert (f.size, f.crc32) == parquet.file_checksum(path)
    t = pq.read_table(path)
    times = t.column("time").cast(pa.int64()).to_pylist()
    assert (f.rows, f.min_time, f.max_time) == (t.num_rows, min(times), max(times))
    keys = list(zip(t.column("series_id").to_pylist(), times))
    assert keys == sorted(set(keys))  # sorted by (series, time), one row per point
    assert shard.read("cpu").equals(before)


def test_a_failing_streamed_merge_leaves_the_shard_as_it_was(shard, small, monkeypatch):
    _fill(shard)
    before, files = shard.read("cpu"), list(shard.manifest.files)
    real, calls = parquet.add_tags, []

    def failing(*args):
        calls.append(1)
        if len(calls) == 5:  # part of the new file is written
            raise OSError("disk failed")
        return real(*args)

    monkeypatch.setattr(parquet, "add_tags", failing)
    with pytest.raises(OSError, match="disk failed"):
        shard.compact_full()
    assert shard.manifest.files == files
    listed = {os.path.join(shard.path, f.path) for f in files}
    on_disk = {os.path.join(d, n) for d, _, ns in os.walk(os.path.join(shard.path, "parquet")) for n in ns}
    assert on_disk == listed
    monkeypatch.setattr(parquet, "add_tags", real)
    shard.compact_full()
    assert shard.read("cpu").equals(before)


def test_key_ranges_cover_every_key_and_split_one_large_series():
    rows = 100
    one_series = [((7, t), (7, t + rows - 1), rows) for t in range(0, 10_000, rows)]
    ranges = merge.key_ranges(one_series, 1000)
    assert ranges[0][0] == merge._LOW and ranges[-1][1] == merge._HIGH
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert len(ranges) == 10
    for lo, hi in ranges:
        assert sum(n for first, last, n in one_series if first < hi and last >= lo) <= 1000
    unknown = [(merge._LOW, merge._HIGH, 5), *one_series]
    assert len(merge.key_ranges(unknown, 1000)) > 1  # a group without statistics is read for every range
