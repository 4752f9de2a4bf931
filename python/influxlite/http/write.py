"""``POST /write`` and ``POST /api/v2/write`` as InfluxDB 1.8's ``serveWriteV1``/``serveWriteV2``
and ``serveWrite`` (services/httpd/handler.go) answer them: the same checks in the same order,
the same statuses and texts.

The async part (``WriteHandler.handle``) only checks parameters and reads the body into one
buffer; the rest (gunzip, parse in Rust, the engine write and its fsync) runs in a thread pool
(``WriteHandler.finish``), so the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass, field

from ..errors import go_quote
from ..coordinator import PartialWriteError, WriteError, parse_consistency
from ..meta import DatabaseNotFoundError
from ..meta.errors import MetaError
from ..models import parse_points
from ..stats import Statistic

V1_PRECISIONS = ("", "n", "ns", "u", "ms", "s", "m", "h")
# What InfluxDB's parser multiplies by (GetPrecisionMultiplier): any other string is nanoseconds.
PARSER_PRECISIONS = {"u": "u", "ms": "ms", "s": "s", "m": "m", "h": "h"}
TOO_LARGE = "Request Entity Too Large"


class BodyTooLarge(Exception):
    def __init__(self, more: bool = False) -> None:
        super().__init__()
        self.more = more  # more of the body was still to come


@dataclass
class Outcome:
    """What a handler answers. InfluxDB's write handlers do not stop after an invalid precision
    (a ``return`` is missing in 1.8): the first error fixes the status and the
    ``X-Influxdb-Error`` header, and every later error adds its JSON line to the body."""

    status: int = 204
    errors: list[str] = field(default_factory=list)
    close: bool = False
    plain: bytes | None = None  # a text/plain body (Go's http.Error), e.g. the throttler's 503

    def error(self, status: int, message: str) -> Outcome:
        if not self.errors:
            self.status = status
        self.errors.append(message)
        return self


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompresses a gzip body as Go's ``gzip.Reader`` reads it (several members one after
    another; Go's error texts), refusing more than ``limit`` bytes out (0 = no limit) with
    ``BodyTooLarge`` without ever holding more than ``limit + 1`` of them."""
    out: list[bytes] = []
    total = 0
    pos = 0
    first = True
    while first or pos < len(data):
        pos = _gzip_header(data, pos, first)
        first = False
        d = zlib.decompressobj(-zlib.MAX_WBITS)
        rest = memoryview(data)[pos:]
        crc = member = 0
        while True:
            room = 0 if not limit else limit + 1 - total
            try:
                chunk = d.decompress(rest, room) if limit else d.decompress(rest)
            except zlib.error:
                # Go's offset counts from the start of this member's deflate data.
                at = len(data) - len(d.unconsumed_tail) - pos
                raise ValueError(f"flate: corrupt input before offset {at}") from None
            crc = zlib.crc32(chunk, crc)
            member += len(chunk)
            total += len(chunk)
            if chunk:
                out.append(chunk)
            if limit and total > limit:
                raise BodyTooLarge()
            if d.eof:
                break
            if not d.unconsumed_tail:
                raise ValueError("unexpected EOF")  # the stream ends inside the deflate data
            rest = d.unconsumed_tail
        trailer = d.unused_data
        if len(trailer) < 8:
            raise ValueError("unexpected EOF")
        if (int.from_bytes(trailer[0:4], "little") != crc
                or int.from_bytes(trailer[4:8], "little") != member & 0xFFFFFFFF):
            raise ValueError("gzip: invalid checksum")
        pos = len(data) - len(trailer) + 8
    return out[0] if len(out) == 1 else b"".join(out)


def _gzip_header(data: bytes, pos: int, first: bool) -> int:
    """The offset after the gzip member header at ``pos``, or Go's error."""
    head = data[pos:pos + 10]
    if len(head) < 10:
        raise ValueError("EOF" if not head and first else "unexpected EOF")
    if head[0] != 0x1F or head[1] != 0x8B or head[2] != 8:
        raise ValueError("gzip: invalid header")
    flags = head[3]
    pos += 10
    if flags & 4:  # FEXTRA
        if len(data) < pos + 2:
            raise ValueError("unexpected EOF")
        pos += 2 + int.from_bytes(data[pos:pos + 2], "little")
    for bit in (8, 16):  # FNAME, FCOMMENT: zero-terminated
        if flags & bit:
            end = data.find(b"\0", pos)
            if end < 0:
                raise ValueError("unexpected EOF")
            pos = end + 1
    if flags & 2:  # FHCRC
        pos += 2
    if pos > len(data):
        raise ValueError("unexpected EOF")
    return pos


