"""Series keys, log entries and hashes: InfluxDB's bytes, and native == pure on anything."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influxlite import _native, _pure, serieskey
from influxlite.errors import ChecksumMismatchError, CorruptEntryError, ShortBufferError
from influxlite.tsi import logentry


@pytest.mark.parametrize("name,tags,hexkey", [
    ("cpu", {"host": "a"}, "0f0003637075010004686f7374000161"),
    ("cpu", None, "06000363707500"),
    ("cpu=x", [("a", "1")], "0e00056370753d7801000161000131"),
    ("cpu", {"zz": "1", "aa": "2", "mm": "3"}, "1b000363707503000261610001320002"
                                               "6d6d0001330002" "7a7a000131"),
])
def test_series_keys_match_influxdb(name, tags, hexkey):
    key = serieskey.encode_series_key(name, tags)
    assert key.hex() == hexkey
    assert serieskey.series_key_size(name, tags) == len(key)
    n, t = serieskey.parse_series_key(key)
    assert n == name.encode() and dict(t) == {k.encode(): v.encode() for k, v in dict(tags or {}).items()}


def test_series_key_readers():
    key = serieskey.encode_series_key(b"cpu", {b"host": b"a", b"region": b"west"})
    size, rest = serieskey.read_series_key_len(key)
    assert size == len(key) - 1
    name, rest = serieskey.read_series_key_measurement(rest)
    n, rest = serieskey.read_series_key_tag_n(rest)
    k, v, rest = serieskey.read_series_key_tag(rest)
    assert (name, n, k, v) == (b"cpu", 2, b"host", b"a")
    assert serieskey.read_series_key(key + b"xy") == (key, b"xy")
    with pytest.raises(ShortBufferError):
        serieskey.parse_series_key(key[:-1])
    assert serieskey.encode_series_key("m", {"a": "", "b": "1"}) == serieskey.encode_series_key("m", {"b": "1"})
    with pytest.raises(ValueError, match="duplicate tags"):
        serieskey.encode_series_key("m", [("a", "1"), ("a", "2")])
    with pytest.raises(TypeError):
        serieskey.encode_series_key(1, None)


def test_compare_series_keys():
    k = serieskey.encode_series_key
    assert serieskey.compare_series_keys(b"", b"") == 0
    assert serieskey.compare_series_keys(b"", k("a")) == -1
    assert serieskey.compare_series_keys(k("cpu"), k("cpu", {"a": "1"})) == -1
    assert serieskey.compare_series_keys(k("cpu", {"a": "2"}), k("cpu", {"a": "1"})) == 1
    assert serieskey.compare_series_keys(k("b"), k("a", {"z": "z"})) == 1
    assert serieskey.compare_series_keys(k("a", {"x": "1"}), k("a", {"x": "1"})) == 0


@pytest.mark.parametrize("flag,sid,name,key,value,hexentry", [
    (0, 1, b"", b"", b"", "00010000007e9e9078"),
    (0, 300, b"", b"", b"", "00ac02000000ae1c1bbf"),
    (1, 300, b"", b"", b"", "01ac020000006540c81a"),
    (2, 0, b"cpu", b"", b"", "0200036370750000" "4604ad00"),
    (4, 0, b"cpu", b"host", b"", "040003637075" "04686f7374" "00a878665a"),
    (8, 0, b"cpu", b"host", b"a", "080003637075" "04686f7374" "0161e000f675"),
])
def test_log_entries_match_influxdb(flag, sid, name, key, value, hexentry):
    data = logentry.encode(flag, sid, name, key, value)
    assert data.hex() == hexentry
    e = logentry.decode(data)
    assert (e.flag, e.series_id, e.name, e.key, e.value, e.size) == (flag, sid, name, key, value, len(data))


def test_log_entry_decode_tells_short_from_corrupt():
    data = logentry.encode(8, 0, b"cpu", b"host", b"a")
    for cut in range(len(data)):
        with pytest.raises(ShortBufferError):
            logentry.decode(data[:cut])
    bad = data[:-1] + bytes([data[-1] ^ 1])
    with pytest.raises(ChecksumMismatchError, match="log entry checksum mismatch"):
        logentry.decode(bad)
    with pytest.raises(CorruptEntryError, match=r"binary.Uvarint\(\) returned -11"):
        logentry.decode(b"\x00" + b"\xff" * 11)


def test_scan_stops_at_torn_tail():
    good = logentry.encode_series_inserts([1, 2, 300]) + logentry.encode(2, 0, b"cpu")
    for cut in range(len(good) - 11, len(good)):
        entries, valid, reason = logentry.scan(good[:cut])
        assert [e.series_id for e in entries] == [1, 2, 300]
        assert valid == len(good) - 12 and reason == "short buffer"
    entries, valid, reason = logentry.scan(good)
    assert len(entries) == 4 and valid == len(good) and reason is None


def test_partition_hash_matches_influxdb_example():
    """InfluxDB put cpu,host=a in series-file partition 6 (oracle README)."""
    key = serieskey.encode_series_key("cpu", {"host": "a"})
    from influxlite import _backend

    assert _backend.backend.xxh64(key) % 8 == 6
    assert _backend.backend.xxh64(b"") == 0xEF46DB3751D8E999


TAGS = st.lists(st.tuples(st.binary(max_size=6), st.binary(max_size=6)), max_size=5)


@pytest.mark.compares_implementations
@settings(max_examples=300, deadline=None)
@given(names=st.lists(st.one_of(st.binary(max_size=8), st.text(max_size=8)), min_size=1, max_size=5),
       tags=st.lists(TAGS, min_size=5, max_size=5))
def test_series_keys_native_equals_pure(names, tags):
    tags = tags[: len(names)]
    def run(mod):
        try:
            return ("ok", mod.encode_series_keys(names, tags))
        except (ValueError, TypeError) as e:
            return (type(e).__name__, str(e))
    a, b = run(_native), run(_pure)
    assert a == b
    if a[0] == "ok":
        for k in a[1]:
            assert _native.parse_series_key(k) == _pure.parse_series_key(k)
            assert _native.xxh64(k) == _pure.xxh64(k)
        for x in a[1]:
            for y in a[1]:
                assert _native.compare_series_keys(x, y) == _pure.compare_series_keys(x, y)


@pytest.mark.compares_implementations
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64))
def test_log_entry_decoding_native_equals_pure(data):
    def run(mod):
        try:
            return mod.decode_log_entry(data)
        except (ShortBufferError, ChecksumMismatchError, CorruptEntryError) as e:
            return (type(e).__name__, str(e))
    assert run(_native) == run(_pure)
    assert _native.scan_log_entries(data) == _pure.scan_log_entries(data)
    assert _native.xxh64(data) == _pure.xxh64(data)


@pytest.mark.compares_implementations
@settings(max_examples=200, deadline=None)
@given(flag=st.integers(0, 255), sid=st.integers(0, 2**64 - 1), name=st.binary(max_size=300),
       key=st.binary(max_size=10), value=st.binary(max_size=10))
def test_log_entry_encoding_native_equals_pure(flag, sid, name, key, value):
    data = _native.encode_log_entry(flag, sid, name, key, value)
    assert data == _pure.encode_log_entry(flag, sid, name, key, value)
    assert _pure.decode_log_entry(data)[:5] == (flag, sid, name, key, value)


def test_series_keys_from_a_parsed_batch():
    from influxlite import parse_points

    batch = parse_points(b"cpu,host=a v=1 1\ncpu\\=x,z=1,a\\ b=2 v=1 1\nmem v=1 1\n")
    assert batch.series_keys() == [
        serieskey.encode_series_key("cpu", {"host": "a"}),
        serieskey.encode_series_key("cpu=x", [("a b", "2"), ("z", "1")]),
        serieskey.encode_series_key("mem"),
    ]


@pytest.mark.compares_implementations
@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_batch_series_keys_and_series_index_native_equals_pure(seed):
    import random

    import lpgen

    body = lpgen.body(random.Random(seed), 40)
    a, b = _native.parse(body, "n", 0, True), _pure.parse(body, "n", 0, True)
    assert a.series_keys() == b.series_keys()
    names = [_native.parse_series_key(k)[0] for k in a.series_keys()]
    tags = [_native.parse_series_key(k)[1] for k in a.series_keys()]
    ni, pi = _native.SeriesIndex(), _pure.SeriesIndex()
    ra, rb = ni.create(names, tags, 8), pi.create(names, tags, 8)
    assert ra == rb
    assert ni.invert(ra[0]) == pi.invert(rb[0])
    for sid in ra[0][:5]:
        assert ni.delete(sid) == pi.delete(sid)
    assert ni.count() == pi.count()
