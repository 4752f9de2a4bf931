"""TSBS "devops cpu-only" queries: influxlite against InfluxDB 1.6.7, one server at a time, same run.

The dataset is TSBS's cpu-only use case, generated here without TSBS (deterministic seed):
``--hosts`` hosts (default 100) x ``--hours`` hours (24) at 10 s from 2016-01-01T00:00:00Z (TSBS's
default start), measurement ``cpu`` with TSBS's ten tags (hostname, region, datacenter, rack, os,
arch, team, service, service_version, service_environment; TSBS's value sets) and ten float fields
(usage_user ... usage_guest_nice, each a random walk clamped to [0, 100] as TSBS's cpu
measurement is). 100 x 24 h = 864,000 points, sent over HTTP ``/write?precision=s`` in bodies of
5,000 lines to each server.

The queries are TSBS's InfluxQL for devops (cmd/tsbs_generate_queries/databases/influx/devops.go),
text for text: single-groupby-1-1-1, single-groupby-1-8-1, single-groupby-5-1-12, cpu-max-all-8,
double-groupby-1, double-groupby-all, high-cpu-1, lastpoint, groupby-orderby-limit; ``--instances``
per type with random hosts and windows from a seeded ``random.Random``. Every answer of influxlite
is compared with influxd's (JSON parsed, floats with relative tolerance 1e-9); each query is timed
as the median of ``--runs`` fresh HTTP requests after one warm-up, and the server's CPU time
(utime+stime of its process) over those runs is recorded. Each server's timed part holds
``flock /tmp/bench.lock`` and starts only once the 1-minute load average is below 0.8 (waits up to
``--max-wait`` s, then measures anyway and records the load).

    python bench/tsbs_queries.py                        # the full comparison
    python bench/tsbs_queries.py --servers influxlite   # one server only (no comparison)
    python bench/tsbs_queries.py --json out.json        # also the raw figures
"""

from __future__ import annotations

import argparse
import fcntl
import http.client
import json
import math
import os
import pathlib
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from contextlib import contextmanager

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

START = 1451606400  # 2016-01-01T00:00:00Z, TSBS's default --timestamp-start
STEP = 10  # s, TSBS's default --log-interval
DB = "benchmark"
FIELDS = ("usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait", "usage_irq",
          "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice")
REGIONS = {"us-east-1": ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"),
           "us-west-1": ("us-west-1a", "us-west-1b"), "us-west-2": ("us-west-2a", "us-west-2b", "us-west-2c"),
           "eu-west-1": ("eu-west-1a", "eu-west-1b", "eu-west-1c"), "eu-central-1": ("eu-central-1a", "eu-central-1b"),
           "ap-southeast-1": ("ap-southeast-1a", "ap-southeast-1b"),
           "ap-southeast-2": ("ap-southeast-2a", "ap-southeast-2b"),
           "ap-northeast-1": ("ap-northeast-1a", "ap-northeast-1c"),
           "sa-east-1": ("sa-east-1a", "sa-east-1b", "sa-east-1c")}
TEAMS, OSES, ARCHES = ("SF", "NYC", "LON", "CHI"), ("Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"), ("x64", "x86")
ENVS = ("production", "staging", "test")
LINES_PER_BODY = 5000
LOCK = "/tmp/bench.lock"
REL_TOL = 1e-9


# --- the dataset ---------------------------------------------------------------------------------

def host_tags(hosts: int, rng: random.Random) -> list[str]:
    """The tag set of each host, as TSBS's NewHostCPUOnly draws them (keys in sorted order)."""
    out = []
    for i in range(hosts):
        region = rng.choice(sorted(REGIONS))
        tags = {"hostname": f"host_{i}", "region": region, "datacenter": rng.choice(REGIONS[region]),
                "rack": str(rng.randrange(100)), "arch": rng.choice(ARCHES), "os": rng.choice(OSES),
                "service": str(rng.randrange(20)), "service_version": str(rng.randrange(2)),
                "service_environment": rng.choice(ENVS), "team": rng.choice(TEAMS)}
        out.append("cpu," + ",".join(f"{k}={v}" for k, v in sorted(tags.items())))
    return out


