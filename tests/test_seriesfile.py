"""The series file: InfluxDB's ids and bytes, reopen, deletes, torn tails, concurrency."""

from __future__ import annotations

import os
import random
import threading

import pytest

from influxlite import serieskey
from influxlite.seriesfile import SeriesFile, SeriesFileClosedError, SeriesFileError, segment_capacity


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


@pytest.mark.parametrize("garbage", [False, True])
def test_torn_tail_is_cut_back_at_every_offset(tmp_path, garbage):
    root = tmp_path / "s"
    with SeriesFile(root) as sf:
        ids = sf.create_series_list_if_not_exists(["cpu"] * 40, [{"host": f"h{i}"} for i in range(40)])
    # the partition holding the last series created
    part = _partition_segment(root, ids[-1])
    pristine = part.read_bytes()
    used = len(pristine.rstrip(b"\0"))
    last_key = serieskey.encode_series_key("cpu", {"host": "h39"})
    last_start = used - 9 - len(last_key)
    rng = random.Random(7)
    for cut in range(last_start - 12, used + 1):
        tail = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))) if garbage else b""
        part.write_bytes(pristine[:cut] + tail)
        with SeriesFile(root) as sf:
            whole = cut >= used
            assert (sf.series_id("cpu", {"host": "h39"}) == ids[-1]) == whole, cut
            assert all(sf.series_id("cpu", {"host": f"h{i}"}) == ids[i] for i in range(38))
            (new_id,) = sf.create_series_list_if_not_exists(["new"], [{"cut": str(cut)}])
            count = sf.series_count()
        with SeriesFile(root) as sf:  # the append after the cut is whole and readable
            assert sf.series_id("new", {"cut": str(cut)}) == new_id
            assert sf.series_count() == count
        assert len(part.read_bytes()) == segment_capacity(0)


def test_new_segment_when_full(tmp_path, monkeypatch):
    import influxlite.seriesfile as sfmod

    monkeypatch.setattr(sfmod, "segment_capacity", lambda i: 256)
    with SeriesFile(tmp_path / "s") as sf:
        ids = sf.create_series_list_if_not_exists(["m"] * 200, [{"k": f"v{i}"} for i in range(200)])
    assert len(os.listdir(tmp_path / "s" / "00")) > 2
    with SeriesFile(tmp_path / "s") as sf:
        assert sf.series_ids(["m"] * 200, [{"k": f"v{i}"} for i in range(200)]) == ids


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
