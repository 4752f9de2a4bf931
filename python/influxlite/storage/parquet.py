"""A shard's compacted points as Apache Parquet files that pandas, Polars, DuckDB and Spark read
as they are.

``<shard>/parquet/<measurement>/<id>.parquet``: one directory per measurement, its name from
``dir_name`` (no byte of a measurement name can choose another path), one file per measurement
per compaction; the shard's manifest (``storage.manifest``) lists the live files. Columns:
``time`` (timestamp ns UTC), ``series_id``, one string column per tag key (dictionary-encoded;
a tag named like a field is ``<key>::tag``), then one column per field. Rows are sorted by series
id, then time. Timestamps, series ids and integers are delta-packed, floats byte-stream-split,
everything zstd-compressed. The file's key-value metadata holds the real measurement name and
its field keys and types.

Reading merges files (oldest first) with newer data: for the same series and time, each field's
newest value wins (InfluxDB's overwrite rule).
"""

from __future__ import annotations

import bisect
import os
import threading
import zlib

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .._fsync import atomic_write
from ..pathnames import dir_name, name_from_dir
from ..serieskey import parse_series_key

COMPRESSION = "zstd"
# Rows per row group: small enough that a query for some series or a short time range skips
# most of a file by its statistics (rows are sorted by series, then time: 8,192 rows are about a
# day of one series at 10 s), large enough to compress well. Measured on the TSBS devops queries
# (bench/tsbs_queries.py): against 131,072, 1-8 hosts over 8-12 h read ~2x faster, full scans
# ~10% slower, files 2% larger.
ROW_GROUP_SIZE = 1 << 13
measurement_from_dir = name_from_dir
__all__ = ["dir_name", "measurement_from_dir"]
def add_tags(table: pa.Table, series_key_of, invert=None) -> pa.Table:
    """Adds a dictionary-encoded column per tag key (values from each row's series key).
    ``invert`` (``SeriesFile.invert``): the tags of every series in one native call, instead
    of a key lookup and parse per series (the write-out's cost when every series is new)."""
    if table.num_rows == 0:
        return table
    series = table.column("series_id").combine_chunks()
    unique = pc.unique(series)
    ids = unique.to_pylist()
    by_key = _tags_inverted(ids, invert) if invert is not None else _tags_by_key(ids, series_key_of)
    positions = pc.index_in(series, value_set=unique)  # an Array: from_arrays needs no Python loop
    field_cols = table.column_names[2:]
    tag_cols = []
    for k in sorted(by_key):
        name = k.decode("utf-8", "surrogateescape")
        if name in field_cols or name in ("time", "series_id"):
            name += "::tag"
        values = pa.array(by_key[k], pa.string())
        indices = positions
        if values.null_count:  # a series without the tag: a null index (Parquet's writer refuses null values)
            indices = pc.if_else(pc.take(values.is_valid(), positions), positions, None)
            values = values.fill_null("")
        table = table.append_column(name, pa.DictionaryArray.from_arrays(indices, values))
        tag_cols.append(name)
    return table.select(["time", "series_id", *tag_cols, *field_cols])  # tags before fields


def _tags_by_key(ids: list[int], series_key_of) -> dict[bytes, list]:
    """Per tag key, each series' value (None where it has none), in the order of ``ids``."""
    by_key: dict[bytes, list] = {}
    for i, sid in enumerate(ids):
        key = series_key_of(sid)
        for k, v in (parse_series_key(key)[1] if key else ()):
            if k not in by_key:
                by_key[k] = [None] * len(ids)
            by_key[k][i] = v.decode("utf-8", "surrogateescape") or None
    return by_key


def _tags_inverted(ids: list[int], invert) -> dict[bytes, list]:
    """As ``_tags_by_key``, from ``invert(ids)``: ``[(name, ids, [(tag key, [(value, ids)])])]``."""
    place = {sid: i for i, sid in enumerate(ids)}
    by_key: dict[bytes, list] = {}
    for _name, _ids, tags in invert(ids):
        for k, values in tags:
            column = by_key.get(k)
            if column is None:
                column = by_key[k] = [None] * len(ids)
            for v, vids in values:
                text = v.decode("utf-8", "surrogateescape") or None
                if isinstance(vids, int):
                    column[place[vids]] = text
                else:
                    for sid in vids:
                        column[place[sid]] = text
    return by_key


def write(path: str, table: pa.Table, measurement: bytes, field_types: dict[bytes, str], *,
          sync: bool = True) -> dict:
    """Writes one file (a temporary name, fsynced, renamed, directory fsynced); returns its
    ``rows``, ``min_time``, ``max_time``, ``size`` and ``crc32``. The file's metadata names the
    measurement and its fields (``influxlite.measurement``: the name's bytes)."""
    return write_chunks(path, table.schema, [table], measurement, field_types, sync=sync)