def generate(path: pathlib.Path, hosts: int, hours: int, seed: int) -> int:
    """Writes the line-protocol file (time-major, as TSBS emits it); returns the point count."""
    rng = random.Random(seed)
    prefixes = host_tags(hosts, rng)
    steps = hours * 3600 // STEP
    # TSBS: each field a ClampedRandomWalk in [0, 100] with normal steps, started uniformly.
    walk = [[rng.uniform(0, 100) for _ in FIELDS] for _ in range(hosts)]
    gauss = rng.gauss
    with open(path, "w") as f:
        for s in range(steps):
            ts = START + s * STEP
            lines = []
            for h in range(hosts):
                w = walk[h]
                lines.append(f"{prefixes[h]} " + ",".join(f"{k}={round(v, 6)!r}" for k, v in zip(FIELDS, w))
                             + f" {ts}\n")
                walk[h] = [min(100.0, max(0.0, v + gauss(0, 1))) for v in w]
            f.write("".join(lines))
    return steps * hosts


def bodies(path: pathlib.Path):
    with open(path, "rb") as f:
        chunk: list[bytes] = []
        for line in f:
            chunk.append(line)
            if len(chunk) == LINES_PER_BODY:
                yield b"".join(chunk)
                chunk = []
        if chunk:
            yield b"".join(chunk)


# --- the queries (TSBS's InfluxQL, devops.go) ----------------------------------------------------

