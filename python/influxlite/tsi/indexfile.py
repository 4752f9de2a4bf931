"""Immutable index files (``L<level>-<id>.ilx``): a compacted log file that opens without replay.

A log file is replayed entry by entry on open; once it passes its size limit the partition
writes its whole in-memory state to one of these and drops the log, so open time stays flat
as the index grows. Opening reads a 64-byte trailer and two roaring bitmaps; everything else
is read straight from the memory-mapped file, by binary search, when asked for.

Layout (all integers little-endian)::

    "ILX1"
    value tables      per tag key, sorted by value: 24-byte entries
                      (str u64, str_len u32, flags u8, 3 pad, ids u64)
    key tables        per measurement, sorted by key: 32-byte entries
                      (str u64, str_len u32, flags u8, 3 pad, values_off u64, value_n u64)
    measurement table sorted by name: 40-byte entries
                      (str u64, str_len u32, flags u8, 3 pad, keys_off u64, key_n u64, series u64)
    string area       every name, key and value, back to back (``str`` is relative to it)
    id area           ``len u32 | roaring bitmap`` (pyroaring's portable format)
    series set, tombstone set (roaring)
    trailer (84 bytes): measurement table off u64, measurement count u64, string area off u64,
                      id area off u64, series set off u64, len u64, tombstone set off u64, len u64,
                      crc32 u32 (of every byte before it), "ILX1", version u32 (= 2)

Version 1 files (written before the checksum, 80-byte trailer without it) still open.

``flags`` bit 0 is "deleted". An ``ids``/``series`` field holds a set of series ids: with its
top bit clear it is one id (0: none), else the low 63 bits are an offset into the id area.
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib

from pyroaring import BitMap64

from . import seriesidset as ids_
from .._fsync import atomic_write

MAGIC = b"ILX1"
VERSION = 2
EXTENSION = ".ilx"
_TRAILER_V1 = struct.Struct("<QQQQQQQQ4sI")
_TRAILER = struct.Struct("<QQQQQQQQI4sI")  # version 2: a crc32 before the magic
_VALUE = struct.Struct("<QIB3xQ")
_KEY = struct.Struct("<QIB3xQQ")
_MEAS = struct.Struct("<QIB3xQQQ")
_BITMAP_FLAG = 1 << 63
DELETED = 1


class IndexFileError(Exception):
    pass


def _idset(s: ids_.IDs, id_area: bytearray) -> int:
    if isinstance(s, int):
        return s
    if not s:
        return 0
    if len(s) == 1:
        return next(iter(s))
    data = (s if isinstance(s, BitMap64) else BitMap64(s)).serialize()
    off = len(id_area)
    id_area += struct.pack("<I", len(data)) + data
    return _BITMAP_FLAG | off


def write(path: str, measurements: dict, series: BitMap64, tombstones: BitMap64) -> int:
    """Writes an index file from a log file's state (``LogFile._mms`` and its id sets) to
    ``path`` (via a temporary file, fsynced, renamed). Returns its size."""
    strings = bytearray()
    id_area = bytearray()
    out = bytearray(MAGIC)
    meas = []
    value_pack, key_pack = _VALUE.pack, _KEY.pack
    for name in sorted(measurements):
        mm = measurements[name]
        keys = []
        for key in sorted(mm.tags):
            tk = mm.tags[key]
            deleted_values = tk.deleted_values or ()
            vals = tk.values
            voff = len(out)
            for v in sorted(vals):
                out += value_pack(len(strings), len(v), DELETED if v in deleted_values else 0, _idset(vals[v], id_area))
                strings += v
            keys.append((len(strings), key, DELETED if tk.deleted else 0, voff, len(vals)))
            strings += key
        koff = len(out)
        for so, key, flags, voff, vn in keys:
            out += key_pack(so, len(key), flags, voff, vn)
        meas.append((len(strings), len(name), DELETED if mm.deleted else 0, koff, len(keys), _idset(mm.series, id_area)))
        strings += name
    meas_off = len(out)
    for e in meas:
        out += _MEAS.pack(*e)
    strings_off = len(out)
    out += strings
    ids_off = len(out)
    out += id_area
    series_data, tomb_data = series.serialize(), tombstones.serialize()
    series_off = len(out)
    out += series_data
    tomb_off = len(out)
    out += tomb_data
    out += _TRAILER_V1.pack(meas_off, len(meas), strings_off, ids_off, series_off, len(series_data),
                            tomb_off, len(tomb_data), MAGIC, VERSION)[:64]
    out += struct.pack("<I", zlib.crc32(out)) + MAGIC + struct.pack("<I", VERSION)
    atomic_write(path, out)
    return len(out)


class IndexFile:
    """A read-only, memory-mapped index file with the same readers as a log file."""

    def __init__(self, path: str) -> None:
        self.path = path
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < len(MAGIC) + _TRAILER_V1.size:
                raise IndexFileError(f"invalid index file: {path}: {size} bytes (truncated)")
            self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        mm = self._mm
        try:
            self._open(path, mm, size)
        except IndexFileError:
            mm.close()
            raise
        except Exception as e:  # noqa: BLE001 - offsets or bitmaps that do not decode
            mm.close()
            raise IndexFileError(f"invalid index file: {path}: {e}") from e
        self.size = size

    def _open(self, path: str, mm, size: int) -> None:
        if mm[:4] != MAGIC:
            raise IndexFileError(f"invalid index file: {path}: damaged at offset 0 (no magic)")
        magic, version = struct.unpack_from("<4sI", mm, size - 8)
        if magic != MAGIC:
            raise IndexFileError(f"invalid index file: {path}: damaged at offset {size - 8} (no trailer magic)")
        if version == VERSION:
            fields = _TRAILER.unpack_from(mm, size - _TRAILER.size)
            if zlib.crc32(mm[: size - 12]) != fields[8]:
                raise IndexFileError(f"invalid index file: {path}: checksum mismatch over offsets 0..{size - 12}")
        elif version == 1:
            fields = _TRAILER_V1.unpack_from(mm, size - _TRAILER_V1.size)
        else:
            raise IndexFileError(f"unsupported index file version: {path}")
        self._meas_off, self._meas_n, self._strings, self._id_area, so, sl, to, tl = fields[:8]
        self._series = BitMap64.deserialize(mm[so : so + sl])
        self._tombstones = BitMap64.deserialize(mm[to : to + tl])

    def close(self) -> None:
        self._mm.close()

    # --- low level ---------------------------------------------------------------------

    def _ids(self, field: int) -> ids_.IDs:
        if not field & _BITMAP_FLAG:
            return field if field else ids_.EMPTY
        off = self._id_area + (field & ~_BITMAP_FLAG)
        (n,) = struct.unpack_from("<I", self._mm, off)
        return BitMap64.deserialize(self._mm[off + 4 : off + 4 + n])

    def _find(self, st: struct.Struct, table_off: int, count: int, target: bytes):
        """Binary search a table of entries sorted by their string; the entry or None."""
        mm, base = self._mm, self._strings
        lo, hi = 0, count
        while lo < hi:
            mid = (lo + hi) // 2
            e = st.unpack_from(mm, table_off + mid * st.size)
            s = mm[base + e[0] : base + e[0] + e[1]]
            if s < target:
                lo = mid + 1
            elif s > target:
                hi = mid
            else:
                return e
        return None

    def _entries(self, st: struct.Struct, table_off: int, count: int):
        mm, base = self._mm, self._strings
        for i in range(count):
            e = st.unpack_from(mm, table_off + i * st.size)
            yield mm[base + e[0] : base + e[0] + e[1]], e

    def _measurement(self, name: bytes):
        return self._find(_MEAS, self._meas_off, self._meas_n, name)

    def _key(self, name: bytes, key: bytes):
        m = self._measurement(name)
        return None if m is None else self._find(_KEY, m[3], m[4], key)

    # --- readers (the same shape as LogFile's) -------------------------------------------

    def measurements(self) -> list[tuple[bytes, bool]]:
        return [(name, bool(e[2] & DELETED)) for name, e in self._entries(_MEAS, self._meas_off, self._meas_n)]

    def measurement(self, name: bytes) -> tuple[bool, ids_.IDs] | None:
        """(deleted, series ids) of a measurement, or None if the file does not know it."""
        m = self._measurement(name)
        return None if m is None else (bool(m[2] & DELETED), self._ids(m[5]))

    def tag_key_elems(self, name: bytes) -> list[tuple[bytes, bool]]:
        m = self._measurement(name)
        if m is None:
            return []
        return [(k, bool(e[2] & DELETED)) for k, e in self._entries(_KEY, m[3], m[4])]

    def tag_key(self, name: bytes, key: bytes) -> bool | None:
        """The deleted flag of a tag key, or None if unknown."""
        k = self._key(name, key)
        return None if k is None else bool(k[2] & DELETED)

    def tag_value_elems(self, name: bytes, key: bytes) -> list[tuple[bytes, bool]]:
        k = self._key(name, key)
        if k is None:
            return []
        return [(v, bool(e[2] & DELETED)) for v, e in self._entries(_VALUE, k[3], k[4])]

    def tag_value(self, name: bytes, key: bytes, value: bytes) -> tuple[bool, ids_.IDs] | None:
        """(deleted, series ids) of a tag value, or None if unknown."""
        k = self._key(name, key)
        if k is None:
            return None
        v = self._find(_VALUE, k[3], k[4], value)
        return None if v is None else (bool(v[2] & DELETED), self._ids(v[3]))

    def tag_values_ids(self, name: bytes, key: bytes):
        """(value, deleted, ids) for every value of a tag key, sorted by value."""
        k = self._key(name, key)
        if k is None:
            return []
        return [(v, bool(e[2] & DELETED), self._ids(e[3])) for v, e in self._entries(_VALUE, k[3], k[4])]

    def series_id_set(self) -> BitMap64:
        return self._series.copy()

    def tombstone_series_id_set(self) -> BitMap64:
        return self._tombstones.copy()
