"""Overload through ``influxlite serve`` (issue 10 item 7): InfluxDB 1.8's write throttler
(``max-concurrent-write-limit``, ``max-enqueued-write-limit``, ``enqueued-write-timeout``; read
from 1.8's services/httpd/handler.go ``Throttler``: a full queue answers 503 ``request throttled,
queue full`` at once, a wait past the timeout 503 ``request throttled, exceeds timeout``, both as
Go's ``http.Error``, text/plain), and 1,000 idle keep-alive connections plus 50 concurrent
writers: every answer is 204 or the throttler's 503, every 204 is readable, memory stays
bounded, and the server serves normally once the load stops."""

from __future__ import annotations

import http.client
import json
import os
import resource
import socket
import threading
import urllib.parse

import pytest

from test_http_write import Server, header, request

T = 1_700_000_000_000_000_000
IDLE = 1000
WRITERS = 50
WRITES_EACH = 4
POINTS = 100


def _status(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _read_reply(sock: socket.socket) -> bytes:
    reply = b""
    while b"\r\n\r\n" not in reply:
        data = sock.recv(65536)
        assert data, reply
        reply += data
    return reply


def _count(port: int, measurement: str) -> int:
    q = urllib.parse.quote(f"SELECT count(v) FROM {measurement}")
    r = request(port, "GET", f"/query?db=db&q={q}")
    assert r["status"] == 200, r
    series = json.loads(r["body"])["results"][0].get("series")
    return series[0]["values"][0][1] if series else 0


def test_a_full_write_queue_answers_503_at_once(tmp_path, impl):
    """limit 1, queue 1: one write runs (held by Expect: 100-continue), one waits, the third
    is refused at once with 1.8's text; the waiting one is served when the slot frees."""
    server = Server(tmp_path / "data", impl, {"INFLUXLITE_HTTP_MAX_CONCURRENT_WRITE_LIMIT": "1",
                                              "INFLUXLITE_HTTP_MAX_ENQUEUED_WRITE_LIMIT": "1",
                                              "INFLUXLITE_HTTP_ENQUEUED_WRITE_TIMEOUT": "60s"})
    holder = socket.create_connection(("127.0.0.1", server.port))
    waiter = socket.create_connection(("127.0.0.1", server.port))
    try:
        body = b"q v=1 %d\n" % T
        holder.sendall(b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                       b"Content-Length: %d\r\n\r\n" % len(body))
        assert _read_reply(holder).startswith(b"HTTP/1.1 100 Continue")  # it holds the slot
        body2 = b"q v=2 %d\n" % (T + 1)
        waiter.sendall(b"POST /write?db=db HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body2), body2))
        # The waiter is queued once the server has read its request: ping on its heels on
        # another connection, then the third write must find the queue full.
        assert request(server.port, "GET", "/ping")["status"] == 204
        full = request(server.port, "POST", "/write?db=db", b"q v=3 %d\n" % (T + 2))
        assert (full["status"], full["body"]) == (503, "request throttled, queue full\n")
        assert header(full, "Content-Type") == "text/plain; charset=utf-8"
        holder.sendall(body)
        assert _read_reply(holder).startswith(b"HTTP/1.1 204")
        assert _read_reply(waiter).startswith(b"HTTP/1.1 204")
        assert request(server.port, "POST", "/write?db=db", b"q v=4 %d\n" % (T + 3))["status"] == 204
        assert _count(server.port, "q") == 3
    finally:
        holder.close()
        waiter.close()
        assert server.stop() == 0, server.output()


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {need}: cannot open {IDLE} idle connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def _idle_connections(port: int, n: int) -> list[socket.socket]:
    """``n`` keep-alive connections, each having had one request answered, then left idle."""
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(s)
    for s in socks:
        assert _read_reply(s).startswith(b"HTTP/1.1 204")
    return socks


def _writer(port: int, w: int, acked: list, statuses: dict, errors: list) -> None:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for k in range(WRITES_EACH):
            body = b"".join(b"load,w=w%d v=%di %d\n" % (w, k, T + (k * POINTS + i) * 1000) for i in range(POINTS))
            while True:
                conn.request("POST", "/write?db=db", body)
                resp = conn.getresponse()
                text = resp.read()
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                if resp.status == 204:
                    acked.append(POINTS)
                    break
                assert resp.status == 503 and text in (b"request throttled, exceeds timeout\n",
                                                       b"request throttled, queue full\n"), (resp.status, text)
                if resp.getheader("Connection") == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.close()
    except BaseException as e:  # noqa: BLE001 - reported by the test
        errors.append(repr(e))


def _warm_pools(port: int) -> None:
    """Concurrent writes until the server's bounded pools (HTTP, write, fsync) have their threads,
    so that a thread count taken afterwards shows growth per request, not the pools filling."""
    done: list[int] = []

    def one() -> None:
        done.append(request(port, "POST", "/write?db=db", b"warm,w=a v=1i %d\n" % T)["status"])

    workers = [threading.Thread(target=one) for _ in range(WRITERS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert done == [204] * WRITERS or set(done) <= {204, 503}, done


def test_idle_connections_and_concurrent_writers(tmp_path, impl):
    _raise_fd_limit(2 * IDLE + 512)
    server = Server(tmp_path / "data", impl, {"INFLUXLITE_HTTP_MAX_CONCURRENT_WRITE_LIMIT": "4",
                                              "INFLUXLITE_HTTP_MAX_ENQUEUED_WRITE_LIMIT": "16",
                                              "INFLUXLITE_HTTP_ENQUEUED_WRITE_TIMEOUT": "1s",
                                              "INFLUXLITE_HTTP_LOG_ENABLED": "false"})
    pid = server.proc.pid
    idle: list[socket.socket] = []
    try:
        assert request(server.port, "POST", "/write?db=db", b"load,w=warm v=0i %d\n" % T)["status"] == 204
        _warm_pools(server.port)
        rss_before = _status(pid, "VmRSS")
        threads_before = _status(pid, "Threads")
        idle = _idle_connections(server.port, IDLE)
        acked: list[int] = []
        statuses: dict[int, int] = {}
        errors: list[str] = []
        workers = [threading.Thread(target=_writer, args=(server.port, w, acked, statuses, errors))
                   for w in range(WRITERS)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        assert errors == [], errors[:3]
        assert server.proc.poll() is None
        assert sum(acked) == WRITERS * WRITES_EACH * POINTS and statuses.get(204) == WRITERS * WRITES_EACH
        rss_loaded = _status(pid, "VmRSS")
        # 1,000 connections and 50 writers cost some buffers, not a copy of every body sent.
        assert rss_loaded - rss_before < 256 << 10, (rss_before, rss_loaded, statuses)
        # The load is over: the idle connections still answer, as does a fresh one.
        for s in idle[:: IDLE // 20]:
            s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            assert _read_reply(s).startswith(b"HTTP/1.1 204")
        for s in idle:
            s.close()
        idle = []
        assert request(server.port, "POST", "/write?db=db", b"load,w=after v=1i %d\n" % T)["status"] == 204
        assert _count(server.port, "load") == WRITERS * WRITES_EACH * POINTS + 2
        # Threads come from bounded pools only (HTTP and queries: max(2, CPUs) each, points
        # writer: 8, fsync: 8, DuckDB: 1), not one per connection or request (1,000 connections,
        # 200+ writes here).
        threads_after = _status(pid, "Threads")
        assert threads_after <= threads_before + 17 + 2 * max(2, os.cpu_count() or 2), (threads_before, threads_after)
    finally:
        for s in idle:
            s.close()
        assert server.stop() == 0, server.output()


def _nice_values(pid: int) -> dict[int, int]:
    """Each thread's nice value (field 19 of /proc/PID/task/TID/stat)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except FileNotFoundError:
            continue
        out[int(tid)] = int(stat[stat.rindex(")") + 2:].split()[16])
    return out


def test_queries_run_below_the_writes_priority(tmp_path, impl):
    """A heavy query must not starve writes of the CPU: queries (and DuckDB's workers they
    start) run in threads of their own at a higher nice value; the event loop and the write
    path stay at the process's own priority."""
    server = Server(tmp_path / "data", impl, {"INFLUXLITE_HTTP_LOG_ENABLED": "false",
                                              "INFLUXLITE_CONTINUOUS_QUERIES_ENABLED": "false"})
    pid = server.proc.pid
    try:
        before = _nice_values(pid)  # (the continuous querier, off here, runs at 10 too)
        assert set(before.values()) == {0}, before
        body = b"".join(b"m,h=h%d v=%di %d\n" % (i % 7, i, T + i) for i in range(1000))
        assert request(server.port, "POST", "/write?db=db", body)["status"] == 204
        assert _count(server.port, "m") == 1000
        after = _nice_values(pid)
        lowered = {tid for tid, nice in after.items() if nice == 10}
        # the query's thread and at least one DuckDB worker started from it
        assert len(lowered) >= 2 and pid not in lowered, after
        assert set(after.values()) == {0, 10}, after
        _warm_pools(server.port)  # threads the writes start now run at the process's priority
        now = _nice_values(pid)
        assert all(now[tid] == 0 for tid in set(now) - set(after)), (after, now)
        assert request(server.port, "POST", "/write?db=db", b"m,h=x v=1i %d\n" % (T - 1))["status"] == 204
        assert _count(server.port, "m") == 1001
    finally:
        assert server.stop() == 0, server.output()
