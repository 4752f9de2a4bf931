"""The TSI index of one shard: N partitions (8 by default, as InfluxDB's tsi1 index), each a
``Partition``, sharing the database's series file. A series goes to partition
``xxh64(MakeKey(name, tags)) & (N-1)``; reads merge the partitions' answers.
"""

from __future__ import annotations

import os
import threading
from array import array
from collections.abc import Iterable

from pyroaring import BitMap64

from .partition import DEFAULT_MAX_LOG_FILE_SIZE, Partition
from .. import _backend
from .._fsync import fsync_all, make_dirs
from ..serieskey import parse_series_key

DEFAULT_PARTITION_N = 8


def _raw(x) -> bytes:
    return x if isinstance(x, bytes) else x.encode("utf-8", "surrogateescape")


def _escape(s: bytes, chars: bytes) -> bytes:
    for c in chars:
        s = s.replace(bytes((c,)), b"\\" + bytes((c,)))
    return s


def make_key(name: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """InfluxDB's ``models.MakeKey``: the escaped text key (tags in the order given)."""
    return _escape(name, b", ") + b"".join(b"," + _escape(k, b", =") + b"=" + _escape(v, b", =") for k, v in tags)


class Index:
    """``Index(path, series_file)``: ``<path>/0`` .. ``<path>/N-1`` partitions."""

    def __init__(self, path: str | os.PathLike, series_file, *, partition_n: int = DEFAULT_PARTITION_N,
                 max_log_file_size: int = DEFAULT_MAX_LOG_FILE_SIZE, sync: bool = True,
                 read_only: bool = False) -> None:
        if partition_n < 1 or partition_n & (partition_n - 1):
            raise ValueError("partition_n must be a power of two")
        self.path = os.fspath(path)
        self.series_file = series_file
        self.partitions = [Partition(os.path.join(self.path, str(p)), series_file,
                                     max_log_file_size=max_log_file_size, sync=sync, read_only=read_only)
                           for p in range(partition_n)]
        self._lock = threading.Lock()
        self.read_only = read_only

    def open(self) -> Index:
        """Opens every partition (read-only: changes nothing on disk, repairs nothing)."""
        if not self.read_only:
            make_dirs(self.path)
        try:
            for p in self.partitions:
                p.open()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for p in self.partitions:
            p.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def partition_of(self, name, tags) -> int:
        """The partition of a series (tags sorted by key, as in its series key)."""
        return _backend.backend.xxh64(make_key(_raw(name), sorted((_raw(k), _raw(v)) for k, v in tags))) & (
            len(self.partitions) - 1)

    # --- writes ----------------------------------------------------------------------------

    def add_series_list(self, names: Iterable, tags_list: Iterable) -> list[int]:
        """Creates the series (series file and index) where missing; returns their ids."""
        ids, groups = self.series_file.create_series_list(names, tags_list, len(self.partitions))
        touched = [(p, pids) for p, pids in zip(self.partitions, groups) if pids]
        fds = [p.add_series_ids(pids, defer_sync=True) for p, pids in touched]
        fsync_all([fd for fd in fds if fd is not None])  # the logs of all partitions at once
        for p, _ in touched:
            p.after_sync()
        return ids

    def add_series_ids_grouped(self, groups: list[bytes]) -> int:
        """Adds series already in the series file, given as u64 LE id bytes per partition (as
        ``SeriesFile.create_series_prepared`` groups them), skipping those the index has.
        Returns how many were new."""
        work = []
        for p, data in zip(self.partitions, groups):
            if not data:
                continue
            ids = array("Q")
            ids.frombytes(data)
            missing = BitMap64(ids) - p.series_id_set
            if missing:
                work.append((p, missing.to_array().tolist()))  # ascending ids, no Python loop per point
        fds = [p.add_series_ids(order, defer_sync=True) for p, order in work]
        fsync_all([fd for fd in fds if fd is not None])
        for p, _ in work:
            p.after_sync()
        return sum(len(o) for _, o in work)

    def drop_series(self, series_id: int) -> None:
        key = self.series_file.series_key(series_id)
        if key is None:
            return
        name, tags = parse_series_key(key)
        self.partitions[self.partition_of(name, tags)].drop_series(series_id)

    def drop_measurement(self, name) -> None:
        name = _raw(name)
        for p in self.partitions:
            if p.has_measurement(name):
                p.drop_measurement(name)

    # --- reads (merged across partitions) -----------------------------------------------

    def measurement_names(self) -> list[bytes]:
        names: set[bytes] = set()
        for p in self.partitions:
            names.update(p.measurement_names())
        return sorted(names)

    def has_measurement(self, name) -> bool:
        return any(p.has_measurement(_raw(name)) for p in self.partitions)

    def tag_keys(self, name) -> list[bytes]:
        keys: set[bytes] = set()
        for p in self.partitions:
            keys.update(p.tag_keys(_raw(name)))
        return sorted(keys)

    def tag_values(self, name, key) -> list[bytes]:
        values: set[bytes] = set()
        for p in self.partitions:
            values.update(p.tag_values(_raw(name), _raw(key)))
        return sorted(values)

    def measurement_series_ids(self, name) -> BitMap64:
        out = BitMap64()
        for p in self.partitions:
            out |= p.measurement_series_ids(_raw(name))
        return out

    def tag_key_series_ids(self, name, key) -> BitMap64:
        out = BitMap64()
        for p in self.partitions:
            out |= p.tag_key_series_ids(_raw(name), _raw(key))
        return out

    def tag_value_series_ids(self, name, key, value) -> BitMap64:
        out = BitMap64()
        for p in self.partitions:
            out |= p.tag_value_series_ids(_raw(name), _raw(key), _raw(value))
        return out

    def series_id_set(self) -> BitMap64:
        out = BitMap64()
        for p in self.partitions:
            out |= p.series_id_set
        return out

    def series_n(self) -> int:
        return sum(len(p.series_id_set) for p in self.partitions)
