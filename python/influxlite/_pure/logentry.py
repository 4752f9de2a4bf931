"""TSI log entries, byte for byte InfluxDB's ``tsi1.LogEntry``: twin of ``rust/src/logentry.rs``."""

from __future__ import annotations

import struct
import zlib

from ..errors import ChecksumMismatchError, CorruptEntryError, ShortBufferError
from .varint import put_uvarint, uvarint

FLAG_SERIES_INSERT = 0x00
FLAG_SERIES_TOMBSTONE = 0x01


def encode_log_entry(flag: int, series_id: int, name: bytes = b"", key: bytes = b"", value: bytes = b"") -> bytes:
    if not 0 <= flag <= 0xFF:
        raise OverflowError("flag must fit in a byte")
    if not 0 <= series_id < 1 << 64:
        raise OverflowError("series id must fit in 64 bits")
    body = (bytes((flag,)) + put_uvarint(series_id) + put_uvarint(len(name)) + name
            + put_uvarint(len(key)) + key + put_uvarint(len(value)) + value)
    return body + struct.pack(">I", zlib.crc32(body))


def encode_series_entries(flag: int, ids) -> bytes:
    if flag not in (FLAG_SERIES_INSERT, FLAG_SERIES_TOMBSTONE):
        raise ValueError("flag must be a series insert (0) or tombstone (1)")
    return b"".join(encode_log_entry(flag, i) for i in ids)


def _overflow(n: int) -> CorruptEntryError:
    return CorruptEntryError(f"parsing binary-encoded uint64 value failed; binary.Uvarint() returned {n}")


def _read_uvarint(data, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise ShortBufferError()
    v, n = uvarint(data, pos)
    if n == 0:
        raise ShortBufferError()
    if n < 0:
        raise _overflow(n)
    return v, pos + n


def _read_part(data, pos: int) -> tuple[bytes, int]:
    n, pos = _read_uvarint(data, pos)
    if len(data) - pos < n:
        raise ShortBufferError()
    return bytes(data[pos : pos + n]), pos + n


def decode_log_entry(data, offset: int = 0):
    """``(flag, series_id, name, key, value, checksum, size)`` of the entry at ``offset``."""
    if offset >= len(data):
        raise ShortBufferError()
    flag = data[offset]
    series_id, pos = _read_uvarint(data, offset + 1)
    name, pos = _read_part(data, pos)
    key, pos = _read_part(data, pos)
    value, pos = _read_part(data, pos)
    crc = zlib.crc32(data[offset:pos])
    if len(data) - pos < 4:
        raise ShortBufferError()
    (checksum,) = struct.unpack_from(">I", data, pos)
    if crc != checksum:
        raise ChecksumMismatchError()
    return flag, series_id, name, key, value, checksum, pos + 4 - offset


def scan_log_entries(data):
    """Every entry until one fails to decode: ``(entries, valid_size, stop_reason)``."""
    entries = []
    pos = 0
    n = len(data)
    while pos < n:
        try:
            e = decode_log_entry(data, pos)
        except (ShortBufferError, ChecksumMismatchError, CorruptEntryError) as err:
            return entries, pos, str(err)
        entries.append(e)
        pos += e[6]
    return entries, pos, None
