"""The shard write path's per-point work: twin of ``rust/src/python/storage.rs``,
``rust/src/wal.rs`` and ``rust/src/cache.rs`` (same results, same WAL bytes)."""

from __future__ import annotations

import struct
import threading
import zlib
from bisect import bisect_right

from .batch import ParsedBatch
from .point import decode_fields, name_of, tags_of
from .varint import put_uvarint, uvarint

TYPE_CODES = {"float": 0, "integer": 1, "unsigned": 2, "string": 3, "boolean": 4}
TYPE_NAMES = {v: k for k, v in TYPE_CODES.items()}
KIND_POINTS = 1
KIND_DELETE = 2
GO_ZERO = -62_135_596_800_000_000_000


def _indices(batch: ParsedBatch, sel) -> list[int]:
    n = len(batch)
    if sel is None:
        return list(range(n))
    if len(sel) % 4:
        raise ValueError("indices must be u32 LE bytes")
    idx = list(struct.unpack(f"<{len(sel) // 4}I", sel))
    if any(i >= n for i in idx):
        raise ValueError("point index out of range")
    return idx


def _u64s(b: bytes) -> list[int]:
    if len(b) % 8:
        raise ValueError("ids must be u64 LE bytes")
    return list(struct.unpack(f"<{len(b) // 8}Q", b))


def _u32_bytes(v: list[int]) -> bytes:
    return struct.pack(f"<{len(v)}I", *v)


def shard_validate(batch: ParsedBatch, sel, known: dict):
    """InfluxDB's shard-level checks (see the native twin)."""
    types: dict[bytes, dict[bytes, str]] = {m: dict(f) for m, f in known.items()}
    for fields in types.values():
        for t in fields.values():
            if t not in TYPE_CODES:
                raise ValueError("bad field type")
    accepted: list[int] = []
    new_fields = []
    reason = None
    dropped = 0
    for i in _indices(batch, sel):
        key = batch._keys[i]
        name = name_of(key)
        name_text = name.decode("utf-8", "replace")
        if any(k == b"time" for k, _ in tags_of(key)):
            dropped += 1
            reason = reason or f'invalid tag key: input tag "time" on measurement "{name_text}" is invalid'
            continue
        mtypes = types.setdefault(name, {})
        n_fields = 0
        pending: dict[bytes, str] = {}
        conflict = None
        for k, t, _ in decode_fields(batch._fields[i]):
            if k == b"time":
                continue
            n_fields += 1
            have = mtypes.get(k) or pending.get(k)
            if have is not None and have != t:
                conflict = (f'field type conflict: input field "{k.decode("utf-8", "replace")}" on measurement '
                            f'"{name_text}" is type {t}, already exists as type {have}')
                break
            if have is None:
                pending[k] = t
        if conflict:
            dropped += 1
            reason = reason or conflict
            continue
        if n_fields == 0:
            dropped += 1
            reason = reason or f'invalid field name: input field "time" on measurement "{name_text}" is invalid'
            continue
        for k, t in pending.items():
            mtypes[k] = t
            new_fields.append((name, k, t))
        accepted.append(i)
    return _u32_bytes(accepted), new_fields, reason, dropped


class Prepared:
    """The accepted points of one shard write (same API as the native class)."""

    __slots__ = ("_batch", "_sel", "_tsi_n", "_n")

    def __init__(self, batch: ParsedBatch, sel: bytes, tsi_n: int) -> None:
        self._batch, self._sel, self._tsi_n = batch, sel, tsi_n
        self._n = len(sel) // 4

    def __len__(self) -> int:
        return self._n

    @property
    def accepted(self) -> bytes:
        return self._sel

    def wal_entry(self, ids: bytes) -> bytes:
        return wal_encode(self._batch, self._sel, ids)


