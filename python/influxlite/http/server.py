"""``influxlite serve``: the HTTP server over one ``Engine``.

The stack is uvicorn with httptools and uvloop (chosen by measuring, see bench/RESULTS.md) and
a raw ASGI callable, no framework. Everything per point runs in Rust; parsing and the engine
write run in a thread pool, so both cores work while the event loop keeps accepting. Each
response leaves in one ``write`` on a TCP_NODELAY socket.

Queries run in a pool of their own whose threads (and the DuckDB workers they start) run at a
lower CPU priority (``query.limits.QUERY_NICE``): a heavy query takes the CPU writes leave over, so it can
neither hold the writes' threads nor starve them of the cores (issue 10, overload).

Lifecycle: the engine is opened before the socket is bound (a locked data directory fails at
once); on SIGINT or SIGTERM the server stops accepting, lets the writes in flight finish and
answer, then closes the engine (which compacts the shards and releases the data-directory lock)
and exits 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

from .auth import AUTHENTICATED_PATHS, AuthenticationError, Authenticator, basic_auth, redact_query
from . import debug
from ..query.limits import lower_thread_priority
from ..stats import registry
from .query import QueryHandler
from .write import Outcome, WriteHandler, _read_body

# The InfluxDB release whose HTTP API this server speaks; clients read it from the
# X-Influxdb-Version header (influxdb-python's ping(), influxdb-client's version()).
INFLUXDB_VERSION = "1.8.10"
BUILD_TYPE = "OSS"


class Request:
    __slots__ = ("method", "path", "raw_query", "query", "headers", "content_length", "client", "http_version",
                 "user", "auth_enabled")

    def __init__(self, scope) -> None:
        self.method = scope["method"]
        self.path = scope["path"]
        self.raw_query = scope.get("query_string", b"").decode("latin-1")
        # Go's URL.Query().Get: the first value of each key; bytes that are not UTF-8 are kept
        # (surrogateescape) so that errors quote them as Go does (%q: \xff, JSON: \ufffd).
        query: dict[str, str] = {}
        for k, v in parse_qsl(self.raw_query, keep_blank_values=True, errors="surrogateescape"):
            query.setdefault(k, v)
        self.query = query
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            headers.setdefault(k.decode("latin-1").lower(), v.decode("latin-1"))
        self.headers = headers
        cl = headers.get("content-length")
        self.content_length = int(cl) if cl is not None and cl.isdigit() else None
        self.client = scope.get("client")
        self.http_version = scope.get("http_version", "1.1")
        self.user = None  # the authenticated UserInfo (auth-enabled, once an admin exists)
        self.auth_enabled = False


def go_json(obj) -> bytes:
    """``json.Marshal``'s bytes for plain data (dicts, lists, strings), keys in the given order."""
    if isinstance(obj, dict):
        return b"{" + b",".join(go_json_string(k) + b":" + go_json(v) for k, v in obj.items()) + b"}"
    if isinstance(obj, (list, tuple)):
        return b"[" + b",".join(go_json(v) for v in obj) + b"]"
    if isinstance(obj, str):
        return go_json_string(obj)
    return json.dumps(obj).encode()


_GO_ESCAPE = re.compile(r'["\\\x00-\x1f<>&\u2028\u2029\udc80-\udcff]')
_GO_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _go_escape(m) -> str:
    ch = m.group()
    short = _GO_SHORT.get(ch)
    if short is not None:
        return short
    if "\udc80" <= ch <= "\udcff":  # a byte that is not UTF-8 (surrogateescape): Go writes \ufffd
        return "\\ufffd"
    return f"\\u{ord(ch):04x}"


def go_json_string(text: str) -> bytes:
    """A string as Go's encoding/json writes it: ``<``, ``>``, ``&``, U+2028/2029 and control
    characters other than \\n \\r \\t as ``\\u00XX``; bytes that are not UTF-8 as ``\\ufffd``;
    other text as UTF-8."""
    return ('"' + _GO_ESCAPE.sub(_go_escape, text) + '"').encode("utf-8")


def _header_value(text: str, limit: int | None = None) -> bytes:
    """A header value as Go's net/http writes it: the raw bytes (``limit`` of them at most),
    CR and LF as spaces; other control characters, which uvicorn refuses to send, also."""
    raw = text.encode("utf-8", "surrogateescape")
    if limit is not None:
        raw = raw[:limit]
    return raw.translate(_HEADER_SPACES)


