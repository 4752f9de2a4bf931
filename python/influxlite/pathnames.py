"""Names chosen by users (databases, retention policies, measurements) as directory names:
no byte of a name can choose another path, and names that differ only in case stay apart."""

from __future__ import annotations

import hashlib

_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-")
_MAX_DIR_NAME = 200


def dir_name(name: bytes) -> str:
    """A file-name-safe, collision-free directory name for a measurement, database or retention
    policy, readable for plain names: lower-case ASCII letters, digits, ``_`` and ``-`` stay; an upper-case letter becomes
    ``^`` and the letter in lower case (``CPU`` -> ``^c^p^u``); any other byte becomes ``%`` and two
    lower-case hex digits (``.`` -> ``%2e``). The result holds no upper-case letter, so names that
    differ only in case stay apart on case-insensitive filesystems, and never is ``.``, ``..`` or
    empty. A name longer than 200 characters is cut and ends in ``~`` and a hash of the whole name
    (``~`` appears nowhere else); ``name_from_dir`` reverses every other name."""
    out = []
    for b in name:
        if b in _PLAIN:
            out.append(chr(b))
        elif 65 <= b <= 90:
            out.append("^" + chr(b + 32))
        else:
            out.append(f"%{b:02x}")
    out_name = "".join(out) or "%"
    if len(out_name) > _MAX_DIR_NAME:
        out_name = out_name[:160] + "~" + hashlib.sha256(name).hexdigest()[:32]
    return out_name


def name_from_dir(name: str) -> bytes | None:
    """The name a ``dir_name`` came from (None for a cut, hashed name)."""
    if "~" in name:
        return None
    if name == "%":
        return b""
    out = bytearray()
    i = 0
    while i < len(name):
        c = name[i]
        if c == "^":
            out.append(ord(name[i + 1]) - 32)
            i += 2
        elif c == "%":
            out.append(int(name[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(ord(c))
            i += 1
    return bytes(out)
