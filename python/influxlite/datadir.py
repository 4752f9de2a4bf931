"""One writer per data directory: an exclusive ``flock`` on ``<data>/.lock``, held while an
``Engine`` is open for writing. A second writer (another process, or another engine in this
one) fails at once with the holder's pid; read-only opens take no lock and change nothing."""

from __future__ import annotations

import fcntl
import os

from .errors import InfluxliteError

LOCK_NAME = ".lock"


class DataDirLockedError(InfluxliteError):
    pass


class DataDirLock:
    def __init__(self, data_dir: str) -> None:
        self.path = os.path.join(data_dir, LOCK_NAME)
        self._fd = -1

    def acquire(self) -> DataDirLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise DataDirLockedError(
                f"data directory {os.path.dirname(self.path)} is in use by another influxlite process "
                f"(pid {holder}); only one process may write to it at a time") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd >= 0:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = -1