_HEADER_SPACES = bytes(32 if (b < 32 and b != 9) or b == 127 else b for b in range(256))


class App:
    """The ASGI application: InfluxDB 1.8's routes that exist so far."""

    def __init__(self, engine, config, *, log=None) -> None:
        self.engine = engine
        self.config = config
        self.executor = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                           thread_name_prefix="influxlite-http")
        self.query_pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                             thread_name_prefix="influxlite-query", initializer=lower_thread_priority)
        self.writes: WriteHandler | None = None
        self.log = log if log is not None else sys.stderr
        self.stats = registry.register(debug.httpd_statistic(config))
        debug.register_config_diagnostics(engine, config)
        self.routes = {
            "/write": {"POST": self.write_v1, "OPTIONS": None},
            "/api/v2/write": {"POST": self.write_v2},
            "/ping": {"GET": self.ping, "HEAD": self.ping},
            "/health": {"GET": self.health},
            "/query": {"GET": self.query, "POST": self.query, "OPTIONS": None},
            "/metrics": {"GET": self.metrics},
        }
        self.queries: QueryHandler | None = None
        self.auth = Authenticator(engine.meta, self.executor) if config.auth_enabled else None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    self.writes = WriteHandler(self.engine, self.config, self.executor, stats=self.stats)
                    self.queries = QueryHandler(self.engine, self.query_pool, _read_body,
                                                self.config.query_limits())
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        start = time.time()
        req = Request(scope)
        headers = [(b"X-Influxdb-Build", BUILD_TYPE.encode()), (b"X-Influxdb-Version", INFLUXDB_VERSION.encode())]
        methods = self.routes.get(req.path)
        if methods is None or req.method not in methods:
            # Go's pattern mux: 405 naming the methods the path has, else 404; neither passes
            # through the route wrappers (no Request-Id, no access log).
            if methods is None:
                status, body = 404, b"404 page not found\n"
            else:
                status, body = 405, b"Method Not Allowed\n"
                headers.append((b"Allow", ", ".join(sorted(methods)).encode()))
            headers += [(b"Content-Type", b"text/plain; charset=utf-8"), (b"X-Content-Type-Options", b"nosniff")]
            await _respond(send, status, headers, body, req.method)
            return
        rid = req.headers.get("x-request-id") or req.headers.get("request-id") or str(uuid.uuid1())
        headers += [(b"Request-Id", _header_value(rid)), (b"X-Request-Id", _header_value(rid))]
        origin = req.headers.get("origin")
        if origin:
            headers += [
                (b"Access-Control-Allow-Origin", _header_value(origin)),
                (b"Access-Control-Allow-Methods", b"DELETE, GET, OPTIONS, POST, PUT"),
                (b"Access-Control-Allow-Headers", b"Accept, Accept-Encoding, Authorization, Content-Length, "
                                                  b"Content-Type, X-CSRF-Token, X-HTTP-Method-Override"),
                (b"Access-Control-Expose-Headers", b"Date, X-InfluxDB-Version, X-InfluxDB-Build"),
            ]
        if self.auth is not None and req.method != "OPTIONS" and req.path in AUTHENTICATED_PATHS:
            req.auth_enabled = True
            try:
                req.user = await self.auth.authenticate(req)
            except AuthenticationError as e:  # 401: a challenge, no X-Influxdb-Error
                headers += [(b"Content-Type", b"application/json"), (b"Www-Authenticate", b'Basic realm="InfluxDB"')]
                size = await _respond(send, 401, headers, b'{"error":' + go_json_string(str(e)) + b"}\n", req.method)
                if self.config.log_enabled:
                    self._access_log(req, 401, size, rid, start)
                return
        if req.method == "OPTIONS":  # the CORS wrapper answers before the handler: 200, no body
            status, body = 200, b""
        else:
            try:
                out = await methods[req.method](req, receive)
            except ConnectionResetError:
                return  # the client went away before its body arrived
            headers.append((b"Content-Type", b"application/json"))
            if getattr(out, "streams", False):  # /query: written while it is made (no Content-Length)
                size = await out.send(send, headers, req.method)
                if self.config.log_enabled:
                    self._access_log(req, out.status, size, rid, start)
                return
            if isinstance(out, tuple):
                status, body = out[:2]
                headers += out[2] if len(out) > 2 else []
            else:
                status, body = _render(out, headers)
                if status >= 500 and out.errors:
                    self._log(f'[httpd] [{status}] - "{out.errors[0]}"\n')
        size = await _respond(send, status, headers, body, req.method)
        if self.config.log_enabled:
            self._access_log(req, status, size, rid, start)

    # --- handlers --------------------------------------------------------------------------------

    async def write_v1(self, req, receive):
        return await self.writes.v1(req, receive)

    async def write_v2(self, req, receive):
        return await self.writes.v2(req, receive)

    async def query(self, req, receive):
        return await self.queries.handle(req, receive)

    async def ping(self, req, receive):
        verbose = req.query.get("verbose", "")
        if verbose not in ("", "0", "false"):
            return 200, go_json({"version": INFLUXDB_VERSION})
        return 204, b""

    async def health(self, req, receive):
        return 200, go_json({"checks": [], "message": "ready for queries and writes", "name": "influxdb",
                             "status": "pass", "version": INFLUXDB_VERSION})

    # --- the access log --------------------------------------------------------------------------

    def _access_log(self, req: Request, status: int, size: int, rid: str, start: float) -> None:
        """InfluxDB's ``buildLogLine`` (Common Log Format plus user agent, request id and
        microseconds), with its ``[httpd] `` prefix."""
        host = req.client[0] if req.client else "-"
        xff = req.headers.get("x-forwarded-for")
        if xff:
            host = f"{xff},{host}"
        query = req.raw_query
        if "p=" in query or "q=" in query:  # no password of u/p or of CREATE USER / SET PASSWORD
            query = redact_query(query)
        uri = req.path + ("?" + query if query else "")
        user = req.query.get("u") or _basic_user(req.headers.get("authorization", "")) or "-"
        when = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime(start))
        request = f"{req.method} {uri} HTTP/{req.http_version}" + (" " if req.method == "POST" else "")
        line = (f'[httpd] {host} - {user} [{when}] "{request}" {status} {size} '
                f'"{req.headers.get("referer") or "-"}" "{req.headers.get("user-agent") or "-"}" '
                f'{rid} {int((time.time() - start) * 1e6)}\n')
        self._log(line)

    def _log(self, line: str) -> None:
        try:
            self.log.write(line)
            self.log.flush()
        except (OSError, ValueError):
            pass

    async def metrics(self, req, receive):
        """Prometheus text (the content type is set by ``debug.RequestStatistics``)."""
        return 200, await asyncio.get_running_loop().run_in_executor(self.executor, debug.metrics, self.engine)

    def close(self) -> None:
        registry.unregister(self.stats)
        self.query_pool.shutdown(wait=True)
        self.executor.shutdown(wait=True)