def shard_prepare(batch: ParsedBatch, sel, known: dict, tsi_partition_n: int = 0):
    """``shard_validate`` plus what the rest of the write needs: ``(prepared, new fields,
    reason, dropped)``."""
    if tsi_partition_n > 256 or tsi_partition_n & (tsi_partition_n - 1):
        raise ValueError("tsi_partition_n must be a power of two up to 256")
    accepted, new_fields, reason, dropped = shard_validate(batch, sel, known)
    return Prepared(batch, accepted, tsi_partition_n), new_fields, reason, dropped


def series_keys(batch: ParsedBatch, idx: list[int]) -> list[bytes]:
    keys = batch.series_keys()
    return [keys[i] for i in idx]


def _zigzag(v: int) -> bytes:
    return put_uvarint(((v << 1) ^ (v >> 63)) & 0xFFFF_FFFF_FFFF_FFFF)


def _unzigzag(u: int) -> int:
    return (u >> 1) ^ -(u & 1)


def _point_fields(batch: ParsedBatch, i: int) -> list[tuple[bytes, str, object]]:
    """Fields of a point without ``time``, a repeated key keeping its first place and last value."""
    at: dict[bytes, int] = {}  # a dict keeps a point with many fields linear
    out: list = []
    for k, t, v in decode_fields(batch._fields[i]):
        if k == b"time":
            continue
        j = at.get(k)
        if j is None:
            at[k] = len(out)
            out.append((k, t, v))
        else:
            out[j] = (k, t, v)
    return out


def _encode_value(t: str, v) -> bytes:
    if t == "float":
        return struct.pack("<d", v)
    if t == "integer":
        return _zigzag(v)
    if t == "unsigned":
        return put_uvarint(v)
    if t == "boolean":
        return b"\x01" if v else b"\x00"
    return put_uvarint(len(v)) + v


def wal_encode(batch: ParsedBatch, sel, ids: bytes) -> bytes:
    idx = _indices(batch, sel)
    ids_ = _u64s(ids)
    if len(ids_) != len(idx):
        raise ValueError("one series id per point")
    names: dict[bytes, int] = {}
    keys: dict[bytes, int] = {}
    body = bytearray()
    for j, i in enumerate(idx):
        name = name_of(batch._keys[i])
        ni = names.setdefault(name, len(names))
        fields = _point_fields(batch, i)
        body += put_uvarint(ni) + put_uvarint(ids_[j]) + _zigzag(batch._times[i]) + put_uvarint(len(fields))
        for k, t, v in fields:
            ki = keys.setdefault(k, len(keys))
            body += put_uvarint(ki) + bytes((TYPE_CODES[t],)) + _encode_value(t, v)
    payload = bytearray((KIND_POINTS,))
    for table in (names, keys):
        payload += put_uvarint(len(table))
        for s in table:
            payload += put_uvarint(len(s)) + s
    payload += put_uvarint(len(idx)) + body
    return struct.pack("<II", len(payload), zlib.crc32(payload)) + bytes(payload)


def wal_encode_delete(measurement: bytes, series_ids, tmin: int, tmax: int) -> bytes:
    ids = None if series_ids is None else _u64s(series_ids)
    payload = bytearray((KIND_DELETE,))
    payload += put_uvarint(len(measurement)) + measurement + _zigzag(tmin) + _zigzag(tmax)
    payload += put_uvarint(1 if ids is None else 0) + put_uvarint(len(ids or ()))
    for i in ids or ():
        payload += put_uvarint(i)
    return struct.pack("<II", len(payload), zlib.crc32(payload)) + bytes(payload)


def _decode_delete(payload: bytes):
    r = _Reader(payload)
    r.take(1)
    m = r.part()
    tmin, tmax = _unzigzag(r.uvarint()), _unzigzag(r.uvarint())
    all_ = r.uvarint()
    ids = [r.uvarint() for _ in range(r.uvarint())]
    if r.pos != len(payload) or all_ > 1:
        raise ValueError
    return m, None if all_ else ids, tmin, tmax


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def uvarint(self) -> int:
        v, n = uvarint(self.data, self.pos)
        if n <= 0:
            raise ValueError
        self.pos += n
        return v

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def part(self) -> bytes:
        return self.take(self.uvarint())


