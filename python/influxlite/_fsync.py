"""fsync of several files at once: the calls release the GIL and overlap on the device."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="influxlite-fsync")
        return _pool


def fsync_all(fds: list[int]) -> None:
    """fsyncs every descriptor; returns when all are durable (raises the first error)."""
    if len(fds) <= 1:
        for fd in fds:
            os.fsync(fd)
        return
    for f in [_executor().submit(os.fsync, fd) for fd in fds]:
        f.result()


def fsync_dir(path: str) -> None:
    """Makes a directory's entries (a created, renamed or removed file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
