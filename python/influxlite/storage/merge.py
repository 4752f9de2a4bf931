"""A compaction's merge of Parquet files into one, streamed in key ranges so that its memory is
bounded whatever the files' sizes.

Rows in every file are sorted by key, (series id, time). Each row group's statistics bound
the keys it holds (from its least series id and least time to its greatest of both), so the
key space can be cut into ranges each of which only about ``RANGE_ROWS`` rows of the inputs'
row groups can fall into. Range by range, each input's row groups that may hold keys of the
range are read, cut to the range and cleared of what tombstones delete; ``parquet.merge``
combines them (newest value wins per field), tag columns are added and the rows appended to
the one output file (``parquet.write_chunks``), whose schema is fixed before the first row:
``time``, ``series_id``, the tag columns of every input, the field columns of every input (in
the order a merge of the whole files gives them). A range that lacks a tag or a field gets
nulls there. The output is the file a merge of the whole inputs makes, row for row.
"""

from __future__ import annotations

import heapq

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import parquet
from .arrow import TIME

RANGE_ROWS = 1 << 20  # rows of the inputs' row groups read for one range (a range may need more)
_LOW, _HIGH = (-1, 0), (1 << 64, 0)  # below and above every key
_TAG = "::tag"


class _Input:
    """One input file, open for the whole merge (a merge replacing it meanwhile cannot mix two
    versions), with each row group's key bounds and row count."""

    def __init__(self, path: str, info, tombstones) -> None:
        self.path, self.info = path, info
        self.tombstones = [t for t in tombstones if t.applies_to(info)]
        self.file = open(path, "rb")
        try:
            meta, bounds = parquet._footer(self.file, path)
            self.pf = pq.ParquetFile(self.file, metadata=meta, page_checksum_verification=True)
            self.schema = self.pf.schema_arrow
            self.groups = [(*_group_keys(b), meta.row_group(g).num_rows) for g, b in enumerate(bounds)]
        except (OSError, pa.ArrowException, ValueError, IndexError) as e:
            self.file.close()
            raise parquet.ParquetDamagedError(f"{path}: damaged Parquet file: {e}") from e

    def fields(self) -> list[pa.Field]:
        return [f for f in self.schema if f.name not in ("time", "series_id") and not pa.types.is_dictionary(f.type)]

    def read(self, lo: tuple, hi: tuple) -> pa.Table:
        """The rows with keys in [lo, hi), less what the tombstones delete."""
        groups = [g for g, (first, last, _) in enumerate(self.groups) if first < hi and last >= lo]
        cols = ["time", "series_id", *(f.name for f in self.fields())]
        if not groups:
            return self.schema.empty_table().select(cols)
        try:
            t = self.pf.read_row_groups(groups, columns=cols)
        except (OSError, pa.ArrowException, ValueError, IndexError) as e:
            raise parquet.ParquetDamagedError(f"{self.path}: damaged Parquet file: {e}") from e
        return without_deleted(_cut(t, lo, hi), self.tombstones)


def without_deleted(t: pa.Table, tombstones) -> pa.Table:
    """A file's rows less what the tombstones delete (the caller picks those that apply to it)."""
    for tomb in tombstones:
        if t.num_rows == 0:
            break
        times = t.column("time").cast(pa.int64())
        hit = pc.and_(pc.greater_equal(times, tomb.tmin), pc.less_equal(times, tomb.tmax))
        if tomb.series_ids is not None:
            ids = pa.array(sorted(tomb.series_ids), pa.uint64())
            hit = pc.and_(hit, pc.is_in(t.column("series_id"), value_set=ids))
        t = t.filter(pc.invert(hit))
    return t


def _group_keys(bounds: tuple) -> tuple[tuple, tuple]:
    """A row group's least and greatest possible key; unknown (no statistics, or series ids at
    or above 2**63, which statistics read back signed): every key."""
    tlo, thi, lo, hi = bounds
    if tlo is None or lo is None or lo < 0 or hi < 0:
        return _LOW, _HIGH
    return (lo, tlo), (hi, thi)


def _after(sid: pa.ChunkedArray, times: pa.ChunkedArray, key: tuple) -> pa.ChunkedArray:
    """Whether each row's key is at or after ``key``."""
    s, t = key
    return pc.or_(pc.greater(sid, s), pc.and_(pc.equal(sid, s), pc.greater_equal(times, t)))


