"""Random line-protocol text, mostly almost-valid, for differential tests."""

from __future__ import annotations

import random

NAME_PIECES = [b"cpu", b"m", b"a", b"Z", b"\\,", b"\\ ", b"\\=", b"\\\\", b"\\", b"=", b'"', b",", b" ", b"\\t",
               b"\t", b"\x00", b"#", b"\xc3\xa9", b"\xff", b"i", b"1", b"-", b"."]
VALUE_PIECES = [b"1", b"0", b"9", b"-", b".", b"e", b"E", b"+", b"i", b"u", b"n", b"N", b"t", b"f", b"T", b"F",
                b"true", b"false", b"True", b"FALSE", b'"', b"\\", b"\\\"", b",", b" ", b"=", b"a", b"\n",
                b"9223372036854775807", b"18446744073709551616", b"1e308", b"1e400", b"\xe2\x82\xac"]
TIME_PIECES = [b"0", b"1", b"9", b"-", b"1500000000000000000", b"9223372036854775807", b" ", b"a", b"\t", b"\\"]


def _piece(rng: random.Random, pieces: list[bytes], lo: int, hi: int) -> bytes:
    return b"".join(rng.choice(pieces) for _ in range(rng.randint(lo, hi)))


def _ident(rng: random.Random) -> bytes:
    if rng.random() < 0.6:
        return rng.choice([b"host", b"region", b"a", b"b", b"zz", b"value", b"x"])
    return _piece(rng, NAME_PIECES, 1, 4)


def _value(rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.25:
        return repr(rng.uniform(-1e6, 1e6)).encode()
    if r < 0.4:
        return b"%di" % rng.randint(-(1 << 63), (1 << 63) - 1)
    if r < 0.45:
        return b"%du" % rng.randint(0, (1 << 64) - 1)
    if r < 0.55:
        return rng.choice([b"t", b"f", b"true", b"False", b"TRUE"])
    if r < 0.7:
        return b'"' + _piece(rng, VALUE_PIECES, 0, 5) + b'"'
    return _piece(rng, VALUE_PIECES, 1, 4)


def line(rng: random.Random) -> bytes:
    parts = [_ident(rng)]
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        parts.append(b"," + _ident(rng) + b"=" + _ident(rng))
    parts.append(rng.choice([b" ", b" ", b"  ", b"\t", b""]))
    fields = [_ident(rng) + b"=" + _value(rng) for _ in range(rng.randint(1, 4))]
    parts.append(b",".join(fields))
    r = rng.random()
    if r < 0.5:
        parts.append(b" " + str(rng.randint(-(1 << 62), 1 << 62)).encode())
    elif r < 0.7:
        parts.append(b" " + _piece(rng, TIME_PIECES, 1, 3))
    text = bytearray(b"".join(parts))
    for _ in range(rng.choice([0, 0, 0, 1, 2])):  # a few random edits
        pos = rng.randrange(len(text) + 1)
        op = rng.random()
        if op < 0.4 and text:
            del text[min(pos, len(text) - 1)]
        else:
            text[pos:pos] = rng.choice(NAME_PIECES + VALUE_PIECES)
    return bytes(text)


def body(rng: random.Random, n: int) -> bytes:
    """``n`` random lines; never a ``\\r`` before a newline (InfluxDB and influxlite differ there
    on purpose)."""
    out = b"\n".join(line(rng) for _ in range(n)) + b"\n"
    return out.replace(b"\r\n", b"\n")


def logical_lines(data: bytes) -> list[bytes]:
    """``data`` split where the parser ends lines (a newline inside a quoted value does not)."""
    from influxlite._pure.scan import scan_line

    out, pos = [], 0
    while pos < len(data):
        end = scan_line(data, pos)
        out.append(data[pos:end])
        pos = end + 1
    return out
