"""One shard: its TSI index, its field types and its point storage (WAL, cache, Parquet files),
in one directory ``<data>/data/<db>/<rp>/<shard id>/``; the series file is the database's.

``write(batch, sel)`` is InfluxDB's shard write: check the points (``time`` tag/field rules,
field types, first writer wins), create missing series in the series file and the index, append
the points to the WAL, then to the cache, where reads find them at once. Writes to one shard run
one at a time; the WAL fsync runs after the shard's lock is released, and the call returns only
once the points are durable (concurrent writers share fsyncs). All per-point work is in Rust.

When the cache passes ``cache_max_size`` a background thread writes it out as Parquet files
(``storage.parquet``), listed in the shard's manifest (``storage.manifest``): the WAL moves to a
new segment, a new cache takes writes, and the old segments are removed only once the files and
the manifest listing them are durable. A failed write-out keeps its cache (reads still see it)
and its segments, and is retried with backoff (``compaction_error`` says why) before any newer
data is written out; writes go on until the caches hold ``cache_max_memory_size``, then are
refused with InfluxDB's ``cache-max-memory-size exceeded``. After a write-out the planner
(``storage.compaction``) merges files (size-tiered) and applies tombstones. Reads merge the
files, the caches being written out and the cache, newest value per field winning.

``compact_full()`` (run when the shard goes cold, on a clean close, and by ``influxlite
compact``) leaves each measurement's files holding each (series, time) once, no deleted row
and every point written: then the files are the truth, for any Parquet reader.

Deletes (series, measurements, time ranges) go through the WAL like writes, are applied to the
caches at once and recorded as tombstones in the manifest for the files already written, which
reads honour until the planner has rewritten or dropped those files.
"""

from __future__ import annotations

import os
import struct
import threading
import time

import pyarrow as pa

from . import _backend
from ._fsync import make_dirs, remove_tmp
from .errors import InfluxliteError
from .storage import WAL, FieldRegistry
from .storage import compaction, parquet
from .storage.arrow import column_name, schema, snapshot_to_table
from .storage.manifest import FileInfo, Manifest, Tombstone
from .storage.merge import without_deleted
from .stats import Statistic, registry
from .tsi import Index

DEFAULT_CACHE_MAX_SIZE = 25 * 1024 * 1024  # InfluxDB's cache-snapshot-memory-size
# InfluxDB's ``shard`` statistic (tsdb/shard.go); seriesCreate and diskBytes are read, not counted.
SHARD_STATS = ("writeReq", "writeReqOk", "writeReqErr", "writePointsOk", "writePointsErr", "writePointsDropped",
               "fieldsCreate", "writeBytes")
MIN_TIME, MAX_TIME = -(1 << 63), (1 << 63) - 1
RETRY_DELAY, MAX_RETRY_DELAY = 0.1, 30.0  # a failed compaction is retried with backoff


class ShardError(InfluxliteError):
    pass


class CacheFullError(ShardError):
    """InfluxDB's ErrCacheMemorySizeLimitExceeded: the caches hold as much as they may."""

    def __init__(self, n: int, limit: int) -> None:
        super().__init__(f"cache-max-memory-size exceeded: ({n}/{limit})")


class _Snapshot:
    """A cache being written out, with the WAL segments that hold its points."""

    def __init__(self, cache, segments: list[str], seq: int) -> None:
        self.cache, self.segments, self.seq = cache, segments, seq


class ShardWriteResult:
    __slots__ = ("written", "dropped", "reason")

    def __init__(self, written: int, dropped: int, reason: str | None) -> None:
        self.written, self.dropped, self.reason = written, dropped, reason

    def __repr__(self) -> str:
        return f"ShardWriteResult(written={self.written}, dropped={self.dropped}, reason={self.reason!r})"


