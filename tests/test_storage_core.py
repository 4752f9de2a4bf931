"""The shard write path's per-point core: validation, WAL entries, cache, shard split."""

from __future__ import annotations

import random
import struct
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influxlite import _backend, _native, _pure

import lpgen


def _b():
    return _backend.backend


def test_validation_follows_influxdb():
    body = (b"cpu,host=a v=1,n=2i 10\ncpu,time=1 v=1 5\nmem time=1 8\nmem b=t,time=3i 7\n"
            b"cpu,host=a v=\"str\" 30\nfresh a=1i,a=2 40\n")
    b = _b().parse(body, "n", 0, False)
    acc, new, reason, dropped = _b().shard_validate(b, None, {b"cpu": {b"n": "integer"}})
    assert struct.unpack(f"<{len(acc) // 4}I", acc) == (0, 3)
    assert new == [(b"cpu", b"v", "float"), (b"mem", b"b", "boolean")]
    assert reason == 'invalid tag key: input tag "time" on measurement "cpu" is invalid'
    assert dropped == 4
    _, _, reason, _ = _b().shard_validate(b, struct.pack("<I", 2), {})
    assert reason == 'invalid field name: input field "time" on measurement "mem" is invalid'
    _, _, reason, _ = _b().shard_validate(b, struct.pack("<I", 4), {b"cpu": {b"v": "float"}})
    assert reason == ('field type conflict: input field "v" on measurement "cpu" is type string, '
                      'already exists as type float')
    # InfluxDB 1.6.7: the first type seen in a point wins and the point is dropped
    _, new, reason, dropped = _b().shard_validate(b, struct.pack("<I", 5), {})
    assert new == [] and dropped == 1 and "is type float, already exists as type integer" in reason


def test_wal_round_trip_and_torn_tail():
    b = _b().parse(b"cpu,host=a v=1.5,s=\"x y\",u=3u 10\nmem v=-2i,ok=true -5\n", "n", 0, True)
    ids = struct.pack("<2Q", 7, 300)
    entry = _b().wal_encode(b, None, ids)
    assert _b().wal_scan(entry) == (len(entry), None, 2)
    for cut in range(len(entry)):
        assert _b().wal_scan(entry[:cut])[:2] == (0, "short entry" if cut else None)
    bad = entry[:-1] + bytes([entry[-1] ^ 1])
    assert _b().wal_scan(bad)[:2] == (0, "corrupt entry")
    cache = _b().Cache()
    assert cache.replay(entry + entry[:5]) == (len(entry), "short entry", 2, [])
    snap = cache.snapshot(b"cpu")
    assert struct.unpack("<q", snap["time"]) == (10,) and struct.unpack("<Q", snap["series_id"]) == (7,)
    names = [f[0] for f in snap["fields"]]
    assert names == [b"v", b"s", b"u"]
    assert snap["fields"][1][2] == b"x y"


def test_wal_entry_keeps_a_repeated_fields_last_value_and_leaves_out_time():
    """As InfluxDB's Fields(): the last value of a repeated key wins; a field named time is skipped."""
    b = _b().parse(b"cpu v=1.5,time=3i,n=-3i,v=2.5 -5\n", "n", 0, False)
    entry = _b().wal_encode(b, None, struct.pack("<Q", 7))
    cache = _b().Cache()
    assert cache.replay(entry)[:3] == (len(entry), None, 1)
    snap = cache.snapshot(b"cpu")
    assert [(f[0], f[1]) for f in snap["fields"]] == [(b"v", "float"), (b"n", "integer")]
    assert struct.unpack("<d", snap["fields"][0][2]) == (2.5,)
    assert struct.unpack("<q", snap["fields"][1][2]) == (-3,)
    assert struct.unpack("<q", snap["time"]) == (-5,)


def test_cache_overwrite_rule():
    b = _b().parse(b"cpu v=1 10\ncpu w=2i 10\ncpu v=3 10\ncpu v=0.5 5\n", "n", 0, False)
    cache = _b().Cache()
    cache.insert_batch(b, None, struct.pack("<4Q", 1, 1, 1, 1))
    snap = cache.snapshot(b"cpu")
    assert struct.unpack("<2q", snap["time"]) == (5, 10)
    v = snap["fields"][0]
    assert v[0] == b"v" and struct.unpack("<2d", v[2]) == (0.5, 3.0) and v[3] == b"\x03"
    w = snap["fields"][1]
    assert w[3] == b"\x02" and struct.unpack("<2q", w[2])[1] == 2
    assert cache.snapshot(b"cpu", struct.pack("<Q", 2)) == {"time": b"", "series_id": b"", "fields": [
        (b"v", "float", b"", b"", None), (b"w", "integer", b"", b"", None)]}
    assert cache.snapshot(b"nope") is None
    assert cache.points == 4 and cache.size > 0
    cache.clear()
    assert cache.points == 0 and cache.measurements() == []


