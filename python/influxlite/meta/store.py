"""The meta store: databases, retention policies, shard groups and users, persisted in the data
directory (``meta/meta.json``: written to a temporary file, fsynced, renamed).

The rules and error texts are InfluxDB 1.x's (``services/meta``): the ``autogen`` policy made
with each database, shard-group durations defaulted from the retention duration, shard groups
aligned as Go's ``Time.Truncate`` aligns them, users with salted slow password hashes and
per-database READ/WRITE/ALL privileges.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field

from .._fsync import atomic_write, make_dirs, remove_tmp
from . import errors as E
from .durations import (
    MAX_NANO_TIME, MIN_RETENTION_POLICY_DURATION, normalised_shard_duration, truncate,
)
from .passwords import hash_password, verify_password

MAX_NAME_LEN = 255
DEFAULT_RETENTION_POLICY = "autogen"
PRIVILEGES = ("READ", "WRITE", "ALL")


@dataclass
class ShardGroupInfo:
    id: int
    start: int  # ns, inclusive
    end: int  # ns, exclusive
    shards: list[int]
    deleted_at: int = 0  # ns; 0 while live

    def contains(self, t: int) -> bool:
        return self.start <= t < self.end

    @property
    def deleted(self) -> bool:
        return self.deleted_at != 0


@dataclass
class RetentionPolicyInfo:
    name: str
    duration: int = 0  # ns; 0 = infinite
    shard_group_duration: int = 0
    replica_n: int = 1
    shard_groups: list[ShardGroupInfo] = field(default_factory=list)

    def shard_group_by_timestamp(self, t: int) -> ShardGroupInfo | None:
        for g in self.shard_groups:
            if g.contains(t) and not g.deleted:
                return g
        return None


@dataclass
class ContinuousQueryInfo:
    name: str
    query: str  # the CREATE CONTINUOUS QUERY text, qualified as InfluxDB stores it


@dataclass
class DatabaseInfo:
    name: str
    default_retention_policy: str = ""
    retention_policies: list[RetentionPolicyInfo] = field(default_factory=list)
    continuous_queries: list[ContinuousQueryInfo] = field(default_factory=list)

    def retention_policy(self, name: str) -> RetentionPolicyInfo | None:
        for rp in self.retention_policies:
            if rp.name == name:
                return rp
        return None


@dataclass
class UserInfo:
    name: str
    hash: str
    admin: bool = False
    privileges: dict[str, str] = field(default_factory=dict)

    def authorize_database(self, privilege: str, database: str) -> bool:
        """InfluxDB's rule: admins may do anything; else the privilege on the database must be
        the one asked for, or ALL."""
        if self.admin or privilege == "NO PRIVILEGES":
            return True
        p = self.privileges.get(database)
        return p is not None and (p == privilege or p == "ALL")


def _check_name(name: str, required: str) -> None:
    if not name:
        raise E.MetaError(required)
    if len(name) > MAX_NAME_LEN:
        raise E.MetaError(E.NAME_TOO_LONG)
    # Names become directory names: refuse what cannot be one safely.
    if name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise E.MetaError(E.INVALID_NAME)


class MetaStoreDamagedError(ValueError):
    """``meta.json`` does not parse or lacks what it must hold."""


class MetaStore:
    """``MetaStore(data_dir)``; every change is durable when the call returns."""

    def __init__(self, data_dir: str | os.PathLike, *, retention_autocreate: bool = True,
                 shards_per_group: int = 1, read_only: bool = False) -> None:
        if shards_per_group < 1:
            raise ValueError("shards_per_group must be at least 1")
        self.dir = os.path.join(os.fspath(data_dir), "meta")
        self.path = os.path.join(self.dir, "meta.json")
        self.retention_autocreate = retention_autocreate
        self.shards_per_group = shards_per_group
        self._lock = threading.RLock()
        self.databases: list[DatabaseInfo] = []
        self.users: list[UserInfo] = []
        self.max_shard_group_id = 0
        self.max_shard_id = 0
        self.read_only = read_only
        if not read_only:
            make_dirs(self.dir)
            remove_tmp(self.path)  # a save a crash cut short: meta.json is the old whole file
        if os.path.exists(self.path):
            self._load()

    # --- persistence ------------------------------------------------------------------------

    def _load(self) -> None:
        with open(self.path, "rb") as f:
            raw = f.read()
        try:
            self._load_dict(json.loads(raw))
        except ValueError as e:  # a damaged file names itself; nothing of it is used
            raise MetaStoreDamagedError(f"{self.path}: damaged at offset {getattr(e, 'pos', 0)}: {e}") from e
        except (KeyError, TypeError, AttributeError) as e:
            raise MetaStoreDamagedError(f"{self.path}: damaged: {e!r}") from e

    def _load_dict(self, d: dict) -> None:
        self.max_shard_group_id = d["max_shard_group_id"]
        self.max_shard_id = d["max_shard_id"]
        self.databases = [
            DatabaseInfo(db["name"], db["default_retention_policy"], [
                RetentionPolicyInfo(rp["name"], rp["duration"], rp["shard_group_duration"], rp["replica_n"],
                                    [ShardGroupInfo(**g) for g in rp["shard_groups"]])
                for rp in db["retention_policies"]],
                [ContinuousQueryInfo(**c) for c in db.get("continuous_queries", ())])
            for db in d["databases"]]
        self.users = [UserInfo(**u) for u in d["users"]]

    def _save(self) -> None:
        if self.read_only:
            raise OSError(f"{self.path} is open read-only")
        data = {
            "version": 1,
            "max_shard_group_id": self.max_shard_group_id,
            "max_shard_id": self.max_shard_id,
            "databases": [asdict(db) for db in self.databases],
            "users": [asdict(u) for u in self.users],
        }
        atomic_write(self.path, json.dumps(data, indent=1).encode())

    # --- databases ----------------------------------------------------------------------------

    def database(self, name: str) -> DatabaseInfo | None:
        with self._lock:
            for db in self.databases:
                if db.name == name:
                    return db
            return None

    def _database(self, name: str) -> DatabaseInfo:
        db = self.database(name)
        if db is None:
            raise E.DatabaseNotFoundError(name)
        return db

    def create_database(self, name: str) -> DatabaseInfo:
        """Creates a database (a no-op if it exists), with the default ``autogen`` policy."""
        with self._lock:
            _check_name(name, E.DATABASE_NAME_REQUIRED)
            db = self.database(name)
            if db is not None:
                return db
            db = DatabaseInfo(name)
            self.databases.append(db)
            if self.retention_autocreate:
                self._create_retention_policy(db, RetentionPolicyInfo(DEFAULT_RETENTION_POLICY), True)
            self._save()
            return db

    def create_database_with_retention_policy(self, name: str, rp_name: str, duration: int | None = None,
                                              shard_group_duration: int = 0, replica_n: int = 1) -> DatabaseInfo:
        """``CREATE DATABASE ... WITH ...``: the policy becomes the default; repeating the same
        request is a no-op and a different one conflicts."""
        with self._lock:
            _check_name(name, E.DATABASE_NAME_REQUIRED)
            if duration is not None and 0 < duration < MIN_RETENTION_POLICY_DURATION:
                raise E.MetaError(E.RETENTION_POLICY_DURATION_TOO_LOW)
            spec = RetentionPolicyInfo(rp_name or DEFAULT_RETENTION_POLICY, duration or 0, shard_group_duration,
                                       replica_n)
            db = self.database(name)
            fresh = db is None
            if fresh:
                db = DatabaseInfo(name)
            if not db.retention_policies:
                self._create_retention_policy(db, spec, True)
            else:
                have = db.retention_policy(spec.name)
                sgd = normalised_shard_duration(spec.shard_group_duration, spec.duration)
                if have is None or (have.duration, have.shard_group_duration, have.replica_n) != (
                        spec.duration, sgd, spec.replica_n):
                    raise E.MetaError(E.RETENTION_POLICY_CONFLICT)
            if db.default_retention_policy != spec.name:
                raise E.MetaError(E.RETENTION_POLICY_CONFLICT)
            if fresh:
                self.databases.append(db)
            self._save()
            return db

    def drop_database(self, name: str) -> list[int]:
        """Drops a database (a no-op if missing); returns the ids of the shards it had."""
        with self._lock:
            db = self.database(name)
            if db is None:
                return []
            shards = [s for rp in db.retention_policies for g in rp.shard_groups for s in g.shards]
            self.databases.remove(db)
            for u in self.users:
                u.privileges.pop(name, None)
            self._save()
            return shards

    # --- retention policies --------------------------------------------------------------------

    @staticmethod
    def _validate_retention_policy(rp: RetentionPolicyInfo) -> None:
        """InfluxDB's checks, in its order (before the database is looked up)."""
        _check_name(rp.name, E.RETENTION_POLICY_NAME_REQUIRED)
        if rp.replica_n < 1:
            raise E.MetaError(E.REPLICATION_FACTOR_TOO_LOW)
        rp.shard_group_duration = normalised_shard_duration(rp.shard_group_duration, rp.duration)
        if rp.duration > 0 and rp.duration < rp.shard_group_duration:
            raise E.MetaError(E.INCOMPATIBLE_DURATIONS)

    def _create_retention_policy(self, db: DatabaseInfo, rp: RetentionPolicyInfo, make_default: bool) -> RetentionPolicyInfo:
        self._validate_retention_policy(rp)
        have = db.retention_policy(rp.name)
        if have is not None:
            if (have.replica_n, have.duration, have.shard_group_duration) != (rp.replica_n, rp.duration,
                                                                               rp.shard_group_duration):
                raise E.MetaError(E.RETENTION_POLICY_EXISTS)
            if make_default and db.default_retention_policy != rp.name:
                raise E.MetaError(E.RETENTION_POLICY_CONFLICT)
            return have
        db.retention_policies.append(rp)
        if make_default:
            db.default_retention_policy = rp.name
        return rp

    def create_retention_policy(self, database: str, name: str, duration: int = 0, shard_group_duration: int = 0,
                                replica_n: int = 1, default: bool = False) -> RetentionPolicyInfo:
        with self._lock:
            if 0 < duration < MIN_RETENTION_POLICY_DURATION:
                raise E.MetaError(E.RETENTION_POLICY_DURATION_TOO_LOW)
            rp = RetentionPolicyInfo(name, duration, shard_group_duration, replica_n)
            self._validate_retention_policy(rp)
            rp = self._create_retention_policy(self._database(database), rp, default)
            self._save()
            return rp

    def alter_retention_policy(self, database: str, name: str, *, new_name: str | None = None,
                               duration: int | None = None, shard_group_duration: int | None = None,
                               replica_n: int | None = None, default: bool = False) -> RetentionPolicyInfo:
        with self._lock:
            db = self._database(database)
            rp = db.retention_policy(name)
            if rp is None:
                raise E.RetentionPolicyNotFoundError(name)
            if new_name is not None and new_name != name and db.retention_policy(new_name) is not None:
                raise E.MetaError(E.RETENTION_POLICY_NAME_EXISTS)
            if duration is not None and duration != 0 and duration < MIN_RETENTION_POLICY_DURATION:
                raise E.MetaError(E.RETENTION_POLICY_DURATION_TOO_LOW)
            if ((duration is not None and duration > 0 and (
                    (shard_group_duration is not None and duration < shard_group_duration)
                    or (shard_group_duration is None and duration < rp.shard_group_duration)))
                    or (duration is None and rp.duration > 0 and shard_group_duration is not None
                        and rp.duration < shard_group_duration)):
                raise E.MetaError(E.INCOMPATIBLE_DURATIONS)
            if replica_n is not None and replica_n < 1:
                raise E.MetaError(E.REPLICATION_FACTOR_TOO_LOW)
            if new_name is not None:
                _check_name(new_name, E.RETENTION_POLICY_NAME_REQUIRED)
                if db.default_retention_policy == rp.name:
                    db.default_retention_policy = new_name
                rp.name = new_name
            if duration is not None:
                rp.duration = duration
            if replica_n is not None:
                rp.replica_n = replica_n
            if shard_group_duration is not None:
                rp.shard_group_duration = normalised_shard_duration(shard_group_duration, rp.duration)
            if default:
                db.default_retention_policy = rp.name
            self._save()
            return rp

    def drop_retention_policy(self, database: str, name: str) -> list[int]:
        """Drops a policy (a no-op if missing); returns the ids of its shards."""
        with self._lock:
            db = self.database(database)
            rp = db.retention_policy(name) if db else None
            if rp is None:
                return []
            db.retention_policies.remove(rp)
            if db.default_retention_policy == name:
                db.default_retention_policy = ""
            self._save()
            return [s for g in rp.shard_groups for s in g.shards]

    def retention_policy(self, database: str, name: str | None = None) -> RetentionPolicyInfo:
        """A policy of a database (its default when ``name`` is empty)."""
        with self._lock:
            db = self._database(database)
            name = name or db.default_retention_policy
            rp = db.retention_policy(name)
            if rp is None:
                raise E.RetentionPolicyNotFoundError(name)
            return rp

    # --- shard groups ---------------------------------------------------------------------------

    def create_shard_group(self, database: str, policy: str, timestamp: int) -> ShardGroupInfo:
        """The group holding ``timestamp``, created (aligned to the policy's shard-group
        duration, with ``shards_per_group`` new shards) if there is none."""
        with self._lock:
            rp = self.retention_policy(database, policy)
            g = rp.shard_group_by_timestamp(timestamp)
            if g is not None:
                return g
            start = truncate(timestamp, rp.shard_group_duration)
            end = start + rp.shard_group_duration
            if end > MAX_NANO_TIME:
                end = MAX_NANO_TIME + 1
            self.max_shard_group_id += 1
            shards = list(range(self.max_shard_id + 1, self.max_shard_id + 1 + self.shards_per_group))
            self.max_shard_id += self.shards_per_group
            g = ShardGroupInfo(self.max_shard_group_id, start, end, shards)
            # A new list, swapped in whole: readers without the lock (the PointsWriter) never
            # see one being sorted in place, which CPython empties while it sorts.
            rp.shard_groups = sorted([*rp.shard_groups, g], key=lambda x: (x.end, x.start))
            self._save()
            return g

    def shard_groups_by_time_range(self, database: str, policy: str, tmin: int, tmax: int) -> list[ShardGroupInfo]:
        """Live groups that overlap ``[tmin, tmax]``, in time order."""
        with self._lock:
            rp = self.retention_policy(database, policy)
            return [g for g in rp.shard_groups if not g.deleted and g.start <= tmax and g.end > tmin]

    def delete_shard_group(self, database: str, policy: str, group_id: int) -> ShardGroupInfo:
        """Marks a group deleted (its shards are then removed, then the group is pruned)."""
        with self._lock:
            rp = self.retention_policy(database, policy)
            for g in rp.shard_groups:
                if g.id == group_id:
                    if not g.deleted:
                        g.deleted_at = time.time_ns()
                        self._save()
                    return g
            raise E.MetaError(E.SHARD_GROUP_NOT_FOUND)

    def prune_shard_groups(self, database: str, policy: str, group_ids: list[int]) -> None:
        """Forgets deleted groups whose shards are gone."""
        with self._lock:
            rp = self.retention_policy(database, policy)
            ids = set(group_ids)
            rp.shard_groups = [g for g in rp.shard_groups if not (g.deleted and g.id in ids)]
            self._save()

    def drop_shard(self, shard_id: int) -> tuple[str, str] | None:
        """Removes a shard from its group (a group left empty is marked deleted); returns its
        (database, policy), or None if no group has it (InfluxDB's DROP SHARD then succeeds)."""
        with self._lock:
            for db in self.databases:
                for rp in db.retention_policies:
                    for g in rp.shard_groups:
                        if shard_id in g.shards:
                            g.shards = [s for s in g.shards if s != shard_id]
                            if not g.shards and not g.deleted:
                                g.deleted_at = time.time_ns()
                            self._save()
                            return db.name, rp.name
            return None

    # --- continuous queries ---------------------------------------------------------------------

    def create_continuous_query(self, database: str, name: str, query: str) -> None:
        """InfluxDB's rule: the same text again (compared without case) is a no-op, another
        text under the same name is ``continuous query already exists``."""
        with self._lock:
            db = self._database(database)
            for cq in db.continuous_queries:
                if cq.name == name:
                    if cq.query.lower() == query.lower():
                        return
                    raise E.MetaError(E.CONTINUOUS_QUERY_EXISTS)
            db.continuous_queries = [*db.continuous_queries, ContinuousQueryInfo(name, query)]
            self._save()

    def drop_continuous_query(self, database: str, name: str) -> None:
        """Removes a continuous query; a missing one (or database) is a no-op, as in InfluxDB."""
        with self._lock:
            db = self.database(database)
            if db is None or not any(cq.name == name for cq in db.continuous_queries):
                return
            db.continuous_queries = [cq for cq in db.continuous_queries if cq.name != name]
            self._save()

    # --- users ----------------------------------------------------------------------------------

    def user(self, name: str) -> UserInfo | None:
        with self._lock:
            for u in self.users:
                if u.name == name:
                    return u
            return None

    def admin_user_exists(self) -> bool:
        with self._lock:
            return any(u.admin for u in self.users)

    def create_user(self, name: str, password: str, admin: bool = False) -> UserInfo:
        """Creates a user; repeating the same request (same password and admin flag) is a no-op."""
        with self._lock:
            if not name:
                raise E.MetaError(E.USERNAME_REQUIRED)
            u = self.user(name)
            if u is not None:
                if u.admin != admin or not verify_password(password, u.hash):
                    raise E.MetaError(E.USER_EXISTS)
                return u
            u = UserInfo(name, hash_password(password), admin)
            self.users.append(u)
            self._save()
            return u

    def _user(self, name: str) -> UserInfo:
        u = self.user(name)
        if u is None:
            raise E.MetaError(E.USER_NOT_FOUND)
        return u

    def drop_user(self, name: str) -> None:
        with self._lock:
            self.users.remove(self._user(name))
            self._save()

    def update_user(self, name: str, password: str) -> None:
        with self._lock:
            self._user(name).hash = hash_password(password)
            self._save()

    def set_admin(self, name: str, admin: bool) -> None:
        with self._lock:
            self._user(name).admin = admin
            self._save()

    def set_privilege(self, name: str, database: str, privilege: str) -> None:
        """Sets a user's privilege on a database: READ, WRITE, ALL or NO PRIVILEGES."""
        with self._lock:
            privilege = privilege.upper()
            if privilege not in PRIVILEGES + ("NO PRIVILEGES",):
                raise E.MetaError(E.INVALID_PRIVILEGE)
            u = self._user(name)
            self._database(database)
            u.privileges[database] = privilege  # NO PRIVILEGES stays listed, as InfluxDB lists it
            self._save()

    def user_privilege(self, name: str, database: str) -> str:
        """A user's privilege on a database (``NO PRIVILEGES`` when none)."""
        with self._lock:
            return self._user(name).privileges.get(database, "NO PRIVILEGES")

    def revoke_privilege(self, name: str, database: str, privilege: str) -> None:
        """InfluxDB's REVOKE: the privilege is bit-cleared from the user's (READ=1, WRITE=2,
        ALL=3), so revoking READ from ALL leaves WRITE; revoking ALL leaves NO PRIVILEGES."""
        bits = {"NO PRIVILEGES": 0, "READ": 1, "WRITE": 2, "ALL": 3}
        with self._lock:
            privilege = privilege.upper()
            if privilege not in bits:
                raise E.MetaError(E.INVALID_PRIVILEGE)
            have = 0 if privilege == "ALL" else bits[self.user_privilege(name, database)]
            left = have & ~bits[privilege]
            self.set_privilege(name, database, {v: k for k, v in bits.items()}[left])

    def authenticate(self, name: str, password: str) -> UserInfo:
        u = self.user(name)
        if u is None:
            raise E.MetaError(E.USER_NOT_FOUND)
        if not verify_password(password, u.hash):
            raise E.MetaError(E.AUTHENTICATION_FAILED)
        return u
