"""The TSI index: partitions, MANIFEST, compaction into index files, merged reads, reopen."""

from __future__ import annotations

import os

import pytest

from influxlite.seriesfile import SeriesFile
from influxlite.tsi import Index, IndexFile, LogFile
from influxlite.tsi.partition import manifest_bytes

FRESH_MANIFEST = """{
  "levels": [
    {},
    {
      "m": 33554432,
      "k": 6
    },
    {
      "m": 33554432,
      "k": 6
    },
    {
      "m": 67108864,
      "k": 6
    },
    {
      "m": 134217728,
      "k": 6
    },
    {
      "m": 268435456,
      "k": 6
    },
    {
      "m": 536870912,
      "k": 6
    },
    {
      "m": 1073741824,
      "k": 6
    }
  ],
  "files": [
    "L0-00000001.tsl"
  ],
  "version": 1
}
"""


@pytest.fixture
def sfile(tmp_path):
    with SeriesFile(tmp_path / "_series") as sf:
        yield sf


def _series(n, start=0):
    return ["cpu"] * n, [{"host": f"h{i}", "region": f"r{i % 3}"} for i in range(start, start + n)]


def test_fresh_index_layout_matches_influxdb(tmp_path, sfile):
    with Index(tmp_path / "index", sfile).open():
        pass
    assert sorted(os.listdir(tmp_path / "index")) == [str(p) for p in range(8)]
    for p in range(8):
        assert sorted(os.listdir(tmp_path / "index" / str(p))) == ["L0-00000001.tsl", "MANIFEST"]
        assert (tmp_path / "index" / str(p) / "MANIFEST").read_text() == FRESH_MANIFEST
    assert manifest_bytes(["L0-00000001.tsl"]).decode() == FRESH_MANIFEST


def test_series_spread_over_partitions_and_merged(tmp_path, sfile):
    with Index(tmp_path / "index", sfile).open() as ix:
        names, tags = _series(300)
        ids = ix.add_series_list(names, tags)
        assert ix.add_series_list(names, tags) == ids
        sizes = [len(p.series_id_set) for p in ix.partitions]
        assert sum(sizes) == 300 and min(sizes) > 10
        for i, t in enumerate(tags[:20]):
            assert ids[i] in ix.partitions[ix.partition_of("cpu", t.items())].series_id_set
        assert ix.measurement_names() == [b"cpu"]
        assert ix.tag_keys("cpu") == [b"host", b"region"]
        assert ix.tag_values("cpu", "region") == [b"r0", b"r1", b"r2"]
        assert sorted(ix.tag_value_series_ids("cpu", "region", "r1")) == sorted(ids[1::3])
        assert len(ix.tag_key_series_ids("cpu", "host")) == 300
        assert sorted(ix.measurement_series_ids("cpu")) == sorted(ids)


def test_compaction_reopen_and_tombstones_across_files(tmp_path, sfile):
    path = tmp_path / "index"
    ix = Index(path, sfile, max_log_file_size=300).open()
    names, tags = _series(400)
    ids = []
    for i in range(0, 400, 50):
        ids += ix.add_series_list(names[i : i + 50], tags[i : i + 50])
    # every partition has compacted older logs into index files
    for p in ix.partitions:
        kinds = [type(f).__name__ for f in p.files]
        assert kinds[0] == "LogFile" and "IndexFile" in kinds
        listed = set((path / os.path.basename(p.path) / "MANIFEST").read_text().split('"'))
        on_disk = set(os.listdir(p.path)) - {"MANIFEST"}
        assert on_disk <= listed
        assert all(n.endswith((".tsl", ".ilx")) for n in on_disk)
    # tombstones in newer files hide series of older (compacted) files
    for sid in ids[:10]:
        ix.drop_series(sid)
    names2, tags2 = _series(50, 400)
    ix.add_series_list(names2, tags2)

    def check(ix):
        assert len(ix.measurement_series_ids("cpu")) == 440
        assert not set(ids[:10]) & set(ix.series_id_set())
        assert sorted(ix.tag_value_series_ids("cpu", "region", "r0")) == sorted(
            set(ix.tag_value_series_ids("cpu", "region", "r0")))
        assert len(ix.tag_values("cpu", "host")) == 440
        assert b"h0" not in ix.tag_values("cpu", "host") and b"h10" in ix.tag_values("cpu", "host")
        assert ix.series_n() == 440

    check(ix)
    ix.close()
    ix = Index(path, sfile, max_log_file_size=300).open()
    check(ix)
    ix.drop_measurement("cpu")
    assert ix.measurement_names() == [] and ix.series_n() == 0
    ix.close()
    ix = Index(path, sfile, max_log_file_size=300).open()
    assert ix.measurement_names() == [] and len(ix.measurement_series_ids("cpu")) == 0
    ix.add_series_list(["cpu"], [{"host": "back"}])
    assert ix.measurement_names() == [b"cpu"] and ix.tag_values("cpu", "host") == [b"back"]
    ix.close()


def test_index_files_open_without_replay(tmp_path, sfile):
    path = tmp_path / "index"
    with Index(path, sfile, partition_n=1, max_log_file_size=500).open() as ix:
        names, tags = _series(200)
        for i in range(0, 200, 20):
            ix.add_series_list(names[i : i + 20], tags[i : i + 20])
        files = ix.partitions[0].files
        assert sum(isinstance(f, IndexFile) for f in files) >= 3
        log_size = files[0].size
    # reopening replays only the active log: index files are read through their trailer
    with Index(path, sfile, partition_n=1, max_log_file_size=500).open() as ix:
        logs = [f for f in ix.partitions[0].files if isinstance(f, LogFile)]
        assert len(logs) == 1 and logs[0].size == log_size < 500
        assert len(ix.measurement_series_ids("cpu")) == 200


def test_crash_leftovers_are_ignored(tmp_path, sfile):
    path = tmp_path / "index"
    with Index(path, sfile, partition_n=1, max_log_file_size=200).open() as ix:
        names, tags = _series(60)
        for i in range(0, 60, 10):
            ix.add_series_list(names[i : i + 10], tags[i : i + 10])
    part = path / "0"
    (part / "L1-00000099.ilx").write_bytes(b"half written")
    (part / "L1-00000098.ilx.compacting").write_bytes(b"x")
    with Index(path, sfile, partition_n=1, max_log_file_size=200).open() as ix:
        assert len(ix.measurement_series_ids("cpu")) == 60
    assert not (part / "L1-00000099.ilx").exists() and not (part / "L1-00000098.ilx.compacting").exists()


def test_bad_manifest_version(tmp_path, sfile):
    with Index(tmp_path / "index", sfile, partition_n=1).open():
        pass
    (tmp_path / "index" / "0" / "MANIFEST").write_text('{"files": [], "version": 2}')
    with pytest.raises(Exception, match="incompatible tsi1 index MANIFEST"):
        Index(tmp_path / "index", sfile, partition_n=1).open()
