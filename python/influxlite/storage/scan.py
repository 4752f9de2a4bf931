"""The scan API queries read points through: one measurement over some shards, as an Arrow
``RecordBatchReader``. No InfluxQL here.

    reader = scan([(shard, ids), ...], b"cpu", tmin, tmax, fields={"usage": pa.float64()},
                  tags=["host"])

Each part is a shard and the series ids to read from it (a roaring bitmap or any iterable;
``None`` for every series of the measurement). Columns: ``time`` (int64 ns), ``series_id``
(uint64), one string column (dictionary-encoded) per requested tag key (``None`` where a series
lacks the tag), then
the requested fields, cast to the given Arrow types (bytes of a tag that are not UTF-8 read as
U+FFFD) (a field whose type differs between shards
is read as the caller asks: numbers as float64, anything else as text). In each shard, Parquet
files and caches are merged with the newest value per (series, time, field) winning and
tombstones applied (``Shard.read``); only the requested field columns are read, and row groups
outside the time range or the series set are skipped by their statistics.

Memory: a shard is read ``SERIES_PER_READ`` series at a time, fewer where the shard's files hold
more than ``ROWS_PER_READ`` rows for that many series, and handed out in batches of at most
``BATCH_ROWS`` rows, so what is held is one such slice, not the whole result or shard. Batches come
shard by shard (shards in time order), each shard's rows sorted by series id, then time.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..serieskey import parse_series_key

__all__ = ["scan", "unified_field_types", "BATCH_ROWS", "SERIES_PER_READ"]

BATCH_ROWS = 1 << 16
SERIES_PER_READ = 4096
ROWS_PER_READ = 1 << 21
_NUMERIC = ("float", "integer", "unsigned")
# Tag and series-key columns: one value per series, indexed per row (no string copied per point).
_TAG = pa.dictionary(pa.int32(), pa.string())
_ARROW = {"float": pa.float64(), "integer": pa.int64(), "unsigned": pa.uint64(), "boolean": pa.bool_(),
          "string": pa.string()}


def unified_field_types(shards, measurement: bytes) -> dict[bytes, str]:
    """A measurement's field types over some shards: a field with several types is ``float``
    when they are all numbers, else ``string`` (how the scan casts it)."""
    seen: dict[bytes, set[str]] = {}
    for shard in shards:
        for k, t in shard.field_types(measurement).items():
            seen.setdefault(k, set()).add(t)
    out = {}
    for k, types in seen.items():
        if len(types) == 1:
            out[k] = next(iter(types))
        else:
            out[k] = "float" if all(t in _NUMERIC for t in types) else "string"
    return out


def arrow_type(influx_type: str) -> pa.DataType:
    return _ARROW[influx_type]


def scan(parts, measurement: bytes, tmin: int, tmax: int, *, fields: dict[str, pa.DataType],
         tags: list[str] = (), series_key: bool = False) -> pa.RecordBatchReader:
    """See the module doc; ``fields`` maps field column names to the Arrow type to deliver;
    ``series_key`` adds a ``series_key`` column (the series' key as text: sorting by it puts
    series in InfluxDB's order)."""
    tags = list(tags)
    schema = pa.schema([("time", pa.int64()), ("series_id", pa.uint64())]
                       + ([("series_key", _TAG)] if series_key else [])
                       + [(_tag_column(k, fields), _TAG) for k in tags]
                       + [(name, typ) for name, typ in fields.items()])

    def batches():
        for shard, ids in parts:
            tag_cache: dict[int, dict[bytes, bytes]] = {}
            for chunk in _chunks(shard, measurement, ids):
                t = shard.read(measurement, chunk, tmin, tmax, columns=list(fields))
                if t.num_rows == 0:
                    continue
                t = _conform(t, schema, fields, tags, series_key, shard.series_file, tag_cache)
                yield from t.to_batches(max_chunksize=BATCH_ROWS)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _tag_column(key: str, fields) -> str:
    return key + "::tag" if key in fields or key in ("time", "series_id") else key


def _chunks(shard, measurement: bytes, ids):
    if ids is None:
        ids = shard.index.measurement_series_ids(measurement)
    ordered = sorted(ids)
    step = _series_per_read(shard, measurement, len(ordered))
    for i in range(0, len(ordered), step):
        yield ordered[i:i + step]


def _series_per_read(shard, measurement: bytes, wanted: int) -> int:
    """How many series one ``Shard.read`` takes: at most ``SERIES_PER_READ``, and few enough that
    their rows (the measurement's Parquet rows shared evenly among its series) stay near
    ``ROWS_PER_READ``: memory follows the read, not the shard's size."""
    if wanted <= 1:
        return SERIES_PER_READ
    rows = sum(f.rows for f in shard.manifest.of(measurement))
    if rows <= ROWS_PER_READ:
        return SERIES_PER_READ
    per_series = rows / max(1, len(shard.index.measurement_series_ids(measurement)))
    return max(1, min(SERIES_PER_READ, int(ROWS_PER_READ // per_series)))


def _conform(t: pa.Table, schema: pa.Schema, fields, tags: list[str], with_key: bool, series_file,
             cache) -> pa.Table:
    n = t.num_rows
    cols = [t.column("time").cast(pa.int64()), t.column("series_id")]
    if tags or with_key:
        series = t.column("series_id").combine_chunks()
        unique = pc.unique(series)
        tag_sets, keys = [], []
        for sid in unique.to_pylist():
            got = cache.get(sid)
            if got is None:
                key = series_file.series_key(sid)
                name, pairs = parse_series_key(key) if key else (b"", [])
                text = b",".join([name] + [k + b"=" + v for k, v in pairs])
                got = cache[sid] = (text.decode("utf-8", "replace"), dict(pairs))
            keys.append(got[0])
            tag_sets.append(got[1])
        positions = pc.index_in(series, value_set=unique)
        if with_key:
            cols.append(pa.DictionaryArray.from_arrays(positions, pa.array(keys, pa.string())))
        for k in tags:
            raw = k.encode("utf-8", "surrogateescape")
            values = pa.array([ts[raw].decode("utf-8", "replace") if raw in ts else None
                               for ts in tag_sets], pa.string())
            cols.append(pa.DictionaryArray.from_arrays(positions, values))
    for name, typ in fields.items():
        if name not in t.column_names:
            cols.append(pa.nulls(n, typ))
            continue
        col = t.column(name)
        if col.type != typ:
            if pa.types.is_boolean(col.type) and pa.types.is_string(typ):
                col = pc.if_else(col, "true", "false")
            col = col.cast(typ)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=schema)
