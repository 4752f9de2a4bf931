"""Go's ``encoding/binary`` uvarints: twin of ``rust/src/varint.rs``."""

from __future__ import annotations


def put_uvarint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def uvarint_size(v: int) -> int:
    n = 1
    while v >= 0x80:
        v >>= 7
        n += 1
    return n


def uvarint(buf, pos: int = 0) -> tuple[int, int]:
    """Go's ``binary.Uvarint`` on ``buf[pos:]``: (value, bytes read); 0 bytes if the buffer
    ends first, minus the bytes read if the value overflows 64 bits."""
    x = 0
    s = 0
    n = len(buf)
    i = 0
    while pos + i < n:
        b = buf[pos + i]
        if i == 10:
            return 0, -(i + 1)
        if b < 0x80:
            if i == 9 and b > 1:
                return 0, -(i + 1)
            return x | (b << s), i + 1
        x |= (b & 0x7F) << s
        s += 7
        i += 1
    return 0, 0