def _cut(t: pa.Table, lo: tuple, hi: tuple) -> pa.Table:
    keep = None
    sid, times = t.column("series_id"), t.column("time").cast(pa.int64())
    if lo != _LOW:
        keep = _after(sid, times, lo)
    if hi != _HIGH:
        below = pc.invert(_after(sid, times, hi))
        keep = below if keep is None else pc.and_(keep, below)
    return t if keep is None else t.filter(keep)


def key_ranges(groups: list[tuple], limit: int) -> list[tuple[tuple, tuple]]:
    """Ranges [lo, hi) of keys covering every key, in order, each of which the row groups
    ``(first key, last key, rows)`` that may hold its keys have about ``limit`` rows in all
    (more where that many groups overlap one key)."""
    cuts, start, rows, open_ = [], _LOW, 0, []  # open_: (last key, rows) of groups read so far
    for first, last, n in sorted(groups):
        if rows + n > limit and first > start:
            start = first
            while open_ and open_[0][0] < start:
                heapq.heappop(open_)
            rows = sum(r for _, r in open_)
            cuts.append(start)
        heapq.heappush(open_, (last, n))
        rows += n
    bounds = [_LOW, *cuts, _HIGH]
    return list(zip(bounds, bounds[1:]))


def _tag_key(name: str, fields: set[str]) -> str:
    """The tag key of a tag column (``<key>::tag`` where the key is also a field or reserved)."""
    if name.endswith(_TAG):
        key = name[: -len(_TAG)]
        if key in fields or key in ("time", "series_id"):
            return key
    return name


def output_schema(inputs: list[_Input]) -> pa.Schema:
    """``time``, ``series_id``, every input's tag columns (as ``parquet.add_tags`` names and
    orders them), every input's fields in the order of their first appearance."""
    fields: dict[str, pa.Field] = {}
    for i in inputs:
        for f in i.fields():
            fields.setdefault(f.name, f)
    keys = set()
    for i in inputs:
        own = {f.name for f in i.fields()}
        keys |= {_tag_key(f.name, own) for f in i.schema if pa.types.is_dictionary(f.type)}
    tags = []
    for k in sorted(keys, key=lambda k: k.encode("utf-8", "surrogateescape")):
        tags.append(k + _TAG if k in fields or k in ("time", "series_id") else k)
    tag_type = pa.dictionary(pa.int32(), pa.string())
    return pa.schema([("time", TIME), ("series_id", pa.uint64()), *((t, tag_type) for t in tags),
                      *fields.values()])


class SchemaMismatch(ValueError):
    """A range whose rows have a column the schema fixed up front lacks."""


def _conform(t: pa.Table, schema: pa.Schema) -> pa.Table:
    extra = set(t.column_names) - set(schema.names)
    if extra:
        raise SchemaMismatch(f"columns {sorted(extra)} not in any input's schema")
    cols = [t.column(f.name).cast(f.type) if f.name in t.column_names else pa.nulls(t.num_rows, f.type)
            for f in schema]
    return pa.Table.from_arrays(cols, schema=schema)


def merge_files(inputs: list[tuple[str, object]], tombstones, out: str, measurement: bytes,
                field_types: dict[bytes, str], series_key_of, invert=None, *, sync: bool = True) -> dict | None:
    """Merges ``(path, FileInfo)`` inputs (oldest first) into the file ``out`` (written as
    ``parquet.write`` writes); returns what ``parquet.write`` returns, or None (and writes
    nothing) when no row is left."""
    opened: list[_Input] = []
    try:
        for path, info in inputs:
            opened.append(_Input(path, info, tombstones))
        schema = output_schema(opened)
        chunks = _chunks(opened, schema, series_key_of, invert)
        first = next(chunks, None)
        if first is None:
            return None
        return parquet.write_chunks(out, schema, _then(first, chunks), measurement, field_types, sync=sync)
    finally:
        for i in opened:
            i.file.close()


def _chunks(inputs: list[_Input], schema: pa.Schema, series_key_of, invert):
    ranges = key_ranges([g for i in inputs for g in i.groups], RANGE_ROWS)
    fields = pa.schema([f for f in schema if f.name in ("time", "series_id") or not pa.types.is_dictionary(f.type)])
    for lo, hi in ranges:
        merged = parquet.merge([i.read(lo, hi) for i in inputs])
        if merged.num_rows:  # every field first: add_tags names a tag like a field "<key>::tag"
            yield _conform(parquet.add_tags(_conform(merged, fields), series_key_of, invert), schema)


def _then(first, rest):
    yield first
    yield from rest
