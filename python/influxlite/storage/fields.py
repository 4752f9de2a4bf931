"""The field types of a shard's measurements (InfluxDB's ``fields.idx``), in ``fields.json``.

Types are recorded before the points that introduce them are written; the first type a
field gets is its type for good (first writer wins), as in InfluxDB.
"""

from __future__ import annotations

import json
import os
import threading

from .._fsync import atomic_write


TYPES = frozenset(("float", "integer", "unsigned", "string", "boolean"))


class FieldRegistryError(ValueError):
    """A ``fields.json`` that does not parse or names an unknown type."""


def load(path: str) -> dict[bytes, dict[bytes, str]]:
    """measurement -> field -> type, as recorded in ``path``; damage raises, naming the file."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        raw = json.loads(data)
    except ValueError as e:
        raise FieldRegistryError(f"{path}: damaged at offset {getattr(e, 'pos', 0)}: {e}") from e
    e = lambda m: m.encode("utf-8", "surrogateescape")  # noqa: E731
    if not isinstance(raw, dict) or not all(isinstance(fs, dict) for fs in raw.values()):
        raise FieldRegistryError(f"{path}: damaged: not a map of measurements to fields")
    bad = [t for fs in raw.values() for t in fs.values() if t not in TYPES]
    if bad:
        raise FieldRegistryError(f"{path}: damaged: unknown field type {bad[0]!r}")
    return {e(m): {e(k): t for k, t in fields.items()} for m, fields in raw.items()}


class FieldRegistry:
    def __init__(self, path: str, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self._lock = threading.Lock()
        self._types: dict[bytes, dict[bytes, str]] = {}
        self.version = 0  # bumped by every change: a snapshot taken at an older version is stale
        if os.path.exists(path):
            self._types = load(path)

    def known(self) -> dict[bytes, dict[bytes, str]]:
        """measurement -> field -> type (a snapshot)."""
        with self._lock:
            return {m: dict(f) for m, f in self._types.items()}

    def known_at(self) -> tuple[int, dict[bytes, dict[bytes, str]]]:
        """(version, snapshot), taken together."""
        with self._lock:
            return self.version, {m: dict(f) for m, f in self._types.items()}

    def types(self, measurement: bytes) -> dict[bytes, str]:
        with self._lock:
            return dict(self._types.get(measurement, {}))

    def measurements(self) -> list[bytes]:
        with self._lock:
            return sorted(self._types)

    def remove(self, measurement: bytes) -> None:
        """Forgets a dropped measurement's fields (new writes may give them any type)."""
        with self._lock:
            if self._types.pop(measurement, None) is not None:
                self.version += 1
                self._save()

    def add(self, new: list[tuple[bytes, bytes, str]]) -> None:
        """Records new fields (durably); a field already known keeps its type."""
        with self._lock:
            changed = False
            for m, f, t in new:
                fields = self._types.setdefault(m, {})
                if f not in fields:
                    fields[f] = t
                    changed = True
            if changed:
                self.version += 1
                self._save()

    def _save(self) -> None:
        if self.read_only:
            raise OSError(f"{self.path} is open read-only")
        s = lambda b: b.decode("utf-8", "surrogateescape")  # noqa: E731
        data = {s(m): {s(k): t for k, t in fields.items()} for m, fields in self._types.items()}
        atomic_write(self.path, json.dumps(data).encode())
