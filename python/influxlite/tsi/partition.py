"""One TSI index partition: a MANIFEST, the active log file and the immutable index files
compacted from older logs, newest first, as InfluxDB 1.x's ``tsi1.Partition`` lays them out.

``<index>/<p>/MANIFEST`` is byte for byte InfluxDB's JSON; ``L0-%08d.tsl`` are log files in
InfluxDB's format; ``L1-%08d.ilx`` are influxlite's compacted index files (``indexfile``; not
InfluxDB's ``.tsi`` format). When the active log reaches ``max_log_file_size`` (1 MiB, as
InfluxDB), a new log takes over and the old one is compacted into an index file with the same
id, so opening never replays more than one log file's worth of entries.

Reads merge the files newest first: a newer file's measurement, tag-key or tag-value tombstone
hides what older files say about it, and its series tombstones remove those ids from older
files' sets.
"""

from __future__ import annotations

import json
import os
import re
import threading

from pyroaring import BitMap64

from . import indexfile
from . import seriesidset as ids_
from .indexfile import IndexFile
from .logentry import (
    MEASUREMENT_TOMBSTONE, SERIES_TOMBSTONE, TAG_KEY_TOMBSTONE, TAG_VALUE_TOMBSTONE,
)
from .logfile import LogFile
from .._fsync import atomic_write, make_dirs
from ..errors import InfluxliteError

MANIFEST_NAME = "MANIFEST"
MANIFEST_VERSION = 1
DEFAULT_MAX_LOG_FILE_SIZE = 1 << 20
# InfluxDB's level settings (bloom filter m and k per level), kept for an identical MANIFEST.
LEVELS = [{}, {"m": 1 << 25, "k": 6}, {"m": 1 << 25, "k": 6}, {"m": 1 << 26, "k": 6}, {"m": 1 << 27, "k": 6},
          {"m": 1 << 28, "k": 6}, {"m": 1 << 29, "k": 6}, {"m": 1 << 30, "k": 6}]
_FILE_NAME = re.compile(r"^L(\d+)-(\d+)\..+$")


class IndexError_(InfluxliteError):
    """A TSI partition that cannot be opened."""


def parse_file_name(name: str) -> tuple[int, int] | None:
    """(level, id) of ``L<level>-<id>.<ext>``."""
    m = _FILE_NAME.match(name)
    return (int(m.group(1)), int(m.group(2))) if m else None


def manifest_bytes(files: list[str]) -> bytes:
    """The MANIFEST as InfluxDB writes it (``json.MarshalIndent(m, "", "  ")`` + newline)."""
    return (json.dumps({"levels": LEVELS, "files": files, "version": MANIFEST_VERSION}, indent=2) + "\n").encode()


