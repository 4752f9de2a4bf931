"""TSI log-file entries, byte for byte InfluxDB 1.x's ``tsi1.LogEntry``.

``flag | uvarint(series id) | uvarint(len) name | uvarint(len) key | uvarint(len) value | crc32``
(CRC-32 IEEE over every byte before it, big-endian). Decoding tells a short buffer (a torn
write: ``ShortBufferError``) from a checksum mismatch (``ChecksumMismatchError``), as InfluxDB's
``UnmarshalBinary`` does.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import _backend

SERIES_INSERT = 0x00
SERIES_TOMBSTONE = 0x01
MEASUREMENT_TOMBSTONE = 0x02
TAG_KEY_TOMBSTONE = 0x04
TAG_VALUE_TOMBSTONE = 0x08


class LogEntry(NamedTuple):
    flag: int
    series_id: int
    name: bytes
    key: bytes
    value: bytes
    checksum: int
    size: int


def encode(flag: int, series_id: int = 0, name: bytes = b"", key: bytes = b"", value: bytes = b"") -> bytes:
    return _backend.backend.encode_log_entry(flag, series_id, name, key, value)


def encode_series_inserts(ids) -> bytes:
    """One series-insert entry per id (what ``AddSeriesList`` appends), in one call."""
    return _backend.backend.encode_series_entries(SERIES_INSERT, list(ids))


def encode_series_tombstones(ids) -> bytes:
    return _backend.backend.encode_series_entries(SERIES_TOMBSTONE, list(ids))


def decode(data: bytes, offset: int = 0) -> LogEntry:
    return LogEntry(*_backend.backend.decode_log_entry(data, offset))


def scan(data: bytes) -> tuple[list[LogEntry], int, str | None]:
    """Entries from the start of ``data`` until one does not decode: (entries, bytes they
    cover, why it stopped or None at the end)."""
    entries, valid, reason = _backend.backend.scan_log_entries(data)
    return [LogEntry(*e) for e in entries], valid, reason
