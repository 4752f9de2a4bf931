"""Cache snapshots (column buffers made in Rust) as pyarrow tables, without copying values."""

from __future__ import annotations

import pyarrow as pa

TIME = pa.timestamp("ns", tz="UTC")
ARROW_TYPES = {
    "float": pa.float64(),
    "integer": pa.int64(),
    "unsigned": pa.uint64(),
    "boolean": pa.bool_(),
    "string": pa.string(),
}


RESERVED = ("time", "series_id")


def _text(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def column_name(field: bytes) -> str:
    """A field's column: its name, or ``<name>::field`` for a field named ``series_id`` (legal
    in InfluxDB), which would otherwise collide with the series id column."""
    name = _text(field)
    return name + "::field" if name in RESERVED else name


def schema(field_types: dict[bytes, str]) -> pa.Schema:
    """``time``, ``series_id``, then every field (in the given order)."""
    return pa.schema([("time", TIME), ("series_id", pa.uint64())]
                     + [(column_name(k), ARROW_TYPES[t]) for k, t in field_types.items()])


def _column(ftype: str, n: int, values: bytes, validity: bytes, offsets: bytes | None) -> pa.Array:
    valid = None if _all_set(validity, n) else pa.py_buffer(validity)
    if ftype == "boolean":
        return pa.Array.from_buffers(pa.uint8(), n, [valid, pa.py_buffer(values)]).cast(pa.bool_())
    if ftype == "string":
        arr = pa.Array.from_buffers(pa.large_string(), n, [valid, pa.py_buffer(offsets), pa.py_buffer(values)])
        return arr.cast(pa.string())
    return pa.Array.from_buffers(ARROW_TYPES[ftype], n, [valid, pa.py_buffer(values)])


def _all_set(bitmap: bytes, n: int) -> bool:
    full, rest = divmod(n, 8)
    if bitmap[:full].count(0xFF) != full:
        return False
    return rest == 0 or (bitmap[full] & ((1 << rest) - 1)) == (1 << rest) - 1


def snapshot_to_table(snap: dict | None, field_types: dict[bytes, str]) -> pa.Table:
    """A table with every field of ``field_types`` (all-null where the snapshot lacks one)."""
    sch = schema(field_types)
    if snap is None:
        return sch.empty_table()
    n = len(snap["time"]) // 8
    columns = {
        "time": pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(snap["time"])]).cast(TIME),
        "series_id": pa.Array.from_buffers(pa.uint64(), n, [None, pa.py_buffer(snap["series_id"])]),
    }
    for name, ftype, values, validity, offsets in snap["fields"]:
        columns[column_name(name)] = _column(ftype, n, values, validity, offsets)
    arrays = [columns[f.name] if f.name in columns else pa.nulls(n, f.type) for f in sch]
    return pa.Table.from_arrays(arrays, schema=sch)