def _basic_user(auth: str) -> str:
    """The user of valid Basic credentials (Go's ``BasicAuth``: without a colon there is none,
    and the decoded text, which may be a password, is not logged)."""
    basic = basic_auth(auth)
    return basic[0] if basic is not None else ""


def _render(out: Outcome, headers: list) -> tuple[int, bytes]:
    if out.plain is not None:
        headers[-1] = (b"Content-Type", b"text/plain; charset=utf-8")
        headers.append((b"X-Content-Type-Options", b"nosniff"))
        return out.status, out.plain
    if out.close:
        headers.append((b"Connection", b"close"))
    if not out.errors:
        return out.status, b""
    headers.append((b"X-Influxdb-Error", _header_value(out.errors[0], 1024)))
    return out.status, b"".join(b'{"error":' + go_json_string(e) + b"}\n" for e in out.errors)


async def _respond(send, status: int, headers: list, body: bytes, method: str) -> int:
    if status not in (204, 304):
        headers.append((b"Content-Length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
    return 0 if method == "HEAD" else len(body)


def _canonical_key(name: bytes) -> bytes:
    """Go's ``CanonicalMIMEHeaderKey``: ``x-influxdb-version`` -> ``X-Influxdb-Version``."""
    return b"-".join(part[:1].upper() + part[1:].lower() for part in name.split(b"-"))


def _canonical_headers(block: bytes) -> bytes:
    """uvicorn sends header names in lower case; InfluxDB (Go) sends them canonical."""
    head, sep, rest = block.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    for i in range(1, len(lines)):
        name, colon, value = lines[i].partition(b":")
        if colon:
            lines[i] = _canonical_key(name) + b":" + value
    return b"\r\n".join(lines) + sep + rest


# --- the transport: one write per response, TCP_NODELAY ---------------------------------------------

def _protocol_class():
    """uvicorn's httptools protocol, with the response's header and body writes (made in one
    event-loop step) joined into one ``write`` and TCP_NODELAY set on every connection."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class _Coalescing:
        __slots__ = ("_t", "_buf", "_loop")

        def __init__(self, transport, loop) -> None:
            self._t, self._buf, self._loop = transport, [], loop

        def write(self, data) -> None:
            if not data:
                return
            if data[:5] == b"HTTP/":  # a status line and its headers: Go's header-name case
                data = _canonical_headers(bytes(data))
            if not self._buf:
                self._loop.call_soon(self._flush)
            self._buf.append(bytes(data))

        def _flush(self) -> None:
            if self._buf:
                data = b"".join(self._buf) if len(self._buf) > 1 else self._buf[0]
                self._buf = []
                if not self._t.is_closing():
                    self._t.write(data)

        def close(self) -> None:
            self._flush()
            self._t.close()

        def __getattr__(self, name):
            return getattr(self._t, name)

    class Protocol(HttpToolsProtocol):
        def connection_made(self, transport) -> None:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                except (OSError, AttributeError):
                    pass
            super().connection_made(_Coalescing(transport, asyncio.get_running_loop()))

    return Protocol


# --- serve ---------------------------------------------------------------------------------------------

def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            if not self.should_exit:
                print(f"influxlite: {signal.Signals(sig).name}: accepting no more connections, finishing the "
                      f"requests in flight", file=sys.stderr, flush=True)
            super().handle_exit(sig, frame)

    return Server


def serve(config, *, banner=None) -> int:
    """Runs the server until SIGINT/SIGTERM; returns the exit status."""
    import uvicorn

    from .. import _backend, _installed_version
    from ..engine import DEFAULT_DATA_DIR, Engine
    from ..errors import InfluxliteError

    host, port = config.host_port()
    data_dir = os.path.expanduser(config.data_dir or DEFAULT_DATA_DIR)
    # A stop signal before uvicorn has taken the signals over (or after it has given them back)
    # must still stop the server cleanly: remember it, and tell the server once there is one.
    early = {"server": None, "stop": False}

    def stop_early(sig, frame) -> None:
        if not early["stop"]:
            early["stop"] = True
            if early["server"] is not None and not early["server"].should_exit:
                early["server"].handle_exit(sig, frame)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop_early)
    try:
        engine = Engine(data_dir, write_timeout=config.write_timeout, fsync_delay=config.wal_fsync_delay,
                        retention_autocreate=config.retention_autocreate,
                        cache_max_size=config.cache_snapshot_memory_size,
                        max_series_per_database=config.max_series_per_database,
                        max_values_per_tag=config.max_values_per_tag).open()
    except (InfluxliteError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    app = App(engine, config)
    querier = None
    if config.cq_enabled:
        from ..query.continuous import ContinuousQuerier

        querier = ContinuousQuerier(engine, run_interval=config.cq_run_interval,
                                    log_enabled=config.cq_log_enabled).start()
    server = None
    try:
        try:
            sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET,
                                        reuse_port=False)
        except OSError as e:
            print(f"error: cannot listen on {host}:{port}: {e.strerror or e}", file=sys.stderr)
            return 1
        bound = sock.getsockname()
        counted = debug.RequestStatistics(app)  # InfluxDB's ServeHTTP counters; /debug/vars
        uconfig = uvicorn.Config(counted, loop="uvloop" if _has("uvloop") else "asyncio", http=_protocol_class(),
                                 ws="none", lifespan="on", access_log=False, log_level="warning",
                                 server_header=False, date_header=True, timeout_keep_alive=120)
        server = _server_class()(uconfig)
        early["server"] = server
        if early["stop"]:
            server.handle_exit(signal.SIGTERM, None)
        # uvicorn re-raises the signal that stopped it once it has shut down: stop_early takes
        # it, so the engine is closed and the exit status is 0.
        print(banner or (
            f"influxlite {_installed_version()} ({_backend.implementation}) serving InfluxDB {INFLUXDB_VERSION}'s "
            f"HTTP API on http://{bound[0]}:{bound[1]}, data in {data_dir}"), file=sys.stderr, flush=True)
        server.run(sockets=[sock])
    finally:
        if querier is not None:
            querier.stop()
        app.close()
        engine.close()
    print("influxlite: stopped; data directory closed", file=sys.stderr, flush=True)
    return 0


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
