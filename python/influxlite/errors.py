"""Exceptions shared by both implementations (the Rust module raises these same classes)."""

from __future__ import annotations


class InfluxliteError(Exception):
    """Base class of influxlite's own errors."""


class ShortBufferError(InfluxliteError, ValueError):
    """The data ends inside an entry (InfluxDB's ``io.ErrShortBuffer``): a torn write."""

    def __init__(self, message: str = "short buffer") -> None:
        super().__init__(message)


class ChecksumMismatchError(InfluxliteError, ValueError):
    """A log entry's CRC-32 does not match its bytes (``ErrLogEntryChecksumMismatch``)."""

    def __init__(self, message: str = "log entry checksum mismatch") -> None:
        super().__init__(message)


class CorruptEntryError(InfluxliteError, ValueError):
    """Bytes that cannot be an entry at all (e.g. a varint longer than 64 bits)."""
