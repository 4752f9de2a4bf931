"""The series file's in-memory index: twin of ``rust/src/seriesindex.rs`` and its binding."""

from __future__ import annotations

import struct

from .hash import xxh64
from .serieskey import (
    encode_series_keys, normalize, parse_series_key, read_series_key_len, read_series_key_measurement, read_series_key_tag,
    read_series_key_tag_n,
)
from .varint import uvarint
from ..errors import ShortBufferError

FLAG_INSERT = 0x01
FLAG_TOMBSTONE = 0x02


def _well_formed(key: bytes) -> bool:
    """Exactly one key whose size prefix matches its parts (twin of ``is_well_formed``)."""
    try:
        size, rest = read_series_key_len(key)
        if len(rest) != size:
            return False
        _, rest = read_series_key_measurement(rest)
        n, rest = read_series_key_tag_n(rest)
        for _ in range(n):
            _, _, rest = read_series_key_tag(rest)
    except ShortBufferError:
        return False
    return not rest


def _escape(s: bytes, chars: bytes) -> bytes:
    for c in chars:
        s = s.replace(bytes((c,)), b"\\" + bytes((c,)))
    return s


def make_key(name: bytes, tags) -> bytes:
    """InfluxDB's ``models.MakeKey``: the escaped text key, tags in the given (sorted) order."""
    return _escape(name, b", ") + b"".join(b"," + _escape(k, b", =") + b"=" + _escape(v, b", =") for k, v in tags)


class _Partition:
    __slots__ = ("id", "n", "keys", "ids", "tombstones")

    def __init__(self, pid: int, n: int) -> None:
        self.id, self.n = pid, n
        self.keys: list[bytes] = []
        self.ids: dict[bytes, int] = {}
        self.tombstones: set[int] = set()

    def next_id(self) -> int:
        return self.id + 1 + self.n * len(self.keys)

    def slot_of(self, sid: int) -> int | None:
        if sid <= 0 or (sid - 1) % self.n != self.id:
            return None
        slot = (sid - 1 - self.id) // self.n
        return slot if slot < len(self.keys) else None

    def find(self, key: bytes) -> int:
        sid = self.ids.get(key, 0)
        return 0 if sid in self.tombstones else sid

    def insert(self, key: bytes) -> int:
        sid = self.next_id()
        self.keys.append(key)
        self.ids[key] = sid
        return sid

    def is_deleted(self, sid: int) -> bool:
        return sid in self.tombstones or self.slot_of(sid) is None

    def load(self, data: bytes, pos: int) -> int:
        n = len(data)
        while pos + 9 <= n:
            flag = data[pos]
            (sid,) = struct.unpack_from(">Q", data, pos + 1)
            if flag == FLAG_INSERT:
                if sid != self.next_id():
                    break
                size, used = uvarint(data, pos + 9)
                end = pos + 9 + used + size
                if used <= 0 or end > n:
                    break
                key = bytes(data[pos + 9 : end])
                if not _well_formed(key):
                    break
                self.insert(key)
                pos += 9 + len(key)
            elif flag == FLAG_TOMBSTONE:
                if self.slot_of(sid) is None:
                    break
                self.tombstones.add(sid)
                pos += 9
            else:
                break
        return pos


