"""The series file: InfluxDB's ids and bytes, reopen, deletes, torn tails, concurrency, and the
segments' checksum sidecars (damage found on open, torn and missing sidecars, InfluxDB's files)."""

from __future__ import annotations

import json
import os
import random
import re
import threading

import pytest

from influxlite import serieskey, seriesfile_sum
from influxlite.seriesfile import SeriesFile, SeriesFileClosedError, SeriesFileError, segment_capacity

import tsi_oracle


def test_ids_and_bytes_as_influxdb(tmp_path):
    with SeriesFile(tmp_path / "_series") as sf:
        ids = sf.create_series_list_if_not_exists(
            ["cpu", "mem", "disk", "cpu", "cpu"],
            [{"host": "a"}, {"host": "b"}, {"host": "c"}, {"host": "z"}, {"host": "a"}])
        assert ids == [7, 5, 6, 14, 7]  # what InfluxDB assigned (oracle README)
        assert sf.series_count() == 4
        assert sf.series_id("cpu", {"host": "z"}) == 14
        assert sf.series_id("cpu", {"host": "nope"}) == 0
        assert sf.series_key(7) == serieskey.encode_series_key("cpu", {"host": "a"})
        assert sf.series_key(99) is None
    seg = (tmp_path / "_series" / "06" / "0000").read_bytes()
    assert len(seg) == segment_capacity(0) == 4 << 20
    # "SSEG" 01 | 01 | id 7 | key ... then zeros (as InfluxDB's own file, oracle README)
    assert seg[:30].hex() == "53534547010100000000000000070f0003637075010004686f73740001610000"[:60]
    assert sorted(os.listdir(tmp_path / "_series")) == [f"{p:02x}" for p in range(8)]


def test_reopen_restores_everything(tmp_path):
    rng = random.Random(1)
    names = [f"m{rng.randrange(5)}" for _ in range(3000)]
    tags = [{"host": f"h{i}", "region": f"r{i % 7}"} for i in range(3000)]
    with SeriesFile(tmp_path / "s") as sf:
        ids = sf.create_series_list_if_not_exists(names, tags)
        for sid in ids[::10]:
            sf.delete_series_id(sid)
        count = sf.series_count()
    with SeriesFile(tmp_path / "s") as sf:
        assert sf.series_count() == count == 3000 - 300
        assert sf.series_ids(names, tags) == [0 if i % 10 == 0 else sid for i, sid in enumerate(ids)]
        assert all(sf.is_deleted(sid) for sid in ids[::10])
        # new ids continue where each partition stopped; deleted keys get new ids
        again = sf.create_series_list_if_not_exists(names[:20], tags[:20])
        assert again[1:10] == ids[1:10]
        assert again[0] not in ids and again[0] > max(i for i in ids if (i - 1) % 8 == (again[0] - 1) % 8)


def test_delete(tmp_path):
    with SeriesFile(tmp_path / "s") as sf:
        (sid,) = sf.create_series_list_if_not_exists(["cpu"], [{"host": "a"}])
        assert not sf.is_deleted(sid)
        sf.delete_series_id(sid)
        sf.delete_series_id(sid)  # ignored, as InfluxDB ignores it
        assert sf.is_deleted(sid) and sf.series_id("cpu", {"host": "a"}) == 0
        assert sf.series_key(sid) is not None
        assert sf.is_deleted(123456)
        assert sf.series_count() == 0
    seg = (tmp_path / "s" / f"{(sid - 1) % 8:02x}" / "0000").read_bytes()
    entry_end = 5 + 9 + len(serieskey.encode_series_key("cpu", {"host": "a"}))
    assert seg[entry_end : entry_end + 9] == b"\x02" + sid.to_bytes(8, "big")
    assert seg[entry_end + 9] == 0


def test_closed_file_errors(tmp_path):
    sf = SeriesFile(tmp_path / "s")
    sf.close()
    with pytest.raises(SeriesFileClosedError, match="tsdb: series file closed"):
        sf.create_series_list_if_not_exists(["cpu"], [None])


def test_bad_segment_header(tmp_path):
    SeriesFile(tmp_path / "s").close()
    (tmp_path / "s" / "03" / "0000").write_bytes(b"NOPE\x01" + bytes(100))
    with pytest.raises(SeriesFileError, match="invalid series segment"):
        SeriesFile(tmp_path / "s")


