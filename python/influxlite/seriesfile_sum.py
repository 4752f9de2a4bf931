"""Checksums of the series file's segments, in a sidecar file beside each segment.

InfluxDB's segment format (see ``seriesfile``) has no checksum: a flipped byte inside a series key
can still read as a valid entry, with another key. The segments keep InfluxDB's bytes; beside
segment ``_series/NN/0000`` its sidecar ``_series/NN/0000.sum`` holds checkpoints (InfluxDB's
``SeriesPartition`` skips names that do not parse as hex segment ids and removes nothing):

    header (16 bytes):     "SSUM" | version u8 (1) | 7 zero bytes | crc32 of the 12 bytes before
    checkpoint (16 bytes): end u64 BE | crc32 of segment bytes [0, end) | crc32 of the 12 before

Ends never decrease. A writer keeps a running crc32 per segment; after a batch of new entries is
fsynced it writes one checkpoint per touched segment, with no fsync of its own (a sidecar may lag:
bytes past its last checkpoint get the segment reader's structural checks only). The last
checkpoint is overwritten in place until it lies ``STEP`` bytes past the one before it, then the
next one is appended: a sidecar holds about one checkpoint per 4 KiB of entries, however small the
batches. Sidecars are fsynced when their segment is full and on close.

On open the last checkpoint is checked against the segment, one crc32 pass; where it fails (a
mismatch, a segment shorter than a checkpoint, entries that end before one), a pass over every
checkpoint names the range between the last good one and the first bad one. A checkpoint whose
own crc fails before a good one is damage of the sidecar; bad or partial checkpoints at its end are
a torn tail (a note), cut on the next writable open. Damage is reported, never repaired.
"""

from __future__ import annotations

import errno
import os
import struct
import zlib
from dataclasses import dataclass

from . import _fsync
from ._fsync import atomic_write

SUM_SUFFIX = ".sum"
MAGIC = b"SSUM"
VERSION = 1
_HEAD = MAGIC + bytes((VERSION,)) + bytes(7)
HEADER = _HEAD + struct.pack(">I", zlib.crc32(_HEAD))
RECORD = struct.Struct(">QII")  # end, crc32 of the segment's bytes [0, end), crc32 of the 12 bytes before
STEP = 4096


def sum_path(segment_path: str) -> str:
    return segment_path + SUM_SUFFIX


def encode(end: int, crc: int) -> bytes:
    head = struct.pack(">QI", end, crc)
    return head + struct.pack(">I", zlib.crc32(head))


def _error(message: str, path: str, offset: int | None):
    from .seriesfile import SeriesFileError

    return SeriesFileError(message, path=path, offset=offset)


@dataclass
class Checkpoints:
    """A sidecar as read: its good checkpoints ``(end, crc)``, the bytes that read whole (0: not
    even the header, to be written anew) and a torn tail found after them (a note)."""

    path: str
    records: list[tuple[int, int]]
    size: int
    torn: str | None = None


