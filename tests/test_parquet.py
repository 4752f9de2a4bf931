"""Compaction of a shard's cache into Parquet files, and reads that merge them with the cache."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from influxlite import parse_points
from influxlite.seriesfile import SeriesFile
from influxlite.shard import Shard


def _lines(k: int, n: int = 20) -> bytes:
    return b"".join(b"cpu,host=h%d,region=r%d v=%d.5,n=%di,s=\"x%d\" %d\n" % (i, i % 3, k, i, k, k * 100 + i)
                    for i in range(n))


def _plain(t: pa.Table) -> list[dict]:
    return t.set_column(0, "time", t.column("time").cast(pa.int64())).to_pylist()


def test_compacted_reads_equal_cached_reads(env, tmp_path):
    _, sf, shard = env
    for k in range(5):
        shard.write(parse_points(_lines(k)))
    before = _plain(shard.read("cpu"))
    (path,) = shard.compact()
    assert shard.cache.points == 0
    assert _plain(shard.read("cpu")) == before
    assert os.listdir(tmp_path / "1" / "wal") == ["_00002.wal"]  # the compacted segment is gone
    # the file is plain Parquet: tags as columns, sorted by series then time
    t = pq.read_table(path)
    assert t.column_names == ["time", "series_id", "host", "region", "v", "n", "s"]
    assert t.num_rows == 100
    keys = list(zip(t.column("series_id").to_pylist(), t.column("time").cast(pa.int64()).to_pylist()))
    assert keys == sorted(keys)
    a = sf.series_id("cpu", {"host": "h4", "region": "r1"})
    rows = t.filter(pc.equal(t.column("series_id"), a))
    assert set(rows.column("host").to_pylist()) == {"h4"} and set(rows.column("region").to_pylist()) == {"r1"}
    assert t.schema.metadata[b"influxlite.measurement"] == b"cpu"
    md = pq.ParquetFile(path).metadata.row_group(0)
    enc = {md.column(i).path_in_schema: md.column(i).encodings for i in range(md.num_columns)}
    assert "DELTA_BINARY_PACKED" in enc["time"] and "BYTE_STREAM_SPLIT" in enc["v"]
    assert md.column(0).compression == "ZSTD"


def test_newest_write_wins_across_files_and_cache(env):
    _, sf, shard = env
    shard.write(parse_points(b"m,t=a v=1,w=1i 10\nm,t=a v=1 20\n"))
    shard.compact()
    shard.write(parse_points(b"m,t=a v=2 10\n"))  # overwrites v at 10, keeps w
    shard.compact()
    shard.write(parse_points(b"m,t=a x=true 10\nm,t=a v=3 20\n"))
    rows = _plain(shard.read("m"))
    assert [(r["time"], r["v"], r["w"], r["x"]) for r in rows] == [(10, 2.0, 1, True), (20, 3.0, None, None)]
    assert _plain(shard.read("m", tmin=15)) == rows[1:]
    assert shard.read("m", series_ids=[999]).num_rows == 0


def test_restart_after_compaction_and_a_leftover_temporary_file(env, tmp_path):
    _, sf, shard = env
    shard.write(parse_points(_lines(0)))
    shard.compact()
    shard.write(parse_points(_lines(1)))
    want = _plain(shard.read("cpu"))
    shard.close()
    shard2 = Shard(tmp_path / "1", 1, sf).open()  # the WAL brings back the cached half
    assert _plain(shard2.read("cpu")) == want
    shard2.compact()
    shard2.close()
    shard3 = Shard(tmp_path / "1", 1, sf).open()
    assert _plain(shard3.read("cpu")) == want
    (tmp_path / "1" / "parquet" / "cpu" / "00000009.parquet.tmp").write_bytes(b"half")
    shard3.close()
    shard4 = Shard(tmp_path / "1", 1, sf).open()
    assert not (tmp_path / "1" / "parquet" / "cpu" / "00000009.parquet.tmp").exists()
    assert _plain(shard4.read("cpu")) == want
    shard4.close()


def test_wal_replayed_over_existing_file_merges(env, tmp_path):
    _, sf, shard = env
    shard.write(parse_points(_lines(0)))
    want = _plain(shard.read("cpu"))
    seg = sorted((tmp_path / "1" / "wal").iterdir())[0]
    saved = seg.read_bytes()
    shard.compact()
    shard.close()
    seg.write_bytes(saved)  # as if the crash came before the segment was removed
    shard2 = Shard(tmp_path / "1", 1, sf).open()
    assert shard2.cache.points == 20
    assert _plain(shard2.read("cpu")) == want
    shard2.close()


def test_compaction_when_the_cache_is_full(tmp_path):
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=1500).open()
    for k in range(10):
        shard.write(parse_points(_lines(k)))
        shard.wait_for_compaction()  # compaction runs in the background
    files = os.listdir(tmp_path / "1" / "parquet" / "cpu")
    assert shard.stats["compactions"] >= 3  # written out several times, merged as it went
    assert sorted(files) == sorted(os.path.basename(f.path) for f in shard.manifest.files)
    assert shard.read("cpu").num_rows == 200
    assert pq.read_table(tmp_path / "1" / "parquet" / "cpu").num_rows + shard.cache.points == 200
    shard.close()
    sf.close()


def test_writes_continue_during_background_compaction(tmp_path):
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=3000).open()
    for k in range(40):
        shard.write(parse_points(_lines(k)))  # compactions start and overlap with writes
    shard.wait_for_compaction()
    assert shard.compaction_error is None
    t = shard.read("cpu")
    assert t.num_rows == 800
    shard.close()
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=3000).open()
    assert shard.read("cpu").num_rows == 800
    shard.close()
    sf.close()


def test_reads_during_compactions_and_merges(tmp_path, monkeypatch):
    """Readers never fail or miss rows while compactions and merges replace files."""
    import threading

    from influxlite.storage import compaction

    monkeypatch.setattr(compaction, "FANOUT", 2)  # merge at nearly every compaction
    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=600).open()
    stop = threading.Event()
    errors: list = []
    written = [0]

    def writer():
        try:
            for k in range(150):
                shard.write(parse_points(b"m,host=h%d v=%d %d\n" % (k % 2, k, k)))
                written[0] = k + 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            stop.set()

    def reader():
        try:
            while not stop.is_set():
                before = written[0]
                n = shard.read("m").num_rows
                assert n >= before, (n, before)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shard.wait_for_compaction()
    assert not errors, errors
    assert shard.read("m").num_rows == 150
    shard.close()
    sf.close()
