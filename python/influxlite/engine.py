"""``Engine(data_dir)``: the meta store, the series files, the shards and the PointsWriter of one
data directory, and the retention service. No HTTP in here.

Layout (as InfluxDB's, one ``data/`` level apart from ``meta/`` so that no database name can
reach the meta store): ``<data>/meta/meta.json``, ``<data>/data/<db>/_series``,
``<data>/data/<db>/<rp>/<shard id>/`` (``index/``, ``wal/``, ``fields.json``, ``manifest.json``,
``parquet/``), each database and retention policy directory named by ``pathnames.dir_name``.

One engine writes to a data directory at a time (``datadir.DataDirLock``); ``read_only=True``
opens it without the lock and without changing a byte (torn tails are reported, not cut).
Besides retention, a service compacts shards fully once they have had no write for
``cache_snapshot_write_cold_duration`` seconds (InfluxDB's ``cache-snapshot-write-cold-duration``).
"""

from __future__ import annotations

import os
import shutil
import threading
import time

from ._fsync import make_dirs
from .coordinator import DEFAULT_WRITE_TIMEOUT, PointsWriter, WriteResult
from .datadir import DataDirLock
from .limits import SeriesLimits
from .pathnames import dir_name
from .meta import MetaStore
from .models import PointBatch
from .seriesfile import SeriesFile
from .shard import Shard

DEFAULT_DATA_DIR = os.path.join(os.path.expanduser("~"), ".influxlite")
DEFAULT_RETENTION_CHECK_INTERVAL = 30 * 60.0
DEFAULT_COLD_DURATION = 10 * 60.0  # InfluxDB's cache-snapshot-write-cold-duration