class Shard:
    def __init__(self, path: str, shard_id: int, series_file, *, database: str = "", retention_policy: str = "",
                 fsync_delay: float = 0.0, sync: bool = True, max_index_log_file_size: int = 1 << 20,
                 cache_max_size: int = DEFAULT_CACHE_MAX_SIZE, cache_max_memory_size: int | None = None,
                 read_only: bool = False, limits=None) -> None:
        self.path = os.fspath(path)
        self.id = shard_id
        self.limits = limits  # the database's SeriesLimits (max-series-per-database, max-values-per-tag)
        self.database, self.retention_policy = database, retention_policy
        self.series_file = series_file
        self.read_only = read_only
        self._sync = sync
        self._fsync_delay = fsync_delay
        self._max_log = max_index_log_file_size
        self.cache_max_size = cache_max_size
        self.cache_max_memory_size = cache_max_memory_size or max(8 * cache_max_size, 1 << 30)
        self._write_lock = threading.Lock()
        self._compact_lock = threading.RLock()
        self._progress = threading.Condition()  # a compaction attempt ended
        self._closing = threading.Event()
        self._pending: _Snapshot | None = None  # the cache being written out (or to retry)
        self._compactor: threading.Thread | None = None
        self.compaction_error: BaseException | None = None  # the last attempt's, None once one succeeds
        self._attempts = 0
        self.stats = {"compactions": 0, "compaction_errors": 0, "bytes_flushed": 0, "bytes_rewritten": 0,
                      "files_written": 0}
        self.last_write = time.monotonic()
        self.fully_compacted = False
        self.parquet_dir = os.path.join(self.path, "parquet")
        self.index: Index | None = None
        self.fields: FieldRegistry | None = None
        self.manifest: Manifest | None = None
        self.cache = None
        self.wal: WAL | None = None
        tags = {"database": database, "retentionPolicy": retention_policy, "id": str(shard_id), "path": self.path,
                "engine": "influxlite", "indexType": "tsi1", "walPath": os.path.join(self.path, "wal")}
        self.stat = Statistic("shard", tags, SHARD_STATS, self._shard_gauges)
        self.engine_stat = Statistic("influxlite", tags, (), self._engine_gauges)

    # --- open / close ------------------------------------------------------------------------

    def open(self) -> Shard:
        if not self.read_only:
            make_dirs(self.path)
        self.index = Index(os.path.join(self.path, "index"), self.series_file, max_log_file_size=self._max_log,
                           sync=self._sync, read_only=self.read_only).open()
        self.fields = FieldRegistry(os.path.join(self.path, "fields.json"), read_only=self.read_only)
        self.manifest = Manifest(self.path, sync=self._sync).load()
        for f in self.manifest.files:  # a damaged or missing file stops the shard, named
            parquet.check_listed(os.path.join(self.path, f.path), f.size)
        if not self.read_only:
            self._remove_orphans()
        self.cache = _backend.backend.Cache()
        self.wal = WAL(os.path.join(self.path, "wal"), fsync_delay=self._fsync_delay, sync=self._sync,
                       read_only=self.read_only)
        deletes = self.wal.open(self.cache)
        # Types the registry lacks (it is written before the WAL, but be sure): the cache knows.
        missing = [(m, f, t) for m, f, t in self.cache.field_types() if f not in self.fields.types(m)]
        if missing and not self.read_only:
            self.fields.add(missing)
        # A delete still in the WAL may not have reached the manifest before a crash: every
        # file listed now is older than it.
        for m, ids, tmin, tmax in deletes:
            self._add_tombstone(m, None if ids is None else _ids(ids), tmin, tmax)
        if deletes and not self.read_only:
            self.manifest.save()
        registry.register(self.stat)
        registry.register(self.engine_stat)
        return self

    def _remove_orphans(self) -> None:
        """Files the manifest does not list (a write-out or merge a crash or error cut short)
        are not data: removed. ``next_id`` passes every id seen, so none is ever reused. So
        are the temporary files of a fields.json or manifest.json save a crash cut short."""
        remove_tmp(self.fields.path)
        remove_tmp(self.manifest.path)
        listed = {f.path for f in self.manifest.files}
        if not os.path.isdir(self.parquet_dir):
            return
        for d in os.listdir(self.parquet_dir):
            full = os.path.join(self.parquet_dir, d)
            if not os.path.isdir(full):
                continue
            for name in os.listdir(full):
                rel = os.path.join("parquet", d, name)
                stem = name.split(".", 1)[0]
                if stem.isdigit():
                    self.manifest.next_id = max(self.manifest.next_id, int(stem) + 1)
                if rel not in listed and (name.endswith(".parquet") or name.endswith(".tmp")):
                    os.remove(full + os.sep + name)

    def close(self, *, compact: bool = True) -> None:
        """Writes the cache out and compacts fully (unless read-only, or ``compact=False`` for a
        shard about to be deleted), then closes the files. A compaction that fails here loses
        nothing: the WAL keeps the points for the next open."""
        registry.unregister(self.stat)
        registry.unregister(self.engine_stat)
        if compact and self.wal is not None and not self.read_only and self.wal.failed is None:
            try:
                self.compact_full()
            except Exception:  # noqa: BLE001 - the WAL still holds everything
                pass
        self._closing.set()
        t = self._compactor
        if t is not None:
            t.join()
        if self.wal is not None:
            self.wal.close()
        if self.index is not None:
            self.index.close()

    # --- writes ------------------------------------------------------------------------------

    def write(self, batch, sel: bytes | None = None) -> ShardWriteResult:
        """Writes the selected points (u32 LE indices into ``batch``; all if None)."""
        try:
            return self._write(batch, sel)
        except BaseException:
            self.stat.update(writeReq=1, writeReqErr=1, writePointsErr=len(batch) if sel is None else len(sel) // 4)
            raise

    def _write(self, batch, sel: bytes | None) -> ShardWriteResult:
        self._check_writable()
        self._apply_backpressure()
        backend = _backend.backend
        parts = len(self.index.partitions)
        # The shard pass (checks and decoding; Rust, without the GIL) runs before the lock, so
        # concurrent writers do it side by side, against the field types of that moment; it is
        # redone under the lock when it would add fields or the types changed meanwhile (first
        # writer wins, as before).
        version, known = self.fields.known_at()
        early = backend.shard_prepare(batch._raw, sel, known, parts)
        with self._write_lock:
            sel, limit_reason, limit_dropped = self._apply_limits(batch, sel)
            if not limit_dropped and not early[1] and self.fields.version == version:
                prepared, new_fields, reason, dropped = early
            else:
                prepared, new_fields, reason, dropped = backend.shard_prepare(
                    batch._raw, sel, self.fields.known(), parts)
            if limit_dropped:  # a field type conflict's reason wins, as InfluxDB checks fields after series
                reason, dropped = reason or limit_reason, dropped + limit_dropped
            if not len(prepared):
                self.stat.update(writeReq=1, writeReqOk=1, writePointsDropped=dropped)
                return ShardWriteResult(0, dropped, reason)
            if new_fields:  # durable before the WAL entry that needs them
                self.fields.add(new_fields)
            ids, groups = self.series_file.create_series_prepared(prepared)
            self.index.add_series_ids_grouped(groups)
            entry = prepared.wal_entry(ids)
            seq = self.wal.append(entry)
            self.cache.insert_prepared(prepared, ids)
            size = self.cache.size
            self.last_write = time.monotonic()
            self.fully_compacted = False
        # Durable before we return; waiting outside the lock lets other writers append
        # meanwhile and share the fsync (the cache may show the points a moment earlier).
        self.wal.wait_durable(seq)
        self.stat.update(writeReq=1, writeReqOk=1, writePointsOk=len(prepared), writePointsDropped=dropped,
                         fieldsCreate=len(new_fields) if new_fields else 0, writeBytes=len(entry))
        if size > self.cache_max_size:
            self._start_compaction()
        return ShardWriteResult(len(prepared), dropped, reason)

    # --- statistics read on demand (SHOW STATS, /debug/vars) -----------------------------------

    def _shard_gauges(self) -> dict:
        index = self.index
        return {"diskBytes": _tree_size(self.path), "seriesCreate": index.series_n() if index is not None else 0}

    def _engine_gauges(self) -> dict:
        """influxlite's own per-shard numbers: the caches, the WAL, the Parquet files, compactions."""
        pending = self._pending
        files = list(self.manifest.files) if self.manifest is not None else []
        wal = os.path.join(self.path, "wal")
        return {"cacheBytes": self.cache.size if self.cache is not None else 0,
                "cachePoints": self.cache.points if self.cache is not None else 0,
                "snapshotBytes": pending.cache.size if pending is not None else 0,
                "walBytes": _tree_size(wal), "walSegments": len(os.listdir(wal)) if os.path.isdir(wal) else 0,
                "parquetFiles": len(files), "parquetBytes": _tree_size(self.parquet_dir),
                "tombstones": len(self.manifest.tombstones) if self.manifest is not None else 0,
                "compactions": self.stats["compactions"], "compactionErrors": self.stats["compaction_errors"],
                "bytesFlushed": self.stats["bytes_flushed"], "bytesRewritten": self.stats["bytes_rewritten"],
                "filesWritten": self.stats["files_written"], "fullyCompacted": int(self.fully_compacted)}

    def _apply_limits(self, batch, sel: bytes | None):
        """``(sel, reason, dropped)``: the points of series the database's limits refuse left out."""
        if self.limits is None or not self.limits.enabled():
            return sel, None, 0
        if sel is None:
            sel = struct.pack(f"<{len(batch)}I", *range(len(batch)))
        return self.limits.check(batch, sel)

    def _check_writable(self) -> None:
        if self.read_only:
            raise ShardError(f"shard {self.id} is open read-only")
        if self.wal.failed is not None:
            raise ShardError(self.wal.failed)

    def memory_size(self) -> int:
        """Bytes held by the cache and the caches being written out (read without the write
        lock: every write asks, and a moment's staleness only delays backpressure by a write)."""
        pending = self._pending
        return self.cache.size + (pending.cache.size if pending else 0)

    def _apply_backpressure(self) -> None:
        """Waits while the caches hold more than ``cache_max_memory_size`` and the write-out
        makes progress; refuses the write (nothing of it written) once an attempt has failed."""
        while (n := self.memory_size()) > self.cache_max_memory_size:
            if self.compaction_error is not None:
                raise CacheFullError(n, self.cache_max_memory_size)
            self._start_compaction()
            with self._progress:
                self._progress.wait(0.5)

    # --- compaction --------------------------------------------------------------------------

    def _start_compaction(self) -> None:
        with self._progress:
            if self._closing.is_set() or (self._compactor is not None and self._compactor.is_alive()):
                return
            self._compactor = threading.Thread(target=self._compaction_loop, daemon=True,
                                               name=f"influxlite-compact-{self.id}")
            self._compactor.start()

    def _compaction_loop(self) -> None:
        """Compacts until the cache is under its limit; a failure is retried with backoff."""
        delay = RETRY_DELAY
        while not self._closing.is_set():
            try:
                self.compact()
            except Exception as e:  # noqa: BLE001 - kept for writers, inspect and /debug/vars
                self._attempt_ended(e)
                if self._closing.wait(delay):
                    return
                delay = min(delay * 2, MAX_RETRY_DELAY)
                continue
            self._attempt_ended(None)
            if self.cache.size <= self.cache_max_size:
                return

    def _attempt_ended(self, error: BaseException | None) -> None:
        with self._progress:
            self._attempts += 1
            self.compaction_error = error
            if error is not None:
                self.stats["compaction_errors"] += 1
            self._progress.notify_all()

    def wait_for_compaction(self) -> None:
        """Waits for the background compaction to finish; raises the error of an attempt that
        fails meanwhile (the loop goes on retrying)."""
        with self._progress:
            seen = self._attempts
            while self._compactor is not None and self._compactor.is_alive():
                self._progress.wait(0.05)
                if self._attempts != seen and self.compaction_error is not None:
                    raise self.compaction_error

    def compact(self) -> list[str]:
        """Writes the cache out as Parquet files (first retrying a write-out that failed), then
        runs the merges the planner asks for; returns the paths of the write-out's files."""
        from .storage.compactor import Compactor

        with self._compact_lock:
            self._check_writable()
            c = Compactor(self)
            written = c.write_out()
            c.run(compaction.plan(*c.state()))
            self.stats["compactions"] += 1
            return written

    def compact_full(self) -> None:
        """Writes out every cache and merges until each (series, time) is in one file per
        measurement and no tombstone is left (what a Parquet reader sees is then the truth)."""
        from .storage.compactor import Compactor

        with self._compact_lock:
            self._check_writable()
            c = Compactor(self)
            try:
                for _ in range(2):  # writes that keep arriving get the next full compaction
                    c.write_out()
                    if self.cache.points == 0:
                        break
                c.run(compaction.plan(*c.state(), full=True))
            except Exception as e:
                self._attempt_ended(e)
                raise
            self._attempt_ended(None)
            with self._write_lock:
                self.fully_compacted = self.cache.points == 0 and not self.manifest.tombstones

    def is_cold(self, duration: float) -> bool:
        """Not fully compacted, and no write for ``duration`` seconds."""
        return (not self.read_only and not self.fully_compacted and self.wal.failed is None
                and time.monotonic() - self.last_write >= duration)

    # --- deletes -----------------------------------------------------------------------------

    def delete(self, measurement, series_ids=None, tmin: int = MIN_TIME, tmax: int = MAX_TIME) -> None:
        """Deletes a measurement's points (of the given series, or all) in ``[tmin, tmax]``."""
        self._check_writable()
        with self._write_lock:
            self._delete_locked(_raw(measurement), series_ids, tmin, tmax)

    def _delete_locked(self, m: bytes, series_ids, tmin: int, tmax: int) -> None:
        ids = None if series_ids is None else sorted(set(series_ids))
        sel = None if ids is None else struct.pack(f"<{len(ids)}Q", *ids)
        self.wal.write(_backend.backend.wal_encode_delete(m, sel, tmin, tmax))
        self.cache.delete(m, sel, tmin, tmax)
        if self._pending is not None:
            self._pending.cache.delete(m, sel, tmin, tmax)
        if self._add_tombstone(m, None if ids is None else frozenset(ids), tmin, tmax):
            self.manifest.save()
        self.fully_compacted = False

    def drop_series(self, series_ids) -> None:
        """Deletes series entirely: their points and their index entries."""
        from .serieskey import parse_series_key

        by_measurement: dict[bytes, list[int]] = {}
        for sid in series_ids:
            key = self.series_file.series_key(sid)
            if key is not None:
                by_measurement.setdefault(parse_series_key(key)[0], []).append(sid)
        self._check_writable()
        with self._write_lock:
            for m, ids in by_measurement.items():
                self._delete_locked(m, ids, MIN_TIME, MAX_TIME)
                for sid in ids:
                    self.index.drop_series(sid)

    def drop_measurement(self, measurement) -> None:
        """Deletes a measurement: its points, its series in the index and its field types, all
        under the write lock (a racing write sees the measurement whole or not at all)."""
        m = _raw(measurement)
        self._check_writable()
        with self._write_lock:
            self._delete_locked(m, None, MIN_TIME, MAX_TIME)
            self.index.drop_measurement(m)
            self.fields.remove(m)

    def _add_tombstone(self, m: bytes, ids, tmin: int, tmax: int) -> bool:
        """Records a delete for the files that exist or are being written; False if none can
        hold the measurement."""
        if not self.manifest.of(m) and self._pending is None:
            return False
        self.manifest.tombstones.append(Tombstone(m, ids, tmin, tmax, self.manifest.next_id - 1))
        return True

    # --- reads -------------------------------------------------------------------------------

    def read_file(self, f: FileInfo, ids=None, tmin=None, tmax=None, tombstones=None, columns=None,
                  threads: bool = True) -> pa.Table:
        """A Parquet file's rows, less what the tombstones that apply to it delete."""
        t = parquet.read(os.path.join(self.path, f.path), ids, tmin, tmax, columns, threads)
        tombs = self.manifest.tombstones if tombstones is None else tombstones
        return without_deleted(t, [tomb for tomb in tombs if tomb.applies_to(f)])

    def measurement_names(self) -> list[bytes]:
        return self.index.measurement_names()

    def field_types(self, measurement) -> dict[bytes, str]:
        return self.fields.types(_raw(measurement))

    def read(self, measurement, series_ids=None, tmin: int = MIN_TIME, tmax: int = MAX_TIME, columns=None):
        """The points of a measurement (optionally only some series, times in [tmin, tmax]),
        sorted by series id and time, newest write winning per field: a pyarrow Table with
        ``time``, ``series_id`` and one column per field (only those of ``columns``, field
        column names, when given). A row whose read fields are all null is kept. Everything runs
        in the calling thread (no Arrow pool): a query thread's lower priority covers its reads."""
        m = _raw(measurement)
        types = self.field_types(m)
        if columns is not None:
            wanted = set(columns)
            types = {k: t for k, t in types.items() if column_name(k) in wanted}
        ids = None if series_ids is None else sorted(series_ids)
        sel = None if ids is None else struct.pack(f"<{len(ids)}Q", *ids)
        bounded = (None if tmin <= MIN_TIME else tmin, None if tmax >= MAX_TIME else tmax)
        for _ in range(100):
            with self._write_lock:
                caches = ([self._pending.cache] if self._pending else []) + [self.cache]
                files = [f for f in self.manifest.of(m) if f.max_time >= tmin and f.min_time <= tmax]
                tombs = list(self.manifest.tombstones)
            try:
                tables = [self.read_file(f, ids, *bounded, tombs, columns, threads=False) for f in files]
                break
            except FileNotFoundError:
                continue  # a merge removed a file after we listed it; its rows are in the new one
        else:
            raise RuntimeError("files kept changing under the read")
        tables += [snapshot_to_table(c.snapshot(m, sel, tmin, tmax), types) for c in caches]
        merged = parquet.merge(tables)
        sch = schema(types)
        if merged.num_columns == 0:
            return sch.empty_table()
        return merged.select([f.name for f in sch if f.name in merged.column_names]).cast(
            pa.schema([sch.field(n) for n in merged.column_names if n in sch.names]))


def _raw(x) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8", "surrogateescape")


def _tree_size(path: str) -> int:
    """Bytes of the files under ``path`` (files vanishing meanwhile count 0)."""
    total = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _ids(b: bytes) -> frozenset:
    return frozenset(struct.unpack(f"<{len(b) // 8}Q", b))