def write_chunks(path: str, schema: pa.Schema, chunks, measurement: bytes, field_types: dict[bytes, str], *,
                 sync: bool = True) -> dict:
    """As ``write``, from tables of ``schema`` (an iterable, consumed while the file is
    written), in their order. Row groups are ``ROW_GROUP_SIZE`` rows whatever the chunks' sizes
    (a chunk's tail is written with the next one), so the file is the one ``write`` makes of
    the chunks concatenated."""
    meta = {
        b"influxlite.measurement": measurement,
        b"influxlite.fields": b",".join(k + b":" + t.encode() for k, t in field_types.items()),
    }
    schema = schema.with_metadata(meta)
    encodings = {"time": "DELTA_BINARY_PACKED", "series_id": "DELTA_BINARY_PACKED"}
    for f in schema:
        if pa.types.is_floating(f.type):
            encodings[f.name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_integer(f.type):
            encodings[f.name] = "DELTA_BINARY_PACKED"
    dictionary = [f.name for f in schema if pa.types.is_dictionary(f.type)]
    totals = {"rows": 0, "min_time": None, "max_time": None}

    def write_to(tmp: str) -> None:
        with pq.ParquetWriter(tmp, schema, compression=COMPRESSION, use_dictionary=dictionary,
                              column_encoding=encodings, write_statistics=True,
                              write_page_checksum=True) as writer:
            tail = schema.empty_table()
            for chunk in chunks:
                _count(totals, chunk)
                t = pa.concat_tables([tail, chunk]) if tail.num_rows else chunk
                whole = t.num_rows - t.num_rows % ROW_GROUP_SIZE
                if whole:
                    writer.write_table(t.slice(0, whole), row_group_size=ROW_GROUP_SIZE)
                tail = t.slice(whole)
            if tail.num_rows or totals["rows"] == 0:
                writer.write_table(tail, row_group_size=ROW_GROUP_SIZE)

    atomic_write(path, write_to, sync=sync)
    size, crc = file_checksum(path)
    if totals["rows"] == 0:
        totals.update(min_time=0, max_time=-1)
    return {**totals, "size": size, "crc32": crc}


def _count(totals: dict, chunk: pa.Table) -> None:
    if not chunk.num_rows:
        return
    bounds = pc.min_max(chunk.column("time").cast(pa.int64())).as_py()
    totals["rows"] += chunk.num_rows
    lo, hi = totals["min_time"], totals["max_time"]
    totals["min_time"] = bounds["min"] if lo is None else min(lo, bounds["min"])
    totals["max_time"] = bounds["max"] if hi is None else max(hi, bounds["max"])


class ParquetDamagedError(OSError):
    """A Parquet file that is not what the manifest says or does not decode: never served."""


def file_checksum(path: str) -> tuple[int, int]:
    """``(size, crc32)`` of a whole file, read in 1 MiB pieces."""
    crc = size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def check_listed(path: str, size: int) -> None:
    """The cheap check made when a shard opens: the file exists, has the size the manifest
    recorded and Parquet's magic at both ends."""
    try:
        with open(path, "rb") as f:
            actual = os.fstat(f.fileno()).st_size
            head = f.read(4)
            f.seek(max(actual - 4, 0))
            tail = f.read(4)
    except FileNotFoundError:
        raise ParquetDamagedError(f"{path}: listed in the shard manifest but missing") from None
    if actual != size:
        raise ParquetDamagedError(f"{path}: {actual} bytes, the shard manifest recorded {size} (truncated or damaged)")
    if head != b"PAR1":
        raise ParquetDamagedError(f"{path}: damaged at offset 0: no Parquet magic")
    if tail != b"PAR1":
        raise ParquetDamagedError(f"{path}: damaged at offset {actual - 4}: no Parquet footer magic")


def read(path: str, series_ids=None, tmin: int | None = None, tmax: int | None = None,
         columns=None, threads: bool = True) -> pa.Table:
    """A file's rows (without tag columns), filtered by series and time; ``columns`` (field
    column names) limits what is read besides ``time`` and ``series_id``. Row groups whose
    statistics show they hold no wanted series or time are not read. The file is opened once
    and read through that descriptor, so a merge replacing or removing it meanwhile cannot mix
    two versions (``FileNotFoundError`` if it was gone before it could be opened). Without
    ``threads`` the columns are decoded in the calling thread only, not in Arrow's pool."""
    try:
        return _read(path, series_ids, tmin, tmax, columns, threads)
    except (FileNotFoundError, MemoryError):
        raise
    except (OSError, pa.ArrowException, ValueError, IndexError) as e:  # a page or footer that does not decode
        raise ParquetDamagedError(f"{path}: damaged Parquet file: {e}") from e


def _read(path: str, series_ids, tmin, tmax, columns, threads: bool) -> pa.Table:
    ids = None if series_ids is None else sorted(series_ids)
    with open(path, "rb") as f:
        meta, bounds = _footer(f, path)
        pf = pq.ParquetFile(f, metadata=meta, page_checksum_verification=True)
        cols = [fld.name for fld in pf.schema_arrow if not pa.types.is_dictionary(fld.type)]
        if columns is not None:
            wanted = set(columns)
            cols = [c for c in cols if c in ("time", "series_id") or c in wanted]
        groups = _row_groups(bounds, ids, tmin, tmax)
        if len(groups) == pf.metadata.num_row_groups:
            t = pf.read(columns=cols, use_threads=threads)
        elif groups:
            t = pf.read_row_groups(groups, columns=cols, use_threads=threads)
        else:
            return pf.schema_arrow.empty_table().select(cols)
    if tmin is not None or tmax is not None:
        times = t.column("time").cast(pa.int64())
        keep = None
        if tmin is not None:
            keep = pc.greater_equal(times, tmin)
        if tmax is not None:
            hi = pc.less_equal(times, tmax)
            keep = hi if keep is None else pc.and_(keep, hi)
        t = t.filter(keep)
    if ids is not None:
        t = t.filter(pc.is_in(t.column("series_id"), value_set=pa.array(ids, pa.uint64())))
    return t


# Footers of files read lately, keyed by path and the open file's identity (device, inode, size,
# mtime): a file is never rewritten in place, so a query does not parse the same footer again.
_FOOTERS: dict[tuple, tuple] = {}
_FOOTERS_MAX = 256
_footers_lock = threading.Lock()


def _footer(f, path: str) -> tuple:
    """(FileMetaData, per row group (time min, max, series id min, max), None where unknown)."""
    st = os.fstat(f.fileno())
    key = (path, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _footers_lock:
        got = _FOOTERS.get(key)
    if got is None:
        meta = pq.read_metadata(f)
        f.seek(0)
        got = (meta, _group_bounds(meta))
        with _footers_lock:
            while len(_FOOTERS) >= _FOOTERS_MAX:
                del _FOOTERS[next(iter(_FOOTERS))]
            _FOOTERS[key] = got
    return got


def _group_bounds(meta) -> list[tuple]:
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    it, isid = names.index("time"), names.index("series_id")
    out = []
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        ts, ss = rg.column(it).statistics, rg.column(isid).statistics
        t = (ts.min_raw, ts.max_raw) if ts is not None and ts.has_min_max else (None, None)
        i = (ss.min_raw, ss.max_raw) if ss is not None and ss.has_min_max else (None, None)
        out.append(t + i)
    return out


def _row_groups(bounds, ids, tmin, tmax) -> list[int]:
    """The row groups that may hold a wanted row, by their time and series id statistics."""
    out = []
    for g, (tlo, thi, lo, hi) in enumerate(bounds):
        if tlo is not None:
            if (tmin is not None and thi < tmin) or (tmax is not None and tlo > tmax):
                continue
        if ids is not None and lo is not None:
            if not ids:
                continue
            if lo < 0 or hi < 0:  # uint64 statistics read back signed: no pruning
                out.append(g)
                continue
            i = bisect.bisect_left(ids, lo)
            if i == len(ids) or ids[i] > hi:
                continue
        out.append(g)
    return out


def merge(tables: list[pa.Table]) -> pa.Table:
    """Tables oldest first, each sorted by (series id, time) without duplicates, merged into one:
    rows with the same series and time become one, each field taking its newest value."""
    tables = [t for t in tables if t.num_rows]
    if not tables:
        return pa.table({})
    if len(tables) == 1:
        return tables[0]
    # Oldest first, then a stable sort (Arrow's is): equal (series, time) rows stay oldest
    # first, so "last" below is the newest. (No per-row rank column: building one cost a
    # Python list per row with the GIL held.)
    t = pa.concat_tables(tables, promote_options="permissive")
    t = t.sort_by([("series_id", "ascending"), ("time", "ascending")])
    sid, tm = t.column("series_id"), t.column("time")
    n = t.num_rows
    dup = pc.and_(pc.equal(sid.slice(1), sid.slice(0, n - 1)), pc.equal(tm.slice(1), tm.slice(0, n - 1)))
    if not pc.any(dup).as_py():
        return t
    fields = [c for c in t.column_names if c not in ("time", "series_id")]
    grouped = t.group_by(["series_id", "time"], use_threads=False).aggregate(
        [(f, "last", pc.ScalarAggregateOptions(skip_nulls=True)) for f in fields])
    grouped = grouped.rename_columns([c[: -len("_last")] if c.endswith("_last") else c for c in grouped.column_names])
    return grouped.select(["time", "series_id", *fields]).sort_by([("series_id", "ascending"), ("time", "ascending")])