class Engine:
    def __init__(self, data_dir: str | os.PathLike | None = None, *, shards_per_group: int = 1,
                 write_timeout: float = DEFAULT_WRITE_TIMEOUT, fsync_delay: float = 0.0,
                 retention_check_interval: float = DEFAULT_RETENTION_CHECK_INTERVAL,
                 retention_autocreate: bool = True, sync: bool = True, read_only: bool = False,
                 cache_max_size: int | None = None,
                 cache_snapshot_write_cold_duration: float = DEFAULT_COLD_DURATION,
                 max_series_per_database: int = 0, max_values_per_tag: int = 0) -> None:
        """``max_series_per_database``, ``max_values_per_tag``: InfluxDB's [data] limits (0 = off;
        ``influxlite serve`` passes InfluxDB's defaults, 1000000 and 100000), see ``limits``."""
        self.data_dir = os.fspath(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
        self._shards_per_group = shards_per_group
        self._write_timeout = write_timeout
        self._fsync_delay = fsync_delay
        self._retention_interval = retention_check_interval
        self._retention_autocreate = retention_autocreate
        self._sync = sync
        self.read_only = read_only
        self._cache_max_size = cache_max_size
        self._cold = cache_snapshot_write_cold_duration
        self._dir_lock: DataDirLock | None = None
        self._lock = threading.Lock()
        self._series_files: dict[str, SeriesFile] = {}
        self._limits = (max_series_per_database, max_values_per_tag)
        self._series_limits: dict[str, SeriesLimits] = {}
        self._shards: dict[int, Shard] = {}
        self._stop = threading.Event()
        self._services: list[threading.Thread] = []
        self.meta: MetaStore | None = None
        self.points_writer: PointsWriter | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def open(self, *, start_services: bool = True) -> Engine:
        if not self.read_only:
            make_dirs(self.data_dir)
            self._dir_lock = DataDirLock(self.data_dir).acquire()
        try:
            self.meta = MetaStore(self.data_dir, retention_autocreate=self._retention_autocreate,
                                  shards_per_group=self._shards_per_group, read_only=self.read_only)
        except BaseException:
            self._release()
            raise
        self.points_writer = PointsWriter(self.meta, self.shard, write_timeout=self._write_timeout)
        if start_services and not self.read_only:
            if self._retention_interval > 0:
                self._start_service("retention", self._retention_interval, self.enforce_retention)
            if self._cold > 0:
                self._start_service("cold-compaction", min(60.0, self._cold / 4), self.compact_cold_shards)
        return self

    def _start_service(self, name: str, interval: float, job) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    job()
                except Exception:  # noqa: BLE001 - keep the service alive; the next run retries
                    pass

        t = threading.Thread(target=loop, name=f"influxlite-{name}", daemon=True)
        t.start()
        self._services.append(t)

    def close(self) -> None:
        """Stops the services, compacts and closes every shard (see ``Shard.close``), releases
        the data directory."""
        self._stop.set()
        for t in self._services:
            t.join()
        if self.points_writer is not None:
            self.points_writer.close()
        with self._lock:
            for shard in self._shards.values():
                shard.close()
            for sf in self._series_files.values():
                sf.close()
            self._shards.clear()
            self._series_files.clear()
        self._release()

    def _release(self) -> None:
        if self._dir_lock is not None:
            self._dir_lock.release()
            self._dir_lock = None

    def __enter__(self) -> Engine:
        return self.open() if self.meta is None else self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- storage objects -----------------------------------------------------------------------

    def series_file(self, database: str) -> SeriesFile:
        with self._lock:
            sf = self._series_files.get(database)
            if sf is None:
                sf = SeriesFile(os.path.join(self.database_path(database), "_series"), sync=self._sync,
                                read_only=self.read_only)
                self._series_files[database] = sf
            return sf

    def _limits_of(self, database: str, sf: SeriesFile) -> SeriesLimits | None:
        """The database's ``SeriesLimits`` (the caller holds ``_lock``); None when both are off."""
        if not any(n > 0 for n in self._limits):
            return None
        lim = self._series_limits.get(database)
        if lim is None or lim.series_file is not sf:
            def shards(db=database) -> list[Shard]:
                return [s for s in list(self._shards.values()) if s.database == db]
            lim = self._series_limits[database] = SeriesLimits(*self._limits, sf, shards)
        return lim

    def shard_path(self, database: str, rp: str, shard_id: int) -> str:
        return os.path.join(self.database_path(database), dir_name(rp.encode()), str(shard_id))

    def database_path(self, database: str) -> str:
        """``<data>/data/<db dir>``: no database name chooses another path."""
        return os.path.join(self.data_dir, "data", dir_name(database.encode()))

    def shard(self, database: str, rp: str, shard_id: int) -> Shard:
        """The open shard (opened, or created, on first use)."""
        sf = self.series_file(database)
        with self._lock:
            shard = self._shards.get(shard_id)
            if shard is None:
                extra = {} if self._cache_max_size is None else {"cache_max_size": self._cache_max_size}
                shard = Shard(self.shard_path(database, rp, shard_id), shard_id, sf, database=database,
                              retention_policy=rp, fsync_delay=self._fsync_delay, sync=self._sync,
                              read_only=self.read_only, limits=self._limits_of(database, sf), **extra).open()
                self._shards[shard_id] = shard
            return shard

    # --- writes ----------------------------------------------------------------------------------

    def write_points(self, database: str, retention_policy: str | None, batch: PointBatch,
                     consistency: str | None = None, now: int | None = None) -> WriteResult:
        """Writes a parsed batch (see ``PointsWriter.write_points``)."""
        return self.points_writer.write_points(database, retention_policy, batch, consistency, now)

    # --- reads -----------------------------------------------------------------------------------

    def shards_for(self, database: str, rp: str | None, tmin: int, tmax: int) -> list[Shard]:
        policy = self.meta.retention_policy(database, rp or None)
        out = []
        for g in self.meta.shard_groups_by_time_range(database, policy.name, tmin, tmax):
            for sid in g.shards:
                if os.path.isdir(self.shard_path(database, policy.name, sid)):
                    out.append(self.shard(database, policy.name, sid))
        return out

    def read(self, database: str, measurement, rp: str | None = None, tmin: int = -(1 << 63),
             tmax: int = (1 << 63) - 1, series_ids=None):
        """A measurement's points across the shards of ``[tmin, tmax]``: a pyarrow Table sorted
        by series id and time."""
        import pyarrow as pa

        tables = [s.read(measurement, series_ids, tmin, tmax) for s in self.shards_for(database, rp, tmin, tmax)]
        tables = _unify_field_types([t for t in tables if t.num_rows])
        if not tables:
            return pa.table({})
        t = pa.concat_tables(tables, promote_options="permissive")
        return t.sort_by([("series_id", "ascending"), ("time", "ascending")])

    # --- deletes ---------------------------------------------------------------------------------

    def delete(self, database: str, measurement, series_ids=None, tmin: int = -(1 << 63),
               tmax: int = (1 << 63) - 1, rp: str | None = None) -> None:
        """Deletes a measurement's points (of the given series, or all) in ``[tmin, tmax]``."""
        for shard in self.shards_for(database, rp, tmin, tmax):
            shard.delete(measurement, series_ids, tmin, tmax)

    def drop_series(self, database: str, series_ids, rp: str | None = None) -> None:
        for shard in self.shards_for(database, rp, -(1 << 63), (1 << 63) - 1):
            shard.drop_series(series_ids)

    def drop_measurement(self, database: str, measurement, rp: str | None = None) -> None:
        for shard in self.shards_for(database, rp, -(1 << 63), (1 << 63) - 1):
            shard.drop_measurement(measurement)

    # --- retention -------------------------------------------------------------------------------

    def enforce_retention(self, now: int | None = None) -> list[int]:
        """Deletes shard groups that ended more than their policy's duration ago, with their
        shard directories; returns the shard ids removed."""
        now = time.time_ns() if now is None else now
        removed = []
        for db in list(self.meta.databases):
            for rp in list(db.retention_policies):
                if rp.duration <= 0:
                    continue
                expired = [g for g in rp.shard_groups if g.end < now - rp.duration or g.deleted]
                for g in expired:
                    self.meta.delete_shard_group(db.name, rp.name, g.id)
                    for sid in g.shards:
                        self._remove_shard(db.name, rp.name, sid)
                        removed.append(sid)
                if expired:
                    self.meta.prune_shard_groups(db.name, rp.name, [g.id for g in expired])
        return removed

    def _remove_shard(self, database: str, rp: str, shard_id: int) -> None:
        with self._lock:
            shard = self._shards.pop(shard_id, None)
        if shard is not None:
            shard.close(compact=False)  # its files are about to go
        shutil.rmtree(self.shard_path(database, rp, shard_id), ignore_errors=True)

    # --- compaction ------------------------------------------------------------------------------

    def open_shards(self) -> list[Shard]:
        """Every shard the meta store lists that exists on disk (opened)."""
        out = []
        for db in list(self.meta.databases):
            for rp in db.retention_policies:
                for g in rp.shard_groups:
                    for sid in g.shards:
                        if os.path.isdir(self.shard_path(db.name, rp.name, sid)):
                            out.append(self.shard(db.name, rp.name, sid))
        return out

    def compact(self) -> None:
        """Compacts every shard fully: afterwards its Parquet files are the truth."""
        for shard in self.open_shards():
            shard.compact_full()

    def compact_cold_shards(self) -> None:
        """Fully compacts open shards that had no write for the cold duration."""
        with self._lock:
            shards = list(self._shards.values())
        for shard in shards:
            if not self._stop.is_set() and shard.is_cold(self._cold):
                try:
                    shard.compact_full()
                except Exception:  # noqa: BLE001 - recorded by the shard; retried next time
                    pass

    # --- schema changes that remove data --------------------------------------------------------

    def drop_database(self, name: str) -> None:
        db = self.meta.database(name)
        if db is None:
            return
        for rp in db.retention_policies:
            for g in rp.shard_groups:
                for sid in g.shards:
                    self._remove_shard(name, rp.name, sid)
        self.meta.drop_database(name)
        with self._lock:
            sf = self._series_files.pop(name, None)
        if sf is not None:
            sf.close()
        shutil.rmtree(self.database_path(name), ignore_errors=True)

    def drop_retention_policy(self, database: str, name: str) -> None:
        db = self.meta.database(database)
        rp = db.retention_policy(name) if db else None
        if rp is None:
            return
        for g in rp.shard_groups:
            for sid in g.shards:
                self._remove_shard(database, name, sid)
        self.meta.drop_retention_policy(database, name)
        shutil.rmtree(os.path.join(self.database_path(database), dir_name(name.encode())), ignore_errors=True)


def _unify_field_types(tables: list) -> list:
    """A field may have another type in another shard (InfluxDB allows it): such a field is read
    as float64 when all its types are numeric, else as text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    seen: dict[str, set] = {}
    for t in tables:
        for f in t.schema:
            seen.setdefault(f.name, set()).add(f.type)
    mixed = {name: types for name, types in seen.items() if len(types) > 1}
    if not mixed:
        return tables
    out = []
    for t in tables:
        for name, types in mixed.items():
            if name not in t.column_names:
                continue
            numeric = all(pa.types.is_integer(x) or pa.types.is_floating(x) for x in types)
            target = pa.float64() if numeric else pa.string()
            col = t.column(name)
            if pa.types.is_boolean(col.type) and target == pa.string():
                col = pc.if_else(col, "true", "false")
            t = t.set_column(t.column_names.index(name), name, col.cast(target))
        out.append(t)
    return out