def read(path: str) -> Checkpoints | None:
    """The sidecar at ``path``; None if there is none. Raises SeriesFileError if it is damaged."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    if len(raw) < len(HEADER):
        return Checkpoints(path, [], 0, f"{path}: torn header ({len(raw)} bytes; written anew on the next "
                                        "writable open)")
    if raw[:len(HEADER)] != HEADER:
        if raw[:4] == MAGIC and zlib.crc32(raw[:12]) == struct.unpack_from(">I", raw, 12)[0]:
            raise _error(f"series checksum file {path}: version {raw[4]} is not supported", path, 4)
        raise _error(f"series checksum file {path} is damaged: bad header (remove it to open its segment "
                     "without checksums)", path, 0)
    records: list[tuple[int, int]] = []
    size, bad = len(HEADER), None
    view = memoryview(raw)
    for pos in range(len(HEADER), len(raw) - RECORD.size + 1, RECORD.size):
        end, crc, own = RECORD.unpack_from(raw, pos)
        if zlib.crc32(view[pos: pos + 12]) != own:
            bad = pos if bad is None else bad
            continue
        if bad is not None or (records and end < records[-1][0]):
            what = (f"a bad checkpoint at offset {bad} before a good one at offset {pos}" if bad is not None
                    else f"the checkpoint at offset {pos} goes back to offset {end}")
            raise _error(f"series checksum file {path} is damaged: {what} (remove it to open its segment "
                         "without checksums)", path, pos if bad is None else bad)
        records.append((end, crc))
        size = pos + RECORD.size
    torn = None if size == len(raw) else f"{path}: torn checkpoint at offset {size} of {len(raw)} bytes"
    return Checkpoints(path, records, size, torn)


def check(segment_path: str, sums: Checkpoints, data: bytes, end: int) -> int:
    """The crc32 of ``data[:end]`` (a segment's whole entries) once every checkpoint of ``sums``
    holds for ``data``; raises SeriesFileError naming the segment and the damaged range if not."""
    view = memoryview(data)
    if not sums.records:
        return zlib.crc32(view[:end])
    last_end, last_crc = sums.records[-1]
    if last_end <= end:
        crc = zlib.crc32(view[:last_end])
        if crc == last_crc:
            return zlib.crc32(view[last_end:end], crc)
    raise _damage(segment_path, sums, view, end)


def _damage(segment_path: str, sums: Checkpoints, view: memoryview, end: int):
    """The error for the first checkpoint that does not hold."""
    tail = "; nothing is cut (run influxlite verify)"
    good = crc = 0
    for i, (e, c) in enumerate(sums.records):
        if e > len(view):
            return _error(f"series segment {segment_path} is damaged: cut short at {len(view)} bytes, its "
                          f"checksums ({sums.path}) cover entries up to offset {e}{tail}", segment_path, good)
        crc = zlib.crc32(view[good:e], crc)
        if crc != c:
            return _error(f"series segment {segment_path} is damaged between offsets {good} and {e}: checksum "
                          f"mismatch (checkpoint {i} of {sums.path}){tail}", segment_path, good)
        good = e
    return _error(f"series segment {segment_path} is damaged: its entries end at offset {end}, its checksums "
                  f"({sums.path}) cover entries up to offset {good}{tail}", segment_path, end)


class SumWriter:
    """Writes one segment's checkpoints (see the module doc)."""

    def __init__(self, path: str, fd: int, size: int, ends: list[int]) -> None:
        self.path, self.fd, self.size = path, fd, size
        ends = [0, 0] + ends  # the header stands for a checkpoint at 0 before the first
        self.prev_end, self.last_end = ends[-2], (ends[-1] if size > len(HEADER) else None)
        self.unsynced = False

    @classmethod
    def open(cls, path: str, sums: Checkpoints | None, end: int, crc: int) -> SumWriter:
        """The sidecar of a segment whose entries end at ``end`` with crc32 ``crc`` (checked
        against ``sums``): started anew if there is none, its torn tail cut, brought up to date."""
        if sums is None or sums.size == 0:
            atomic_write(path, HEADER + encode(end, crc))  # whole or absent after a crash
            return cls(path, os.open(path, os.O_RDWR), len(HEADER) + RECORD.size, [end])
        fd = os.open(path, os.O_RDWR)
        try:
            if sums.torn is not None:
                os.ftruncate(fd, sums.size)  # a crash tore the last write: cut, as a segment's torn tail
            writer = cls(path, fd, sums.size, [e for e, _ in sums.records[-2:]])
            if writer.last_end != end:
                writer.write(end, crc)
        except BaseException:
            os.close(fd)
            raise
        return writer

    def write(self, end: int, crc: int) -> None:
        """Records that the segment's bytes ``[0, end)`` have crc32 ``crc``: one ``pwrite``."""
        overwrite = self.last_end is not None and self.last_end - self.prev_end < STEP
        pos = self.size - RECORD.size if overwrite else self.size
        record = encode(end, crc)
        try:
            if os.pwrite(self.fd, record, pos) != len(record):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self.path)
        except OSError:
            if not overwrite:
                os.ftruncate(self.fd, self.size)  # no partial checkpoint stays before later ones
            raise
        if not overwrite:
            self.prev_end = self.last_end if self.last_end is not None else 0
            self.size += RECORD.size
        self.last_end = end
        self.unsynced = True

    def sync(self) -> None:
        if self.unsynced and self.fd >= 0:
            _fsync.fsync(self.fd)
            self.unsynced = False

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
