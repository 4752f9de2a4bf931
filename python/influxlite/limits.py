"""``max-series-per-database`` and ``max-values-per-tag``, as InfluxDB 1.8's default (inmem) index
enforces them when a write creates series (``ShardIndex.CreateSeriesListIfNotExists``):

- a new series one of whose tags has a value the measurement does not have yet, while that tag
  key already has ``max-values-per-tag`` values, is refused; the reason names the first one:
  ``max-values-per-tag limit exceeded (n/limit): measurement="m" tag="t" value="v"``. The counts
  are the ones from before the write, so one write may take a key past the limit (as InfluxDB);
- then, if the database's series plus the points of the remaining new series (a series
  counted once per point, as InfluxDB counts) pass ``max-series-per-database``, every one of
  those new series is refused: ``max-series-per-database limit exceeded: (limit)``.

Every point of a refused series is dropped; the other points are written and the write
answers ``partial write: <reason> dropped=<n>`` (recorded from 1.6.7, tests/fixtures/
http_limits.json, and as 1.8's inmem index reads). 0 disables a limit.

Cost: nothing is checked while the write cannot reach a limit (fewer series in the database
than ``max-values-per-tag``: no key can have that many values; fewer series plus points than
``max-series-per-database``). Past that, the write's distinct series are looked up (one lookup
per series) and only the new ones are checked, their tags' value counts read from the
database's open shards' indexes. Checks of one database run one at a time; series created by a
concurrent write to another shard of the database between its check and its creation are not
seen by it.
"""

from __future__ import annotations

import threading

import pyarrow as pa
import pyarrow.compute as pc

from . import _backend
from .errors import go_quote

__all__ = ["SeriesLimits"]


def _go_quote(b: bytes) -> str:
    """Go's %q of a byte string, as the limit texts print tag keys and values."""
    return '"' + go_quote(b.decode("utf-8", "replace")) + '"'


def _u32_bytes(arr) -> bytes:
    return arr.buffers()[1].to_pybytes()[arr.offset * 4:(arr.offset + len(arr)) * 4]


class SeriesLimits:
    """The limits of one database; ``shards()`` lists its open shards (for tag value counts)."""

    def __init__(self, max_series: int, max_values: int, series_file, shards) -> None:
        self.max_series = max_series if max_series > 0 else 0
        self.max_values = max_values if max_values > 0 else 0
        self.series_file = series_file
        self.shards = shards
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        return bool(self.max_series or self.max_values)

    def check(self, batch, sel: bytes) -> tuple[bytes, str | None, int]:
        """``(sel without the refused series' points, reason, points dropped)`` for the points
        ``sel`` (u32 LE indices into ``batch``) of a shard write; ``sel`` itself when nothing
        is refused."""
        n_points = len(sel) // 4
        if not n_points:
            return sel, None, 0
        count = self.series_file.series_count()
        if not ((self.max_series and count + n_points > self.max_series)
                or (self.max_values and count >= self.max_values)):
            return sel, None, 0
        with self._lock:
            return self._check(batch, sel)

    def _check(self, batch, sel: bytes) -> tuple[bytes, str | None, int]:
        idx = pa.Array.from_buffers(pa.uint32(), len(sel) // 4, [None, pa.py_buffer(sel)])
        keys = pa.array(batch._raw.series_keys(), pa.binary()).take(idx)
        order = pc.unique(keys).to_pylist()  # first-appearance order, as InfluxDB walks the points
        new = [k for k in order if self.series_file.series_id_by_key(k) == 0]
        if not new:
            return sel, None, 0
        refused, reason = self._refuse_by_values(new)
        if self.max_series:
            rest = [k for k in new if k not in refused]
            if rest:
                n_rest = pc.sum(pc.is_in(keys, value_set=pa.array(rest, pa.binary()))).as_py() or 0
                if self.series_file.series_count() + n_rest > self.max_series:
                    refused.update(rest)
                    reason = f"max-series-per-database limit exceeded: ({self.max_series})"
        if not refused:
            return sel, None, 0
        drop = pc.is_in(keys, value_set=pa.array(list(refused), pa.binary()))
        kept = pc.filter(idx, pc.invert(drop))
        return _u32_bytes(kept), reason, len(idx) - len(kept)

    def _refuse_by_values(self, new: list[bytes]) -> tuple[set, str | None]:
        refused: set = set()
        reason = None
        if not self.max_values:
            return refused, reason
        parse = _backend.backend.parse_series_key
        known: dict[tuple[bytes, bytes], set] = {}
        for key in new:
            name, tags = parse(key)
            for tk, tv in tags:
                values = known.get((name, tk))
                if values is None:
                    values = known[(name, tk)] = self._tag_values(name, tk)
                if tv in values or len(values) < self.max_values:
                    continue
                refused.add(key)
                if reason is None:
                    reason = (f"max-values-per-tag limit exceeded ({len(values)}/{self.max_values}): "
                              f"measurement={_go_quote(name)} tag={_go_quote(tk)} value={_go_quote(tv)}")
                break
        return refused, reason

    def _tag_values(self, name: bytes, key: bytes) -> set:
        out: set = set()
        for shard in self.shards():
            if shard.index is not None:
                out.update(shard.index.tag_values(name, key))
        return out
