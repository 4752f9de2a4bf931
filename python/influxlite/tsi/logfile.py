"""The TSI log file: InfluxDB 1.x's ``tsi1.LogFile``, on disk byte for byte, in memory an
inverted index measurement -> tag key -> tag value -> series ids.

Entries (see ``logentry``) are appended before they are applied, one flush + fsync per batch.
``open()`` replays every entry and stops at the first short or corrupt one: the file is cut
back there (InfluxDB seeks there instead), so the next entries are written over a torn tail
and never hidden behind it. Series inserts carry only the id; the key comes from the series
file, as in InfluxDB. Sets of ids stay small until they pass 25 members (``seriesidset``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator

from pyroaring import BitMap64

from . import logentry
from . import seriesidset as ids_
from .logentry import (
    MEASUREMENT_TOMBSTONE, SERIES_INSERT, SERIES_TOMBSTONE, TAG_KEY_TOMBSTONE, TAG_VALUE_TOMBSTONE,
)
from .. import _fsync
from ..errors import InfluxliteError


class LogFileClosedError(InfluxliteError):
    def __init__(self) -> None:
        super().__init__("tsi1: log file closed")


class _TagKey:
    __slots__ = ("deleted", "values", "deleted_values")

    def __init__(self) -> None:
        self.deleted = False
        self.values: dict[bytes, ids_.IDs] = {}
        self.deleted_values: set[bytes] | None = None

    def value_deleted(self, value: bytes) -> bool:
        return self.deleted_values is not None and value in self.deleted_values


class _Measurement:
    __slots__ = ("deleted", "tags", "series")

    def __init__(self) -> None:
        self.deleted = False
        self.tags: dict[bytes, _TagKey] = {}
        self.series: ids_.IDs = ids_.EMPTY


def _copy(s: ids_.IDs) -> ids_.IDs:
    return s.copy() if isinstance(s, BitMap64) else s


def _raw(x) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8", "surrogateescape")


class LogFileDamagedError(InfluxliteError):
    """A log file with a bad entry followed by good ones: not a torn write, so not cut."""


_FLAGS = frozenset((0x00, 0x01, 0x02, 0x04, 0x08))


def next_whole_entry(data: bytes, start: int) -> int | None:
    """The offset of the first entry at or after ``start`` that decodes with a good checksum."""
    for q in range(start, len(data)):
        if data[q] not in _FLAGS:
            continue
        try:
            logentry.decode(data, q)
        except Exception:  # noqa: BLE001 - short buffer, checksum mismatch, bad varint
            continue
        return q
    return None


class LogFile:
    """One ``L0-%08d.tsl`` file and its in-memory index.

    ``add_series_list(series_id_set, names, tags_list)`` creates the series in the series
    file, skips ids already in ``series_id_set`` (the partition's set), appends and applies an
    insert entry for each new id, adds it to the set and syncs once; it returns the new id at
    each position and 0 where the series already existed (InfluxDB 1.8).
    """

    def __init__(self, path: str | os.PathLike, series_file, *, sync: bool = True,
                 read_only: bool = False) -> None:
        self.path = os.fspath(path)
        self.read_only = read_only
        self.torn: str | None = None  # a torn tail found on open (cut, or only reported read-only)
        self.series_file = series_file
        self._sync = sync
        self._lock = threading.RLock()
        self._fd = -1
        self._size = 0
        self._mod_time = 0.0
        self._defer_sync = False  # set by a partition that fsyncs several logs at once
        self._unsynced = False
        self._mms: dict[bytes, _Measurement] = {}
        self._series = BitMap64()
        self._tombstones = BitMap64()

    # --- open / close -------------------------------------------------------------------

    def open(self) -> LogFile:
        with self._lock:
            flags = os.O_RDONLY if self.read_only else os.O_RDWR | os.O_CREAT
            fd = os.open(self.path, flags, 0o666)
            try:
                st = os.fstat(fd)
                data = os.pread(fd, st.st_size, 0) if st.st_size else b""
                entries, valid, reason = logentry.scan(data)
                later = next_whole_entry(data, valid + 1) if valid < len(data) else None
                if later is not None:  # whole entries after the bad one: damage, not a torn write
                    raise LogFileDamagedError(
                        f"{self.path}: damaged: {reason or 'bad entry'} at offset {valid}, with a whole entry "
                        f"at offset {later} after it; nothing is cut (run influxlite verify)")
                if valid < len(data):
                    self.torn = f"{self.path}: {reason or 'torn entry'} at offset {valid} of {len(data)} bytes"
                    if not self.read_only:  # cut it so the next entries take its place
                        os.ftruncate(fd, valid)
                        _fsync.fsync(fd)
                self._fd = fd
                self._size = valid
                self._mod_time = st.st_mtime
                self._replay(entries)
            except BaseException:
                os.close(fd)
                self._fd = -1
                raise
        return self

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> LogFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._fd < 0:
            raise LogFileClosedError()

    @property
    def size(self) -> int:
        """Bytes of whole entries in the file."""
        return self._size

    @property
    def mod_time(self) -> float:
        """When an entry was last appended (the file's mtime when opened)."""
        return self._mod_time

    # --- writing ---------------------------------------------------------------------------

    def _append(self, data: bytes) -> None:
        """Appends whole entries and syncs: the batch is on disk before it is applied."""
        if not data:
            return
        written = os.pwrite(self._fd, data, self._size)
        if written != len(data):  # leave no partial entry behind a short write
            os.ftruncate(self._fd, self._size)
            raise OSError(f"short write to {self.path}")
        self._size += len(data)
        self._mod_time = time.time()
        if self._sync:
            if self._defer_sync:
                self._unsynced = True
            else:
                _fsync.fsync(self._fd)

    def take_unsynced_fd(self) -> int | None:
        """The descriptor to fsync for appends made with syncing deferred, or None."""
        if not self._unsynced:
            return None
        self._unsynced = False
        return self._fd

    def add_series_list(self, series_id_set, names, tags_list) -> list[int]:
        ids = self.series_file.create_series_list_if_not_exists(names, tags_list)
        return self.add_series_ids(series_id_set, ids)

    def add_series_ids(self, series_id_set, ids: list[int]) -> list[int]:
        """``add_series_list`` for series already created in the series file."""
        with self._lock:
            self._check_open()
            given = BitMap64(ids)
            if len(given) == len(ids) and given.isdisjoint(series_id_set):
                new, out = list(ids), list(ids)  # the common case: all new, no repeats
            else:
                new, out, seen = [], [], set()
                for sid in ids:
                    if sid in series_id_set or sid in seen:
                        out.append(0)
                    else:
                        seen.add(sid)
                        new.append(sid)
                        out.append(sid)
            if new:
                self._append(logentry.encode_series_inserts(new))
                self._apply_series(new, deleted=False)
                if isinstance(series_id_set, BitMap64):
                    series_id_set.update(new)
                else:
                    for sid in new:
                        series_id_set.add(sid)
            return out

    def write_entries(self, entries: list[tuple[int, int, bytes, bytes, bytes]]) -> None:
        """Appends ``(flag, series_id, name, key, value)`` entries as one synced batch, then
        applies them in order."""
        with self._lock:
            self._check_open()
            data = b"".join(logentry.encode(*e) for e in entries)
            self._append(data)
            self._replay(logentry.scan(data)[0])

    def delete_series_id(self, series_id: int) -> None:
        self.delete_series_id_list([series_id])

    def delete_series_id_list(self, series_ids: Iterable[int]) -> None:
        series_ids = list(series_ids)
        with self._lock:
            self._check_open()
            self._append(logentry.encode_series_tombstones(series_ids))
            self._apply_series(series_ids, deleted=True)

    def delete_measurement(self, name) -> None:
        name = _raw(name)
        with self._lock:
            self._check_open()
            self._append(logentry.encode(MEASUREMENT_TOMBSTONE, 0, name))
            self._apply_measurement_tombstone(name)

    def delete_tag_key(self, name, key) -> None:
        name, key = _raw(name), _raw(key)
        with self._lock:
            self._check_open()
            self._append(logentry.encode(TAG_KEY_TOMBSTONE, 0, name, key))
            self._apply_tag_key_tombstone(name, key)

    def delete_tag_value(self, name, key, value) -> None:
        name, key, value = _raw(name), _raw(key), _raw(value)
        with self._lock:
            self._check_open()
            self._append(logentry.encode(TAG_VALUE_TOMBSTONE, 0, name, key, value))
            self._apply_tag_value_tombstone(name, key, value)

    # --- applying entries ------------------------------------------------------------------

    def _replay(self, entries: list[logentry.LogEntry]) -> None:
        """Applies entries in order; runs of series entries of one kind go in one step."""
        run: list[int] = []
        run_flag = None
        for e in entries:
            if e.flag in (SERIES_INSERT, SERIES_TOMBSTONE):
                if e.flag != run_flag and run:
                    self._apply_series(run, deleted=run_flag == SERIES_TOMBSTONE)
                    run = []
                run_flag = e.flag
                run.append(e.series_id)
                continue
            if run:
                self._apply_series(run, deleted=run_flag == SERIES_TOMBSTONE)
                run = []
            if e.flag == MEASUREMENT_TOMBSTONE:
                self._apply_measurement_tombstone(e.name)
            elif e.flag == TAG_KEY_TOMBSTONE:
                self._apply_tag_key_tombstone(e.name, e.key)
            elif e.flag == TAG_VALUE_TOMBSTONE:
                self._apply_tag_value_tombstone(e.name, e.key, e.value)
        if run:
            self._apply_series(run, deleted=run_flag == SERIES_TOMBSTONE)

    def _measurement(self, name: bytes) -> _Measurement:
        mm = self._mms.get(name)
        if mm is None:
            mm = self._mms[name] = _Measurement()
        return mm

    def _apply_series(self, series_ids: list[int], deleted: bool) -> None:
        change = ids_.remove if deleted else ids_.add
        keyed = []
        for name, mids, tags in self.series_file.invert(series_ids):
            mm = self._measurement(name)
            mm.deleted = False
            mm.series = change(mm.series, mids)
            keyed.append(mids)
            for k, values in tags:
                tk = mm.tags.get(k)
                if tk is None:
                    tk = mm.tags[k] = _TagKey()
                tvs = tk.values
                get = tvs.get
                for v, vids in values:
                    cur = get(v)
                    if cur is None and not deleted and isinstance(vids, int):
                        tvs[v] = vids  # the common case for a high-cardinality tag
                    else:
                        tvs[v] = change(ids_.EMPTY if cur is None else cur, vids)
        bitmap = BitMap64()
        for mids in keyed:  # only ids whose key the series file still has count
            if isinstance(mids, int):
                bitmap.add(mids)
            else:
                bitmap.update(mids)
        if deleted:
            self._series.difference_update(bitmap)
            self._tombstones.update(bitmap)
        else:
            self._series.update(bitmap)
            self._tombstones.difference_update(bitmap)

    def _apply_measurement_tombstone(self, name: bytes) -> None:
        mm = self._measurement(name)
        mm.deleted = True
        mm.tags = {}
        mm.series = ids_.EMPTY

    def _tag_key(self, name: bytes, key: bytes) -> _TagKey:
        mm = self._measurement(name)
        tk = mm.tags.get(key)
        if tk is None:
            tk = mm.tags[key] = _TagKey()
        return tk

    def _apply_tag_key_tombstone(self, name: bytes, key: bytes) -> None:
        self._tag_key(name, key).deleted = True

    def _apply_tag_value_tombstone(self, name: bytes, key: bytes, value: bytes) -> None:
        tk = self._tag_key(name, key)
        tk.values.setdefault(value, ids_.EMPTY)
        if tk.deleted_values is None:
            tk.deleted_values = set()
        tk.deleted_values.add(value)

    # --- reading ----------------------------------------------------------------------------

    def measurements(self) -> list[tuple[bytes, bool]]:
        """Every measurement the file knows, sorted, with its deleted flag."""
        with self._lock:
            return [(name, self._mms[name].deleted) for name in sorted(self._mms)]

    def measurement_names(self) -> Iterator[bytes]:
        """Names of measurements not deleted, sorted."""
        return iter([name for name, deleted in self.measurements() if not deleted])

    def has_measurement(self, name) -> bool:
        mm = self._mms.get(_raw(name))
        return mm is not None and not mm.deleted

    def tag_key_elems(self, name) -> list[tuple[bytes, bool]]:
        with self._lock:
            mm = self._mms.get(_raw(name))
            if mm is None:
                return []
            return [(k, mm.tags[k].deleted) for k in sorted(mm.tags)]

    def tag_keys(self, name) -> Iterator[bytes]:
        """Tag keys of a measurement, sorted, deleted ones left out."""
        if not self.has_measurement(name):
            return iter(())
        return iter([k for k, deleted in self.tag_key_elems(name) if not deleted])

    def tag_value_elems(self, name, key) -> list[tuple[bytes, bool]]:
        with self._lock:
            mm = self._mms.get(_raw(name))
            tk = mm.tags.get(_raw(key)) if mm else None
            if tk is None:
                return []
            return [(v, tk.value_deleted(v)) for v in sorted(tk.values)]

    def tag_values(self, name, key) -> Iterator[bytes]:
        """Values of a tag key, sorted, deleted ones (and those of a deleted key) left out."""
        tk = self._live_tag_key(name, key)
        if tk is None:
            return iter(())
        return iter([v for v, deleted in self.tag_value_elems(name, key) if not deleted])

    def _live_tag_key(self, name, key) -> _TagKey | None:
        mm = self._mms.get(_raw(name))
        if mm is None or mm.deleted:
            return None
        tk = mm.tags.get(_raw(key))
        return None if tk is None or tk.deleted else tk

    # The readers an index partition merges across files (IndexFile has the same ones).

    def measurement(self, name: bytes):
        """(deleted, series ids) of a measurement, or None if the file does not know it."""
        with self._lock:
            mm = self._mms.get(name)
            return None if mm is None else (mm.deleted, _copy(mm.series))

    def tag_key(self, name: bytes, key: bytes) -> bool | None:
        with self._lock:
            mm = self._mms.get(name)
            tk = mm.tags.get(key) if mm else None
            return None if tk is None else tk.deleted

    def tag_value(self, name: bytes, key: bytes, value: bytes):
        with self._lock:
            mm = self._mms.get(name)
            tk = mm.tags.get(key) if mm else None
            if tk is None or value not in tk.values:
                return None
            return tk.value_deleted(value), _copy(tk.values[value])

    def tag_values_ids(self, name: bytes, key: bytes):
        """(value, deleted, ids) for every value of a tag key, sorted by value."""
        with self._lock:
            mm = self._mms.get(name)
            tk = mm.tags.get(key) if mm else None
            if tk is None:
                return []
            return [(v, tk.value_deleted(v), _copy(tk.values[v])) for v in sorted(tk.values)]

    def measurement_series_ids(self, name) -> Iterator[int]:
        """Series ids of a measurement, ascending."""
        with self._lock:
            mm = self._mms.get(_raw(name))
            return iter(ids_.to_list(mm.series) if mm and not mm.deleted else ())

    def tag_key_series_ids(self, name, key) -> Iterator[int]:
        """Series ids of every live value of a tag key, merged, ascending."""
        with self._lock:
            tk = self._live_tag_key(name, key)
            if tk is None:
                return iter(())
            merged = BitMap64()
            for v, s in tk.values.items():
                if ids_.cardinality(s) and not tk.value_deleted(v):
                    if isinstance(s, BitMap64):
                        merged |= s
                    else:
                        merged.update(ids_.to_list(s))
            return iter(merged)

    def tag_value_series_ids(self, name, key, value) -> Iterator[int]:
        """Series ids of one tag value, ascending (none if it or its key was deleted)."""
        with self._lock:
            tk = self._live_tag_key(name, key)
            value = _raw(value)
            if tk is None or tk.value_deleted(value) or value not in tk.values:
                return iter(())
            return iter(ids_.to_list(tk.values[value]))

    def series_id_set(self) -> BitMap64:
        """Ids this file added and did not tombstone (a copy)."""
        with self._lock:
            return self._series.copy()

    def tombstone_series_id_set(self) -> BitMap64:
        with self._lock:
            return self._tombstones.copy()

    def series_ids(self) -> Iterator[int]:
        return iter(self.series_id_set())

    # --- cardinalities (as InfluxDB's LogFile counts them) --------------------------------

    def measurement_n(self) -> int:
        return len(self._mms)

    def tag_key_n(self) -> int:
        return sum(len(mm.tags) for mm in self._mms.values())

    def tag_value_n(self) -> int:
        return sum(len(tk.values) for mm in self._mms.values() for tk in mm.tags.values())

    def series_n(self) -> int:
        """Series of all measurements (a deleted measurement's count none), as InfluxDB's SeriesN."""
        return sum(ids_.cardinality(mm.series) for mm in self._mms.values())

    def measurement_cardinality(self, name) -> int:
        mm = self._mms.get(_raw(name))
        return ids_.cardinality(mm.series) if mm else 0

    def tag_value_cardinality(self, name, key, value) -> int:
        mm = self._mms.get(_raw(name))
        tk = mm.tags.get(_raw(key)) if mm else None
        s = tk.values.get(_raw(value)) if tk else None
        return 0 if s is None else ids_.cardinality(s)