class SeriesIndex:
    """Series key <-> id for every partition of one series file (same API as the native class)."""

    def __init__(self, partition_n: int = 8) -> None:
        if partition_n < 1:
            raise ValueError("partition_n must be at least 1")
        self._parts = [_Partition(p, partition_n) for p in range(partition_n)]

    @property
    def partition_n(self) -> int:
        return len(self._parts)

    def _part(self, p: int) -> _Partition:
        if not 0 <= p < len(self._parts):
            raise IndexError("tsdb: invalid series partition id")
        return self._parts[p]

    def _part_of_id(self, sid: int) -> _Partition | None:
        return self._parts[(sid - 1) % len(self._parts)] if sid > 0 else None

    def load_segment(self, partition: int, data: bytes, pos: int) -> int:
        return self._part(partition).load(data, pos)

    def create_from_batch(self, batch, sel=None, tsi_partition_n: int = 0):
        """``create`` for the selected points of a parsed batch: ``(ids as u64 LE bytes, new,
        groups)`` (see the native twin)."""
        from .storage import _indices, series_keys

        if tsi_partition_n > 256 or tsi_partition_n & (tsi_partition_n - 1):
            raise ValueError("tsi_partition_n must be a power of two up to 256")
        keys = series_keys(batch, _indices(batch, sel))
        ids, new = self._create_keys(keys)
        groups = None
        if tsi_partition_n:
            parts = [bytearray() for _ in range(tsi_partition_n)]
            for sid, key in zip(ids, keys):
                name, tags = parse_series_key(key)
                text = make_key(name, sorted(tags, key=lambda kv: kv[0]))
                parts[xxh64(text) & (tsi_partition_n - 1)] += struct.pack("<Q", sid)
            groups = [bytes(g) for g in parts]
        return struct.pack(f"<{len(ids)}Q", *ids), new, groups

    def create_prepared(self, prepared):
        """``create_from_batch`` for a prepared shard write."""
        return self.create_from_batch(prepared._batch, prepared._sel, prepared._tsi_n)

    def create(self, names, tags_list, tsi_partition_n: int = 0):
        if tsi_partition_n & (tsi_partition_n - 1):
            raise ValueError("tsi_partition_n must be a power of two")
        names, tags_list = list(names), list(tags_list)
        ids, new = self._create_keys(encode_series_keys(names, tags_list))
        groups = None
        if tsi_partition_n:
            groups = [[] for _ in range(tsi_partition_n)]
            for sid, name, tags in zip(ids, names, tags_list):
                text = make_key(*normalize(name, tags))
                groups[xxh64(text) & (tsi_partition_n - 1)].append(sid)
        return ids, new, groups

    def _create_keys(self, keys):
        n = len(self._parts)
        new: list = [None] * n
        ids = []
        for key in keys:
            p = xxh64(key) % n
            part = self._parts[p]
            sid = part.find(key)
            if sid == 0:
                sid = part.insert(key)
                entry = struct.pack(">BQ", FLAG_INSERT, sid) + key
                if new[p] is None:
                    new[p] = ([], [])
                new[p][0].append(entry)
                new[p][1].append(len(entry))
            ids.append(sid)
        return ids, [None if e is None else (b"".join(e[0]), e[1]) for e in new]

    def series_ids(self, names, tags_list) -> list[int]:
        return [self.series_id_by_key(k) for k in encode_series_keys(names, tags_list)]

    def series_id_by_key(self, key: bytes) -> int:
        return self._parts[xxh64(key) % len(self._parts)].find(key)

    def series_key(self, sid: int) -> bytes | None:
        part = self._part_of_id(sid)
        slot = part.slot_of(sid) if part else None
        return None if slot is None else part.keys[slot]

    def delete(self, sid: int):
        part = self._part_of_id(sid)
        if part is None or part.is_deleted(sid):
            return None
        part.tombstones.add(sid)
        return part.id, struct.pack(">BQ", FLAG_TOMBSTONE, sid)

    def invert(self, ids):
        """``ids`` grouped by measurement, tag key and tag value (see the native twin)."""
        groups: dict = {}
        for sid in ids:
            key = self.series_key(sid)
            if key is None:
                continue
            try:
                name, tags = parse_series_key(key)
            except ShortBufferError:
                continue
            g = groups.get(name)
            if g is None:
                g = groups[name] = ([], {})
            g[0].append(sid)
            for k, v in tags:
                g[1].setdefault(k, {}).setdefault(v, []).append(sid)

        def one(v):
            return v[0] if len(v) == 1 else v

        return [(name, one(g[0]), [(k, [(v, one(vids)) for v, vids in vals.items()]) for k, vals in g[1].items()])
                for name, g in groups.items()]

    def is_deleted(self, sid: int) -> bool:
        part = self._part_of_id(sid)
        return part is None or part.is_deleted(sid)

    def count(self) -> int:
        return sum(len(p.keys) - len(p.tombstones) for p in self._parts)

    def next_id(self, partition: int) -> int:
        return self._part(partition).next_id()
