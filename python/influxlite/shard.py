"""One shard: its TSI index, its field types and its point storage (WAL + cache), in one
directory ``<data>/<db>/<rp>/<shard id>/``; the series file is the database's.

``write(batch, sel)`` is InfluxDB's shard write: check the points (``time`` tag/field rules,
field types, first writer wins), create missing series in the series file and the index, append
the points to the WAL (fsynced before it returns), then to the cache, where reads find them at
once. Writes to one shard run one at a time. All per-point work happens in Rust.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass

from . import _backend
from .storage import WAL, FieldRegistry
from .tsi import Index


@dataclass
class ShardWriteResult:
    written: int
    dropped: int
    reason: str | None


class Shard:
    def __init__(self, path: str, shard_id: int, series_file, *, database: str = "", retention_policy: str = "",
                 fsync_delay: float = 0.0, sync: bool = True, max_index_log_file_size: int = 1 << 20) -> None:
        self.path = os.fspath(path)
        self.id = shard_id
        self.database, self.retention_policy = database, retention_policy
        self.series_file = series_file
        self._sync = sync
        self._fsync_delay = fsync_delay
        self._max_log = max_index_log_file_size
        self._write_lock = threading.Lock()
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
        return self

    def close(self) -> None:
        if self.wal is not None:
            self.wal.close()
        if self.index is not None:
            self.index.close()

    def write(self, batch, sel: bytes | None = None) -> ShardWriteResult:
        """Writes the selected points (u32 LE indices into ``batch``; all if None)."""
        backend = _backend.backend
        with self._write_lock:
            accepted, new_fields, reason, dropped = backend.shard_validate(batch._raw, sel, self.fields.known())
            if not accepted:
                return ShardWriteResult(0, dropped, reason)
            if new_fields:
                self.fields.add(new_fields)
            ids, groups = self.series_file.create_series_from_batch(batch, accepted, len(self.index.partitions))
            self.index.add_series_ids_grouped(groups)
            self.wal.write(backend.wal_encode(batch._raw, accepted, ids))
            self.cache.insert_batch(batch._raw, accepted, ids)
            return ShardWriteResult(len(accepted) // 4, dropped, reason)

    # --- reads -----------------------------------------------------------------------------

    def measurement_names(self) -> list[bytes]:
        return self.index.measurement_names()

    def field_types(self, measurement) -> dict[bytes, str]:
        return self.fields.types(_raw(measurement))

    def read(self, measurement, series_ids=None, tmin: int = -(1 << 63), tmax: int = (1 << 63) - 1):
        """The points of a measurement (optionally only some series, times in [tmin, tmax]),
        sorted by series id and time, newest write winning per field: a pyarrow Table with
        ``time``, ``series_id`` and one column per field."""
        from .storage.arrow import snapshot_to_table

        sel = None if series_ids is None else struct.pack(f"<{len(series_ids)}Q", *sorted(series_ids))
        snap = self.cache.snapshot(_raw(measurement), sel, tmin, tmax)
        return snapshot_to_table(snap, self.field_types(measurement))


def _raw(x) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8", "surrogateescape")