class WriteHandler:
    def __init__(self, engine, config, executor, *, stats: Statistic | None = None) -> None:
        self.engine = engine
        self.config = config
        self.executor = executor
        self.stats = stats if stats is not None else Statistic("httpd")  # the server's httpd statistic
        limit = config.max_concurrent_write_limit
        self.throttle = asyncio.Semaphore(limit) if limit > 0 else None
        # Go's Throttler: ``enqueued`` holds the running and the waiting requests; without
        # max-enqueued-write-limit there is no such bound (the waiters are unbounded).
        queue = config.max_enqueued_write_limit
        self.enqueued_cap = limit + queue if limit > 0 and queue > 0 else 0
        self.enqueued = 0  # touched only on the event loop

    # --- the two routes ----------------------------------------------------------------------

    async def v1(self, req, receive) -> Outcome:
        out = Outcome()
        precision = req.query.get("precision", "")
        if precision not in V1_PRECISIONS:
            out.error(400, f'invalid precision "{go_quote(precision)}" (use n, u, ms, s, m or h)')
        if self.throttle is None:
            return await self.serve(out, req.query.get("db", ""), req.query.get("rp", ""), precision, req, receive)
        # InfluxDB 1.8's Throttler: a place in the queue (max-enqueued-write-limit) or 503 at
        # once, then a slot (max-concurrent-write-limit) within enqueued-write-timeout or 503.
        if self.enqueued_cap:
            if self.enqueued >= self.enqueued_cap:
                return Outcome(503, [], plain=b"request throttled, queue full\n")
            self.enqueued += 1
        try:
            return await self._throttled(out, precision, req, receive)
        finally:
            if self.enqueued_cap:
                self.enqueued -= 1

    async def _throttled(self, out: Outcome, precision: str, req, receive) -> Outcome:
        try:
            await asyncio.wait_for(self.throttle.acquire(), self.config.enqueued_write_timeout or None)
        except asyncio.TimeoutError:
            return Outcome(503, [], plain=b"request throttled, exceeds timeout\n")
        try:
            return await self.serve(out, req.query.get("db", ""), req.query.get("rp", ""), precision, req, receive)
        finally:
            self.throttle.release()

    async def v2(self, req, receive) -> Outcome:
        out = Outcome()
        precision = req.query.get("precision", "")
        if precision == "ns":
            precision = "n"
        elif precision == "us":
            precision = "u"
        elif precision not in ("ms", "s", ""):
            out.error(400, f'invalid precision "{go_quote(precision)}" (use ns, us, ms or s)')
        bucket = req.query.get("bucket", "")
        db, slash, rp = bucket.partition("/")
        if not slash and not db:
            return out.error(404, f'bucket name "{go_quote(bucket)}" is missing a slash; not in '
                                  f'"database/retention-policy" format')
        if slash and not db:
            return out.error(404, f'bucket name "{go_quote(bucket)}" is in db/rp form but has an empty database')
        return await self.serve(out, db, rp, precision, req, receive)

    # --- serveWrite --------------------------------------------------------------------------

    async def serve(self, out: Outcome, db: str, rp: str, precision: str, req, receive) -> Outcome:
        """serveWrite, counted: writeReq, writeReqActive while it runs, writeReqDurationNs."""
        self.stats.update(writeReq=1, writeReqActive=1)
        start = time.perf_counter_ns()
        try:
            return await self._serve(out, db, rp, precision, req, receive)
        finally:
            self.stats.update(writeReqActive=-1, writeReqDurationNs=time.perf_counter_ns() - start)

    async def _serve(self, out: Outcome, db: str, rp: str, precision: str, req, receive) -> Outcome:
        if not db:
            return out.error(400, "database is required")
        if self.engine.meta.database(db) is None:
            return out.error(404, f'database not found: "{go_quote(db)}"')
        if req.auth_enabled:  # [http] auth-enabled: the user the server authenticated (or None)
            if req.user is None:
                return out.error(403, f'user is required to write to database "{go_quote(db)}"')
            if not req.user.authorize_database("WRITE", db):
                return out.error(403, f'"{go_quote(req.user.name)}" user is not authorized to write to database '
                                      f'"{go_quote(db)}"')
        limit = self.config.max_body_size
        length = req.content_length
        if length is not None and length > 0 and limit > 0 and length > limit:
            out.close = True  # the body stays unread: the connection cannot be reused
            return out.error(413, TOO_LARGE)
        try:
            body = await _read_body(receive, limit)
        except BodyTooLarge as e:
            out.close = True
            # As Go's server: discard up to 256 KiB more of the body, so that a client still
            # sending reads the 413 instead of a reset connection.
            if e.more:
                await _drain(receive, 256 << 10)
            return out.error(413, TOO_LARGE)
        gzipped = req.headers.get("content-encoding") == "gzip"
        consistency = req.query.get("consistency", "")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.finish, out, db, rp, precision, consistency,
                                          body, gzipped)

    def finish(self, out: Outcome, db: str, rp: str, precision: str, consistency: str, body: bytes,
               gzipped: bool) -> Outcome:
        """The blocking part, in a pool thread: gunzip, parse (Rust, the GIL released), write
        (returns once the points are fsynced in the WAL)."""
        if gzipped:
            try:
                body = gunzip(body, self.config.max_body_size)
            except BodyTooLarge:
                # InfluxDB bounds only the compressed size; a small body that inflates past
                # max-body-size is refused here too (a gzip bomb must not exhaust memory).
                return out.error(413, TOO_LARGE)
            except ValueError as e:
                return out.error(400, str(e))
        self.stats.add("writeReqBytes", len(body))
        batch = parse_points(body, PARSER_PRECISIONS.get(precision, "n"))
        del body
        # The lines as sent: bytes that are not UTF-8 stay (surrogateescape) until the response.
        errors = batch._raw.error_messages()
        parse_error = b"\n".join(errors).decode("utf-8", "surrogateescape") if errors else None
        if parse_error is not None and len(batch) == 0:
            return out.error(400, parse_error)
        try:
            parse_consistency(consistency)
        except WriteError as e:
            return out.error(400, str(e))
        try:
            if len(batch):
                self.engine.write_points(db, rp or None, batch, consistency or None)
        except PartialWriteError as e:
            self.stats.update(pointsWrittenOK=len(batch) - e.dropped, pointsWrittenDropped=e.dropped)
            return out.error(400, str(e))
        except WriteError as e:
            self.stats.add("pointsWrittenFail", len(batch))
            text = str(e)
            return out.error(400 if text.startswith("field type conflict") else 500, text)
        except DatabaseNotFoundError as e:  # dropped since the check above
            self.stats.add("pointsWrittenFail", len(batch))
            return out.error(500, str(e))
        except MetaError as e:  # retention policy not found: <rp>, ...
            self.stats.add("pointsWrittenFail", len(batch))
            return out.error(500, str(e))
        except Exception as e:  # noqa: BLE001 - an engine error: InfluxDB answers 500 with its text
            self.stats.add("pointsWrittenFail", len(batch))
            return out.error(500, str(e) or type(e).__name__)
        self.stats.add("pointsWrittenOK", len(batch))
        if parse_error is not None:
            return out.error(400, f"partial write: {parse_error} dropped=0")
        return out


async def _read_body(receive, limit: int) -> bytes:
    """The request body in one buffer (the chunks are joined once); ``BodyTooLarge`` as soon as
    more than ``limit`` bytes (0 = no limit) have arrived, without reading on."""
    chunks: list[bytes] = []
    size = 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise ConnectionResetError("client disconnected")
        chunk = msg.get("body", b"")
        if chunk:
            size += len(chunk)
            if limit and size > limit:
                raise BodyTooLarge(bool(msg.get("more_body")))
            chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _drain(receive, limit: int) -> None:
    """Reads and drops what is left of a request body, up to ``limit`` bytes."""
    size = 0
    while size <= limit:
        msg = await receive()
        if msg["type"] == "http.disconnect" or not msg.get("more_body"):
            return
        size += len(msg.get("body", b""))