def test_cache_field_types_come_back_from_the_wal():
    b = _b().parse(b'cpu,host=a v=1,n=2i 10\nmem ok=t,s="x",u=3u 5\ncpu a="s" 11\n', "n", 0, True)
    ids = struct.pack("<3Q", 1, 2, 1)
    cache = _b().Cache()
    assert cache.field_types() == []
    cache.insert_batch(b, None, ids)
    want = [(b"cpu", b"a", "string"), (b"cpu", b"n", "integer"), (b"cpu", b"v", "float"),
            (b"mem", b"ok", "boolean"), (b"mem", b"s", "string"), (b"mem", b"u", "unsigned")]
    assert cache.field_types() == want
    wal = _b().wal_encode(b, None, ids)
    replayed = _b().Cache()
    assert replayed.replay(wal)[:3] == (len(wal), None, 3)
    assert replayed.field_types() == want
    # a measurement deleted whole takes its types along; a field whose values are all deleted
    # keeps its type while the measurement has rows (as its snapshot keeps the column)
    wal += _b().wal_encode_delete(b"mem", None, -(1 << 63), (1 << 63) - 1)
    wal += _b().wal_encode_delete(b"cpu", None, 11, 11)
    replayed = _b().Cache()
    assert replayed.replay(wal)[2:] == (3, [(b"mem", None, -(1 << 63), (1 << 63) - 1), (b"cpu", None, 11, 11)])
    assert replayed.field_types() == want[:3]
    assert replayed.snapshot(b"cpu")["fields"][2] == (b"a", "string", b"", b"\x00", struct.pack("<2Q", 0, 0))
    replayed.clear()
    assert replayed.field_types() == []


def test_cache_reads_never_see_a_half_added_row():
    """Inserts and deletes in one thread, snapshots and the other reads in another: no read
    fails, and every snapshot's columns are as long as its rows."""
    rng = random.Random(7)
    batches = []
    for k in range(150):
        lines = []
        for i in range(k * 20, k * 20 + 20):
            fields = {f"f{rng.randrange(40)}={rng.random()}".encode() for _ in range(rng.randrange(1, 4))}
            if i % 3 == 0:
                fields.add(b's="%d"' % i)
            lines.append(b"m,host=h%d %s,ok=t %d\n" % (i % 5, b",".join(sorted(fields)), i))
        batch = _b().parse(b"".join(lines), "n", 0, False)
        batches.append((batch, struct.pack("<20Q", *[i % 5 + 1 for i in range(20)])))
    cache = _b().Cache()
    errors: list[BaseException] = []
    reading, done = threading.Event(), threading.Event()
    inserted, deleted, reads = [0], [0], [0]

    def writer():
        try:
            reading.wait(10)
            for _ in range(10):  # rounds until the reader has read a while (native inserts are quick)
                for k, (batch, ids) in enumerate(batches):
                    cache.insert_batch(batch, None, ids)
                    inserted[0] += 20
                    if k % 7 == 6:
                        deleted[0] += cache.delete(b"m", struct.pack("<Q", 2), 0, k * 16)
                if reads[0] >= 30:
                    break
        except BaseException as e:  # noqa: BLE001 - the test reports it
            errors.append(e)
        finally:
            done.set()

    def reader():
        try:
            while not done.is_set():
                reading.set()
                snap = cache.snapshot(b"m")
                cache.field_types(), cache.size, cache.points, cache.measurements()
                reads[0] += 1
                if snap is None:
                    continue
                n = len(snap["time"]) // 8
                assert len(snap["series_id"]) == 8 * n
                for _, ftype, data, bitmap, offsets in snap["fields"]:
                    assert len(bitmap) == (n + 7) // 8
                    if offsets is None:
                        assert len(data) == n * (1 if ftype == "boolean" else 8)
                    else:
                        assert len(offsets) == 8 * (n + 1)
        except BaseException as e:  # noqa: BLE001 - the test reports it
            errors.append(e)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors
    assert reads[0] >= 30 and deleted[0] > 0 and cache.points == inserted[0] - deleted[0]


def test_split_by_shard_uses_influxdbs_hash():
    b = _b().parse(b"".join(b"cpu,host=h%d v=1 %d\n" % (i, i) for i in range(200)), "n", 0, False)
    groups, dropped, unplaced = _b().split_by_shard(b, [(10, 100, 3), (100, 150, 1)], 20)
    assert dropped == 20
    assert struct.unpack(f"<{len(unplaced) // 4}I", unplaced) == tuple(range(150, 200))
    keys = b.keys()
    for s, sel in enumerate(groups[0]):
        for i in struct.unpack(f"<{len(sel) // 4}I", sel):
            assert 20 <= i < 100 and _b().fnv1a64(keys[i]) % 3 == s
    assert struct.unpack(f"<{len(groups[1][0]) // 4}I", groups[1][0]) == tuple(range(100, 150))
    hour = 3_600_000_000_000
    b2 = _b().parse(b"m v=1 %d\nm v=1 %d\nm v=1 -1\n" % (hour + 5, 3 * hour), "n", 0, False)
    assert _b().group_starts(b2, hour, 0) == [hour, 3 * hour]
    assert _b().group_starts(b2, 7 * 24 * hour, -10) == [-3 * 24 * hour]  # Monday 1969-12-29