def _rfc(t: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def queries(hosts: int, hours: int, instances: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed + 1)
    end = START + hours * 3600

    def window(seconds: int) -> tuple[str, str]:  # TSBS's Interval.MustRandWindow
        s = START + rng.randrange(0, end - START - seconds + 1)
        return _rfc(s), _rfc(s + seconds)

    def where_hosts(n: int) -> str:
        return "(" + " or ".join(f"hostname = 'host_{h}'" for h in rng.sample(range(hosts), n)) + ")"

    def group_by_time(n_hosts: int, n_metrics: int, seconds: int) -> str:
        a, b = window(seconds)
        sel = ", ".join(f"max({m})" for m in FIELDS[:n_metrics])
        return f"SELECT {sel} from cpu where {where_hosts(n_hosts)} and time >= '{a}' and time < '{b}' group by time(1m)"

    def max_all(n_hosts: int) -> str:
        a, b = window(8 * 3600)
        sel = ",".join(f"max({m})" for m in FIELDS)
        return f"SELECT {sel} from cpu where {where_hosts(n_hosts)} and time >= '{a}' and time < '{b}' group by time(1m)"

    def double_group_by(n_metrics: int) -> str:
        a, b = window(12 * 3600)
        sel = ", ".join(f"mean({m})" for m in FIELDS[:n_metrics])
        return f"SELECT {sel} from cpu where time >= '{a}' and time < '{b}' group by time(1h),hostname"

    def high_cpu(n_hosts: int) -> str:
        a, b = window(12 * 3600)
        hw = f"and {where_hosts(n_hosts)}" if n_hosts else ""
        return f"SELECT * from cpu where usage_user > 90.0 {hw} and time >= '{a}' and time < '{b}'"

    def orderby_limit() -> str:
        _, b = window(3600)
        return f"SELECT max(usage_user) from cpu WHERE time < '{b}' group by time(1m) limit 5"

    kinds = {"single-groupby-1-1-1": lambda: group_by_time(1, 1, 3600),
             "single-groupby-1-8-1": lambda: group_by_time(8, 1, 3600),
             "single-groupby-5-1-12": lambda: group_by_time(1, 5, 12 * 3600),
             "cpu-max-all-8": lambda: max_all(8),
             "double-groupby-1": lambda: double_group_by(1),
             "double-groupby-all": lambda: double_group_by(len(FIELDS)),
             "high-cpu-1": lambda: high_cpu(1),
             "lastpoint": lambda: 'SELECT * from cpu group by "hostname" order by time desc limit 1',
             "groupby-orderby-limit": orderby_limit}
    out = []
    for kind, make in kinds.items():
        for _ in range(1 if kind == "lastpoint" else instances):
            out.append((kind, make()))
    return out


# --- servers, HTTP, CPU --------------------------------------------------------------------------

class Target:
    """One server: ``name``, ``port``, ``pid`` and ``stop()``."""

    def __init__(self, name: str, workdir: pathlib.Path) -> None:
        self.name = name
        if name == "influxd":
            from record_http_fixtures import Influxd

            self._srv = Influxd(max_body=25_000_000, setup=(f"CREATE DATABASE {DB}",))
            self.pid = self._srv.proc.pid
        else:
            from test_http_write import Server

            data = workdir / "influxlite-data"
            shutil.rmtree(data, ignore_errors=True)  # kept after the run, for profiling
            self._srv = Server(data, "native", prepare=False)
            self.pid = self._srv.proc.pid
            assert post(self._srv.port, "/query", {"q": f"CREATE DATABASE {DB}"})[0] == 200
        self.port = self._srv.port

    def stop(self) -> None:
        self._srv.stop()


def post(port: int, path: str, params: dict, body: bytes | None = None, method: str = "POST") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request(method, path + "?" + urllib.parse.urlencode(params), body=body)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process and its waited-for children, in seconds."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def vm_hwm_kib(pid: int) -> int:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def load1() -> float:
    return float(pathlib.Path("/proc/loadavg").read_text().split()[0])


@contextmanager
def quiet_machine(max_wait: float, log):
    """Holds the shared benchmark lock, then waits (up to ``max_wait`` s) for load1 < 0.8."""
    with open(LOCK, "a") as lock:
        t0 = time.monotonic()
        fcntl.flock(lock, fcntl.LOCK_EX)
        waited_lock = time.monotonic() - t0
        t1 = time.monotonic()
        while load1() >= 0.8 and time.monotonic() - t1 < max_wait:
            time.sleep(5)
        info = {"lock_wait_s": round(waited_lock, 1), "load_wait_s": round(time.monotonic() - t1, 1),
                "load1_at_start": load1()}
        log(f"  lock after {info['lock_wait_s']} s, load {info['load1_at_start']} after {info['load_wait_s']} s")
        try:
            yield info
        finally:
            info["load1_at_end"] = load1()
            fcntl.flock(lock, fcntl.LOCK_UN)


def load(target: Target, path: pathlib.Path, log) -> dict:
    t0 = time.perf_counter()
    n = 0
    for body in bodies(path):
        status, text = post(target.port, "/write", {"db": DB, "precision": "s"}, body)
        if status != 204:
            raise RuntimeError(f"{target.name} write answered {status}: {text[:300]!r}")
        n += body.count(b"\n")
    secs = time.perf_counter() - t0
    log(f"  wrote {n:,} points in {secs:.1f} s ({n / secs:,.0f} points/s)")
    return {"points": n, "seconds": round(secs, 2)}


def measure(target: Target, qs: list[tuple[str, str]], runs: int, log) -> list[dict]:
    out = []
    for kind, q in qs:
        params = {"db": DB, "q": q}
        status, body = post(target.port, "/query", params, method="GET")  # warm-up, and the answer
        times = []
        c0 = cpu_seconds(target.pid)
        for _ in range(runs):
            t0 = time.perf_counter()
            post(target.port, "/query", params, method="GET")
            times.append((time.perf_counter() - t0) * 1000)
        cpu_ms = (cpu_seconds(target.pid) - c0) * 1000 / runs
        out.append({"kind": kind, "q": q, "status": status, "body": body.decode(), "ms": statistics.median(times),
                    "cpu_ms": cpu_ms})
        log(f"  {kind:24s} {statistics.median(times):9.1f} ms  cpu {cpu_ms:8.1f} ms  {len(body):>9,} B")
    return out


# --- comparing answers ---------------------------------------------------------------------------

def first_difference(a, b, where: str = "") -> str | None:
    """None when equal (floats within REL_TOL), else the path and both values."""
    if isinstance(a, bool) or isinstance(b, bool) or not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        if type(a) is not type(b):
            return f"{where}: {a!r} != {b!r}"
        if isinstance(a, dict):
            if list(a) != list(b):
                return f"{where}: keys {list(a)} != {list(b)}"
            for k in a:
                d = first_difference(a[k], b[k], f"{where}.{k}")
                if d:
                    return d
            return None
        if isinstance(a, list):
            if len(a) != len(b):
                return f"{where}: length {len(a)} != {len(b)}"
            for i, (x, y) in enumerate(zip(a, b)):
                d = first_difference(x, y, f"{where}[{i}]")
                if d:
                    return d
            return None
        return None if a == b else f"{where}: {a!r} != {b!r}"
    if a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0):
        return None
    return f"{where}: {a!r} != {b!r}"


