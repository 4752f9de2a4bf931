"""The list of a shard's live Parquet files and its tombstones: ``<shard>/manifest.json``, the one
truth about which files hold the shard's compacted points.

Files are added to the manifest only once they are durable, and removed from disk only after a
manifest without them is durable, so a crash at any moment leaves a consistent set. A file on
disk that the manifest does not list (a compaction a crash or an error interrupted) is not
data and is removed on open. Every file gets a new id, never reused (``next_id`` only grows, and
on open it passes every id found on disk), so no file is ever overwritten.

Each file records:

* ``id``: its name and creation order; a tombstone applies to the files whose id is at most its
  ``covers`` (the files that existed, or were being written, when the delete happened);
* ``seq``: the range of cache generations whose points it holds. Reads merge files in ``seq``
  order (newest value per series, time and field wins), and merges only combine files that are
  neighbours in that order, so a merge never changes which value wins;
* ``level`` (0 for a cache written out, n+1 for a merge of level-n files), row count, time
  range and size, which the compaction planner reads without opening the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from .._fsync import atomic_write

NAME = "manifest.json"
VERSION = 1


@dataclass(frozen=True)
class FileInfo:
    id: int
    measurement: bytes
    path: str  # relative to the shard directory
    level: int
    seq_min: int
    seq_max: int
    rows: int
    min_time: int
    max_time: int
    size: int
    crc32: int | None = None  # of the whole file, recorded when written (older manifests: None)

    def to_json(self) -> dict:
        d = asdict(self)
        d["measurement"] = self.measurement.hex()
        return d

    @classmethod
    def from_json(cls, d: dict) -> FileInfo:
        return cls(**{**d, "measurement": bytes.fromhex(d["measurement"])})


@dataclass(frozen=True)
class Tombstone:
    measurement: bytes
    series_ids: frozenset | None  # None: every series
    tmin: int
    tmax: int
    covers: int  # applies to files with id <= covers

    def applies_to(self, f: FileInfo) -> bool:
        return f.measurement == self.measurement and f.id <= self.covers

    def overlaps(self, f: FileInfo) -> bool:
        return self.applies_to(f) and self.tmin <= f.max_time and self.tmax >= f.min_time

    def drops_whole(self, f: FileInfo) -> bool:
        """Deletes every row of the file (no need to read it)."""
        return self.applies_to(f) and self.series_ids is None and self.tmin <= f.min_time and self.tmax >= f.max_time

    def to_json(self) -> dict:
        return {"m": self.measurement.hex(), "ids": None if self.series_ids is None else sorted(self.series_ids),
                "tmin": self.tmin, "tmax": self.tmax, "covers": self.covers}

    @classmethod
    def from_json(cls, d: dict) -> Tombstone:
        ids = None if d["ids"] is None else frozenset(d["ids"])
        return cls(bytes.fromhex(d["m"]), ids, d["tmin"], d["tmax"], d["covers"])


class ManifestError(ValueError):
    """A manifest that does not parse or describes impossible files."""


def _check(files: list[FileInfo]) -> None:
    for f in files:
        ints = (f.id, f.level, f.seq_min, f.seq_max, f.rows, f.min_time, f.max_time, f.size)
        if not all(type(x) is int for x in ints) or f.rows < 0 or f.size < 0 or not isinstance(f.path, str):
            raise ValueError(f"bad file entry {f!r}")
        if f.path != os.path.normpath(f.path) or f.path.startswith(("/", "..")) or not f.path.endswith(".parquet"):
            raise ValueError(f"bad file path {f.path!r}")


class Manifest:
    """In memory: ``files`` (sorted by ``seq_max``), ``tombstones``, ``next_id``, ``next_seq``.
    The shard changes them under its lock and calls ``save()``."""

    def __init__(self, shard_dir: str, *, sync: bool = True) -> None:
        self.dir = shard_dir
        self.path = os.path.join(shard_dir, NAME)
        self._sync = sync
        self.files: list[FileInfo] = []
        self.tombstones: list[Tombstone] = []
        self.next_id = 1
        self.next_seq = 1

    def load(self) -> Manifest:
        """Reads the manifest; a damaged one raises ``ManifestError`` naming the file (and the
        offset where JSON parsing failed), never a partial list of files."""
        if os.path.exists(self.path):
            with open(self.path, "rb") as f:
                raw = f.read()
            try:
                d = json.loads(raw)
            except ValueError as e:
                raise ManifestError(f"{self.path}: damaged manifest at offset {getattr(e, 'pos', 0)}: {e}") from e
            if not isinstance(d, dict) or d.get("version") != VERSION:
                raise ManifestError(f"{self.path}: damaged manifest or unknown version "
                                    f"{d.get('version') if isinstance(d, dict) else None!r}")
            try:
                self.files = sorted((FileInfo.from_json(x) for x in d["files"]), key=_order)
                self.tombstones = [Tombstone.from_json(x) for x in d["tombstones"]]
                self.next_id, self.next_seq = int(d["next_id"]), int(d["next_seq"])
                _check(self.files)
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                raise ManifestError(f"{self.path}: damaged manifest: {e!r}") from e
        return self

    def save(self) -> None:
        data = {"version": VERSION, "next_id": self.next_id, "next_seq": self.next_seq,
                "files": [f.to_json() for f in self.files], "tombstones": [t.to_json() for t in self.tombstones]}
        atomic_write(self.path, json.dumps(data, separators=(",", ":")).encode(), sync=self._sync)

    def allocate_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def allocate_seq(self) -> int:
        self.next_seq += 1
        return self.next_seq - 1

    def of(self, measurement: bytes) -> list[FileInfo]:
        """A measurement's files, oldest (lowest ``seq``) first."""
        return [f for f in self.files if f.measurement == measurement]

    def measurements(self) -> list[bytes]:
        return sorted({f.measurement for f in self.files})

    def replace(self, removed: list[FileInfo], added: list[FileInfo]) -> None:
        gone = {f.id for f in removed}
        self.files = sorted([f for f in self.files if f.id not in gone] + added, key=_order)

    def drop_spent_tombstones(self) -> None:
        """Forgets tombstones that no live file is both old enough and in the time range to be
        affected by."""
        self.tombstones = [t for t in self.tombstones if any(t.overlaps(f) for f in self.files)]


def _order(f: FileInfo) -> tuple[int, int]:
    return (f.seq_max, f.id)