def _partition_segment(root, sid):
    return root / f"{(sid - 1) % 8:02x}" / "0000"


def _sidecar(segment):
    return segment.with_name(segment.name + seriesfile_sum.SUM_SUFFIX)


def _covered(sidecar: bytes) -> int:
    """The end of the data a sidecar's last checkpoint covers."""
    return seriesfile_sum.RECORD.unpack_from(sidecar, len(sidecar) - seriesfile_sum.RECORD.size)[0]


@pytest.mark.parametrize("checked", [True, False])
@pytest.mark.parametrize("garbage", [False, True])
def test_torn_tail_is_cut_back_at_every_offset(tmp_path, garbage, checked):
    """A crash mid-batch leaves part of the batch's entries; the sidecar, written only after the
    batch's fsync, covers none of them (``checked``), or there is none (InfluxDB's files)."""
    root = tmp_path / "s"
    hosts = [{"host": f"h{i}"} for i in range(40)]
    with SeriesFile(root) as sf:
        ids = sf.create_series_list_if_not_exists(["cpu"] * 10, hosts[:10])
        sidecars = {p: p.read_bytes() for p in root.glob("*/*.sum")}  # as the last batch found them
        ids += sf.create_series_list_if_not_exists(["cpu"] * 30, hosts[10:])
    # the partition holding the last series created
    part = _partition_segment(root, ids[-1])
    pristine = part.read_bytes()
    used = len(pristine.rstrip(b"\0"))
    last_start = used - 9 - len(serieskey.encode_series_key("cpu", hosts[39]))
    # the last batch put more than one entry into this partition: cuts into two are torn tails
    assert _covered(sidecars[_sidecar(part)]) <= last_start - 12
    rng = random.Random(7)
    for cut in range(last_start - 12, used + 1):
        tail = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))) if garbage else b""
        part.write_bytes(pristine[:cut] + tail)
        for p in root.glob("*/*.sum"):
            if checked:
                p.write_bytes(sidecars[p])
            else:
                p.unlink()
        with SeriesFile(root) as sf:
            whole = cut >= used
            assert (sf.series_id("cpu", hosts[39]) == ids[-1]) == whole, cut
            assert all(sf.series_id("cpu", hosts[i]) == ids[i] for i in range(10))
            assert len(sf.unchecked) == (0 if checked else 8)
            (new_id,) = sf.create_series_list_if_not_exists(["new"], [{"cut": str(cut)}])
            count = sf.series_count()
        with SeriesFile(root) as sf:  # the append after the cut is whole, readable and checked
            assert sf.series_id("new", {"cut": str(cut)}) == new_id
            assert sf.series_count() == count
            assert sf.torn == [] and sf.unchecked == []
        assert len(part.read_bytes()) == segment_capacity(0)


def test_new_segment_when_full(tmp_path, monkeypatch):
    import influxlite.seriesfile as sfmod

    monkeypatch.setattr(sfmod, "segment_capacity", lambda i: 256)
    with SeriesFile(tmp_path / "s") as sf:
        ids = sf.create_series_list_if_not_exists(["m"] * 200, [{"k": f"v{i}"} for i in range(200)])
    segments = sorted(p for p in (tmp_path / "s" / "00").iterdir() if p.suffix != ".sum")
    assert len(segments) > 2
    for seg in segments:  # each full segment's sidecar covers all of it
        assert _covered(_sidecar(seg).read_bytes()) == len(seg.read_bytes().rstrip(b"\0"))
    with SeriesFile(tmp_path / "s") as sf:
        assert sf.series_ids(["m"] * 200, [{"k": f"v{i}"} for i in range(200)]) == ids
    _flip(segments[0], 20)  # a byte of a full segment's first key
    with pytest.raises(SeriesFileError, match=f"series segment {segments[0]} is damaged between offsets 0 and"):
        SeriesFile(tmp_path / "s")


