"""One shard: its TSI index, its field types and its point storage (WAL + cache), in one
directory ``<data>/<db>/<rp>/<shard id>/``; the series file is the database's.

``write(batch, sel)`` is InfluxDB's shard write: check the points (``time`` tag/field rules,
field types, first writer wins), create missing series in the series file and the index, append
the points to the WAL (fsynced before it returns), then to the cache, where reads find them at
once. Writes to one shard run one at a time. All per-point work happens in Rust.

When the cache passes ``cache_max_size`` it is compacted into Parquet files (``storage.parquet``)
by a background thread: the WAL moves to a new segment and a new cache takes writes while the
old one is written out; its WAL segments are removed only once the files are durable. A writer
waits only if the cache grows to four times its limit before the compaction catches up. Reads merge the Parquet files,
caches being compacted and the cache, newest value per field winning.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass

from . import _backend
from .storage import WAL, FieldRegistry
from .storage import parquet
from .storage.arrow import schema, snapshot_to_table
from .tsi import Index

DEFAULT_CACHE_MAX_SIZE = 25 * 1024 * 1024  # InfluxDB's cache-snapshot-memory-size


@dataclass
class ShardWriteResult:
    written: int
    dropped: int
    reason: str | None


class Shard:
    def __init__(self, path: str, shard_id: int, series_file, *, database: str = "", retention_policy: str = "",
                 fsync_delay: float = 0.0, sync: bool = True, max_index_log_file_size: int = 1 << 20,
                 cache_max_size: int = DEFAULT_CACHE_MAX_SIZE) -> None:
        self.path = os.fspath(path)
        self.id = shard_id
        self.database, self.retention_policy = database, retention_policy
        self.series_file = series_file
        self._sync = sync
        self._fsync_delay = fsync_delay
        self._max_log = max_index_log_file_size
        self.cache_max_size = cache_max_size
        self._write_lock = threading.Lock()
        self._compact_lock = threading.Lock()
        self._snapshots: list = []  # caches being compacted, oldest first
        self._generation = 0
        self._compactor: threading.Thread | None = None
        self.compaction_error: BaseException | None = None
        self.parquet_dir = os.path.join(self.path, "parquet")
        self.index: Index | None = None
        self.fields: FieldRegistry | None = None
        self.cache = None
        self.wal: WAL | None = None

    def open(self) -> Shard:
        os.makedirs(self.path, exist_ok=True)
        self.index = Index(os.path.join(self.path, "index"), self.series_file,
                           max_log_file_size=self._max_log, sync=self._sync).open()
        self.fields = FieldRegistry(os.path.join(self.path, "fields.json"))
        self.cache = _backend.backend.Cache()
        self.wal = WAL(os.path.join(self.path, "wal"), fsync_delay=self._fsync_delay, sync=self._sync)
        self.wal.open(self.cache)
        for m in parquet.measurements(self.parquet_dir):
            d = parquet.measurement_dir(self.parquet_dir, m)
            for name in os.listdir(d):
                if name.endswith(".tmp"):  # a compaction a crash interrupted
                    os.remove(os.path.join(d, name))
            gens = [g for g, _ in parquet.files(self.parquet_dir, m)]
            self._generation = max([self._generation, *gens])
        return self

    def close(self) -> None:
        self.wait_for_compaction()
        if self.wal is not None:
            self.wal.close()
        if self.index is not None:
            self.index.close()

    def write(self, batch, sel: bytes | None = None) -> ShardWriteResult:
        """Writes the selected points (u32 LE indices into ``batch``; all if None)."""
        backend = _backend.backend
        with self._write_lock:
            prepared, new_fields, reason, dropped = backend.shard_prepare(
                batch._raw, sel, self.fields.known(), len(self.index.partitions))
            if not len(prepared):
                return ShardWriteResult(0, dropped, reason)
            if new_fields:
                self.fields.add(new_fields)
            ids, groups = self.series_file.create_series_prepared(prepared)
            self.index.add_series_ids_grouped(groups)
            self.wal.write(prepared.wal_entry(ids))
            self.cache.insert_prepared(prepared, ids)
            size = self.cache.size
        if size > self.cache_max_size:
            self._start_compaction()
            if size > 4 * self.cache_max_size:  # backpressure: let the compaction catch up
                self.wait_for_compaction()
        return ShardWriteResult(len(prepared), dropped, reason)

    def _start_compaction(self) -> None:
        with self._write_lock:
            if self._compactor is not None and self._compactor.is_alive():
                return
            self._compactor = threading.Thread(target=self._compact_in_background, daemon=True,
                                               name=f"influxlite-compact-{self.id}")
            self._compactor.start()

    def _compact_in_background(self) -> None:
        try:
            self.compact()
            self.compaction_error = None
        except BaseException as e:  # noqa: BLE001 - kept for the next writer and inspect
            self.compaction_error = e

    def wait_for_compaction(self) -> None:
        t = self._compactor
        if t is not None:
            t.join()

    def compact(self) -> list[str]:
        """Writes the cache out as Parquet files; returns their paths."""
        with self._compact_lock:
            with self._write_lock:
                if self.cache.points == 0:
                    return []
                closed = self.wal.rotate()
                snap = self.cache
                self._snapshots.append(snap)
                self.cache = _backend.backend.Cache()
                self._generation += 1
                generation = self._generation
            written = []
            for m in snap.measurements():
                types = self.fields.types(m)
                table = snapshot_to_table(snap.snapshot(m), types)
                table = parquet.add_tags(table, self.series_file.series_key)
                path = os.path.join(parquet.measurement_dir(self.parquet_dir, m), f"{generation:08d}.parquet")
                parquet.write(path, table, m, types)
                written.append(path)
            with self._write_lock:
                self._snapshots.remove(snap)
            self.wal.remove(closed)
            return written

    # --- reads -----------------------------------------------------------------------------

    def measurement_names(self) -> list[bytes]:
        return self.index.measurement_names()

    def field_types(self, measurement) -> dict[bytes, str]:
        return self.fields.types(_raw(measurement))

    def read(self, measurement, series_ids=None, tmin: int = -(1 << 63), tmax: int = (1 << 63) - 1):
        """The points of a measurement (optionally only some series, times in [tmin, tmax]),
        sorted by series id and time, newest write winning per field: a pyarrow Table with
        ``time``, ``series_id`` and one column per field."""
        m = _raw(measurement)
        types = self.field_types(m)
        ids = None if series_ids is None else sorted(series_ids)
        sel = None if ids is None else struct.pack(f"<{len(ids)}Q", *ids)
        bounded = (None if tmin <= -(1 << 63) else tmin, None if tmax >= (1 << 63) - 1 else tmax)
        tables = [parquet.read(path, ids, *bounded) for _, path in parquet.files(self.parquet_dir, m)]
        with self._write_lock:
            caches = [*self._snapshots, self.cache]
        tables += [snapshot_to_table(c.snapshot(m, sel, tmin, tmax), types) for c in caches]
        merged = parquet.merge(tables)
        sch = schema(types)
        if merged.num_columns == 0:
            return sch.empty_table()
        return merged.select([f.name for f in sch if f.name in merged.column_names]).cast(
            pa_schema_subset(sch, merged.column_names))


def _raw(x) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8", "surrogateescape")


def pa_schema_subset(sch, names):
    import pyarrow as pa

    return pa.schema([sch.field(n) for n in names if n in sch.names])
