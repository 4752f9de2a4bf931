"""The TSI log file: InfluxDB compatibility both ways, semantics, and crash safety."""

from __future__ import annotations

import json
import os
import random

import pytest
from pyroaring import BitMap64

from influxlite.seriesfile import SeriesFile
from influxlite.tsi import LogFile, logentry

import tsi_oracle


# --- compatibility with InfluxDB's own tsi1 and series-file code ---------------------------

def test_influxdb_files_open_in_influxlite(tmp_path):
    """Files tsiwrite (InfluxDB's code) wrote read back as tsidump (InfluxDB's code) reads them."""
    d = tsi_oracle.extract_fixture(tmp_path)
    want = tsi_oracle.normalize_tsidump(json.loads((tsi_oracle.FIXTURES / "influxdb.tsidump.json").read_text()))
    got = tsi_oracle.dump(d)
    assert got["series_file"]["series"] == want["series_file"]["series"]
    assert got["series_file"]["tombstoned_ids"] == want["series_file"]["tombstoned_ids"]
    assert got["log_files"] == want["log_files"]


def test_influxlite_writes_influxdbs_bytes(tmp_path):
    """The same operations through influxlite write the very bytes InfluxDB wrote."""
    ours = tmp_path / "ours"
    tsi_oracle.write_like_tsiwrite(ours, (tsi_oracle.FIXTURES / "input.lp").read_bytes(),
                                   (tsi_oracle.FIXTURES / "deletes.txt").read_text())
    theirs = tsi_oracle.extract_fixture(tmp_path / "x")
    files = sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
    mine = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    # InfluxDB's files, and beside each series segment its checksum sidecar (seriesfile_sum)
    assert [p for p in mine if p.suffix != ".sum"] == files
    assert [p.with_suffix("") for p in mine if p.suffix == ".sum"] == [p for p in files if p.parts[0] == "_series"]
    for rel in files:
        assert (ours / rel).read_bytes() == (theirs / rel).read_bytes(), rel
    assert tsi_oracle.dump(ours) == tsi_oracle.dump(theirs)


@pytest.mark.compares_implementations
def test_tsidump_reads_influxlite_files_live(tmp_path):
    if tsi_oracle.tool("tsidump") is None:
        pytest.skip("InfluxDB's tsidump cannot be built here; the committed fixtures still run")
    lp, deletes = tsi_oracle.make_input(seed=11, n=600)
    tsi_oracle.write_like_tsiwrite(tmp_path / "d", lp, deletes)
    theirs = tsi_oracle.normalize_tsidump(tsi_oracle.run_tsidump(tmp_path / "d"))
    ours = tsi_oracle.dump(tmp_path / "d")
    assert ours["log_files"] == theirs["log_files"]
    assert ours["series_file"]["series"] == theirs["series_file"]["series"]
    assert ours["series_file"]["tombstoned_ids"] == theirs["series_file"]["tombstoned_ids"]


# --- semantics ---------------------------------------------------------------------------

@pytest.fixture
def sfile(tmp_path):
    with SeriesFile(tmp_path / "_series") as sf:
        yield sf


def test_add_series_list(tmp_path, sfile):
    lf = LogFile(tmp_path / "L0-00000001.tsl", sfile).open()
    ss = BitMap64()
    ids = lf.add_series_list(ss, [b"cpu", b"mem"], [{b"region": b"us-east"}, {b"host": b"serverA"}])
    assert all(ids) and set(ss) == set(ids)
    again = lf.add_series_list(ss, [b"cpu", b"mem"], [{b"region": b"us-west"}, {b"host": b"serverA"}])
    assert again[0] != 0 and again[1] == 0  # InfluxDB's own test: [id != 0, 0]
    assert lf.add_series_list(ss, [b"cpu", b"mem"], [{b"region": b"us-west"}, {b"host": b"serverA"}]) == [0, 0]
    assert list(lf.measurement_names()) == [b"cpu", b"mem"]
    assert list(lf.tag_keys(b"cpu")) == [b"region"]
    assert list(lf.tag_values(b"cpu", b"region")) == [b"us-east", b"us-west"]
    assert list(lf.measurement_series_ids(b"cpu")) == sorted([ids[0], again[0]])
    assert list(lf.tag_value_series_ids("cpu", "region", "us-west")) == [again[0]]
    assert list(lf.tag_key_series_ids(b"cpu", b"region")) == sorted([ids[0], again[0]])
    assert lf.series_n() == 3 and lf.measurement_n() == 2 and lf.tag_key_n() == 2 and lf.tag_value_n() == 3
    # one insert entry per new series: flag 0, the id, empty name/key/value, crc
    data = (tmp_path / "L0-00000001.tsl").read_bytes()
    entries, valid, reason = logentry.scan(data)
    assert [e.series_id for e in entries] == [*ids, again[0]] and reason is None and valid == lf.size
    lf.close()