@pytest.mark.compares_implementations
@settings(max_examples=120, deadline=None)
@given(seed=st.integers(0, 10**6), unsigned=st.booleans())
def test_native_equals_pure(seed, unsigned):
    body = lpgen.body(random.Random(seed), 40)
    a, p = _native.parse(body, "n", 0, unsigned), _pure.parse(body, "n", 0, unsigned)
    known = {b"cpu": {b"v": "float"}, b"host": {b"value": "integer"}}
    va, vp = _native.shard_validate(a, None, known), _pure.shard_validate(p, None, known)
    assert va == vp
    acc = va[0]
    ia, ip = _native.SeriesIndex(), _pure.SeriesIndex()
    ids_a, new_a, groups_a = ia.create_from_batch(a, acc, 8)
    assert (ids_a, new_a, groups_a) == ip.create_from_batch(p, acc, 8)
    # the partition a series gets from a batch is the one the names/tags path gives it
    keys = a.series_keys()
    sel = struct.unpack(f"<{len(acc) // 4}I", acc)
    check = _native.SeriesIndex()
    names = [_native.parse_series_key(keys[i])[0] for i in sel]
    tags = [_native.parse_series_key(keys[i])[1] for i in sel]
    if names:
        check_ids, _, by_names = check.create(names, tags, 8)
        part_batch = {sid: t for t in range(8) for sid in struct.unpack(f"<{len(groups_a[t]) // 8}Q", groups_a[t])}
        part_names = {sid: t for t in range(8) for sid in by_names[t]}
        batch_ids = struct.unpack(f"<{len(ids_a) // 8}Q", ids_a)
        assert [part_batch[i] for i in batch_ids] == [part_names[i] for i in check_ids]
    wa, wp = _native.wal_encode(a, acc, ids_a), _pure.wal_encode(p, acc, ids_a)
    assert wa == wp
    ca, cp = _native.Cache(), _pure.Cache()
    ca.insert_batch(a, acc, ids_a)
    cp.replay(wp)
    assert ca.measurements() == cp.measurements() and ca.size == cp.size and ca.points == cp.points
    for m in ca.measurements():
        assert ca.snapshot(m) == cp.snapshot(m)
    # the one-pass prepared write gives the same as the separate steps, in both implementations
    pa_, nfa, ra, da = _native.shard_prepare(a, None, known, 8)
    pp_, nfp, rp, dp = _pure.shard_prepare(p, None, known, 8)
    assert (pa_.accepted, nfa, ra, da) == (pp_.accepted, nfp, rp, dp) == (acc, va[1], va[2], va[3])
    assert len(pa_) == len(pp_) == len(acc) // 4
    ids2, new2, groups2 = _native.SeriesIndex().create_prepared(pa_)
    assert (ids2, new2, groups2) == _pure.SeriesIndex().create_prepared(pp_) == (ids_a, new_a, groups_a)
    assert pa_.wal_entry(ids_a) == pp_.wal_entry(ids_a) == wa
    cpa, cpp = _native.Cache(), _pure.Cache()
    cpa.insert_prepared(pa_, ids_a)
    cpp.insert_prepared(pp_, ids_a)
    for m in ca.measurements():
        assert cpa.snapshot(m) == cpp.snapshot(m) == ca.snapshot(m)
    rng = random.Random(seed)
    for m in ca.measurements():
        ids = sorted({sid for sid in struct.unpack(f"<{len(ids_a) // 8}Q", ids_a)})
        pick = struct.pack("<%dQ" % len(ids[::2]), *ids[::2]) if rng.random() < 0.7 else None
        lo, hi = sorted(rng.randrange(-(1 << 62), 1 << 62) for _ in range(2))
        assert ca.delete(m, pick, lo, hi) == cp.delete(m, pick, lo, hi)
        assert ca.snapshot(m) == cp.snapshot(m) and ca.size == cp.size and ca.points == cp.points
    dw = _native.wal_encode_delete(b"cpu", struct.pack("<2Q", 1, 9), -5, 5)
    assert dw == _pure.wal_encode_delete(b"cpu", struct.pack("<2Q", 1, 9), -5, 5)
    assert _native.Cache().replay(dw) == _pure.Cache().replay(dw)
    groups = [(-(1 << 62), 0, 2), (0, 1 << 61, 3)]
    assert _native.split_by_shard(a, groups, -(1 << 62)) == _pure.split_by_shard(p, groups, -(1 << 62))
    assert _native.group_starts(a, 3_600_000_000_000, 0) == _pure.group_starts(p, 3_600_000_000_000, 0)