def _decode_payload(payload: bytes):
    r = _Reader(payload)
    if r.take(1) != bytes((KIND_POINTS,)):
        raise ValueError
    names = [r.part() for _ in range(r.uvarint())]
    keys = [r.part() for _ in range(r.uvarint())]
    points = []
    for _ in range(r.uvarint()):
        name = names[r.uvarint()]
        sid = r.uvarint()
        t = _unzigzag(r.uvarint())
        fields = []
        for _ in range(r.uvarint()):
            k = keys[r.uvarint()]
            code = r.take(1)[0]
            ftype = TYPE_NAMES[code]
            if ftype == "float":
                (v,) = struct.unpack("<d", r.take(8))
            elif ftype == "integer":
                v = _unzigzag(r.uvarint())
            elif ftype == "unsigned":
                v = r.uvarint()
            elif ftype == "boolean":
                v = r.take(1)[0] != 0
            else:
                v = r.part()
            fields.append((k, ftype, v))
        points.append((name, sid, t, fields))
    if r.pos != len(payload):
        raise ValueError
    return points


def _scan(data: bytes, f) -> tuple[int, str | None]:
    pos = 0
    n = len(data)
    while pos < n:
        if n - pos < 8:
            return pos, "short entry"
        length, crc = struct.unpack_from("<II", data, pos)
        if pos + 8 + length > n:
            return pos, "short entry"
        payload = data[pos + 8 : pos + 8 + length]
        if zlib.crc32(payload) != crc:
            return pos, "corrupt entry"
        try:
            entry = ("delete", _decode_delete(payload)) if payload[:1] == bytes((KIND_DELETE,)) else (
                "points", _decode_payload(payload))
        except (ValueError, IndexError, KeyError, struct.error):
            return pos, "corrupt entry"
        f(entry)
        pos += 8 + length
    return pos, None


def wal_scan(data: bytes):
    count = [0]

    def f(entry):
        if entry[0] == "points":
            count[0] += len(entry[1])

    valid, stop = _scan(data, f)
    return valid, stop, count[0]


# Bytes counted per row, per column besides its values and name, per table besides its rows
# and columns: the formula of rust/src/cache.rs.
ROW_BYTES = 16
COLUMN_BYTES = 192
TABLE_BYTES = 512


def _value_size(t: str, v) -> int:
    return 8 + len(v) if t == "string" else 1 if t == "boolean" else 8


def _null(t: str):
    return b"" if t == "string" else False if t == "boolean" else 0


def _rows(col) -> range | list[int]:
    """The rows a column has values for: an int is the first of a run (as many as values)."""
    rows = col[3]
    return range(rows, rows + len(col[2])) if isinstance(rows, int) else rows


def _rows_from_sorted(rows: list[int]) -> int | list[int]:
    if not rows:
        return 0
    return rows[0] if rows[-1] - rows[0] + 1 == len(rows) else rows


def _column_size(col) -> int:
    name, ftype, values, rows = col
    n = COLUMN_BYTES + 2 * len(name) + (4 * len(rows) if isinstance(rows, list) else 0)
    if ftype == "string":
        return n + sum(8 + len(v) for v in values)
    return n + len(values) * (1 if ftype == "boolean" else 8)