def test_deletes_and_reopen(tmp_path, sfile):
    path = tmp_path / "L0-00000001.tsl"
    lf = LogFile(path, sfile).open()
    ss = BitMap64()
    names = ["cpu"] * 40 + ["mem"] * 3
    tags = [{"host": f"h{i}", "region": "r%d" % (i % 2)} for i in range(43)]
    ids = lf.add_series_list(ss, names, tags)
    lf.delete_series_id(ids[0])
    lf.delete_tag_value("cpu", "region", "r1")
    lf.delete_tag_key("cpu", "host")
    lf.delete_measurement("mem")

    def check(lf):
        assert lf.measurements() == [(b"cpu", False), (b"mem", True)]
        assert list(lf.measurement_names()) == [b"cpu"]
        assert list(lf.tag_keys("cpu")) == [b"region"]
        assert lf.tag_key_elems("cpu") == [(b"host", True), (b"region", False)]
        assert list(lf.tag_values("cpu", "region")) == [b"r0"]
        assert list(lf.tag_value_series_ids("cpu", "region", "r1")) == []
        assert list(lf.tag_value_series_ids("cpu", "region", "r0")) == sorted(ids[2:40:2])
        assert list(lf.measurement_series_ids("cpu")) == sorted(ids[1:40])
        assert list(lf.measurement_series_ids("mem")) == []
        assert ids[0] in lf.tombstone_series_id_set() and ids[0] not in lf.series_id_set()
        assert len(lf.series_id_set()) == 42  # the measurement tombstone leaves mem's ids in the set
        assert lf.series_n() == 39  # ... but they no longer count, as in InfluxDB
        assert lf.tag_value_cardinality("cpu", "region", "r0") == 19

    check(lf)
    size = lf.size
    lf.close()
    lf = LogFile(path, sfile).open()
    assert lf.size == size == path.stat().st_size
    check(lf)
    lf.close()


def test_small_sets_become_bitmaps_past_25(tmp_path, sfile):
    lf = LogFile(tmp_path / "l.tsl", sfile).open()
    ss = BitMap64()
    lf.add_series_list(ss, ["m"] * 25, [{"t": "v", "u": str(i)} for i in range(25)])
    tv = lf._mms[b"m"].tags[b"t"].values[b"v"]
    assert isinstance(tv, tuple) and len(tv) == 25
    lf.add_series_list(ss, ["m"], [{"t": "v", "u": "25"}])
    assert isinstance(lf._mms[b"m"].tags[b"t"].values[b"v"], BitMap64)
    assert isinstance(lf._mms[b"m"].tags[b"u"].values[b"3"], int)
    lf.close()


def test_series_removed_from_series_file_is_skipped_on_replay(tmp_path, sfile):
    """InfluxDB issue 9444: an insert whose key the series file no longer has is ignored."""
    lf = LogFile(tmp_path / "l.tsl", sfile).open()
    (sid,) = lf.add_series_list(BitMap64(), ["m"], [{"a": "1"}])
    lf.close()

    class Forgetful:
        def invert(self, ids):
            return []

    lf = LogFile(tmp_path / "l.tsl", Forgetful()).open()
    assert lf.series_n() == 0 and lf.measurements() == []
    lf.close()


# --- crash safety ------------------------------------------------------------------------

def _build(tmp_path, sfile):
    path = tmp_path / "L0-00000001.tsl"
    lf = LogFile(path, sfile).open()
    ss = BitMap64()
    ids = lf.add_series_list(ss, ["cpu"] * 30, [{"host": f"h{i}"} for i in range(30)])
    lf.delete_tag_value("cpu", "host", "h3")
    lf.add_series_list(ss, ["mem"], [{"host": "x"}])
    lf.delete_measurement("disk")
    lf.close()
    return path, ids


@pytest.mark.parametrize("garbage", [False, True])
def test_torn_tail_at_every_offset(tmp_path, sfile, garbage):
    path, ids = _build(tmp_path, sfile)
    pristine = path.read_bytes()
    entries, _, _ = logentry.scan(pristine)
    starts = []
    pos = 0
    for e in entries:
        starts.append(pos)
        pos += e.size
    rng = random.Random(5)
    for cut in range(starts[-3], len(pristine) + 1):
        tail = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 30))) if garbage else b""
        path.write_bytes(pristine[:cut] + tail)
        whole = [s + e.size for s, e in zip(starts, entries) if s + e.size <= cut]
        lf = LogFile(path, sfile).open()
        assert lf.size == whole[-1], cut  # every whole entry, nothing more
        assert list(lf.measurement_series_ids("cpu")) == sorted(ids)
        has_mem = cut >= starts[-2] + entries[-2].size
        assert lf.has_measurement("mem") == has_mem
        assert (b"disk", True) in lf.measurements() if cut == len(pristine) else True
        lf.add_series_list(BitMap64(lf.series_id_set()), ["after"], [{"cut": str(cut)}])
        lf.close()
        lf = LogFile(path, sfile).open()  # the append went over the torn tail and reads back
        assert lf.has_measurement("after")
        assert list(lf.measurement_series_ids("cpu")) == sorted(ids)
        lf.close()