def test_concurrent_creators_get_the_same_ids(tmp_path):
    with SeriesFile(tmp_path / "s") as sf:
        keys = [{"host": f"h{i}"} for i in range(2000)]
        results = []

        def worker(seed):
            order = list(range(2000))
            random.Random(seed).shuffle(order)
            for i in range(0, 2000, 250):
                chunk = order[i : i + 250]
                ids = sf.create_series_list_if_not_exists(["cpu"] * len(chunk), [keys[j] for j in chunk])
                results.append(dict(zip(chunk, ids)))

        threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seen: dict[int, int] = {}
        for r in results:
            for j, sid in r.items():
                assert seen.setdefault(j, sid) == sid
        assert sf.series_count() == 2000 and len(set(seen.values())) == 2000


# --- checksums: a sidecar of crc32 checkpoints beside each segment (seriesfile_sum) -------------

def _flip(path, offset: int, to: int | None = None) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)[0]
        f.seek(offset)
        f.write(bytes([b ^ 0x10 if to is None else to]))


def _fill(root, n: int = 3000, batch: int = 50):
    """Series written in batches: about 18 KiB of entries in each partition's segment."""
    tags = [{"host": f"host-{i:05d}", "region": f"r{i % 7}"} for i in range(n)]
    ids = []
    with SeriesFile(root) as sf:
        for i in range(0, n, batch):
            ids += sf.create_series_list_if_not_exists(["cpu"] * len(tags[i: i + batch]), tags[i: i + batch])
    return tags, ids


def _files(root) -> dict:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _fails(root, match: str) -> SeriesFileError:
    """Opening fails with ``match``, read-only and writable alike, and no byte changes."""
    before = _files(root)
    for read_only in (True, False):
        with pytest.raises(SeriesFileError, match=match) as e:
            SeriesFile(root, read_only=read_only)
        assert _files(root) == before
    return e.value