# --- the report ----------------------------------------------------------------------------------

def report(results: dict[str, list[dict]], log) -> dict:
    lite, ref = results["influxlite"], results["influxd"]
    rows, diffs, per_kind = [], [], {}
    for a, b in zip(lite, ref):
        d = first_difference(json.loads(b["body"]), json.loads(a["body"])) if a["status"] == b["status"] else \
            f"status {b['status']} != {a['status']}"
        if d:
            diffs.append({"kind": a["kind"], "q": a["q"], "difference (influxd vs influxlite)": d})
        per_kind.setdefault(a["kind"], []).append((b["ms"], a["ms"], b["cpu_ms"], a["cpu_ms"], d is None))
    log("\n| query | n | influxd ms | influxlite ms | speedup | slowest instance ratio | influxd CPU ms | "
        "influxlite CPU ms | answers equal |")
    log("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    ratios = []
    for kind, v in per_kind.items():
        ref_ms, lite_ms = statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)
        ratio = math.exp(statistics.fmean(math.log(x[0] / x[1]) for x in v))
        worst = min(x[0] / x[1] for x in v)
        ratios.append(ratio)
        rows.append({"kind": kind, "instances": len(v), "influxd_ms": ref_ms, "influxlite_ms": lite_ms,
                     "speedup": ratio, "worst_instance_speedup": worst,
                     "influxd_cpu_ms": statistics.median(x[2] for x in v),
                     "influxlite_cpu_ms": statistics.median(x[3] for x in v), "equal": all(x[4] for x in v)})
        r = rows[-1]
        log(f"| {kind} | {len(v)} | {ref_ms:.1f} | {lite_ms:.1f} | {ratio:.2f}x | {worst:.2f}x | "
            f"{r['influxd_cpu_ms']:.1f} | {r['influxlite_cpu_ms']:.1f} | {'yes' if r['equal'] else 'NO'} |")
    geo = math.exp(statistics.fmean(math.log(r) for r in ratios))
    log(f"\ngeometric mean speedup (over query types): {geo:.2f}x; slowest type {min(ratios):.2f}x; "
        f"answers differing: {len(diffs)} of {len(lite)}")
    for d in diffs:
        log(f"  DIFF {d['kind']}: {d['q']}\n       {d['difference (influxd vs influxlite)']}")
    return {"rows": rows, "geomean": geo, "differences": diffs}


# --- the big scan: peak RSS against the data size ------------------------------------------------

SCAN_QUERIES = ("SELECT count(usage_user) FROM cpu", "SELECT mean(usage_user) FROM cpu GROUP BY time(1h)")


