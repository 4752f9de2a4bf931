"""The series file: series key <-> series id for one database, on disk as InfluxDB 1.x lays it out.

``<path>/00`` .. ``<path>/07`` are the partitions (a key goes to ``xxh64(key) % 8``); each holds
segment files ``0000``, ``0001``, ... preallocated to 4 MiB, 8 MiB, ... 256 MiB and zero-filled,
starting with ``SSEG\\x01``, then entries ``0x01 | id (u64 BE) | series key`` (insert) and
``0x02 | id`` (tombstone). InfluxDB's own code reads these files and we read InfluxDB's (we do
not write its optional ``index`` file: InfluxDB replays the segments without it, and so do we).

Unlike InfluxDB, a batch that created series is fsynced before the call returns (InfluxDB only
flushes), so an acknowledged write never refers to a series id a crash could lose. A torn or
garbage tail after the last whole entry is cut back (zeroed) on open and overwritten by the
next append, unless checksums cover it (then it is damage).

The segments carry no checksum of their own; each has a sidecar ``NNNN.sum`` of crc32 checkpoints
(``seriesfile_sum``), written after each fsynced batch and checked on every open: damage inside
the covered bytes (a flipped byte in a key, a zeroed page, a segment cut short) stops the open
with an error naming the segment and the offsets. A segment without a sidecar (InfluxDB's, or
an older influxlite's) gets the structural checks only, and a sidecar on its next writable open.
"""

from __future__ import annotations

import os
import re
import threading
import zlib
from collections.abc import Iterable, Sequence

from . import _backend
from . import seriesfile_sum
from ._fsync import TMP_SUFFIX, atomic_write, fsync_all, make_dirs
from .errors import InfluxliteError

PARTITION_N = 8
SEGMENT_MAGIC = b"SSEG"
SEGMENT_VERSION = 1
SEGMENT_HEADER = SEGMENT_MAGIC + bytes((SEGMENT_VERSION,))
_SEGMENT_NAME = re.compile(r"^[0-9a-f]{4}$")
_OWN_TMP = re.compile(r"^[0-9a-f]{4}(\.sum)?" + re.escape(TMP_SUFFIX) + "$")


class SeriesFileError(InfluxliteError):
    """A series file that cannot be opened or used; ``path`` and ``offset`` of the damage, if known."""

    def __init__(self, message: str, path: str | None = None, offset: int | None = None) -> None:
        super().__init__(message)
        self.path, self.offset = path, offset


class SeriesFileClosedError(SeriesFileError):
    def __init__(self) -> None:
        super().__init__("tsdb: series file closed")


def segment_capacity(segment_id: int) -> int:
    """InfluxDB's preallocated segment size: 4 MiB doubling up to 256 MiB."""
    return 1 << min(22 + segment_id, 28)


class SeriesSegment:
    """One preallocated segment file, written with ``pwrite`` at its end of data; a writer's
    segment keeps the crc32 of its bytes up to there and its sidecar of checkpoints."""

    def __init__(self, path: str, segment_id: int, fd: int, size: int, capacity: int, crc: int = 0,
                 sums: seriesfile_sum.SumWriter | None = None) -> None:
        self.path, self.id, self.fd = path, segment_id, fd
        self.size = size  # end of data (where the next entry goes)
        self.capacity = capacity
        self.crc = crc  # crc32 of the bytes [0, size)
        self.sums = sums

    @classmethod
    def create(cls, directory: str, segment_id: int) -> SeriesSegment:
        path = os.path.join(directory, f"{segment_id:04x}")
        capacity = segment_capacity(segment_id)

        def initialize(tmp: str) -> None:  # the header, then zeros up to the preallocated size
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o666)
            try:
                os.pwrite(fd, SEGMENT_HEADER, 0)
                os.ftruncate(fd, capacity)
            finally:
                os.close(fd)

        atomic_write(path, initialize)
        crc = zlib.crc32(SEGMENT_HEADER)
        sums = seriesfile_sum.SumWriter.open(seriesfile_sum.sum_path(path), None, len(SEGMENT_HEADER), crc)
        return cls(path, segment_id, os.open(path, os.O_RDWR), len(SEGMENT_HEADER), capacity, crc, sums)

    def can_write(self, n: int) -> bool:
        return self.size + n <= self.capacity

    def append(self, data: bytes) -> None:
        view, pos = memoryview(data), self.size
        while view:  # a short write (a full disk) is continued, so that it raises
            n = os.pwrite(self.fd, view, pos)
            view, pos = view[n:], pos + n
        self.crc = zlib.crc32(data, self.crc)
        self.size = pos

    def checkpoint(self) -> None:
        """Records the crc32 of the data so far in the sidecar (once the data is durable)."""
        if self.sums is not None and self.sums.last_end != self.size:
            self.sums.write(self.size, self.crc)

    def close(self, sync: bool = False) -> None:
        """Closes the segment and its sidecar, fsynced first with ``sync``."""
        try:
            if self.sums is not None:
                try:
                    if sync:
                        self.sums.sync()
                finally:
                    self.sums.close()
        finally:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1


