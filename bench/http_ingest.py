"""End-to-end HTTP ingest (issue 8): ``influxlite serve`` beside InfluxDB 1.6.7 (``influxd``) and
VictoriaMetrics, one server at a time, the same load generator, the same run.

Workloads (each on a fresh server with a fresh temporary data directory):

* ``steady``: 10,000 series (``cpu,host=h0000..h0999,region=..,cpu=cpu0..cpu9``, three fields),
  bodies of 5,000 lines, 4 keep-alive clients, plain line protocol. Every point is new: each
  body carries its own timestamp, and a 4-digit "cycle" is spliced into every timestamp each time
  a client goes round its pool of bodies (``bytes.join`` of pre-cut segments: C speed, no
  per-line Python work while timed).
* ``gzip``: the same bodies, gzipped once before the timed part (``Content-Encoding: gzip``).
  Compressed bodies cannot be re-stamped cheaply, so after the first pass over the pool the
  points repeat (same series and timestamps: overwrites) -- the write path does the same work.
* ``churn``: every line a new series (the cycle spliced into the ``id`` tag), 5,000 lines a body.

Per server and workload: lines/s, p50/p99 request latency, the server's CPU per line
(utime+stime+cutime+cstime of its pid from /proc/<pid>/stat, before/after the measured window),
peak RSS (VmHWM), plus the load generator's own CPU and the whole machine's busy CPU over the
window (so that other work on the machine shows). Before each server's runs the script takes
``flock /tmp/bench.lock`` (shared with other benchmarks) and waits for the 1-minute load average
to fall below 0.8 (up to 15 minutes; then it measures anyway and says so).

    python bench/http_ingest.py                                  # every server, every workload
    python bench/http_ingest.py --servers influxlite --workloads steady --seconds 10
    python bench/http_ingest.py --json out.json

Durability: influxlite answers 204 once the points are fsynced in its WAL; influxd 1.6.7 fsyncs
its WAL before answering (wal-fsync-delay 0s); VictoriaMetrics answers before the data is on
disk (it buffers and flushes about every second).
"""

from __future__ import annotations

import argparse
import fcntl
import gzip
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from record_http_fixtures import Influxd, free_port, wait_listening  # noqa: E402

LINES_PER_BODY = 5_000
SERIES = 10_000
SERVERS = ("influxlite", "influxd", "victoria-metrics")
WORKLOADS = ("steady", "gzip", "churn")
LOCK = "/tmp/bench.lock"
CLK = os.sysconf("SC_CLK_TCK")


# --- bodies ---------------------------------------------------------------------------------------