class _Table:
    """One measurement: time and series id per row; per field [name, type, values, rows] with
    only the values it has (see ``rust/src/cache.rs``)."""

    __slots__ = ("times", "series", "columns", "index")

    def __init__(self) -> None:
        self.times: list[int] = []
        self.series: list[int] = []
        self.columns: list[list] = []
        self.index: dict[bytes, int] = {}

    def column(self, name: bytes, t: str) -> tuple[int, int]:
        i = self.index.get(name)
        if i is not None:
            return i, 0
        self.columns.append([name, t, [], 0])
        i = self.index[name] = len(self.columns) - 1
        return i, COLUMN_BYTES + 2 * len(name)

    def size(self) -> int:
        return ROW_BYTES * len(self.times) + sum(_column_size(c) for c in self.columns)

    def push(self, sid: int, t: int, fields) -> int:
        row = len(self.times)
        present: dict[int, tuple] = {}
        size = ROW_BYTES
        for k, ftype, v in fields:
            c, added = self.column(k, ftype)
            size += added
            present[c] = (ftype, v)
        for c, (ftype, v) in present.items():
            col = self.columns[c]
            if ftype != col[1]:
                continue
            values, rows = col[2], col[3]
            if isinstance(rows, list):
                rows.append(row)
                size += 4
            elif not values:
                col[3] = row
            elif rows + len(values) != row:
                col[3] = [*range(rows, rows + len(values)), row]
                size += 4 * len(col[3])
            values.append(v)
            size += _value_size(ftype, v)
        self.times.append(t)
        self.series.append(sid)
        return size

    def delete(self, ids, tmin: int, tmax: int) -> int:
        renumber: list[int] = []
        kept = 0
        for t, s in zip(self.times, self.series):
            if tmin <= t <= tmax and (ids is None or s in ids):
                renumber.append(-1)
            else:
                renumber.append(kept)
                kept += 1
        removed = len(self.times) - kept
        if removed:
            self.times = [t for t, n in zip(self.times, renumber) if n >= 0]
            self.series = [s for s, n in zip(self.series, renumber) if n >= 0]
            for col in self.columns:
                pairs = [(v, renumber[r]) for v, r in zip(col[2], _rows(col)) if renumber[r] >= 0]
                col[2] = [v for v, _ in pairs]
                col[3] = _rows_from_sorted([r for _, r in pairs])
        return removed

    def snapshot(self, wanted, tmin: int, tmax: int):
        times, series = self.times, self.series
        rows = [i for i in range(len(times))
                if tmin <= times[i] <= tmax and (wanted is None or series[i] in wanted)]
        rows.sort(key=lambda i: (series[i], times[i], i))
        out_t: list[int] = []
        out_s: list[int] = []
        group = [-1] * len(times)
        for i in rows:
            if not out_t or out_s[-1] != series[i] or out_t[-1] != times[i]:
                out_t.append(times[i])
                out_s.append(series[i])
            group[i] = len(out_t) - 1
        fields = [_merged(col, group, len(out_t)) for col in self.columns]
        return {"time": struct.pack(f"<{len(out_t)}q", *out_t), "series_id": struct.pack(f"<{len(out_s)}Q", *out_s),
                "fields": fields}


