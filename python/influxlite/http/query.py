"""``GET|POST /query``: InfluxQL over HTTP, as InfluxDB 1.8's ``serveQuery`` answers it, for every
statement the executor runs (``query.executor``; SELECT answers a "not implemented yet" error
until the SELECT planner lands).

``q`` comes from the URL or, for a POST, from an ``application/x-www-form-urlencoded`` body (the
body's value wins, as Go's ``FormValue``); ``db``, ``rp``, ``params`` (a JSON object of bound
parameters), ``chunked``, ``chunk_size``, ``epoch`` and ``pretty`` likewise. A parse error is a
top-level 400 ``error parsing query: ...``; statement errors travel inside the 200 result.

The 200 answer streams (no Content-Length, chunked transfer encoding, as Go's handler, which
flushes the header first): the executor's results are pulled one at a time in the pool
(``execute_iter``) and each is sent as it is encoded. With ``chunked=true`` every result is
its own JSON object on its own line (``chunk_size`` values a row at most, default 10000);
without, each statement's result is one piece of a single ``{"results":[...]}``. ``epoch`` and
``pretty`` as ``query.render``. A statement that writes, sent by GET, runs with InfluxDB's
deprecation warning in its result's ``messages``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from urllib.parse import parse_qsl

from ..query import ParseError, parse_query
from ..query.authorize import AuthorizeError
from ..query.chunks import DEFAULT_CHUNK_SIZE, merge_results
from ..query.executor import QueryExecutor
from ..query.render import INDENT, encode_result, render_error
from ..query.results import UnsupportedValueError, encode_value
from ..query.util import go_trim_space


@dataclass
class QueryOptions:
    """The parameters of one request, as serveQuery reads them."""

    q: str
    db: str = ""
    rp: str = ""
    params: dict | None = None
    chunked: bool = False
    chunk_size: int = DEFAULT_CHUNK_SIZE
    epoch: str = ""
    pretty: bool = False
    read_only: bool = False  # a GET

    @classmethod
    def from_values(cls, values: dict, method: str) -> QueryOptions:
        # A byte that is not UTF-8 reads as U+FFFD here (Go's scanner does so for q; the
        # results' encoder cannot write the escaped bytes yet).
        values = {k: v.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for k, v in values.items()}
        chunk_size = DEFAULT_CHUNK_SIZE
        try:
            n = int(values.get("chunk_size", ""))
            if n > 0:
                chunk_size = n
        except ValueError:
            pass
        return cls(values.get("q", ""), values.get("db", ""), values.get("rp", ""), None,
                   values.get("chunked") == "true", chunk_size, values.get("epoch", ""),
                   values.get("pretty") == "true", method == "GET")


class QueryStream:
    """A 200 answer written while it is made: ``send`` pulls ``parts`` (bytes) in the pool."""

    streams = True

    def __init__(self, parts: Iterator[bytes], pool) -> None:
        self.status = 200
        self.parts = parts
        self.pool = pool

    async def send(self, send, headers: list, method: str) -> int:
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        loop = asyncio.get_running_loop()
        size = 0
        try:
            while True:
                part = await loop.run_in_executor(self.pool, next, self.parts, None)
                if part is None:
                    break
                if method != "HEAD":
                    await send({"type": "http.response.body", "body": part, "more_body": True})
                    size += len(part)
        finally:
            await loop.run_in_executor(self.pool, self.parts.close)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return size


class QueryHandler:
    def __init__(self, engine, pool, read_body, limits=None) -> None:
        self.executor = QueryExecutor(engine, limits)
        self.pool = pool
        self.read_body = read_body

    async def handle(self, req, receive):
        values = dict(req.query)
        if req.method == "POST" and req.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"):
            body = await self.read_body(receive, 0)
            for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                values[k] = v
        opts = QueryOptions.from_values(values, req.method)
        if not opts.q:
            return _error_answer('missing required parameter "q"', opts.pretty)
        if values.get("params"):
            try:
                opts.params = json.loads(values["params"])
            except ValueError as e:
                return _error_answer(f"error parsing query parameters: {e}", opts.pretty)
        loop = asyncio.get_running_loop()
        parsed = await loop.run_in_executor(self.pool, _parse, opts)
        if isinstance(parsed, str):
            return _error_answer(parsed, opts.pretty)
        if req.auth_enabled:  # [http] auth-enabled: every statement authorized before any runs
            try:
                self.executor.authorize(parsed, opts.db, req.user)
            except AuthorizeError as e:
                text = f"error authorizing query: {e}"
                header = text.encode("utf-8", "replace")[:1024].strip(b" \t")  # Go trims header values
                return 403, render_error(text, opts.pretty), [(b"X-Influxdb-Error", header)]
        results = self.executor.execute_iter(parsed, opts.db, opts.rp, user=req.user, read_only=opts.read_only,
                                             chunk_size=opts.chunk_size if opts.chunked else None)
        parts = chunked_parts(results, opts) if opts.chunked else whole_parts(results, opts)
        return QueryStream(parts, self.pool)


def _parse(opts: QueryOptions):
    """The parsed query, or the text of a 400."""
    try:
        return parse_query(go_trim_space(opts.q), opts.params)
    except ParseError as e:
        return f"error parsing query: {e}"


def _error_answer(text: str, pretty: bool) -> tuple[int, bytes, list]:
    return 400, render_error(text, pretty), [(b"X-Influxdb-Error", text.encode("utf-8", "replace")[:1024])]


def chunked_parts(results: Iterator[dict], opts: QueryOptions) -> Iterator[bytes]:
    """One ``{"results":[r]}`` line per result."""
    try:
        for r in results:
            try:
                if opts.pretty:
                    text = ('{\n' + INDENT + '"results": [\n' + INDENT * 2
                            + encode_result(r, opts.epoch, True, 2) + '\n' + INDENT + ']\n}')
                else:
                    text = '{"results":[' + encode_result(r, opts.epoch) + ']}'
            except UnsupportedValueError as e:  # Go writes the encoder's error text instead
                text = str(e)
            yield (text + "\n").encode("utf-8")
    finally:
        results.close()


def whole_parts(results: Iterator[dict], opts: QueryOptions) -> Iterator[bytes]:
    """One ``{"results":[...]}``, sent a statement's result at a time. A value Go cannot
    encode (±Inf) makes Go write its encoder's error text instead of the answer; here the text
    replaces what is not sent yet."""
    try:
        first = True
        for _, pieces in groupby(results, key=lambda r: r["statement_id"]):
            r = merge_results(pieces)[0]  # the handler's merge: an error replaces, series go on
            try:
                text = encode_result(r, opts.epoch, opts.pretty, 2)
            except UnsupportedValueError as e:
                yield (str(e) + "\n").encode("utf-8")
                return
            if opts.pretty:
                lead = '{\n' + INDENT + '"results": [\n' if first else ',\n'
                yield (lead + INDENT * 2 + text).encode("utf-8")
            else:
                yield (('{"results":[' if first else ',') + text).encode("utf-8")
            first = False
        if first:  # no statement at all (``q=;``): Go's Response omits empty results
            yield b"{}\n"
        else:
            yield ('\n' + INDENT + ']\n}\n' if opts.pretty else ']}\n').encode()
    finally:
        results.close()
