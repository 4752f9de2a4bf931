"""The Engine and its PointsWriter: shard mapping, retention, errors, restart."""

from __future__ import annotations

import datetime as dt

import pytest

from influxlite import parse_points
from influxlite.coordinator import PartialWriteError, WriteError, parse_consistency
from influxlite.engine import Engine
from influxlite.meta import DatabaseNotFoundError, RetentionPolicyNotFoundError
from influxlite.meta.durations import DAY, HOUR, SECOND


def ns(*a) -> int:
    return int(dt.datetime(*a, tzinfo=dt.timezone.utc).timestamp()) * SECOND


@pytest.fixture
def engine(tmp_path):
    e = Engine(tmp_path, retention_check_interval=0).open()
    yield e
    e.close()


def test_points_land_in_groups_by_time(engine):
    engine.meta.create_database("db")
    body = b"cpu,host=a v=1 %d\ncpu,host=b v=2 %d\ncpu,host=a v=3 %d\n" % (
        ns(2026, 11, 24), ns(2026, 11, 29, 23), ns(2026, 12, 1))
    r = engine.write_points("db", None, parse_points(body))
    assert (r.written, r.dropped) == (3, 0)
    groups = engine.meta.retention_policy("db").shard_groups
    assert [(dt.datetime.fromtimestamp(g.start // SECOND, dt.timezone.utc).date().isoformat(), g.shards)
            for g in groups] == [("2026-11-23", [1]), ("2026-11-30", [2])]
    assert engine.shard("db", "autogen", 1).read("cpu").num_rows == 2
    assert engine.shard("db", "autogen", 2).read("cpu").num_rows == 1
    t = engine.read("db", "cpu")
    sf = engine.series_file("db")
    a, b = sf.series_id("cpu", {"host": "a"}), sf.series_id("cpu", {"host": "b"})
    want = sorted([(a, 1, 1.0), (b, 2, 2.0), (a, 3, 3.0)])  # by series, then time
    assert t.column("series_id").to_pylist() == [w[0] for w in want]
    assert t.column("v").to_pylist() == [w[2] for w in want]


def test_shards_per_group_split_by_influxdb_hash(tmp_path):
    from influxlite import _backend

    with Engine(tmp_path, shards_per_group=4, retention_check_interval=0) as e:
        e.meta.create_database("db")
        batch = parse_points(b"".join(b"cpu,host=h%d v=1 %d\n" % (i, ns(2026, 1, 1)) for i in range(400)))
        e.write_points("db", None, batch)
        (g,) = e.meta.retention_policy("db").shard_groups
        counts = [e.shard("db", "autogen", sid).read("cpu").num_rows for sid in g.shards]
        assert sum(counts) == 400 and min(counts) > 50
        for i, key in enumerate(batch.keys()[:40]):
            shard = e.shard("db", "autogen", g.shards[_backend.backend.fnv1a64(key) % 4])
            assert shard.index.tag_values("cpu", "host").count(b"h%d" % i) == 1


def test_retention_drops_are_counted_exactly(engine):
    engine.meta.create_database("db")
    engine.meta.create_retention_policy("db", "day", 2 * DAY, default=True)
    now = ns(2026, 11, 26, 12)
    lines = [b"m v=%d %d" % (i, now - i * HOUR) for i in range(100)]  # 48h back = 48 kept + edge
    with pytest.raises(PartialWriteError) as e:
        engine.write_points("db", None, parse_points(b"\n".join(lines)), now=now)
    kept = sum(1 for i in range(100) if now - i * HOUR >= now - 2 * DAY)
    assert str(e.value) == f"partial write: points beyond retention policy dropped={100 - kept}"
    assert engine.read("db", "m", tmin=0).num_rows == kept
    with pytest.raises(PartialWriteError, match="dropped=1$"):  # all too old: still a partial write
        engine.write_points("db", None, parse_points(b"m v=1 %d" % (now - 3 * DAY)), now=now)


def test_shard_errors_and_meta_errors(engine):
    engine.meta.create_database("db")
    with pytest.raises(PartialWriteError) as e:
        engine.write_points("db", None, parse_points(b"m v=1i 1\nm v=2 2\n"))
    assert str(e.value) == ('partial write: field type conflict: input field "v" on measurement "m" is type float, '
                            'already exists as type integer dropped=1')
    with pytest.raises(DatabaseNotFoundError, match="^database not found: nodb$"):
        engine.write_points("nodb", None, parse_points(b"m v=1 1"))
    with pytest.raises(RetentionPolicyNotFoundError, match="^retention policy not found: nope$"):
        engine.write_points("db", "nope", parse_points(b"m v=1 1"))
    with pytest.raises(WriteError, match="^invalid consistency level$"):
        engine.write_points("db", None, parse_points(b"m v=1 1"), consistency="most")
    assert [parse_consistency(c) for c in ("", "ANY", "one", "Quorum", "all")] == ["one", "any", "one", "quorum", "all"]


def test_restart_keeps_everything(tmp_path):
    with Engine(tmp_path, retention_check_interval=0) as e:
        e.meta.create_database("db")
        e.meta.create_user("u", "pw")
        e.write_points("db", None, parse_points(b"cpu,host=a v=1 1\ncpu,host=b v=2 2\n"))
    with Engine(tmp_path, retention_check_interval=0) as e:
        assert e.meta.database("db") is not None and e.meta.user("u") is not None
        sf = e.series_file("db")
        a, b = sf.series_id("cpu", {"host": "a"}), sf.series_id("cpu", {"host": "b"})
        by_series = lambda t: dict(zip(t.column("series_id").to_pylist(), t.column("v").to_pylist()))  # noqa: E731
        assert by_series(e.read("db", "cpu")) == {a: 1.0, b: 2.0}
        assert sf.series_count() == 2
        e.write_points("db", None, parse_points(b"cpu,host=a v=3 1\n"))  # overwrite: newest wins
        assert by_series(e.read("db", "cpu")) == {a: 3.0, b: 2.0}


def test_retention_service_removes_expired_groups(engine, tmp_path):
    engine.meta.create_database("db")
    engine.meta.create_retention_policy("db", "short", 2 * HOUR, default=True)
    now = ns(2026, 11, 26, 12)
    engine.write_points("db", None, parse_points(b"m v=1 %d\nm v=2 %d" % (now - HOUR, now)), now=now)
    groups = engine.meta.retention_policy("db").shard_groups
    assert len(groups) == 2
    assert engine.enforce_retention(now=now + HOUR) == []
    removed = engine.enforce_retention(now=now + 3 * HOUR - 1)  # the first group ended 2h + 1ns ago
    assert removed == [groups[0].shards[0]]
    assert not (tmp_path / "db" / "short" / str(removed[0])).exists()
    assert [g.id for g in engine.meta.retention_policy("db").shard_groups] == [groups[1].id]
    assert engine.read("db", "m", tmin=0).column("v").to_pylist() == [2.0]


def test_drop_database_removes_its_files(engine, tmp_path):
    engine.meta.create_database("db")
    engine.write_points("db", None, parse_points(b"m v=1 1"))
    engine.drop_database("db")
    assert not (tmp_path / "db").exists() and engine.meta.database("db") is None


def test_engine_deletes_across_shards(engine):
    engine.meta.create_database("db")
    engine.write_points("db", None, parse_points(b"cpu,host=a v=1 %d\ncpu,host=a v=2 %d\ncpu,host=b v=3 %d\n" % (
        ns(2026, 1, 1), ns(2026, 6, 1), ns(2026, 6, 1))))
    a = engine.series_file("db").series_id("cpu", {"host": "a"})
    engine.delete("db", "cpu", [a], ns(2026, 5, 1), ns(2026, 7, 1))
    assert sorted(engine.read("db", "cpu").column("v").to_pylist()) == [1.0, 3.0]
    engine.drop_measurement("db", "cpu")
    assert engine.read("db", "cpu").num_rows == 0


def test_write_timeout_and_write_failed(tmp_path):
    import threading

    from influxlite.coordinator import WriteFailedError, WriteTimeoutError

    with Engine(tmp_path, write_timeout=0.2, retention_check_interval=0) as e:
        e.meta.create_database("db")
        e.write_points("db", None, parse_points(b"m v=1 1"))
        shard = e.shard("db", "autogen", 1)
        release = threading.Event()
        real = shard.write

        def slow(*a, **k):
            release.wait(5)
            return real(*a, **k)

        shard.write = slow
        with pytest.raises(WriteTimeoutError, match="^timeout$"):
            e.write_points("db", None, parse_points(b"m v=2 2"))
        release.set()
        e.points_writer.close()
        with pytest.raises(WriteFailedError, match="^write failed$"):
            e.write_points("db", None, parse_points(b"m v=3 3"))


def test_concurrent_writers_creating_shard_groups(tmp_path):
    """Writers creating shard groups at the same time never lose points."""
    import threading

    hour = 3_600_000_000_000
    with Engine(tmp_path, retention_check_interval=0) as e:
        e.meta.create_database("db")
        e.meta.create_retention_policy("db", "hourly", 1000 * hour, hour, default=True)
        errors = []
        import time as _time

        now = _time.time_ns()

        def writer(k):
            try:
                for j in range(30):
                    t = now - (k * 30 + j) * hour  # every write needs a new group
                    e.write_points("db", None, parse_points(b"m,w=%d v=%d %d\n" % (k, j, t)))
            except Exception as ex:  # noqa: BLE001 - reported below
                errors.append(ex)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        assert e.read("db", "m", tmin=0).num_rows == 120
        assert len(e.meta.retention_policy("db").shard_groups) == 120


def test_field_types_differing_across_shards(engine):
    """InfluxDB lets each shard give a field its own type; reads unify them."""
    engine.meta.create_database("db")
    engine.write_points("db", None, parse_points(b"m v=1i,s=\"x\" %d\n" % ns(2026, 1, 1)))
    engine.write_points("db", None, parse_points(b"m v=2.5,s=true %d\n" % ns(2026, 3, 1)))
    t = engine.read("db", "m")
    assert t.schema.field("v").type == "double" and t.column("v").to_pylist() == [1.0, 2.5]
    assert t.schema.field("s").type == "string" and t.column("s").to_pylist() == ["x", "true"]