class Partition:
    def __init__(self, path: str, series_file, *, max_log_file_size: int = DEFAULT_MAX_LOG_FILE_SIZE,
                 sync: bool = True, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self.series_file = series_file
        self.max_log_file_size = max_log_file_size
        self._sync = sync
        self._lock = threading.RLock()
        self.files: list = []  # newest first: LogFile or IndexFile
        self.active: LogFile | None = None
        self.series_id_set = BitMap64()
        self._seq = 0

    # --- open / manifest ---------------------------------------------------------------

    def open(self) -> Partition:
        with self._lock:
            if not self.read_only:
                make_dirs(self.path)
            manifest = os.path.join(self.path, MANIFEST_NAME)
            names: list[str] = []
            if os.path.exists(manifest):
                with open(manifest, "rb") as f:
                    raw = f.read()
                try:
                    m = json.loads(raw)
                except ValueError as e:
                    raise IndexError_(f"{manifest}: damaged at offset {getattr(e, 'pos', 0)}: {e}") from e
                if not isinstance(m, dict) or m.get("version") != MANIFEST_VERSION:
                    raise IndexError_(f"{manifest}: damaged or incompatible tsi1 index MANIFEST")
                names = list(m.get("files") or [])
            for name in names:
                parsed = parse_file_name(name) if isinstance(name, str) and "/" not in name else None
                if parsed is None:
                    raise IndexError_(f"{manifest}: invalid index file name in MANIFEST: {name!r}")
                self._seq = max(self._seq, parsed[1])
                path = os.path.join(self.path, name)
                if name.endswith(".tsl"):
                    self.files.append(LogFile(path, self.series_file, sync=self._sync,
                                              read_only=self.read_only).open())
                elif name.endswith(indexfile.EXTENSION):
                    self.files.append(IndexFile(path))
                else:
                    raise IndexError_(f"unknown file type in MANIFEST: {name}")
            # The partition's series: every file's, oldest first, minus later tombstones.
            for f in reversed(self.files):
                self.series_id_set |= f.series_id_set()
                self.series_id_set -= f.tombstone_series_id_set()
            first = self.files[0] if self.files else None
            if self.read_only:
                self.active = first if isinstance(first, LogFile) else None
                return self
            if isinstance(first, LogFile) and first.size < self.max_log_file_size:
                self.active = first
            else:
                self._new_log()
            self._remove_unlisted()
            self._compact_full_logs()
        return self

    def _write_manifest(self) -> None:
        names = [os.path.basename(f.path) for f in self.files]
        atomic_write(os.path.join(self.path, MANIFEST_NAME), manifest_bytes(names), sync=self._sync)

    def _new_log(self) -> None:
        self._seq += 1
        log = LogFile(os.path.join(self.path, f"L0-{self._seq:08d}.tsl"), self.series_file, sync=self._sync).open()
        self.files.insert(0, log)
        self.active = log
        self._write_manifest()

    def _remove_unlisted(self) -> None:
        """Files a crash left behind (a log whose compaction finished, a half-written index
        file): not in the MANIFEST, so not part of the index."""
        listed = {os.path.basename(f.path) for f in self.files} | {MANIFEST_NAME}
        for name in os.listdir(self.path):
            if name not in listed and (parse_file_name(name) or name.endswith((".compacting", ".tmp"))):
                os.remove(os.path.join(self.path, name))

    def close(self) -> None:
        with self._lock:
            for f in self.files:
                f.close()
            self.files = []
            self.active = None

    # --- writes --------------------------------------------------------------------------

    def add_series_ids(self, ids: list[int], *, defer_sync: bool = False) -> int | None:
        """Adds series already in the series file. With ``defer_sync`` the log is not fsynced:
        the descriptor to fsync is returned, and ``after_sync()`` must follow the fsync."""
        with self._lock:
            log = self.active
            log._defer_sync = defer_sync
            try:
                log.add_series_ids(self.series_id_set, ids)
            finally:
                log._defer_sync = False
            if defer_sync:
                return log.take_unsynced_fd()
            self._check_log_file()
            return None

    def after_sync(self) -> None:
        with self._lock:
            self._check_log_file()

    def drop_series(self, series_id: int) -> None:
        with self._lock:
            self.active.delete_series_id(series_id)
            self.series_id_set.discard(series_id)
            self._check_log_file()

    def drop_measurement(self, name: bytes) -> None:
        """InfluxDB's DropMeasurement: tombstones for every live tag key, tag value and series
        of the measurement, then the measurement itself, in one batch."""
        with self._lock:
            entries = []
            for key in self.tag_keys(name):
                entries.append((TAG_KEY_TOMBSTONE, 0, name, key, b""))
            for key in self.tag_keys(name):
                for value in self.tag_values(name, key):
                    entries.append((TAG_VALUE_TOMBSTONE, 0, name, key, value))
            series = self.measurement_series_ids(name)
            for sid in series:
                entries.append((SERIES_TOMBSTONE, sid, b"", b"", b""))
            entries.append((MEASUREMENT_TOMBSTONE, 0, name, b"", b""))
            self.active.write_entries(entries)
            self.series_id_set -= series
            self._check_log_file()

    def _check_log_file(self) -> None:
        if self.active.size >= self.max_log_file_size:
            self._new_log()
            self._compact_full_logs()

    def _compact_full_logs(self) -> None:
        """Turns every log file but the active one into an index file with the same id."""
        for i, f in enumerate(self.files):
            if f is self.active or not isinstance(f, LogFile):
                continue
            level_id = parse_file_name(os.path.basename(f.path))[1]
            path = os.path.join(self.path, f"L1-{level_id:08d}{indexfile.EXTENSION}")
            indexfile.write(path, f._mms, f._series, f._tombstones)
            self.files[i] = IndexFile(path)
            self._write_manifest()
            f.close()
            os.remove(f.path)

    # --- merged reads (newest file first) ------------------------------------------------

    def measurement_names(self) -> list[bytes]:
        seen: dict[bytes, bool] = {}
        with self._lock:
            for f in self.files:
                for name, deleted in f.measurements():
                    seen.setdefault(name, not deleted)
        return sorted(n for n, live in seen.items() if live)

    def has_measurement(self, name: bytes) -> bool:
        with self._lock:
            for f in self.files:
                m = f.measurement(name)
                if m is not None:
                    return not m[0]
        return False

    def _live_files(self, name: bytes, key: bytes | None = None):
        """The files that speak for a measurement (or a tag key), newest first, up to the
        first that deleted it; with the tombstones of the newer files for each."""
        tomb = BitMap64()
        for f in self.files:
            m = f.measurement(name)
            if m is not None and m[0]:
                return
            if key is not None and f.tag_key(name, key):
                return
            yield f, tomb
            tomb = tomb | f.tombstone_series_id_set()

    def tag_keys(self, name: bytes) -> list[bytes]:
        seen: dict[bytes, bool] = {}
        with self._lock:
            for f, _ in self._live_files(name):
                for key, deleted in f.tag_key_elems(name):
                    seen.setdefault(key, not deleted)
        return sorted(k for k, live in seen.items() if live)

    def _values(self, name: bytes, key: bytes) -> dict[bytes, BitMap64 | None]:
        """Live values of a tag key and their series ids (None: deleted)."""
        out: dict[bytes, BitMap64 | None] = {}
        for f, tomb in self._live_files(name, key):
            for value, deleted, ids in f.tag_values_ids(name, key):
                if value in out and out[value] is None:
                    continue
                if deleted:
                    out.setdefault(value, None)
                    continue
                bm = ids_.to_bitmap(ids) - tomb
                cur = out.get(value)
                out[value] = bm if cur is None else cur | bm
        return out

    def tag_values(self, name: bytes, key: bytes) -> list[bytes]:
        """Live values that still have series, sorted."""
        with self._lock:
            return sorted(v for v, ids in self._values(name, key).items() if ids)

    def measurement_series_ids(self, name: bytes) -> BitMap64:
        out = BitMap64()
        with self._lock:
            for f, tomb in self._live_files(name):
                m = f.measurement(name)
                if m is not None:
                    out |= ids_.to_bitmap(m[1]) - tomb
        return out

    def tag_key_series_ids(self, name: bytes, key: bytes) -> BitMap64:
        out = BitMap64()
        with self._lock:
            for ids in self._values(name, key).values():
                if ids is not None:
                    out |= ids
        return out

    def tag_value_series_ids(self, name: bytes, key: bytes, value: bytes) -> BitMap64:
        out = BitMap64()
        with self._lock:
            for f, tomb in self._live_files(name, key):
                tv = f.tag_value(name, key, value)
                if tv is None:
                    continue
                if tv[0]:
                    break
                out |= ids_.to_bitmap(tv[1]) - tomb
        return out
