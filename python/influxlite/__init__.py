"""influxlite: an InfluxDB 1.x-compatible ingest node and series index, hot paths in Rust.

``influxlite.implementation`` says which implementation is in use: ``"native"`` (the Rust
extension) or ``"pure"`` (the pure-Python twin, forced by ``INFLUXLITE_PURE=1``).
"""

from __future__ import annotations

from . import _backend
from .models import Point, PointBatch, parse_points

__version__ = "0.1.0"

__all__ = ["Engine", "Point", "PointBatch", "parse_points", "implementation", "__version__"]


def __getattr__(name: str):
    if name == "implementation":
        return _backend.implementation
    if name == "Engine":  # imported on first use: it pulls in pyarrow
        from .engine import Engine

        return Engine
    raise AttributeError(f"module 'influxlite' has no attribute {name!r}")