def test_flipped_byte_inside_a_key_is_detected(tmp_path):
    """A key in the middle of a segment changed so that it still reads as a valid key."""
    root = tmp_path / "s"
    tags, ids = _fill(root)
    seg = root / "03" / "0000"
    data = seg.read_bytes()
    mine = [(data.find(serieskey.encode_series_key("cpu", t)), i) for i, t in enumerate(tags) if (ids[i] - 1) % 8 == 3]
    used = len(data.rstrip(b"\0"))
    pos, i = min(mine, key=lambda m: abs(m[0] - used // 2))
    digit = pos + data[pos:].find(b"host-") + 9  # "host-01234" -> "host-0123x"
    _flip(seg, digit, ord("x"))
    e = _fails(root, f"series segment {seg} is damaged between offsets")
    lo, hi = map(int, re.search(r"between offsets (\d+) and (\d+)", str(e)).groups())
    assert e.path == str(seg) and e.offset == lo <= digit < hi <= used and hi - lo < 3 * seriesfile_sum.STEP
    assert str(_sidecar(seg)) in str(e)
    _sidecar(seg).unlink()  # without its checksums, the segment serves the changed key silently
    with SeriesFile(root, read_only=True) as sf:
        assert sf.unchecked == [str(seg)] and sf.torn == []
        assert sf.series_key(ids[i]) != serieskey.encode_series_key("cpu", tags[i])


def test_zeroed_page_inside_covered_data(tmp_path):
    root = tmp_path / "s"
    _fill(root)
    seg = root / "05" / "0000"
    assert len(seg.read_bytes().rstrip(b"\0")) > 3 * 4096
    with open(seg, "r+b") as f:
        f.seek(4096)
        f.write(bytes(4096))
    e = _fails(root, f"series segment {seg} is damaged between offsets .*: checksum mismatch")
    assert e.offset <= 4096


def test_truncated_segment(tmp_path):
    root = tmp_path / "s"
    _fill(root)
    seg = root / "01" / "0000"
    used = len(seg.read_bytes().rstrip(b"\0"))
    os.truncate(seg, used // 2)
    e = _fails(root, f"series segment {seg} is damaged: cut short at {used // 2} bytes")
    assert e.path == str(seg) and e.offset <= used // 2
    assert os.path.getsize(seg) == used // 2  # not preallocated again: nothing is repaired


def test_damaged_sidecar_record_in_the_middle_vs_torn_last(tmp_path):
    root = tmp_path / "s"
    tags, ids = _fill(root)
    side = _sidecar(root / "02" / "0000")
    raw = side.read_bytes()
    head, size = len(seriesfile_sum.HEADER), seriesfile_sum.RECORD.size
    assert (len(raw) - head) // size >= 3
    _flip(side, head + size + 3)  # the second of several checkpoints
    e = _fails(root, f"series checksum file {side} is damaged: a bad checkpoint at offset {head + size} ")
    assert e.path == str(side) and e.offset == head + size
    side.write_bytes(b"XSUM" + raw[4:])
    _fails(root, f"series checksum file {side} is damaged: bad header")
    # The last checkpoint torn (cut short, never written, a partial one after it): a note, cut
    # by the next writable open; the checkpoints before it still hold.
    for torn in (raw[:-7], raw[:-size] + bytes(size), raw + b"\x01\x02"):
        side.write_bytes(torn)
        with SeriesFile(root, read_only=True) as sf:
            assert [t for t in sf.torn if str(side) in t] and sf.series_count() == len(ids)
        assert side.read_bytes() == torn
        with SeriesFile(root) as sf:
            assert [t for t in sf.torn if str(side) in t]
        assert (len(side.read_bytes()) - head) % size == 0
        with SeriesFile(root) as sf:
            assert sf.torn == [] and sf.series_ids(["cpu"] * len(tags), tags) == ids


def test_missing_sidecar_still_opens_and_gets_one(tmp_path):
    root = tmp_path / "s"
    tags, ids = _fill(root)
    for p in root.glob("*/*.sum"):
        p.unlink()
    segments = sorted(str(p) for p in root.glob("*/0000"))
    with SeriesFile(root, read_only=True) as sf:
        assert sorted(sf.unchecked) == segments and sf.series_ids(["cpu"] * len(tags), tags) == ids
    assert not list(root.glob("*/*.sum"))  # read-only: nothing written
    with SeriesFile(root) as sf:
        assert sorted(sf.unchecked) == segments
    assert len(list(root.glob("*/*.sum"))) == 8
    with SeriesFile(root, read_only=True) as sf:
        assert sf.unchecked == [] and sf.series_ids(["cpu"] * len(tags), tags) == ids
    _flip(root / "04" / "0000", 40)
    _fails(root, "series segment .*04/0000 is damaged between offsets 0 and")


def test_lagging_sidecar_is_no_damage_and_is_brought_up_to_date(tmp_path):
    """A crash after a batch's fsync, before its checkpoints: the sidecars lag behind the data."""
    root = tmp_path / "s"
    with SeriesFile(root) as sf:
        sf.create_series_list_if_not_exists(["a"] * 100, [{"k": str(i)} for i in range(100)])
        old = {p: p.read_bytes() for p in root.glob("*/*.sum")}
        sf.create_series_list_if_not_exists(["b"] * 100, [{"k": str(i)} for i in range(100)])
    for p, b in old.items():
        p.write_bytes(b)
    with SeriesFile(root, read_only=True) as sf:
        assert sf.torn == [] and sf.unchecked == [] and sf.series_count() == 200
    SeriesFile(root).close()
    for seg in root.glob("*/0000"):
        assert _covered(_sidecar(seg).read_bytes()) == len(seg.read_bytes().rstrip(b"\0"))


def test_sidecar_holds_about_one_checkpoint_per_step(tmp_path):
    """One series per batch: each batch writes a checkpoint, most of them in place of the last."""
    root = tmp_path / "s"
    with SeriesFile(root, sync=False) as sf:
        for i in range(3000):
            sf.create_series_list_if_not_exists(["measurement"], [{"key": f"value-{i:06d}"}])
        sf.delete_series_id(8)
    for seg in root.glob("*/0000"):
        used = len(seg.read_bytes().rstrip(b"\0"))
        raw = _sidecar(seg).read_bytes()
        n = (len(raw) - len(seriesfile_sum.HEADER)) // seriesfile_sum.RECORD.size
        assert used > 3 * seriesfile_sum.STEP and 3 <= n <= used // seriesfile_sum.STEP + 2
        assert _covered(raw) == used
    with SeriesFile(root, read_only=True) as sf:
        assert sf.series_count() == 2999 and sf.is_deleted(8)


def test_influxdb_written_series_file_opens_and_gets_checksums(tmp_path):
    """InfluxDB's own segments (tsiwrite) open, keep their bytes and get sidecars InfluxDB ignores."""
    d = tsi_oracle.extract_fixture(tmp_path)
    want = tsi_oracle.normalize_tsidump(json.loads((tsi_oracle.FIXTURES / "influxdb.tsidump.json").read_text()))
    segments = sorted(str(p) for p in (d / "_series").glob("*/0000"))
    before = _files(d)
    with SeriesFile(d / "_series", read_only=True) as sf:
        count = sf.series_count()
    with SeriesFile(d / "_series") as sf:
        assert sorted(sf.unchecked) == segments and sf.series_count() == count
    after = _files(d)
    assert {p: b for p, b in after.items() if p.suffix != ".sum"} == before
    assert sorted(str(p.with_suffix("")) for p in after if p.suffix == ".sum") == segments
    with SeriesFile(d / "_series", read_only=True) as sf:
        assert sf.unchecked == [] and sf.series_count() == count
    assert tsi_oracle.dump(d)["series_file"]["series"] == want["series_file"]["series"]
    if tsi_oracle.tool("tsidump") is not None:  # InfluxDB reads its files beside the sidecars
        theirs = tsi_oracle.normalize_tsidump(tsi_oracle.run_tsidump(d))
        assert theirs["series_file"]["series"] == want["series_file"]["series"]


def _influxd(directory):
    """InfluxDB 1.x's own server on ``directory`` (loopback, free ports): ``(process, http port)``."""
    import shutil
    import subprocess

    from record_http_fixtures import free_port, wait_listening

    port = free_port()
    env = dict(os.environ, INFLUXDB_HTTP_BIND_ADDRESS=f"127.0.0.1:{port}",
               INFLUXDB_BIND_ADDRESS=f"127.0.0.1:{free_port()}",
               INFLUXDB_META_DIR=str(directory / "meta"), INFLUXDB_DATA_DIR=str(directory / "data"),
               INFLUXDB_DATA_WAL_DIR=str(directory / "wal"), INFLUXDB_REPORTING_DISABLED="true",
               INFLUXDB_HTTP_LOG_ENABLED="false")
    proc = subprocess.Popen([shutil.which("influxd")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(port, proc, "influxd")
    return proc, port


def _post(port: int, path: str, body: bytes = b"") -> bytes:
    import http.client

    for _ in range(50):  # a fresh influxd has answered its first queries with an error
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", path, body)
        resp = conn.getresponse()
        out = resp.read()
        conn.close()
        if resp.status in (200, 204) and b'"error"' not in out:
            return out
    raise AssertionError(f"influxd {path}: {resp.status} {out[:300]!r}")


def test_influxd_reads_and_appends_to_a_series_file_with_sidecars(tmp_path):
    """InfluxDB's own server opens our series file beside its sidecars, keeps them and appends;
    we then read its new series, the checkpoints still holding (InfluxDB only appended)."""
    import shutil
    import signal
    import urllib.parse

    if shutil.which("influxd") is None:
        pytest.skip("influxd (InfluxDB 1.x) is not installed")
    d = tmp_path / "influxd"
    sfdir = d / "data" / "db" / "_series"
    for step, measurement in enumerate((b"cpu", b"mem")):
        proc, port = _influxd(d)
        try:
            if step == 0:
                _post(port, "/query?" + urllib.parse.urlencode({"q": "CREATE DATABASE db"}))
            _post(port, "/write?db=db", b"\n".join(b"%s,host=h%d v=1 1" % (measurement, i) for i in range(200)))
            shown = _post(port, "/query?" + urllib.parse.urlencode({"q": "SHOW SERIES", "db": "db"}))
            assert shown.count(b"host=h") == 200 * (step + 1)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait()
        if step == 0:  # InfluxDB's segments: we add sidecars
            with SeriesFile(sfdir) as sf:
                assert len(sf.unchecked) == 8 and sf.series_count() == 200
    assert len(list(sfdir.glob("*/0000.sum"))) == 8
    with SeriesFile(sfdir, read_only=True) as sf:
        assert sf.unchecked == [] and sf.torn == [] and sf.series_count() == 400
        assert sf.series_id("mem", {"host": "h7"}) and sf.series_id("cpu", {"host": "h7"})
    SeriesFile(sfdir).close()
    for seg in sfdir.glob("*/0000"):
        assert _covered(_sidecar(seg).read_bytes()) == len(seg.read_bytes().rstrip(b"\0"))
