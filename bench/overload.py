"""Overload (issue 10 item 7): do heavy queries and 1,000 idle connections take write throughput?

    python bench/overload.py                          # 60 s per phase
    python bench/overload.py --seconds 30 --writers 50 --queriers 2 --idle 1000

Starts `influxlite serve` on a free 127.0.0.1 port over a fresh data directory, seeds it, then
runs three phases with the same ``--writers`` keep-alive writers (bodies of ``--batch`` lines,
pre-built so the load generator spends little CPU):

1. **unloaded**: the writers alone;
2. **loaded**: the writers, ``--idle`` idle keep-alive connections (each sent one /ping first)
   and ``--queriers`` clients running heavy queries back to back (whole-range aggregations,
   raw reads, GROUP BY time over every series);
3. **after**: the writers alone again (the server recovers by itself).

Prints each phase's points/s, write p50/p99, queries answered and refused (by
``query-memory-limit``) and their p50, and the server's RSS and open files; then
the loaded/unloaded throughput ratio (the target is >= 0.8). Exit status 1 on a failed request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.parse

from soak import pct, proc_stats, send, start_server

HEAVY = [
    "SELECT mean(usage), max(usage), count(n) FROM cpu GROUP BY time(1m), host",
    "SELECT count(usage) FROM cpu",
    "SELECT * FROM cpu WHERE host = 'h3' LIMIT 20000",
    "SELECT percentile(usage, 95) FROM cpu GROUP BY host",
    "SELECT last(usage) FROM cpu GROUP BY *",
]


class Phase:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.points = 0
        self.write_lat: list[float] = []
        self.query_lat: list[float] = []
        self.refused = 0  # queries stopped by query-memory-limit: the server protecting itself
        self.errors: list[str] = []


def bodies(n_bodies: int, batch: int, series: int) -> list[bytes]:
    """Pre-built bodies: every series in turn, without timestamps (the server stamps each
    write with its clock, so nothing is overwritten and the data grows as in real use)."""
    out = []
    for b in range(n_bodies):
        lines = []
        for i in range(batch):
            s = (b * batch + i) % series
            lines.append(f"cpu,host=h{s % 100},series=s{s} usage={(s * 7 + b) % 100}.5,n={b}i")
        out.append(("\n".join(lines) + "\n").encode())
    return out


class Load:
    def __init__(self, port: int, args, payloads: list[bytes]) -> None:
        self.port, self.args, self.payloads = port, args, payloads
        self.phase = Phase()
        self.stop = threading.Event()
        self.stop_queries = threading.Event()

    def conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)

    def writer(self, w: int) -> None:
        conn = self.conn()
        i = w
        while not self.stop.is_set():
            body = self.payloads[i % len(self.payloads)]
            i += self.args.writers
            t = time.perf_counter()
            conn, status, data = send(conn, self.conn, "POST", "/write?db=overload", body)
            ok = status == 204
            ph = self.phase
            with ph.lock:
                if ok:
                    ph.points += self.args.batch
                    ph.write_lat.append(time.perf_counter() - t)
                else:
                    ph.errors.append(f"write: {data[:200]!r}")

    def querier(self, q: int) -> None:
        conn = self.conn()
        i = q
        while not self.stop_queries.is_set():
            text = HEAVY[i % len(HEAVY)]
            i += 1
            t = time.perf_counter()
            conn, status, data = send(conn, self.conn, "GET",
                                      "/query?" + urllib.parse.urlencode({"db": "overload", "q": text}))
            ok = status == 200 and b'"error"' not in data
            ph = self.phase
            with ph.lock:
                if ok:
                    ph.query_lat.append(time.perf_counter() - t)
                elif b"query-memory-limit exceeded" in data:
                    ph.refused += 1
                else:
                    ph.errors.append(f"query {text!r}: {data[:200]!r}")


def idle_connections(port: int, n: int) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(s)
    for s in socks:
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("an idle connection was closed")
            reply += chunk
    return socks


def run_phase(name: str, load: Load, seconds: float, pid: int) -> dict:
    load.phase = Phase()
    time.sleep(seconds)
    ph = load.phase
    with ph.lock:
        row = {"phase": name, "points_s": ph.points / seconds, "w_p50_ms": pct(ph.write_lat, .5) * 1e3,
               "w_p99_ms": pct(ph.write_lat, .99) * 1e3, "queries": len(ph.query_lat), "refused": ph.refused,
               "q_p50_ms": pct(ph.query_lat, .5) * 1e3, **proc_stats(pid), "errors": list(ph.errors)}
    print(f"{name:>9} {row['points_s']:>10.0f} {row['w_p50_ms']:>9.1f} {row['w_p99_ms']:>9.1f} "
          f"{row['queries']:>8} {row['refused']:>7} {row['q_p50_ms']:>9.0f} {row['rss_mb']:>8.1f} {row['fds']:>6} "
          f"{len(row['errors']):>6}", flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60, help="length of each phase")
    ap.add_argument("--writers", type=int, default=50)
    ap.add_argument("--queriers", type=int, default=2)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--series", type=int, default=10000)
    ap.add_argument("--seed-bodies", type=int, default=300, help="bodies written before the phases")
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="overload-")
    proc, port = start_server(os.path.join(tmp, "data"))
    load = Load(port, args, bodies(max(1, args.series // args.batch), args.batch, args.series))
    threads: list[threading.Thread] = []
    socks: list[socket.socket] = []
    rows = []
    try:
        c = load.conn()
        c.request("POST", "/query?" + urllib.parse.urlencode({"q": "CREATE DATABASE overload"}))
        c.getresponse().read()
        for k in range(args.seed_bodies):
            c.request("POST", "/write?db=overload", body=load.payloads[k % len(load.payloads)])
            resp = c.getresponse()
            if resp.status != 204:
                raise SystemExit(f"seeding failed: {resp.status} {resp.read()[:200]!r}")
            resp.read()
        print(f"{'phase':>9} {'points/s':>10} {'w p50 ms':>9} {'w p99 ms':>9} {'queries':>8} {'refused':>7} {'q p50 ms':>9} "
              f"{'RSS MB':>8} {'fds':>6} {'errors':>6}", flush=True)
        threads = [threading.Thread(target=load.writer, args=(w,), daemon=True) for w in range(args.writers)]
        for t in threads:
            t.start()
        time.sleep(min(10.0, args.seconds / 4))  # warm-up
        rows.append(run_phase("unloaded", load, args.seconds, proc.pid))
        socks = idle_connections(port, args.idle)
        qthreads = [threading.Thread(target=load.querier, args=(q,), daemon=True) for q in range(args.queriers)]
        for t in qthreads:
            t.start()
        rows.append(run_phase("loaded", load, args.seconds, proc.pid))
        load.stop_queries.set()
        for t in qthreads:
            t.join(300)
        for s in socks:
            s.close()
        socks = []
        rows.append(run_phase("after", load, args.seconds, proc.pid))
    finally:
        load.stop.set()
        load.stop_queries.set()
        for t in threads:
            t.join(300)
        for s in socks:
            s.close()
        proc.send_signal(signal.SIGTERM)
        status = proc.wait()
        print(f"server stopped with status {status}")
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = rows[1]["points_s"] / max(rows[0]["points_s"], 1)
    print(json.dumps({"loaded_over_unloaded": round(ratio, 3),
                      "after_over_unloaded": round(rows[2]["points_s"] / max(rows[0]["points_s"], 1), 3)}))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    errors = [e for r in rows for e in r["errors"]]
    for e in errors[:10]:
        print("error:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
