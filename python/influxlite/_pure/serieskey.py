"""Binary series keys, byte for byte InfluxDB's ``AppendSeriesKey``: twin of ``rust/src/serieskey.rs``
(and of the bindings in ``rust/src/python/serieskey.rs``)."""

from __future__ import annotations

import struct

from ..errors import ShortBufferError
from .varint import put_uvarint, uvarint, uvarint_size

MAX_PART_LEN = 0xFFFF


def raw(obj) -> bytes:
    if isinstance(obj, bytes):
        return obj
    if isinstance(obj, str):
        return obj.encode("utf-8", "surrogateescape")
    raise TypeError(f"expected bytes or str, not {type(obj).__name__}")


def normalize(name, tags) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """Raw name and tags sorted by key, empty values dropped, duplicates refused."""
    if tags is None:
        items = []
    elif isinstance(tags, dict):
        items = tags.items()
    else:
        items = []
        for item in tags:
            k, v = item
            items.append((k, v))
    pairs = []
    for k, v in items:
        k, v = raw(k), raw(v)
        if v:
            pairs.append((k, v))
    pairs.sort(key=lambda kv: kv[0])
    for a, b in zip(pairs, pairs[1:]):
        if a[0] == b[0]:
            raise ValueError("duplicate tags")
    return raw(name), pairs


def append_series_key(name: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    if len(name) > MAX_PART_LEN:
        raise ValueError(f"measurement name longer than {MAX_PART_LEN} bytes")
    size = 2 + len(name) + uvarint_size(len(tags))
    parts = [b"", struct.pack(">H", len(name)), name, put_uvarint(len(tags))]
    for k, v in tags:
        if len(k) > MAX_PART_LEN or len(v) > MAX_PART_LEN:
            raise ValueError(f"tag key or value longer than {MAX_PART_LEN} bytes")
        size += 4 + len(k) + len(v)
        parts += [struct.pack(">H", len(k)), k, struct.pack(">H", len(v)), v]
    parts[0] = put_uvarint(size)
    return b"".join(parts)


def encode_series_keys(names, tags_list) -> list[bytes]:
    names = list(names)
    tags_list = list(tags_list)
    if len(names) != len(tags_list):
        raise ValueError("names and tags_list differ in length")
    return [append_series_key(*normalize(n, t)) for n, t in zip(names, tags_list)]


def series_key_size(name, tags) -> int:
    name, pairs = normalize(name, tags)
    n = 2 + len(name) + uvarint_size(len(pairs)) + sum(4 + len(k) + len(v) for k, v in pairs)
    return n + uvarint_size(n)


def _read_len(data: bytes) -> tuple[int, bytes]:
    v, n = uvarint(data)
    if n <= 0:
        raise ShortBufferError()
    return v, data[n:]


def _read_part(data: bytes) -> tuple[bytes, bytes]:
    if len(data) < 2:
        raise ShortBufferError()
    (n,) = struct.unpack_from(">H", data)
    if len(data) - 2 < n:
        raise ShortBufferError()
    return data[2 : 2 + n], data[2 + n :]


def read_series_key_len(data: bytes) -> tuple[int, bytes]:
    return _read_len(data)


def read_series_key_measurement(data: bytes) -> tuple[bytes, bytes]:
    return _read_part(data)


def read_series_key_tag_n(data: bytes) -> tuple[int, bytes]:
    return _read_len(data)


def read_series_key_tag(data: bytes) -> tuple[bytes, bytes, bytes]:
    k, rest = _read_part(data)
    v, rest = _read_part(rest)
    return k, v, rest


def read_series_key(data: bytes) -> tuple[bytes, bytes]:
    size, rest = _read_len(data)
    prefix = len(data) - len(rest)
    if len(rest) < size:
        raise ShortBufferError()
    return data[: prefix + size], data[prefix + size :]


def parse_series_key(key: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    _, rest = _read_len(key)
    name, rest = _read_part(rest)
    n, rest = _read_len(rest)
    tags = []
    for _ in range(n):
        k, v, rest = read_series_key_tag(rest)
        tags.append((k, v))
    return name, tags


def compare_series_keys(a: bytes, b: bytes) -> int:
    if not a and not b:
        return 0
    if not a:
        return -1
    if not b:
        return 1
    try:
        x, y = parse_series_key(a), parse_series_key(b)
    except ShortBufferError:
        return (a > b) - (a < b)
    if x[0] != y[0]:
        return -1 if x[0] < y[0] else 1
    for (k0, v0), (k1, v1) in zip(x[1], y[1]):
        if (k0, v0) != (k1, v1):
            return -1 if (k0, v0) < (k1, v1) else 1
    return (len(x[1]) > len(y[1])) - (len(x[1]) < len(y[1]))
