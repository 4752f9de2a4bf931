"""The pure-Python implementation of ``influxlite._native``: same functions, same results,
same bytes. ``INFLUXLITE_PURE=1`` selects it; tests run every check against both."""

from .batch import ParsedBatch, complete_lines, parse
from .seriesindex import SeriesIndex
from .storage import (
    Cache, Prepared, group_starts, shard_prepare, shard_validate, split_by_shard, wal_encode, wal_encode_delete,
    wal_scan,
)
from .hash import fnv1a64, xxh64
from .logentry import decode_log_entry, encode_log_entry, encode_series_entries, scan_log_entries
from .serieskey import (
    compare_series_keys, encode_series_keys, parse_series_key, read_series_key, read_series_key_len,
    read_series_key_measurement, read_series_key_tag, read_series_key_tag_n, series_key_size,
)

__version__ = "0.1.0"

__all__ = [
    "Cache", "ParsedBatch", "Prepared", "complete_lines", "shard_prepare", "SeriesIndex", "group_starts", "shard_validate", "split_by_shard", "wal_encode", "wal_encode_delete", "wal_scan", "compare_series_keys", "decode_log_entry", "encode_log_entry", "encode_series_entries",
    "encode_series_keys", "fnv1a64", "parse", "parse_series_key", "read_series_key", "read_series_key_len",
    "read_series_key_measurement", "read_series_key_tag", "read_series_key_tag_n", "scan_log_entries",
    "series_key_size", "xxh64", "__version__",
]