class SeriesPartition:
    def __init__(self, pid: int, path: str, read_only: bool = False) -> None:
        self.id, self.path = pid, path
        self.read_only = read_only
        self.torn: list[str] = []  # garbage after the last entry (cut, or only reported read-only)
        self.unchecked: list[str] = []  # segments that had no checksums on open
        self.segments: list[SeriesSegment] = []
        self._dirty: set[SeriesSegment] = set()
        self._full: list[SeriesSegment] = []  # segments filled since the last checkpoint

    def open(self, index) -> None:
        if self.read_only and not os.path.isdir(self.path):
            return
        if not self.read_only:
            make_dirs(self.path)
            for n in os.listdir(self.path):  # a new segment or sidecar a crash cut short: never listed
                if _OWN_TMP.match(n):
                    os.remove(os.path.join(self.path, n))
        names = sorted(n for n in os.listdir(self.path) if _SEGMENT_NAME.match(n))
        for i, name in enumerate(names):
            self.segments.append(self._open_segment(index, name, i == len(names) - 1))
        if not self.segments and not self.read_only:
            self.segments.append(SeriesSegment.create(self.path, 0))

    def _open_segment(self, index, name: str, last: bool) -> SeriesSegment:
        segment_id = int(name, 16)
        path = os.path.join(self.path, name)
        # The sidecar first: a writer beside a reader writes a checkpoint only after its data.
        sums = seriesfile_sum.read(seriesfile_sum.sum_path(path))
        fd = os.open(path, os.O_RDONLY if self.read_only else os.O_RDWR)
        try:
            data = _read_all(fd)
            if len(data) < len(SEGMENT_HEADER) or data[:4] != SEGMENT_MAGIC:
                raise SeriesFileError(f"invalid series segment: {path}", path, 0)
            if data[4] != SEGMENT_VERSION:
                raise SeriesFileError(f"invalid series segment version: {path}", path, 4)
            end = index.load_segment(self.id, data, len(SEGMENT_HEADER))
            crc = None
            if sums is None:
                self.unchecked.append(path)
            else:
                crc = seriesfile_sum.check(path, sums, data, end)  # before any torn tail is cut
                if sums.torn:
                    self.torn.append(sums.torn)
            garbage_end = self._check_tail(path, data, end, last)
            capacity = max(segment_capacity(segment_id), len(data))
            if self.read_only:
                return SeriesSegment(path, segment_id, fd, end, capacity)
            if garbage_end > end:
                # A torn write or garbage after the last whole entry: zero it, so the next
                # append overwrites it and readers (ours and InfluxDB's) stop there.
                os.pwrite(fd, bytes(garbage_end - end), end)
            if len(data) < capacity:  # a file cut short: restore the preallocation
                os.ftruncate(fd, capacity)
            covered = sums.records[-1][0] if sums is not None and sums.records else None
            # fsynced before a checkpoint covers what a crash or InfluxDB (which only flushes) left
            if garbage_end > end or len(data) < capacity or covered != end:
                os.fsync(fd)
            if crc is None:
                crc = zlib.crc32(memoryview(data)[:end])
            writer = seriesfile_sum.SumWriter.open(seriesfile_sum.sum_path(path), sums, end, crc)
        except BaseException:
            os.close(fd)
            raise
        return SeriesSegment(path, segment_id, fd, end, capacity, crc, writer)

    def _check_tail(self, path: str, data: bytes, end: int, last: bool) -> int:
        """The end of the garbage after the entries (``end`` if only zeros follow): a torn tail
        of the last segment (noted), or damage (raised)."""
        # Anything but zeros after the valid entries? (count() does not copy the data)
        garbage_end = end if data.count(0, end) == len(data) - end else len(data.rstrip(b"\0"))
        if garbage_end > end:
            if not last:
                raise SeriesFileError(
                    f"series segment {path} has unreadable entries at offset {end} before later segments", path, end)
            later = next_whole_entry(data, end + 1, garbage_end, self.id)
            if later is not None:  # entries after the bad bytes: damage, not a torn write
                raise SeriesFileError(
                    f"series segment {path} is damaged at offset {end}: a whole entry follows at offset "
                    f"{later}; nothing is cut (run influxlite verify)", path, end)
            self.torn.append(f"{path}: unreadable bytes at offset {end}..{garbage_end}")
        return garbage_end

    def append(self, data: bytes, sizes: Sequence[int]) -> None:
        """Appends whole entries, starting a new segment where the active one is full."""
        segment = self.segments[-1]
        if segment.can_write(len(data)):
            segment.append(data)
            self._dirty.add(segment)
            return
        pos = 0
        while pos < len(data):
            segment = self.segments[-1]
            take = 0
            i = 0
            for i, size in enumerate(sizes):
                if not segment.can_write(take + size):
                    break
                take += size
            else:
                i = len(sizes)
            if take == 0:
                self.segments.append(SeriesSegment.create(self.path, segment.id + 1))
                self._full.append(segment)
                continue
            segment.append(data[pos : pos + take])
            self._dirty.add(segment)
            pos += take
            sizes = sizes[i:]

    def take_dirty(self) -> list[SeriesSegment]:
        """Segments written since the last call (to fsync, then checkpoint)."""
        segments = list(self._dirty)
        self._dirty.clear()
        return segments

    def checkpoint(self, segments: list[SeriesSegment], sync: bool) -> None:
        """Writes a checkpoint for each of ``segments`` (their data durable by now); fsyncs the
        sidecars of segments that filled up."""
        for segment in segments:
            segment.checkpoint()
        full, self._full = self._full, []
        for segment in full if sync else []:
            if segment.sums is not None:
                segment.sums.sync()

    def close(self, sync: bool = False) -> None:
        segments, self.segments = self.segments, []
        error = None
        for segment in segments:
            try:
                segment.close(sync)
            except OSError as e:  # every descriptor is closed; the first error is raised
                error = error or e
        if error is not None:
            raise error


