"""``GET|POST /query``: InfluxQL over HTTP, as InfluxDB 1.8's ``serveQuery`` answers it, for every
statement the executor runs (``query.executor``; SELECT answers a "not implemented yet" error
until the SELECT planner lands).

``q`` comes from the URL or, for a POST, from an ``application/x-www-form-urlencoded`` body (the
body's value wins, as Go's ``FormValue``); ``db``, ``rp`` and ``params`` (a JSON object of bound
parameters) likewise. A parse error is a top-level 400 ``error parsing query: ...``; statement
errors travel inside the 200 result, as in InfluxDB. Parsing and execution run in the pool.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

from ..query import ParseError, parse_query
from ..query.executor import QueryExecutor
from ..query.results import UnsupportedValueError, to_json
from ..query.util import go_trim_space


def _error(text: str) -> bytes:
    return json.dumps({"error": text}, ensure_ascii=False).encode() + b"\n"


class QueryHandler:
    def __init__(self, engine, pool, read_body) -> None:
        self.executor = QueryExecutor(engine)
        self.pool = pool
        self.read_body = read_body

    async def handle(self, req, receive) -> tuple[int, bytes]:
        values = dict(req.query)
        if req.method == "POST" and req.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"):
            body = await self.read_body(receive, 0)
            for k, v in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                values[k] = v
        q = values.get("q", "")
        if not q:
            return 400, _error('missing required parameter "q"')
        params = None
        if values.get("params"):
            try:
                params = json.loads(values["params"])
            except ValueError as e:
                return 400, _error(f"error parsing query parameters: {e}")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self.run, q, values.get("db", ""), values.get("rp", ""),
                                          params)

    def run(self, q: str, db: str, rp: str, params) -> tuple[int, bytes]:
        try:
            parsed = parse_query(go_trim_space(q), params)
        except ParseError as e:
            return 400, _error(f"error parsing query: {e}")
        results = self.executor.execute(parsed, database=db, retention_policy=rp)
        try:
            return 200, to_json(results) + b"\n"
        except UnsupportedValueError as e:  # ±Inf: InfluxDB answers Go's encoder error as text
            return 200, str(e).encode() + b"\n"
