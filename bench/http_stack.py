"""Which HTTP stack should carry ``POST /write``? Measured, not guessed.

Each candidate runs the same minimal write app as a subprocess on a free 127.0.0.1 port, one at
a time: read the request body into one buffer (the chunks joined once, never ``+=``), gunzip it
with a bound on the decompressed size, hand it to ``influxlite.parse_points`` (Rust, the GIL
released) in a thread pool so the event loop stays free, answer 204. A load generator (threads
of stdlib ``http.client``, keep-alive, one connection each) posts 5 MB line-protocol bodies,
plain and gzipped, and reports MB/s (of line protocol, i.e. decompressed) and lines/s.

    python bench/http_stack.py                      # every stack, plain and gzip
    python bench/http_stack.py --stacks uvicorn --seconds 5
    python bench/http_stack.py --serve uvicorn --port 8123   # one server, by hand

Candidates: ``uvicorn`` (uvicorn + httptools + uvloop, a raw ASGI callable), ``granian-asgi``
and ``granian-rsgi`` (granian's Rust hyper/tokio server, one worker). Pinned in pyproject's
``bench`` extra.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import zlib

MAX_BODY = 25_000_000  # InfluxDB's default max-body-size
STACKS = ("uvicorn", "granian-asgi", "granian-rsgi")
# The real server, end to end (parse, series, WAL fsync): not a candidate, the result.
ALL = STACKS + ("influxlite",)


# --- the app (server side) ----------------------------------------------------------------------

def _work(data: bytes, gzipped: bool) -> int:
    """The CPU part of a write, run in the thread pool: bounded gunzip, then parse."""
    from influxlite import parse_points

    if gzipped:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = d.decompress(data, MAX_BODY + 1)
        if len(data) > MAX_BODY:
            raise ValueError("too large")
    return len(parse_points(data))


def _make_asgi():
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        headers = dict(scope["headers"])
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            chunk = msg.get("body", b"")
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BODY:
                    await send({"type": "http.response.start", "status": 413, "headers": [(b"connection", b"close")]})
                    await send({"type": "http.response.body", "body": b""})
                    return
            if not msg.get("more_body"):
                break
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        gz = headers.get(b"content-encoding") == b"gzip"
        await asyncio.get_running_loop().run_in_executor(pool, _work, data, gz)
        await send({"type": "http.response.start", "status": 204, "headers": [(b"x-influxdb-version", b"bench")]})
        await send({"type": "http.response.body", "body": b""})

    return app


def _make_rsgi():
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)

    async def app(scope, proto):
        chunks: list[bytes] = []
        size = 0
        async for chunk in proto:
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY:
                proto.response_empty(413, [("connection", "close")])
                return
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        gz = scope.headers.get("content-encoding") == "gzip"
        await asyncio.get_running_loop().run_in_executor(pool, _work, data, gz)
        proto.response_empty(204, [("x-influxdb-version", "bench")])

    return app


asgi_app = _make_asgi() if __name__ != "__main__" else None
rsgi_app = _make_rsgi() if __name__ != "__main__" else None


def serve(stack: str, port: int) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    if stack == "uvicorn":
        import uvicorn

        uvicorn.run("http_stack:asgi_app", host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                    lifespan="off", access_log=False, log_level="warning")
    elif stack.startswith("granian"):
        from granian import Granian

        iface = stack.split("-")[1]
        Granian(f"http_stack:{iface}_app", address="127.0.0.1", port=port, interface=iface, workers=1,
                log_enabled=False, websockets=False).serve()
    else:
        raise SystemExit(f"unknown stack {stack}")


# --- the load generator --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port: int, proc: subprocess.Popen) -> None:
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)


def load(port: int, body: bytes, gzipped: bool, clients: int, seconds: float) -> tuple[int, float]:
    """Posts ``body`` from ``clients`` threads (one keep-alive connection each) for ``seconds``;
    returns (requests, elapsed)."""
    headers = {"Content-Type": "text/plain"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    done = [0] * clients
    errors: list[BaseException] = []
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while time.perf_counter() < stop:
                conn.request("POST", "/write?db=bench", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 204:
                    raise RuntimeError(f"status {resp.status}")
                done[i] += 1
            conn.close()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return sum(done), elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--serve", choices=STACKS, help="run one server (internal)")
    ap.add_argument("--port", type=int)
    ap.add_argument("--stacks", nargs="+", default=list(STACKS), choices=ALL,
                    help="stacks to measure (default: the candidates; 'influxlite' is influxlite serve itself)")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--mb", type=float, default=5.0, help="body size in MB (default 5)")
    ap.add_argument("--seconds", type=float, default=5.0, help="per stack, encoding and round (default 5)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds over every stack, interleaved so a busy moment hits all (default 3); "
                         "the table shows the median and the range")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from lpdata import generate

    from influxlite import parse_points

    body = generate(int(args.mb * 1e6))
    lines = body.count(b"\n")
    gz = gzip.compress(body, 6)
    t0 = time.perf_counter()
    assert len(parse_points(body)) == lines
    in_process = len(body) / (time.perf_counter() - t0) / 1e6
    print(f"body {len(body) / 1e6:.1f} MB, {lines:,} lines (gzip {len(gz) / 1e6:.2f} MB); {args.clients} clients, "
          f"{args.seconds:.0f} s each, {args.rounds} rounds; parse_points alone in-process: {in_process:.0f} MB/s; "
          f"load average {os.getloadavg()[0]:.2f}")
    results: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for stack in args.stacks:
            _measure(stack, body, gz, args, results)
    import statistics

    print(f"{'stack':<14} {'body':<5} {'req/s':>7} {'MB/s':>7} {'MB/s range':>11} {'lines/s':>12}")
    for (stack, name), rates in results.items():
        med = statistics.median(rates)
        print(f"{stack:<14} {name:<5} {med:7.1f} {med * len(body) / 1e6:7.0f} "
              f"{min(rates) * len(body) / 1e6:5.0f}-{max(rates) * len(body) / 1e6:<5.0f} {med * lines:12,.0f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


def _measure(stack: str, body: bytes, gz: bytes, args, results: dict) -> None:
    """One round of one stack: a fresh server, plain then gzip bodies; req/s into ``results``."""
    port = free_port()
    tmp = None
    if stack == "influxlite":
        import tempfile

        from influxlite.engine import Engine

        tmp = tempfile.mkdtemp(prefix="influxlite-bench-")
        with Engine(tmp, retention_check_interval=0) as engine:
            engine.meta.create_database("bench")
        cmd = [sys.executable, "-m", "influxlite", "serve", "--bind", f"127.0.0.1:{port}", "--data-dir", tmp]
        env = dict(os.environ, INFLUXLITE_HTTP_LOG_ENABLED="false")
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--serve", stack, "--port", str(port)]
        env = None
    proc = subprocess.Popen(cmd, env=env)
    try:
        wait_up(port, proc)
        load(port, body, False, args.clients, 1.0)  # warm-up
        for name, payload in (("plain", body), ("gzip", gz)):
            n, elapsed = load(port, payload, name == "gzip", args.clients, args.seconds)
            results.setdefault((stack, name), []).append(n / elapsed)
    finally:
        proc.terminate()
        proc.wait()
        if tmp is not None:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
