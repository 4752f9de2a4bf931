"""Exceptions shared by both implementations (the Rust module raises these same classes), and
Go's ``%q``, which InfluxDB's error texts quote names with."""

from __future__ import annotations


def go_quote(s: str) -> str:
    """The inside of Go's ``%q`` for ordinary text: backslashes and quotes escaped, control
    characters as Go escapes them, an undecodable byte (surrogateescape) as ``\\xNN``."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        else:
            out.append(ch)
    return "".join(out)


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
