"""Durability helpers: fsync of several files at once, directory fsyncs, and the one way a file
is replaced (``atomic_write``: a temporary file, fsynced, renamed over the old one, and the
directory fsynced, so a crash leaves the old file or the new one, never a mix or nothing).

``fsync`` is the one call every durable write of the storage layer goes through: tests replace
it (``influxlite._fsync.fsync``) to make an fsync fail as a failing disk makes it fail.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
TMP_SUFFIX = ".tmp"

fsync: Callable[[int], None] = os.fsync


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
            fsync(fd)
        return
    for f in [_executor().submit(fsync, fd) for fd in fds]:
        f.result()


def fsync_path(path: str) -> None:
    """fsyncs a file, or a directory (which makes its entries durable: a created, renamed or
    removed file), by name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        fsync(fd)
    finally:
        os.close(fd)


fsync_dir = fsync_path  # a directory: its created, renamed or removed entries


def make_dirs(path: str) -> None:
    """``os.makedirs`` whose new directories survive a crash: each parent that gained an entry
    is fsynced. New directories are the owner's only (0700): the data is nobody else's to read."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    make_dirs(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
        return
    fsync_dir(parent)


def remove_tmp(path: str) -> None:
    """Removes the temporary file an ``atomic_write`` of ``path`` left when a crash cut it
    short (``path`` itself is then the old whole file, or absent); called on open."""
    if os.path.lexists(path + TMP_SUFFIX):
        os.remove(path + TMP_SUFFIX)


def atomic_write(path: str, data: bytes | Callable[[str], None], *, sync: bool = True) -> None:
    """Replaces ``path`` with ``data`` (bytes, or a function that writes the file it is given)
    so that a crash leaves either the old file or the whole new one. The temporary file is
    removed if anything fails (a full disk leaves no half-written file behind)."""
    tmp = path + TMP_SUFFIX
    try:
        if callable(data):
            data(tmp)
        else:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        if sync:
            fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    if sync:
        fsync_dir(os.path.dirname(path) or ".")
