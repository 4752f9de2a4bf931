"""A shard's point storage: write-ahead log, cache, field types (and Parquet files)."""

from .fields import FieldRegistry
from .wal import WAL

__all__ = ["FieldRegistry", "WAL"]
