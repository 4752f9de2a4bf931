"""Binary series keys, byte for byte InfluxDB 1.x's (``tsdb.AppendSeriesKey`` and its readers).

``uvarint(size) | u16be(len name) | name | uvarint(tagN) | tagN × (u16be(len k) | k | u16be(len v) | v)``

Names and tags are raw (unescaped) bytes; ``str`` is encoded as UTF-8 with
``surrogateescape``. Tags may be a dict or (key, value) pairs: they are sorted by key, and
tags with empty values are left out (InfluxDB's parser never produces them).
"""

from __future__ import annotations

from . import _backend


def encode_series_key(name, tags=None) -> bytes:
    return _backend.backend.encode_series_keys([name], [tags])[0]


def encode_series_keys(names, tags_list) -> list[bytes]:
    """One key per (name, tags), in one call (the bulk path)."""
    return _backend.backend.encode_series_keys(names, tags_list)


def parse_series_key(key: bytes) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    return _backend.backend.parse_series_key(key)


def read_series_key(data: bytes) -> tuple[bytes, bytes]:
    """The key at the start of ``data`` (with its size prefix) and the rest."""
    return _backend.backend.read_series_key(data)


def read_series_key_len(data: bytes) -> tuple[int, bytes]:
    return _backend.backend.read_series_key_len(data)


def read_series_key_measurement(data: bytes) -> tuple[bytes, bytes]:
    return _backend.backend.read_series_key_measurement(data)


def read_series_key_tag_n(data: bytes) -> tuple[int, bytes]:
    return _backend.backend.read_series_key_tag_n(data)


def read_series_key_tag(data: bytes) -> tuple[bytes, bytes, bytes]:
    return _backend.backend.read_series_key_tag(data)


def series_key_size(name, tags=None) -> int:
    return _backend.backend.series_key_size(name, tags)


def compare_series_keys(a: bytes, b: bytes) -> int:
    """-1, 0 or 1: empty keys first, then by name, then tag by tag, then fewer tags first."""
    return _backend.backend.compare_series_keys(a, b)
