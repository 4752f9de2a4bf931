"""One shard: its TSI index, its field types and its point storage (WAL + cache), in one
directory ``<data>/<db>/<rp>/<shard id>/``; the series file is the database's.

``write(batch, sel)`` is InfluxDB's shard write: check the points (``time`` tag/field rules,
field types, first writer wins), create missing series in the series file and the index, append
the points to the WAL (fsynced before it returns), then to the cache, where reads find them at
once. Writes to one shard run one at a time. All per-point work happens in Rust.

The WAL entry is appended under the shard's lock (so the WAL and the cache see writes in the
same order) and fsynced after it is released: the call returns only once the points are
durable, and concurrent writers share fsyncs.

When the cache passes ``cache_max_size`` it is compacted into Parquet files (``storage.parquet``)
by a background thread: the WAL moves to a new segment and a new cache takes writes while the
old one is written out; its WAL segments are removed only once the files are durable. A writer
waits only if the cache grows to four times its limit before the compaction catches up. Reads merge the Parquet files,
caches being compacted and the cache, newest value per field winning.

Deletes (series, measurements, time ranges) go through the WAL like writes, are applied to the
caches at once and recorded as tombstones (``tombstones.json``) for the Parquet files already
written, which reads honour; the next compaction rewrites the affected files without the
deleted rows and drops the tombstones.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from . import _backend
from .storage import WAL, FieldRegistry
from .storage import parquet
from .storage.arrow import schema, snapshot_to_table
from .tsi import Index

DEFAULT_CACHE_MAX_SIZE = 25 * 1024 * 1024  # InfluxDB's cache-snapshot-memory-size
MIN_TIME, MAX_TIME = -(1 << 63), (1 << 63) - 1
MAX_FILES_PER_MEASUREMENT = 8  # more, and the next compaction merges them into one


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
        # (measurement, series ids or None for all, tmin, tmax, newest file generation it covers)
        self._tombstones: list[tuple[bytes, frozenset | None, int, int, int]] = []
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
        deletes = self.wal.open(self.cache)
        self._load_tombstones()
        for m in parquet.measurements(self.parquet_dir):
            d = parquet.measurement_dir(self.parquet_dir, m)
            for name in os.listdir(d):
                if name.endswith(".tmp"):  # a compaction a crash interrupted
                    os.remove(os.path.join(d, name))
            gens = [g for g, _ in parquet.files(self.parquet_dir, m)]
            self._generation = max([self._generation, *gens])
        # A delete still in the WAL may not have reached tombstones.json before a crash: every
        # file on disk now is older than it.
        for m, ids, tmin, tmax in deletes:
            self._add_tombstone(m, None if ids is None else _ids(ids), tmin, tmax)
        if deletes:
            self._save_tombstones()
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
            seq = self.wal.append(prepared.wal_entry(ids))
            self.cache.insert_prepared(prepared, ids)
            size = self.cache.size
        # Durable before we return; waiting outside the lock lets other writers append
        # meanwhile and share the fsync (the cache may show the points a moment earlier).
        self.wal.wait_durable(seq)
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
            self._merge_files(generation)
            return written

    def _merge_files(self, generation: int) -> None:
        """Rewrites the files of measurements that have tombstones or too many files as one
        file (the newest generation), the deleted rows left out; then drops those tombstones."""
        with self._write_lock:
            tombs = list(self._tombstones)
        todo = {t[0] for t in tombs}
        for m in parquet.measurements(self.parquet_dir):
            if len(parquet.files(self.parquet_dir, m)) > MAX_FILES_PER_MEASUREMENT:
                todo.add(m)
        for m in sorted(todo):
            files = [(g, p) for g, p in parquet.files(self.parquet_dir, m) if g <= generation]
            if not files:
                continue
            merged = parquet.merge([self._read_file(m, g, p, None, None, None) for g, p in files])
            newest_gen, newest = files[-1]
            if merged.num_rows:
                types = self.fields.types(m)
                merged = parquet.add_tags(merged, self.series_file.series_key)
                parquet.write(newest, merged, m, types)  # replaces the newest file atomically
            else:
                os.remove(newest)
            for _, p in files[:-1]:
                os.remove(p)
            with self._write_lock:  # tombstones made during the merge stay for the next one
                self._tombstones = [t for t in self._tombstones if not (t[0] == m and t in tombs)]
                self._save_tombstones()

    # --- deletes ---------------------------------------------------------------------------

    def delete(self, measurement, series_ids=None, tmin: int = MIN_TIME, tmax: int = MAX_TIME) -> None:
        """Deletes a measurement's points (of the given series, or all) in ``[tmin, tmax]``."""
        m = _raw(measurement)
        ids = None if series_ids is None else sorted(set(series_ids))
        sel = None if ids is None else struct.pack(f"<{len(ids)}Q", *ids)
        backend = _backend.backend
        with self._write_lock:
            self.wal.write(backend.wal_encode_delete(m, sel, tmin, tmax))
            self.cache.delete(m, sel, tmin, tmax)
            for snap in self._snapshots:
                snap.delete(m, sel, tmin, tmax)
            self._add_tombstone(m, None if ids is None else frozenset(ids), tmin, tmax)
            self._save_tombstones()

    def drop_series(self, series_ids) -> None:
        """Deletes series entirely: their points and their index entries."""
        from .serieskey import parse_series_key

        by_measurement: dict[bytes, list[int]] = {}
        for sid in series_ids:
            key = self.series_file.series_key(sid)
            if key is not None:
                by_measurement.setdefault(parse_series_key(key)[0], []).append(sid)
        for m, ids in by_measurement.items():
            self.delete(m, ids)
            for sid in ids:
                self.index.drop_series(sid)

    def drop_measurement(self, measurement) -> None:
        """Deletes a measurement: its points, its series in the index and its field types."""
        m = _raw(measurement)
        self.delete(m)
        self.index.drop_measurement(m)
        self.fields.remove(m)

    def _add_tombstone(self, m: bytes, ids, tmin: int, tmax: int) -> None:
        if parquet.files(self.parquet_dir, m) or self._snapshots:
            self._tombstones.append((m, ids, tmin, tmax, self._generation))

    def _load_tombstones(self) -> None:
        path = os.path.join(self.path, "tombstones.json")
        if os.path.exists(path):
            with open(path, "rb") as f:
                self._tombstones = [(bytes.fromhex(t["m"]), None if t["ids"] is None else frozenset(t["ids"]),
                                     t["tmin"], t["tmax"], t["gen"]) for t in json.loads(f.read())]

    def _save_tombstones(self) -> None:
        path = os.path.join(self.path, "tombstones.json")
        data = [{"m": m.hex(), "ids": None if ids is None else sorted(ids), "tmin": tmin, "tmax": tmax, "gen": gen}
                for m, ids, tmin, tmax, gen in self._tombstones]
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def _read_file(self, m: bytes, generation: int, path: str, ids, tmin, tmax) -> pa.Table:
        """A Parquet file's rows, less what tombstones newer than the file delete."""
        t = parquet.read(path, ids, tmin, tmax)
        for tm, tids, t0, t1, gen in self._tombstones:
            if tm != m or gen < generation or t.num_rows == 0:
                continue
            times = t.column("time").cast(pa.int64())
            hit = pc.and_(pc.greater_equal(times, t0), pc.less_equal(times, t1))
            if tids is not None:
                hit = pc.and_(hit, pc.is_in(t.column("series_id"), value_set=pa.array(sorted(tids), pa.uint64())))
            t = t.filter(pc.invert(hit))
        return t

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
        for attempt in range(100):
            with self._write_lock:
                caches = [*self._snapshots, self.cache]
                files = parquet.files(self.parquet_dir, m)
            try:
                tables = [self._read_file(m, gen, path, ids, *bounded) for gen, path in files]
                break
            except FileNotFoundError:
                # A merge removed a file after we listed it; its rows are in the merged file.
                continue
        else:
            raise RuntimeError("files kept changing under the read")
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


def _ids(b: bytes) -> frozenset:
    return frozenset(struct.unpack(f"<{len(b) // 8}Q", b))