def next_whole_entry(data: bytes, start: int, stop: int, partition: int) -> int | None:
    """The offset of the first insert entry in ``data[start:stop]`` that reads whole: a series
    id of this partition and a well-formed series key. A torn write leaves none after the
    entry it tore; damage in the middle of a segment does."""
    from ._pure.seriesindex import _well_formed
    from ._pure.varint import uvarint

    q = start
    while (q := data.find(b"\x01", q, stop)) >= 0:
        sid = int.from_bytes(data[q + 1: q + 9], "big")
        if sid > 0 and (sid - 1) % PARTITION_N == partition:
            try:
                size, n = uvarint(data, q + 9)
            except Exception:  # noqa: BLE001 - not a length
                size, n = 0, 0
            if 0 < size < (1 << 16) and n > 0 and q + 9 + n + size <= stop:
                if _well_formed(data[q + 9: q + 9 + n + size]):
                    return q
        q += 1
    return None


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks = []
    pos = 0
    while pos < size:
        chunk = os.pread(fd, min(size - pos, 1 << 26), pos)
        if not chunk:
            break
        chunks.append(chunk)
        pos += len(chunk)
    return b"".join(chunks)


class SeriesFile:
    """Series key <-> series id for one database (``<db>/_series`` in InfluxDB's layout).

    ``create_series_list_if_not_exists(names, tags_list)`` is the one call per batch: it
    returns an id per series, creating the missing ones; concurrent callers racing on the same
    new key get the same id. Names and tags are ``bytes`` or ``str``; tags a dict or pairs.
    """

    def __init__(self, path: str | os.PathLike, *, sync: bool = True, read_only: bool = False) -> None:
        self.path = os.fspath(path)
        self.read_only = read_only
        self._sync = sync
        self._lock = threading.Lock()
        self._index = _backend.backend.SeriesIndex(PARTITION_N)
        self._partitions = [SeriesPartition(p, os.path.join(self.path, f"{p:02x}"), read_only)
                            for p in range(PARTITION_N)]
        self._closed = False
        if not read_only:
            make_dirs(self.path)
        try:
            for p in self._partitions:
                p.open(self._index)
        except BaseException:
            for p in self._partitions:
                p.close()
            raise

    def _check_open(self) -> None:
        if self._closed:
            raise SeriesFileClosedError()

    def _check_writable(self) -> None:
        self._check_open()
        if self.read_only:
            raise SeriesFileError(f"series file {self.path} is open read-only")

    @property
    def torn(self) -> list[str]:
        """Torn tails found on open (cut back, or only reported when read-only)."""
        return [t for p in self._partitions for t in p.torn]

    @property
    def unchecked(self) -> list[str]:
        """Segments that had no checksums on open (InfluxDB's, or an older influxlite's)."""
        return [u for p in self._partitions for u in p.unchecked]

    def create_series_list_if_not_exists(self, names: Iterable, tags_list: Iterable) -> list[int]:
        return self.create_series_list(names, tags_list)[0]

    def create_series_list(self, names: Iterable, tags_list: Iterable, tsi_partition_n: int = 0):
        """``(ids, groups)``: the ids (created where missing) and, with ``tsi_partition_n``, the
        ids grouped by TSI partition (xxh64 of InfluxDB's text key ``MakeKey(name, tags)``)."""
        with self._lock:
            self._check_writable()
            return self._appended(*self._index.create(names, tags_list, tsi_partition_n))

    def series_id(self, name, tags=None) -> int:
        """The live id of a series, 0 if it does not exist (or was deleted)."""
        return self.series_ids([name], [tags])[0]

    def create_series_prepared(self, prepared):
        """Series ids for the points of a prepared shard write (``shard_prepare``), created where
        missing (keys built in Rust): ``(ids as u64 LE bytes, ids grouped by TSI partition as u64
        LE bytes)``."""
        with self._lock:
            self._check_writable()
            return self._appended(*self._index.create_prepared(prepared))

    def _appended(self, ids, new, groups):
        """Appends the new series' entries (the caller holds the lock); passes the ids on."""
        touched = [p for p, entries in zip(self._partitions, new) if entries is not None]
        for p in touched:
            data, sizes = new[p.id]
            p.append(data, sizes)
        self._make_durable(touched)
        return ids, groups

    def _make_durable(self, partitions: list[SeriesPartition]) -> None:
        """fsyncs the segments written to (all at once), then writes their checkpoints."""
        dirty = [(p, p.take_dirty()) for p in partitions]
        if self._sync:
            fsync_all([s.fd for _, segments in dirty for s in segments])
        for p, segments in dirty:
            p.checkpoint(segments, self._sync)

    # Every use of the index holds the lock: the native index is mutably borrowed (with the
    # GIL released) while `create` runs.

    def series_ids(self, names: Iterable, tags_list: Iterable) -> list[int]:
        with self._lock:
            self._check_open()
            return self._index.series_ids(names, tags_list)

    def series_id_by_key(self, key: bytes) -> int:
        with self._lock:
            self._check_open()
            return self._index.series_id_by_key(key)

    def series_key(self, series_id: int) -> bytes | None:
        """The binary series key of an id (also of a deleted one, as InfluxDB), else None."""
        with self._lock:
            self._check_open()
            return self._index.series_key(series_id)

    def invert(self, series_ids: list[int]) -> list:
        """``series_ids`` grouped for an inverted index: ``[(name, ids, [(tag key, [(tag value,
        ids)])])]``, each ``ids`` an int for one id, else a list; ids without a key left out."""
        with self._lock:
            self._check_open()
            return self._index.invert(series_ids)

    def delete_series_id(self, series_id: int) -> None:
        """Tombstones a series id; ids are never reused (a re-created key gets a new one)."""
        with self._lock:
            self._check_writable()
            tomb = self._index.delete(series_id)
            if tomb is None:
                return
            p, entry = tomb
            self._partitions[p].append(entry, [len(entry)])
            self._make_durable([self._partitions[p]])

    def is_deleted(self, series_id: int) -> bool:
        with self._lock:
            self._check_open()
            return self._index.is_deleted(series_id)

    def series_count(self) -> int:
        """Live series (created and not deleted)."""
        with self._lock:
            self._check_open()
            return self._index.count()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            error = None
            for p in self._partitions:
                try:
                    p.close(self._sync and not self.read_only)  # the sidecars' last checkpoints
                except OSError as e:
                    error = error or e
            if error is not None:
                raise error

    def __enter__(self) -> SeriesFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
