"""The write-ahead log of one shard: segment files ``_00001.wal``, ``_00002.wal``, ... holding
entries encoded and checksummed in Rust (``wal_encode``; format in ``rust/src/wal.rs``).

``append(entry)`` adds an entry under the WAL's lock and numbers it; ``wait_durable(n)`` returns
once entry ``n`` is fsynced. The fsync runs outside the append lock (on a duplicate of the
descriptor), so writers that append while one fsync runs are all covered by the next one: group
commit. With ``fsync_delay`` (InfluxDB's ``wal-fsync-delay``) the syncing writer first waits that
long to gather more. Opening replays every segment into the cache; a torn or corrupt tail of
the last segment is cut off (or, opened read-only, only reported).

Failures never leave a partial entry behind acknowledged ones: a short or failed append is cut
back to the last whole entry before the error is raised. After a failed fsync the kernel may
have dropped the dirty pages and reports later fsyncs as successful, so the WAL refuses every
write from then on (and every writer waiting for that fsync gets the error) until the shard is
reopened and has replayed what really is on disk.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import time
import zlib

from .. import _fsync
from ..errors import InfluxliteError

SEGMENT_SIZE = 10 * 1024 * 1024  # InfluxDB's DefaultSegmentSize
HEADER = 8  # length u32 LE, crc32 u32 LE
_NAME = re.compile(r"^_(\d{5,})\.wal$")


class WALError(InfluxliteError):
    pass


def next_whole_entry(data: bytes, start: int) -> int | None:
    """The offset of the first checksummed entry starting at or after ``start``, or None: a
    torn write leaves nothing whole after the entry it tore, damage in the middle does."""
    n = len(data)
    crc32, unpack = zlib.crc32, struct.unpack_from
    for q in range(start, n - HEADER):
        if data[q + HEADER] not in (1, 2):  # an entry's payload starts with its kind
            continue
        length, crc = unpack("<II", data, q)
        if 0 < length <= n - q - HEADER and crc32(data[q + HEADER: q + HEADER + length]) == crc:
            return q
    return None


class WAL:
    def __init__(self, path: str, *, fsync_delay: float = 0.0, segment_size: int = SEGMENT_SIZE,
                 sync: bool = True, read_only: bool = False) -> None:
        self.path = path
        self.fsync_delay = fsync_delay
        self.segment_size = segment_size
        self._sync = sync
        self.read_only = read_only
        self._lock = threading.Lock()  # appends and segment changes
        self._cond = threading.Condition()  # group commit
        self._written = 0  # entries appended
        self._synced = 0  # entries known durable
        self._syncing = False
        self._fd = -1
        self._seq = 0
        self._size = 0
        self.failed: str | None = None  # why writes are refused (a failed fsync)
        self.torn: list[str] = []  # torn tails found on open (cut, or reported when read-only)

    def segments(self) -> list[str]:
        if not os.path.isdir(self.path):
            return []
        names = sorted((int(m.group(1)), n) for n in os.listdir(self.path) if (m := _NAME.match(n)))
        return [os.path.join(self.path, n) for _, n in names]

    def open(self, cache) -> list:
        """Replays every segment into ``cache``; returns the deletes replayed, in order:
        ``[(measurement, series ids u64 LE or None, tmin, tmax)]``."""
        if not self.read_only:
            _fsync.make_dirs(self.path)
        segments = self.segments()
        deletes = []
        for i, seg in enumerate(segments):
            with open(seg, "rb") as f:
                data = f.read()
            valid, stop, _, dels = cache.replay(data)
            deletes += dels
            if stop is not None:
                if i != len(segments) - 1:
                    raise WALError(f"{seg}: {stop} at offset {valid}, with later segments after it")
                later = next_whole_entry(data, valid + 1)
                if later is not None:  # whole entries after the bad one: damage, not a torn write
                    raise WALError(f"{seg}: damaged: {stop} at offset {valid}, with a whole entry at offset "
                                   f"{later} after it; nothing is cut (run influxlite verify)")
                self.torn.append(f"{seg}: {stop} at offset {valid} of {len(data)} bytes")
                if not self.read_only:  # a torn write: cut it so appends continue cleanly
                    with open(seg, "r+b") as f:
                        f.truncate(valid)
                        _fsync.fsync(f.fileno())
        if self.read_only:
            return deletes
        if segments:
            self._seq = int(_NAME.match(os.path.basename(segments[-1])).group(1))
            self._fd = os.open(segments[-1], os.O_WRONLY | os.O_APPEND)
            self._size = os.fstat(self._fd).st_size
        else:
            self._new_segment()
        return deletes

    def _new_segment(self) -> None:
        path = os.path.join(self.path, f"_{self._seq + 1:05d}.wal")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            if self._sync:
                if self._fd >= 0:
                    _fsync.fsync(self._fd)
                _fsync.fsync_dir(self.path)
        except OSError as e:
            os.close(fd)
            raise self._fail(e) from e
        if self._fd >= 0:
            os.close(self._fd)
        self._seq += 1
        self._fd = fd
        self._size = 0

    def _fail(self, e: OSError) -> WALError:
        """Marks the WAL failed after an fsync error: the kernel may have dropped the pages."""
        if self.failed is None:
            self.failed = (f"WAL fsync failed in {self.path}: {e.strerror or e}; "
                           "writes to this shard are refused until it is reopened")
        return WALError(self.failed)

    def write(self, entry: bytes) -> None:
        """Appends an entry; returns when it is on disk."""
        self.wait_durable(self.append(entry))

    def append(self, entry: bytes) -> int:
        """Appends an entry without waiting for it to be durable; returns its number for
        ``wait_durable``. Entries reach the file in the order of these calls. A failed append
        leaves the file as it was."""
        with self._lock:
            if self.failed is not None:
                raise WALError(self.failed)
            if self._fd < 0:
                raise WALError("WAL closed")
            if self._size and self._size + len(entry) > self.segment_size:
                self._new_segment()
            view = memoryview(entry)
            try:
                while view:  # a short write is followed by one that says why (ENOSPC, EIO)
                    view = view[os.write(self._fd, view):]
            except OSError as e:
                self._cut_back()
                raise WALError(f"cannot append to the WAL in {self.path}: {e.strerror or e}") from e
            self._size += len(entry)
            self._written += 1
            return self._written

    def _cut_back(self) -> None:
        """Removes a partial entry (a short or failed write) so later entries follow whole ones."""
        try:
            os.ftruncate(self._fd, self._size)
        except OSError as e:  # the file may now hold a torn entry: allow no entry after it
            self._fail(e)

    def wait_durable(self, seq: int) -> None:
        """Returns once the entry ``append`` numbered ``seq`` (and all before it) is fsynced;
        raises the WAL's failure if that fsync (or an earlier one) failed."""
        if not self._sync:
            return
        with self._cond:
            while self._synced < seq:
                if self.failed is not None:
                    raise WALError(self.failed)
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing = True
                self._cond.release()
                try:
                    target = self._sync_once()
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                self._synced = max(self._synced, target)

    def _sync_once(self) -> int:
        """One fsync covering every entry appended when it starts; returns how many."""
        if self.fsync_delay:
            time.sleep(self.fsync_delay)  # let concurrent writers join this fsync
        with self._lock:  # the descriptor is duplicated so a rotation cannot close it under us
            if self.failed is not None:
                raise WALError(self.failed)
            target, fd = self._written, os.dup(self._fd)
        try:
            _fsync.fsync(fd)
        except OSError as e:
            with self._lock:
                raise self._fail(e) from e
        finally:
            os.close(fd)
        return target

    def rotate(self) -> list[str]:
        """Starts a new segment; returns the closed ones (all data in them is in the cache)."""
        with self._lock:
            if self.failed is not None:
                raise WALError(self.failed)
            self._new_segment()
            return self.segments()[:-1]

    def remove(self, segments: list[str]) -> None:
        for seg in segments:
            os.remove(seg)
        if segments and self._sync:
            _fsync.fsync_dir(self.path)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
