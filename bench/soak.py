"""Soak: sustained mixed write and query load on a real `influxlite serve`, reported each interval.

    python bench/soak.py                      # 10 minutes, report every minute
    python bench/soak.py --minutes 3 --interval 30 --writers 4 --queriers 2

Starts the server on a free 127.0.0.1 port over a fresh temporary data directory (or uses
``--url`` and leaves the server alone), then runs ``--writers`` threads posting batches of
``--batch`` lines (``--series`` series, timestamps moving forward with the wall clock) and
``--queriers`` threads cycling through Grafana-like SELECTs and meta queries. Each interval
prints points/s, write and query p50/p99 latency, and the server's RSS, open files and threads
(from /proc). At the end: totals, errors, and how much RSS and open files grew between the first
interval after warm-up and the last (they must stay flat). Exit status 1 on any failed request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

QUERIES = [
    "SELECT mean(usage) FROM cpu WHERE time > now() - 1m GROUP BY time(10s), host fill(null)",
    "SELECT max(usage), min(usage) FROM cpu WHERE time > now() - 5m GROUP BY time(1m)",
    "SELECT last(usage) FROM cpu WHERE time > now() - 1m GROUP BY host",
    "SELECT count(usage) FROM cpu WHERE host = 'h7' AND time > now() - 10m",
    "SHOW TAG VALUES FROM cpu WITH KEY = host LIMIT 10",
    "SHOW SERIES CARDINALITY",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stats(pid: int) -> dict:
    out = {"rss_mb": 0.0, "fds": 0, "threads": 0}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_mb"] = int(line.split()[1]) / 1024
                elif line.startswith("Threads:"):
                    out["threads"] = int(line.split()[1])
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return out


def send(conn: http.client.HTTPConnection, make_conn, method: str, path: str, body=None):
    """One request on a keep-alive connection: ``(conn, status, data)``; on a socket error the
    connection is replaced (status 0, the error as data)."""
    try:
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        return conn, resp.status, resp.read()
    except OSError as e:
        conn.close()
        return make_conn(), 0, str(e).encode()


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p))]


class Load:
    def __init__(self, host: str, port: int, args) -> None:
        self.host, self.port, self.args = host, port, args
        self.lock = threading.Lock()
        self.points = 0
        self.write_lat: list[float] = []
        self.query_lat: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def _conn(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=120)

    def writer(self, w: int) -> None:
        conn = self._conn()
        n = 0
        while not self.stop.is_set():
            now = time.time_ns()
            lines = []
            for i in range(self.args.batch):
                s = (w * self.args.batch + i + n) % self.args.series
                lines.append(f"cpu,host=h{s % 100},series=s{s} usage={(s * 7 + n) % 100}.5,n={n}i {now + i}")
            body = ("\n".join(lines) + "\n").encode()
            t = time.perf_counter()
            conn, status, data = send(conn, self._conn, "POST", "/write?db=soak", body)
            ok = status == 204
            with self.lock:
                if ok:
                    self.points += len(lines)
                    self.write_lat.append(time.perf_counter() - t)
                else:
                    self.errors.append(f"write: {data[:200]!r}")
            n += 1

    def querier(self, q: int) -> None:
        conn = self._conn()
        i = q
        while not self.stop.is_set():
            text = QUERIES[i % len(QUERIES)]
            i += 1
            t = time.perf_counter()
            conn, status, data = send(conn, self._conn, "GET",
                                      "/query?" + urllib.parse.urlencode({"db": "soak", "q": text}))
            ok = status == 200 and b'"error"' not in data
            with self.lock:
                if ok:
                    self.query_lat.append(time.perf_counter() - t)
                else:
                    self.errors.append(f"query {text!r}: {data[:200]!r}")
            time.sleep(self.args.query_pause)

    def take(self) -> tuple[int, list[float], list[float]]:
        with self.lock:
            out = (self.points, self.write_lat, self.query_lat)
            self.points, self.write_lat, self.query_lat = 0, [], []
            return out


def start_server(data_dir: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = dict(os.environ, INFLUXLITE_HTTP_LOG_ENABLED="false")
    proc = subprocess.Popen([sys.executable, "-m", "influxlite", "serve", "--bind", f"127.0.0.1:{port}",
                             "--data-dir", data_dir], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/ping")
            if c.getresponse().status == 204:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--interval", type=float, default=60, help="seconds between reports")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--queriers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--series", type=int, default=10000)
    ap.add_argument("--query-pause", type=float, default=0.05)
    ap.add_argument("--url", help="an already running server (host:port); nothing is started")
    args = ap.parse_args()
    tmp = None
    if args.url:
        host, _, port = args.url.rpartition(":")
        proc, pid = None, None
        port = int(port)
    else:
        tmp = tempfile.mkdtemp(prefix="soak-")
        proc, port = start_server(os.path.join(tmp, "data"))
        host, pid = "127.0.0.1", proc.pid
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request("POST", "/query?" + urllib.parse.urlencode({"q": "CREATE DATABASE soak"}))
    c.getresponse().read()
    load = Load(host, port, args)
    threads = [threading.Thread(target=load.writer, args=(w,), daemon=True) for w in range(args.writers)]
    threads += [threading.Thread(target=load.querier, args=(q,), daemon=True) for q in range(args.queriers)]
    for t in threads:
        t.start()
    rows = []
    print(f"{'t (s)':>6} {'points/s':>10} {'w p50 ms':>9} {'w p99 ms':>9} {'q p50 ms':>9} {'q p99 ms':>9} "
          f"{'RSS MB':>8} {'fds':>5} {'thr':>4} {'errors':>6}", flush=True)
    start = time.time()
    try:
        while time.time() - start < args.minutes * 60:
            time.sleep(min(args.interval, max(0.0, args.minutes * 60 - (time.time() - start))))
            points, wl, ql = load.take()
            st = proc_stats(pid) if pid else {"rss_mb": 0, "fds": 0, "threads": 0}
            row = {"t": round(time.time() - start), "points_s": points / args.interval,
                   "w_p50": pct(wl, .5) * 1e3, "w_p99": pct(wl, .99) * 1e3, "q_p50": pct(ql, .5) * 1e3,
                   "q_p99": pct(ql, .99) * 1e3, **st, "errors": len(load.errors)}
            rows.append(row)
            print(f"{row['t']:>6} {row['points_s']:>10.0f} {row['w_p50']:>9.1f} {row['w_p99']:>9.1f} "
                  f"{row['q_p50']:>9.1f} {row['q_p99']:>9.1f} {row['rss_mb']:>8.1f} {row['fds']:>5} "
                  f"{row['threads']:>4} {row['errors']:>6}", flush=True)
    finally:
        load.stop.set()
        for t in threads:
            t.join(120)
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            status = proc.wait()
            print(f"server stopped with status {status}")
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if len(rows) >= 3:
        first, last = rows[1], rows[-1]  # rows[0] is the warm-up
        print(json.dumps({"rss_growth_pct": round(100 * (last["rss_mb"] / max(first["rss_mb"], 1) - 1), 1),
                          "fds_growth": last["fds"] - first["fds"],
                          "threads_growth": last["threads"] - first["threads"]}))
    for e in load.errors[:10]:
        print("error:", e)
    return 1 if load.errors else 0


if __name__ == "__main__":
    sys.exit(main())
