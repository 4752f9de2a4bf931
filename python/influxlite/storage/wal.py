"""The write-ahead log of one shard: segment files ``_00001.wal``, ``_00002.wal``, ... holding
entries encoded and checksummed in Rust (``wal_encode``; format in ``rust/src/wal.rs``).

``write(entry)`` returns once the entry is fsynced. With ``fsync_delay`` (InfluxDB's
``wal-fsync-delay``) concurrent writers share one fsync: the first to need it waits the delay,
syncs everything appended so far and releases all writers it covered. Opening replays every
segment into the cache; a torn or corrupt tail of the last segment is cut off.
"""

from __future__ import annotations

import os
import re
import threading
import time

from .._fsync import fsync_dir
from ..errors import InfluxliteError

SEGMENT_SIZE = 10 * 1024 * 1024  # InfluxDB's DefaultSegmentSize
_NAME = re.compile(r"^_(\d{5,})\.wal$")


class WALError(InfluxliteError):
    pass


class WAL:
    def __init__(self, path: str, *, fsync_delay: float = 0.0, segment_size: int = SEGMENT_SIZE,
                 sync: bool = True) -> None:
        self.path = path
        self.fsync_delay = fsync_delay
        self.segment_size = segment_size
        self._sync = sync
        self._lock = threading.Lock()  # appends and segment changes
        self._cond = threading.Condition()  # group commit
        self._written = 0  # entries appended
        self._synced = 0  # entries known durable
        self._syncing = False
        self._fd = -1
        self._seq = 0
        self._size = 0

    def segments(self) -> list[str]:
        names = sorted((int(m.group(1)), n) for n in os.listdir(self.path) if (m := _NAME.match(n)))
        return [os.path.join(self.path, n) for _, n in names]

    def open(self, cache) -> list:
        """Replays every segment into ``cache``; returns the deletes replayed, in order:
        ``[(measurement, series ids u64 LE or None, tmin, tmax)]``."""
        os.makedirs(self.path, exist_ok=True)
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
                with open(seg, "r+b") as f:  # a torn write: cut it so appends continue cleanly
                    f.truncate(valid)
                    f.flush()
                    os.fsync(f.fileno())
        if segments:
            self._seq = int(_NAME.match(os.path.basename(segments[-1])).group(1))
            self._fd = os.open(segments[-1], os.O_WRONLY | os.O_APPEND)
            self._size = os.fstat(self._fd).st_size
        else:
            self._new_segment()
        return deletes

    def _new_segment(self) -> None:
        self._seq += 1
        path = os.path.join(self.path, f"_{self._seq:05d}.wal")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        if self._fd >= 0:
            if self._sync:
                os.fsync(self._fd)
            os.close(self._fd)
        self._fd = fd
        self._size = 0
        if self._sync:
            fsync_dir(self.path)

    def write(self, entry: bytes) -> None:
        """Appends an entry; returns when it is on disk."""
        self.wait_durable(self.append(entry))

    def wait_durable(self, seq: int) -> None:
        """Returns once the entry ``append`` numbered ``seq`` (and all before it) is fsynced."""
        if self._sync:
            self._sync_to(seq)

    def append(self, entry: bytes) -> int:
        """Appends an entry without waiting for it to be durable; returns its number for
        ``wait_durable``. Entries reach the file in the order of these calls."""
        with self._lock:
            if self._fd < 0:
                raise WALError("WAL closed")
            if self._size and self._size + len(entry) > self.segment_size:
                self._new_segment()
            written = os.write(self._fd, entry)
            if written != len(entry):
                raise WALError(f"short write to the WAL ({written} of {len(entry)} bytes)")
            self._size += written
            self._written += 1
            return self._written

    def _sync_to(self, mine: int) -> None:
        with self._cond:
            while self._synced < mine:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing = True
                self._cond.release()
                try:
                    if self.fsync_delay:
                        time.sleep(self.fsync_delay)  # let concurrent writers join this fsync
                    with self._lock:  # a rotation cannot close the descriptor under us
                        target = self._written
                        os.fsync(self._fd)
                finally:
                    self._cond.acquire()
                    self._syncing = False
                self._synced = max(self._synced, target)
                self._cond.notify_all()

    def rotate(self) -> list[str]:
        """Starts a new segment; returns the closed ones (all data in them is in the cache)."""
        with self._lock:
            closed = self.segments()
            self._new_segment()
            return closed

    def remove(self, segments: list[str]) -> None:
        for seg in segments:
            os.remove(seg)
        if segments and self._sync:
            fsync_dir(self.path)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
