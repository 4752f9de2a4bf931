"""How one statement's rows become results when the client asks for chunks (``chunked=true``),
as InfluxDB 1.x sends them (recorded from 1.6.7, tests/fixtures/query_params.json):

- ``EMITTED`` statements (SELECT, and SHOW SERIES / SHOW FIELD KEYS, which InfluxDB runs as
  SELECTs over system sources) go through Go's ``Emitter``: a row is cut every ``chunk_size``
  values; every result holds one row; a row is ``"partial"`` when the same series goes on in
  the next result, a result is ``"partial"`` when another result of the statement follows.
- ``PER_SERIES`` statements (SHOW TAG KEYS, SHOW TAG VALUES) send one result per measurement,
  never partial.
- every other statement sends one result.

Without chunks (``chunk_size`` None) every statement is one result: InfluxDB 1.8 merges the
pieces back (``lastSeries.Partial = row.Partial``), so the merged rows carry no ``partial``.
Rows are consumed lazily: a handler may return a generator and only ``chunk_size`` values of a
row are held by this module at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from . import ast_select as S
from . import ast_statements as A

__all__ = ["EMITTED", "PER_SERIES", "DEFAULT_CHUNK_SIZE", "merge_results", "results_of"]

DEFAULT_CHUNK_SIZE = 10000  # the handler's DefaultChunkSize
EMITTED = (S.SelectStatement, A.ShowSeriesStatement, A.ShowFieldKeysStatement)
PER_SERIES = (A.ShowTagKeysStatement, A.ShowTagValuesStatement)


def _pieces(rows: Iterable[dict], chunk_size: int) -> Iterator[dict]:
    """Rows cut every ``chunk_size`` values; a cut row is marked partial."""
    for row in rows:
        values = row.get("values") or []
        if len(values) <= chunk_size:
            yield row
            continue
        for start in range(0, len(values), chunk_size):
            piece = dict(row)
            piece["values"] = values[start:start + chunk_size]
            if start + chunk_size < len(values):
                piece["partial"] = True
            else:
                piece.pop("partial", None)
            yield piece


def results_of(stmt, statement_id: int, rows: Iterable[dict], chunk_size: int | None,
               messages: list | None = None) -> Iterator[dict]:
    """The results of one statement whose handler produced ``rows`` (see the module doc)."""
    if chunk_size is None or not isinstance(stmt, EMITTED + PER_SERIES):
        yield _result(statement_id, list(rows), messages, False)
        return
    it = _pieces(rows, chunk_size) if isinstance(stmt, EMITTED) else iter(rows)
    emitted = False
    pending = next(it, None)
    while pending is not None:
        following = next(it, None)
        more = following is not None and isinstance(stmt, EMITTED)
        yield _result(statement_id, [pending], messages if not emitted else None, more)
        emitted = True
        pending = following
    if not emitted:
        yield _result(statement_id, [], messages, False)


def _result(statement_id: int, series: list, messages, partial: bool) -> dict:
    out: dict = {"statement_id": statement_id}
    if series:
        out["series"] = series
    if messages:
        out["messages"] = list(messages)
    if partial:
        out["partial"] = True
    return out


def _same_series(a: dict, b: dict) -> bool:
    return a.get("name") == b.get("name") and (a.get("tags") or {}) == (b.get("tags") or {})


def merge_results(results: Iterable[dict]) -> list[dict]:
    """The handler's merge for an answer without chunks: results of the same statement become
    one (an error replaces what came before; a series that goes on gets the values appended,
    its ``partial`` and the result's taken from the last piece, as 1.8)."""
    out: list[dict] = []
    for r in results:
        if not out or out[-1]["statement_id"] != r["statement_id"]:
            out.append(r)
            continue
        if "error" in r:
            out[-1] = r
            continue
        cur = out[-1]
        series = list(r.get("series") or ())
        have = cur.setdefault("series", [])
        merged = 0
        if have:
            last = have[-1] = dict(have[-1])
            for row in series:
                if not _same_series(last, row):
                    break
                last["values"] = list(last.get("values") or []) + list(row.get("values") or [])
                if row.get("partial"):
                    last["partial"] = True
                else:
                    last.pop("partial", None)
                merged += 1
        have.extend(series[merged:])
        if not have:
            del cur["series"]
        if r.get("messages"):
            cur["messages"] = list(cur.get("messages") or []) + r["messages"]
        if r.get("partial"):
            cur["partial"] = True
        else:
            cur.pop("partial", None)
    return out