def _base_seconds() -> int:
    """A timestamp base in the recent past with its last four digits zero (the cycle goes there),
    so that VictoriaMetrics (1-month retention) keeps every sample."""
    return (int(time.time()) // 10_000 - 1) * 10_000


def steady_segments(client: int, bodies: int, clients: int = 4) -> list[list[bytes]]:
    """``bodies`` bodies for one client, each cut at the 4 cycle digits of every timestamp.
    Body k of client c carries half the 10,000 series at millisecond slot ``k * clients + c``."""
    base = str(_base_seconds())[:-4].encode()  # seconds without their last 4 digits
    out = []
    for k in range(bodies):
        slot = k * clients + client
        half = (slot % 2) * (SERIES // 2)
        ms = b"%03d000000" % (slot // 2 % 1000)  # 3 ms digits + 6 ns digits
        segs = [b""]
        for j in range(LINES_PER_BODY):
            s = half + j
            host, cpu = divmod(s, 10)
            segs[-1] += (b"cpu,host=h%04d,region=r%d,cpu=cpu%d usage_user=%d.5,usage_system=%d.25,usage_idle=%d.125 "
                         % (host, host % 8, cpu, (s * 7 + k) % 100, (s * 3 + k) % 50, (s + k * 11) % 90)) + base
            segs.append(ms + b"\n")
        out.append(segs)
    return out


def churn_segments(client: int, bodies: int, clients: int = 4) -> list[list[bytes]]:
    """Every line a series of its own: ``id=<cycle><client><body><line>``."""
    ts = b"%d000000000" % _base_seconds()
    out = []
    for k in range(bodies):
        segs = [b""]
        for j in range(LINES_PER_BODY):
            segs[-1] += b"churn,id=n"
            segs.append(b"-%d-%03d-%04d,region=r%d value=%di,ratio=0.%d %s\n" % (
                client, k, j, j % 8, j, j % 97, ts))
        out.append(segs)
    return out


def cycle_digits(cycle: int) -> bytes:
    return b"%04d" % (cycle % 10_000)


# --- servers --------------------------------------------------------------------------------------

class Server:
    pid: int
    port: int

    def stop(self) -> None:
        raise NotImplementedError


class Influxlite(Server):
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="influxlite-ingest-")
        self.port = free_port()
        env = dict(os.environ, INFLUXLITE_HTTP_LOG_ENABLED="false", INFLUXLITE_DATA_MAX_SERIES_PER_DATABASE="0",
                   INFLUXLITE_DATA_MAX_VALUES_PER_TAG="0", INFLUXLITE_CONTINUOUS_QUERIES_LOG_ENABLED="false")
        cmd = os.environ.get("INGEST_INFLUXLITE_CMD")  # e.g. a profiling wrapper
        argv = (cmd.split() if cmd else [sys.executable, "-m", "influxlite", "serve"]) + [
            "--bind", f"127.0.0.1:{self.port}", "--data-dir", self.dir]
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid
        wait_listening(self.port, self.proc, "influxlite")
        query(self.port, "CREATE DATABASE db")

    def stop(self) -> None:
        # A clean stop compacts every shard fully (millions of churned series take minutes).
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class InfluxdServer(Server):
    def __init__(self) -> None:
        self.inner = Influxd(max_body=100_000_000, env={"INFLUXDB_DATA_MAX_SERIES_PER_DATABASE": "0",
                                                        "INFLUXDB_DATA_MAX_VALUES_PER_TAG": "0"})
        self.port, self.pid = self.inner.port, self.inner.proc.pid

    def stop(self) -> None:
        self.inner.stop()


class Victoria(Server):
    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="vm-ingest-")
        self.port = free_port()
        self.proc = subprocess.Popen([shutil.which("victoria-metrics") or "victoria-metrics",
                                      f"-storageDataPath={self.dir}", f"-httpListenAddr=127.0.0.1:{self.port}",
                                      "-loggerLevel=ERROR"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.pid = self.proc.pid
        wait_listening(self.port, self.proc, "victoria-metrics")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)


START = {"influxlite": Influxlite, "influxd": InfluxdServer, "victoria-metrics": Victoria}


def query(port: int, q: str) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/query?" + urllib.parse.urlencode({"q": q}))
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"{q}: {resp.status}")


def proc_cpu(pid: int) -> float:
    """utime+stime+cutime+cstime of ``pid`` in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / CLK


def vm_hwm(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return (sum(vals[:8]) - idle) / CLK, sum(vals[:8]) / CLK


def loadavg() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


# --- the load generator ---------------------------------------------------------------------------

class Client(threading.Thread):
    """One keep-alive connection posting its pool of bodies round and round. Each request's
    (start, end, lines) is recorded; the body is built before the clock starts."""

    def __init__(self, port: int, path: str, pool, gzipped: bool, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.pool, self.gzipped, self.stop_ev = port, pool, gzipped, stop
        self.head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Content-Type: text/plain; charset=utf-8\r\n"
                     + ("Content-Encoding: gzip\r\n" if gzipped else "") + "Content-Length: ").encode()
        self.records: list[tuple[float, float, int]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            self.error = e

    def _run(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=120)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        cycle = 0
        clock = time.perf_counter
        while not self.stop_ev.is_set():
            digits = cycle_digits(cycle)
            for body in self.pool:
                if self.stop_ev.is_set():
                    break
                data = body if self.gzipped else digits.join(body)
                head = self.head + b"%d\r\n\r\n" % len(data)
                t0 = clock()
                sock.sendmsg([head, data])
                status, buf = _read_response(sock, buf)
                self.records.append((t0, clock(), LINES_PER_BODY))
                if status // 100 != 2:
                    raise RuntimeError(f"status {status}")
            cycle += 1
        sock.close()


def _read_response(sock: socket.socket, buf: bytes) -> tuple[int, bytes]:
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("chunked responses are not expected")
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        rest += chunk
    if status // 100 != 2:
        print(f"  error answer {status}: {rest[:300]!r}", file=sys.stderr)
    return status, rest[length:]


def make_pools(workload: str, clients: int, bodies: int):
    make = churn_segments if workload == "churn" else steady_segments
    pools = [make(c, bodies, clients) for c in range(clients)]
    if workload == "gzip":
        pools = [[gzip.compress(cycle_digits(0).join(segs), 6) for segs in pool] for pool in pools]
    return pools


def measure(server: str, workload: str, pools, args) -> dict:
    srv = START[server]()
    try:
        path = "/write?db=db"
        stop = threading.Event()
        clients = [Client(srv.port, path, pool, workload == "gzip", stop) for pool in pools]
        for c in clients:
            c.start()
        time.sleep(args.warmup)
        load = loadavg()
        t0, cpu0, me0, mach0 = time.perf_counter(), proc_cpu(srv.pid), time.process_time(), machine_busy()
        time.sleep(args.seconds)
        t1, cpu1, me1, mach1 = time.perf_counter(), proc_cpu(srv.pid), time.process_time(), machine_busy()
        stop.set()
        for c in clients:
            c.join(timeout=120)
        hwm = vm_hwm(srv.pid)
        for c in clients:
            if c.error is not None:
                raise RuntimeError(f"{server} {workload}: {c.error!r}") from c.error
        lat = sorted(e - s for c in clients for s, e, _ in c.records if t0 <= e <= t1)
        lines = sum(n for c in clients for s, e, n in c.records if t0 <= e <= t1)
        elapsed = t1 - t0
        cpu = cpu1 - cpu0
        return {
            "server": server, "workload": workload, "seconds": round(elapsed, 2), "requests": len(lat),
            "lines_per_s": round(lines / elapsed), "p50_ms": round(_pct(lat, 50) * 1e3, 2),
            "p99_ms": round(_pct(lat, 99) * 1e3, 2), "max_ms": round(lat[-1] * 1e3, 2) if lat else None,
            "cpu_us_per_line": round(cpu / lines * 1e6, 3) if lines else None,
            "server_cpu_cores": round(cpu / elapsed, 2), "peak_rss_mb": round(hwm / 2**20, 1),
            "loadgen_cpu_cores": round((me1 - me0) / elapsed, 2),
            "machine_busy_cores": round((mach1[0] - mach0[0]) / elapsed, 2), "loadavg_1m_at_start": load,
        }
    finally:
        srv.stop()


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def wait_quiet(limit: float, timeout: float) -> float:
    """Polls the 1-minute load average until below ``limit`` (or ``timeout`` s); returns it."""
    deadline = time.monotonic() + timeout
    load = loadavg()
    while load >= limit and time.monotonic() < deadline:
        time.sleep(5)
        load = loadavg()
    return load


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", nargs="+", default=list(SERVERS), choices=SERVERS)
    ap.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--bodies", type=int, default=50, help="bodies per client in its pool (default 50)")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--quiet-load", type=float, default=0.8)
    ap.add_argument("--quiet-timeout", type=float, default=900.0)
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    t = time.perf_counter()
    pools = {w: make_pools(w, args.clients, args.bodies) for w in args.workloads}
    print(f"bodies generated in {time.perf_counter() - t:.1f} s; "
          + ", ".join(f"{w}: {sum(len(b) if isinstance(b, bytes) else sum(map(len, b)) for p in pools[w] for b in p) / 1e6:.0f} MB"
                      for w in args.workloads), file=sys.stderr)
    results = []
    for server in args.servers:
        with open(LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for workload in args.workloads:
                load = wait_quiet(args.quiet_load, args.quiet_timeout)
                r = measure(server, workload, pools[workload], args)
                r["loadavg_1m_after_wait"] = load
                results.append(r)
                print(json.dumps(r), flush=True)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
