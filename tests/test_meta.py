"""The meta store: InfluxDB's rules and texts, persistence across restarts."""

from __future__ import annotations

import datetime as dt

import pytest

from influxlite.meta import MetaError, MetaStore, format_duration, shard_group_duration
from influxlite.meta.durations import DAY, HOUR, MINUTE, SECOND

pytestmark = pytest.mark.compares_implementations  # no native/pure code underneath


def ns(*args) -> int:
    return int(dt.datetime(*args, tzinfo=dt.timezone.utc).timestamp()) * SECOND


def iso(t: int) -> str:
    return dt.datetime.fromtimestamp(t // SECOND, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_database_gets_autogen(tmp_path):
    m = MetaStore(tmp_path)
    db = m.create_database("db1")
    assert db.default_retention_policy == "autogen"
    rp = m.retention_policy("db1")
    assert (rp.name, rp.duration, rp.shard_group_duration, rp.replica_n) == ("autogen", 0, 7 * DAY, 1)
    assert (format_duration(rp.duration), format_duration(rp.shard_group_duration)) == ("0s", "168h0m0s")
    assert m.create_database("db1") is db  # idempotent


@pytest.mark.parametrize("duration,sgd", [(HOUR, HOUR), (47 * HOUR, HOUR), (48 * HOUR, DAY), (4319 * HOUR, DAY),
                                          (4320 * HOUR, 7 * DAY), (0, 7 * DAY)])
def test_default_shard_group_durations(duration, sgd):
    assert shard_group_duration(duration) == sgd


def test_retention_policy_rules(tmp_path):
    m = MetaStore(tmp_path)
    m.create_database("db")
    with pytest.raises(MetaError, match="^retention policy duration must be at least 1h0m0s$"):
        m.create_retention_policy("db", "short", 30 * MINUTE)
    rp = m.create_retention_policy("db", "tiny_shards", 2 * HOUR, 10 * MINUTE)
    assert rp.shard_group_duration == HOUR  # normalised up to 1h
    with pytest.raises(MetaError, match="^retention policy duration must be greater than the shard duration$"):
        m.create_retention_policy("db", "bad", 2 * HOUR, 3 * HOUR)
    assert m.create_retention_policy("db", "tiny_shards", 2 * HOUR, 10 * MINUTE) is rp  # same: no-op
    with pytest.raises(MetaError, match="^retention policy already exists$"):
        m.create_retention_policy("db", "tiny_shards", 3 * HOUR)
    with pytest.raises(MetaError, match="^retention policy conflicts with an existing policy$"):
        m.create_retention_policy("db", "tiny_shards", 2 * HOUR, 10 * MINUTE, default=True)
    with pytest.raises(MetaError, match="^database not found: nodb$"):
        m.create_retention_policy("nodb", "x")
    with pytest.raises(MetaError, match="^retention policy not found: nope$"):
        m.retention_policy("db", "nope")
    with pytest.raises(MetaError, match="^retention policy name required$"):
        m.create_retention_policy("db", "")
    with pytest.raises(MetaError, match="^replication factor must be greater than 0$"):
        m.create_retention_policy("db", "r0", replica_n=0)
    with pytest.raises(MetaError, match="^name too long$"):
        m.create_database("x" * 256)
    with pytest.raises(MetaError, match="^database name required$"):
        m.create_database("")
    with pytest.raises(MetaError, match="^invalid name$"):
        m.create_database("../etc")
    m.alter_retention_policy("db", "tiny_shards", duration=48 * HOUR, default=True)
    assert m.retention_policy("db").name == "tiny_shards"
    with pytest.raises(MetaError, match="^retention policy name already exists$"):
        m.alter_retention_policy("db", "tiny_shards", new_name="autogen")
    with pytest.raises(MetaError, match="^retention policy duration must be greater than the shard duration$"):
        m.alter_retention_policy("db", "tiny_shards", shard_group_duration=72 * HOUR)
    assert m.drop_retention_policy("db", "nope") == []


def test_create_database_with_retention_policy(tmp_path):
    m = MetaStore(tmp_path)
    db = m.create_database_with_retention_policy("db", "week", 7 * DAY)
    assert db.default_retention_policy == "week" and [rp.name for rp in db.retention_policies] == ["week"]
    m.create_database_with_retention_policy("db", "week", 7 * DAY)  # same again: fine
    with pytest.raises(MetaError, match="^retention policy conflicts with an existing policy$"):
        m.create_database_with_retention_policy("db", "week", 8 * DAY)


def test_shard_groups_aligned_as_influxdb(tmp_path):
    m = MetaStore(tmp_path)
    m.create_database("db")
    g = m.create_shard_group("db", "autogen", 1 * SECOND)
    assert (iso(g.start), iso(g.end)) == ("1969-12-29T00:00:00Z", "1970-01-05T00:00:00Z")
    g2 = m.create_shard_group("db", "autogen", ns(2026, 11, 26))
    assert (iso(g2.start), iso(g2.end)) == ("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")
    assert m.create_shard_group("db", "autogen", ns(2026, 11, 29, 23, 59, 59)) is g2
    assert (g.id, g.shards, g2.id, g2.shards) == (1, [1], 2, [2])
    m.create_retention_policy("db", "hourly", 6 * HOUR)
    g3 = m.create_shard_group("db", "hourly", ns(2026, 11, 26, 10, 30))
    assert (iso(g3.start), iso(g3.end)) == ("2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z")
    near_end = m.create_shard_group("db", "autogen", (1 << 63) - 2)
    assert near_end.end == (1 << 63) - 1
    assert [x.id for x in m.shard_groups_by_time_range("db", "autogen", 0, ns(2030, 1, 1))] == [1, 2]


def test_shards_per_group(tmp_path):
    m = MetaStore(tmp_path, shards_per_group=4)
    m.create_database("db")
    assert m.create_shard_group("db", "autogen", 0).shards == [1, 2, 3, 4]
    assert m.create_shard_group("db", "autogen", ns(2026, 1, 1)).shards == [5, 6, 7, 8]


def test_users_and_privileges(tmp_path):
    m = MetaStore(tmp_path)
    m.create_database("db")
    u = m.create_user("alice", "s3cret")
    assert "s3cret" not in u.hash and u.hash.startswith("scrypt$")
    assert m.create_user("alice", "s3cret") is u
    with pytest.raises(MetaError, match="^user already exists$"):
        m.create_user("alice", "other")
    assert m.authenticate("alice", "s3cret") is u
    with pytest.raises(MetaError, match="^authentication failed$"):
        m.authenticate("alice", "wrong")
    with pytest.raises(MetaError, match="^user not found$"):
        m.authenticate("bob", "x")
    assert not u.authorize_database("WRITE", "db")
    m.set_privilege("alice", "db", "write")
    assert u.authorize_database("WRITE", "db") and not u.authorize_database("READ", "db")
    m.set_privilege("alice", "db", "ALL")
    assert u.authorize_database("READ", "db")
    with pytest.raises(MetaError, match="^database not found: nodb$"):
        m.set_privilege("alice", "nodb", "READ")
    assert not m.admin_user_exists()
    m.create_user("root", "pw", admin=True)
    assert m.admin_user_exists() and m.user("root").authorize_database("WRITE", "any")
    m.drop_database("db")
    assert m.user("alice").privileges == {}


def test_everything_survives_a_restart(tmp_path):
    m = MetaStore(tmp_path, shards_per_group=2)
    m.create_database("db")
    m.create_retention_policy("db", "short", 2 * HOUR, default=True)
    g = m.create_shard_group("db", "short", ns(2026, 11, 26, 10))
    m.create_user("alice", "pw")
    m.set_privilege("alice", "db", "READ")
    m.delete_shard_group("db", "short", g.id)
    m2 = MetaStore(tmp_path, shards_per_group=2)
    assert m2.database("db").default_retention_policy == "short"
    rp = m2.retention_policy("db")
    assert (rp.duration, rp.shard_group_duration) == (2 * HOUR, HOUR)
    assert rp.shard_groups[0].deleted and rp.shard_groups[0].shards == [1, 2]
    assert m2.create_shard_group("db", "short", ns(2026, 11, 26, 10)).id == 2  # the deleted one is not reused
    m2.authenticate("alice", "pw")
    assert m2.user("alice").privileges == {"db": "READ"}
    assert not (tmp_path / "meta" / "meta.json.tmp").exists()