def write_in_process(data: pathlib.Path, points: int, hosts: int, log) -> None:
    """``points`` points of ``cpu,hostname=host_<i> usage_user=..,usage_system=..`` (10 s apart per
    host, from START) through ``Engine.write_points`` in batches of 50,000; closing the engine
    compacts every shard into Parquet."""
    from influxlite import parse_points
    from influxlite.engine import Engine

    values = [f"{(i * 7919 % 10007) / 100.07!r}" for i in range(1009)]
    prefixes = [f"cpu,hostname=host_{h} usage_user=" for h in range(hosts)]
    t0 = time.perf_counter()
    with Engine(data, retention_check_interval=0) as engine:
        engine.meta.create_database(DB)
        steps_per_batch = 50_000 // hosts
        for s0 in range(0, points // hosts, steps_per_batch):
            lines = []
            for s in range(s0, min(s0 + steps_per_batch, points // hosts)):
                ts = f" {START + s * STEP}"
                for h in range(hosts):
                    v = values[(s * 31 + h) % 1009]
                    lines.append(f"{prefixes[h]}{v},usage_system={values[(s + h * 17) % 1009]}{ts}")
            engine.write_points(DB, None, parse_points("\n".join(lines).encode(), "s"))
    log(f"  wrote {points:,} points in-process in {time.perf_counter() - t0:.1f} s")


def scan_rss(sizes: list[int], hosts: int, work: pathlib.Path, max_wait: float, log) -> list[dict]:
    from test_http_write import Server

    out = []
    for points in sizes:
        data = work / f"scan-{points}"
        shutil.rmtree(data, ignore_errors=True)
        log(f"scan over {points:,} points:")
        write_in_process(data, points, hosts, log)
        srv = Server(data, "native", prepare=False)
        try:
            row = {"points": points, "days": round(points / hosts * STEP / 86400, 1),
                   "parquet_mb": round(sum(f.stat().st_size for f in data.rglob("*.parquet")) / 1e6, 1),
                   "rss_idle_kib": vm_hwm_kib(srv.proc.pid)}
            with quiet_machine(max_wait, log) as info:
                for q in SCAN_QUERIES:
                    t0 = time.perf_counter()
                    status, body = post(srv.port, "/query", {"db": DB, "q": q}, method="GET")
                    secs = time.perf_counter() - t0
                    if status != 200 or b'"error"' in body:
                        raise RuntimeError(f"{q}: {status} {body[:300]!r}")
                    row[q] = {"s": round(secs, 2), "points_per_s": round(points / secs), "answer": body[:120].decode()}
                    log(f"  {q}: {secs:.2f} s ({points / secs:,.0f} points/s), VmHWM {vm_hwm_kib(srv.proc.pid):,} KiB")
            row.update(info, vm_hwm_kib=vm_hwm_kib(srv.proc.pid))
        finally:
            srv.stop()
        shutil.rmtree(data, ignore_errors=True)
        out.append(row)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--seed", type=int, default=123)
    ap.add_argument("--instances", type=int, default=4, help="queries per type (lastpoint: 1)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per query, after one warm-up")
    ap.add_argument("--servers", default="influxd,influxlite")
    ap.add_argument("--max-wait", type=float, default=900.0, help="seconds to wait for load1 < 0.8")
    ap.add_argument("--only", default="", help="comma-separated query types")
    ap.add_argument("--json", type=pathlib.Path)
    ap.add_argument("--workdir", type=pathlib.Path)
    ap.add_argument("--scan-rss", default="", help="instead: comma-separated point counts for the big scan")
    args = ap.parse_args(argv)
    log = lambda s: print(s, flush=True)  # noqa: E731
    if args.scan_rss:
        work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="tsbs-"))
        rows = scan_rss([int(x) for x in args.scan_rss.split(",")], args.hosts, work, args.max_wait, log)
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return 0

    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="tsbs-"))
    work.mkdir(parents=True, exist_ok=True)
    lp = work / f"cpu-{args.hosts}x{args.hours}h-{args.seed}.lp"
    if not lp.exists():
        t0 = time.perf_counter()
        n = generate(lp, args.hosts, args.hours, args.seed)
        log(f"generated {n:,} points ({lp.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s: {lp}")
    qs = queries(args.hosts, args.hours, args.instances, args.seed)
    if args.only:
        qs = [q for q in qs if q[0] in args.only.split(",")]
    results, meta = {}, {}
    for name in args.servers.split(","):
        log(f"{name}:")
        target = Target(name, work)
        try:
            meta[name] = {"write": load(target, lp, log)}
            with quiet_machine(args.max_wait, log) as info:
                results[name] = measure(target, qs, args.runs, log)
            meta[name].update(info, vm_hwm_kib=vm_hwm_kib(target.pid))
        finally:
            target.stop()
    summary = report(results, log) if len(results) == 2 else None
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "summary": summary,
                                         "results": {k: [{x: y for x, y in r.items() if x != "body"} for r in v]
                                                     for k, v in results.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
