"""Sets of series ids for the in-memory index, small ones kept small.

As InfluxDB's log file does, a set stays small until it holds more than 25 ids and then
becomes a roaring bitmap (pyroaring's ``BitMap64``) for good. The small forms are an ``int``
(one id), a sorted ``tuple`` (none or up to 25), so that the millions of one-series tag
values a high-cardinality tag makes cost a few dozen bytes each, not a ``set`` each.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Union

from pyroaring import BitMap64

SMALL_MAX = 25

IDs = Union[int, tuple, BitMap64]
EMPTY: IDs = ()


def _as_iter(ids) -> list:
    return [ids] if isinstance(ids, int) else ids


def add(s: IDs, ids) -> IDs:
    """``s`` with ``ids`` (an int or an iterable of ints) added."""
    if isinstance(s, BitMap64):
        if isinstance(ids, int):
            s.add(ids)
        else:
            s.update(ids)
        return s
    if isinstance(s, int):
        if isinstance(ids, int):
            return s if ids == s else ((s, ids) if s < ids else (ids, s))
        s = (s,)
    if isinstance(ids, int):
        i = bisect_left(s, ids)
        if i < len(s) and s[i] == ids:
            return s
        if not s:
            return ids
        merged = s[:i] + (ids,) + s[i:]
    else:
        merged = tuple(sorted(set(s).union(ids)))
        if len(merged) == 1:
            return merged[0]
    if len(merged) > SMALL_MAX:
        return BitMap64(merged)
    return merged


def remove(s: IDs, ids) -> IDs:
    """``s`` without ``ids`` (an int or an iterable); a bitmap stays a bitmap."""
    if isinstance(s, BitMap64):
        if isinstance(ids, int):
            s.discard(ids)
        else:
            s.difference_update(BitMap64(ids))
        return s
    drop = {ids} if isinstance(ids, int) else set(ids)
    if isinstance(s, int):
        return EMPTY if s in drop else s
    kept = tuple(i for i in s if i not in drop)
    return kept[0] if len(kept) == 1 else kept


def cardinality(s: IDs) -> int:
    if isinstance(s, int):
        return 1
    return len(s)


def contains(s: IDs, sid: int) -> bool:
    if isinstance(s, int):
        return s == sid
    if isinstance(s, BitMap64):
        return sid in s
    i = bisect_left(s, sid)
    return i < len(s) and s[i] == sid


def to_list(s: IDs) -> list[int]:
    """The ids in ascending order."""
    if isinstance(s, int):
        return [s]
    return list(s)


def to_bitmap(s: IDs) -> BitMap64:
    if isinstance(s, BitMap64):
        return s.copy()
    return BitMap64(_as_iter(s))