def _merged(col, group: list[int], n: int):
    """A column over the merged rows as the snapshot gives it: the newest value of each wins."""
    name, ftype, values, _ = col
    pick = [-1] * n
    for j, r in enumerate(_rows(col)):
        g = group[r]
        if g >= 0:
            pick[g] = j  # rows ascend: the last one is the newest
    null = _null(ftype)
    vals = [values[j] if j >= 0 else null for j in pick]
    bitmap = bytearray((n + 7) // 8)
    for i, j in enumerate(pick):
        if j >= 0:
            bitmap[i // 8] |= 1 << (i % 8)
    offsets = None
    if ftype == "float":
        data = struct.pack(f"<{n}d", *vals)
    elif ftype == "integer":
        data = struct.pack(f"<{n}q", *vals)
    elif ftype == "unsigned":
        data = struct.pack(f"<{n}Q", *vals)
    elif ftype == "boolean":
        data = bytes(1 if v else 0 for v in vals)
    else:
        data = b"".join(vals)
        offs = [0]
        for v in vals:
            offs.append(offs[-1] + len(v))
        offsets = struct.pack(f"<{len(offs)}Q", *offs)
    return name, ftype, data, bytes(bitmap), offsets


class Cache:
    """A shard's in-memory cache (same API and results as the native class). A lock makes
    every call atomic, so a snapshot never sees a half-added row."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[bytes, _Table] = {}
        self._size = 0
        self._points = 0

    @property
    def size(self) -> int:
        """Bytes the cache holds (the formula is in ``rust/src/cache.rs``)."""
        with self._lock:
            return self._size

    @property
    def points(self) -> int:
        with self._lock:
            return self._points

    def _insert(self, name: bytes, sid: int, t: int, fields) -> None:
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = _Table()
            self._size += TABLE_BYTES + len(name)
        self._size += table.push(sid, t, fields)
        self._points += 1

    def insert_batch(self, batch: ParsedBatch, sel, ids: bytes) -> None:
        idx = _indices(batch, sel)
        ids_ = _u64s(ids)
        if len(ids_) != len(idx):
            raise ValueError("one series id per point")
        rows = [(name_of(batch._keys[i]), ids_[j], batch._times[i], _point_fields(batch, i))
                for j, i in enumerate(idx)]
        with self._lock:
            for row in rows:
                self._insert(*row)

    def insert_prepared(self, prepared: Prepared, ids: bytes) -> None:
        self.insert_batch(prepared._batch, prepared._sel, ids)

    def replay(self, data: bytes):
        count = [0]
        deletes = []

        def apply(entry):
            kind, body = entry
            if kind == "delete":
                m, ids, tmin, tmax = body
                self._delete(m, None if ids is None else set(ids), tmin, tmax)
                deletes.append((m, None if ids is None else struct.pack(f"<{len(ids)}Q", *ids), tmin, tmax))
                return
            count[0] += len(body)
            for name, sid, t, fields in body:
                self._insert(name, sid, t, fields)

        with self._lock:
            valid, stop = _scan(data, apply)
        return valid, stop, count[0], deletes

    def delete(self, measurement: bytes, series_ids=None, tmin: int = -(1 << 63), tmax: int = (1 << 63) - 1) -> int:
        ids = None if series_ids is None else set(_u64s(series_ids))
        with self._lock:
            return self._delete(measurement, ids, tmin, tmax)

    def _delete(self, measurement: bytes, ids, tmin: int, tmax: int) -> int:
        table = self._tables.get(measurement)
        if table is None:
            return 0
        before = table.size()
        removed = table.delete(ids, tmin, tmax)
        if removed:
            self._size += table.size() - before
            self._points -= removed
            if not table.times:
                self._size -= table.size() + TABLE_BYTES + len(measurement)
                del self._tables[measurement]
        return removed

    def measurements(self) -> list[bytes]:
        with self._lock:
            return sorted(self._tables)

    def field_types(self) -> list[tuple[bytes, bytes, str]]:
        """Every column in the cache: ``[(measurement, field, type name)]``, sorted."""
        with self._lock:
            return [(m, name, ftype) for m in sorted(self._tables)
                    for name, ftype, _, _ in sorted(self._tables[m].columns, key=lambda c: c[0])]

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()
            self._size = 0
            self._points = 0

    def snapshot(self, measurement: bytes, series_ids=None, tmin: int = -(1 << 63), tmax: int = (1 << 63) - 1):
        wanted = None if series_ids is None else set(_u64s(series_ids))
        with self._lock:
            table = self._tables.get(measurement)
            return None if table is None else table.snapshot(wanted, tmin, tmax)


def group_starts(batch: ParsedBatch, duration: int, min_time: int) -> list[int]:
    return sorted({t - (t - GO_ZERO) % duration for t in batch._times if t >= min_time})


def split_by_shard(batch: ParsedBatch, groups, min_time: int):
    groups = list(groups)
    if any(g[2] == 0 for g in groups):
        raise ValueError("a shard group needs at least one shard")
    from .hash import fnv1a64

    ends = [g[1] for g in groups]
    out = [[[] for _ in range(g[2])] for g in groups]
    dropped = 0
    unplaced = []
    for i, t in enumerate(batch._times):
        if t < min_time:
            dropped += 1
            continue
        g = bisect_right(ends, t)
        if g >= len(groups) or groups[g][0] > t:
            unplaced.append(i)
            continue
        n = groups[g][2]
        s = 0 if n == 1 else fnv1a64(batch._keys[i]) % n
        out[g][s].append(i)
    return [[_u32_bytes(s) for s in g] for g in out], dropped, _u32_bytes(unplaced)
