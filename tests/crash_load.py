"""Load, faults and checks for tests/test_crash_restart.py.

``Writers``: threads that POST small line-protocol batches to ``/write`` of whichever server is
up, each batch with points nobody else writes, recording which batches got a 204 (acknowledged)
and which may or may not have reached the server (unknown: the connection broke). Batch ``b``
of writer ``w`` writes

* ``crash,k=K,w=W v=<b>i,f=<i>.5 <T(w, b) + i>`` for K < SERIES, i < POINTS (fixed series),
* ``fresh,b=B,w=W v=<b>i <T(w, b)>`` (a new series in every batch),
* ``m_W_B,w=W v=<b>i <T(w, b)>`` when b % 10 == 0 (a new measurement),

with T(w, b) in the week b // NEW_GROUP_EVERY after T0 (a new shard group now and then),

so what is stored tells, point by point, which batch wrote it (``v`` and the time).

``Stored``: what a server answers over /query (``state_over_http``) or what the engine read
API holds (``state_from_engine``), reduced to the points per batch and the index's series.
``check``: every acknowledged batch whole, every other batch whole or absent, the index holding
every series that has points and beyond that only series of batches never acknowledged.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

from record_http_fixtures import free_port

T0 = 1_699_488_000 * 10**9  # the start of a 7-day shard group (autogen's)
WEEK = 7 * 86400 * 10**9
NEW_GROUP_EVERY = 16  # batches: then a writer's batches move on to the next shard group
SERIES = 3
POINTS = 4
WRITERS = 3
BROKEN = (ConnectionError, http.client.HTTPException, TimeoutError, OSError)


def batch_time(w: int, b: int) -> int:
    """Every batch lands in one shard; the writers move on to a new shard group (a new shard,
    a change to the meta store) every NEW_GROUP_EVERY batches."""
    return T0 + (b // NEW_GROUP_EVERY) * WEEK + (w * 1_000_000 + b) * 1000


def batch_body(w: int, b: int) -> bytes:
    t = batch_time(w, b)
    lines = [b"crash,k=%d,w=%d v=%di,f=%d.5 %d" % (k, w, b, i, t + i) for k in range(SERIES) for i in range(POINTS)]
    lines.append(b"fresh,b=%d,w=%d v=%di %d" % (b, w, b, t))
    if b % 10 == 0:
        lines.append(b"m_%d_%d,w=%d v=%di %d" % (w, b, w, b, t))
    return b"\n".join(lines) + b"\n"


def batch_points(w: int, b: int) -> set[tuple]:
    """(series key, time, v, f) of every point of the batch (f None where not written)."""
    t = batch_time(w, b)
    out = {(f"crash,k={k},w={w}", t + i, b, i + 0.5) for k in range(SERIES) for i in range(POINTS)}
    out.add((f"fresh,b={b},w={w}", t, b, None))
    if b % 10 == 0:
        out.add((f"m_{w}_{b},w={w}", t, b, None))
    return out


def batch_of(point: tuple) -> tuple[int, int]:
    """The (writer, batch) a stored point belongs to, from its time."""
    n = (point[1] - T0) % WEEK // 1000
    return n // 1_000_000, n % 1_000_000


class Target:
    """The server the writers send to: its port while it is up."""

    def __init__(self) -> None:
        self.up = threading.Event()
        self.port = 0

    def serve(self, port: int) -> None:
        self.port = port
        self.up.set()


@dataclass
class WriterLog:
    acked: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    refused: list[tuple[int, int, str]] = field(default_factory=list)  # (batch, status, body): clean errors
    unexpected: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # the exception that left a batch unknown


class Writers:
    """``WRITERS`` threads writing batches to ``target`` until ``stop()``. ``clean_errors``:
    statuses that count as a clean refusal (the batch then is unknown too); any other status
    is unexpected. Exceptions in a thread are collected in ``errors``."""

    def __init__(self, target: Target, clean_errors: tuple[int, ...] = ()) -> None:
        self.target = target
        self.clean_errors = clean_errors
        self.logs = [WriterLog() for _ in range(WRITERS)]
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(WRITERS)]
        self._acks = threading.Semaphore(0)

    def start(self) -> Writers:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.target.up.set()  # wakes writers waiting for a server; they see the stop and leave
        for t in self._threads:
            t.join()

    def wait_acks(self, n: int, alive=lambda: True) -> None:
        """Returns once ``n`` more batches were acknowledged (or a writer thread failed, or
        ``alive()`` turned false)."""
        for _ in range(n):
            while not self._acks.acquire(timeout=0.05):
                if self.errors or not any(t.is_alive() for t in self._threads) or not alive():
                    return

    def _run(self, w: int) -> None:
        try:
            self._loop(w)
        except BaseException as e:  # noqa: BLE001 - the test asserts this list is empty
            self.errors.append(e)

    def _loop(self, w: int) -> None:
        log, b, conn, port = self.logs[w], 0, None, 0
        while not self._stop.is_set():
            self.target.up.wait()
            if self._stop.is_set():
                break
            if conn is None or port != self.target.port:
                if conn is not None:
                    conn.close()
                port = self.target.port
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                conn.request("POST", "/write?db=db", body=batch_body(w, b))
                resp = conn.getresponse()
                body = resp.read().decode("utf-8", "replace")
            except ConnectionRefusedError:
                conn.close()  # nothing was sent: the same batch goes again once a server listens
                conn = None
                time.sleep(0.01)
                continue
            except BROKEN as e:
                conn.close()
                conn = None
                log.unknown.append(b)
                log.broken.append(type(e).__name__)
                time.sleep(0.01)
            else:
                if resp.status == 204:
                    log.acked.append(b)
                    self._acks.release()
                elif resp.status in self.clean_errors and "error" in json.loads(body or "{}"):
                    log.refused.append((b, resp.status, body))
                    log.unknown.append(b)
                else:
                    log.unexpected.append(f"writer {w} batch {b}: {resp.status} {body!r}")
                    log.unknown.append(b)
                if resp.will_close:
                    conn.close()
                    conn = None
            b += 1
        if conn is not None:
            conn.close()


# --- starting and killing servers ---------------------------------------------------------------

def spawn(data_dir, impl: str, env: dict, log=subprocess.DEVNULL, *, crash_at: int = 0,
          crash_after: bool = False, crash_ops: str = "") -> tuple[subprocess.Popen, int]:
    """``influxlite serve`` as tests/test_http_write.py's Server starts it, without waiting for
    it to listen (to kill it while it opens the data directory); with ``crash_at`` through
    tests/crash_at.py, which kills it at its ``crash_at``-th file operation. Returns the
    process and its port."""
    from test_http_write import PACKAGE_ROOT

    full_env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    full_env.pop("INFLUXLITE_PURE", None)
    if impl == "pure":
        full_env["INFLUXLITE_PURE"] = "1"
    full_env.update(env)
    main = ["-m", "influxlite"]
    if crash_at:
        full_env.update(CRASH_AT=str(crash_at), CRASH_WHEN="after" if crash_after else "before", CRASH_OPS=crash_ops)
        main = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "crash_at.py")]
    port = free_port()
    proc = subprocess.Popen([sys.executable, *main, "serve", "--bind", f"127.0.0.1:{port}",
                             "--data-dir", str(data_dir)], env=full_env, stdout=log, stderr=subprocess.STDOUT)
    return proc, port


def serving(proc: subprocess.Popen, port: int) -> bool:
    """Waits until the server answers /ping (True) or has exited (False)."""
    while proc.poll() is None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/ping")
            ok = conn.getresponse().status == 204
            conn.close()
            if ok:
                return True
        except BROKEN:
            pass
        time.sleep(0.01)
    return False


def port_taken(output: str) -> bool:
    """The server could not listen: the free port it was given was taken meanwhile."""
    return "cannot listen on" in output and "Address already in use" in output


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()


# --- what is stored -------------------------------------------------------------------------------

@dataclass
class Stored:
    points: set[tuple]  # (series key, time, v, f)
    series: set[str]  # SHOW SERIES (or the index's keys)
    measurements: set[str] = field(default_factory=set)
    fresh_b_values: set[str] = field(default_factory=set)  # SHOW TAG VALUES FROM fresh WITH KEY = "b"


def query(port: int, q: str) -> list[dict]:
    """The series of the one statement's result; a statement error raises."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", "/query?" + urllib.parse.urlencode({"db": "db", "q": q}))
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 200, (q, resp.status, body)
    result = json.loads(body)["results"][0]
    assert "error" not in result, (q, result)
    return result.get("series", [])


def rfc3339_ns(s: str) -> int:
    """'2023-11-14T22:13:20.000001234Z' -> ns since the epoch."""
    head, _, frac = s.rstrip("Z").partition(".")
    dt = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp()) * 10**9 + int((frac or "0").ljust(9, "0"))


def series_key(name: str, tags: dict) -> str:
    return ",".join([name] + [f"{k}={v}" for k, v in sorted(tags.items()) if v != ""])


def state_over_http(port: int) -> tuple[Stored, dict[str, tuple[int, int]]]:
    """What the server answers, and SELECT count(v), count(f) per series (for the cross-check)."""
    points = set()
    for s in query(port, 'SELECT v, f FROM crash, fresh, /^m_/ GROUP BY *'):
        cols = s["columns"]
        for row in s["values"]:
            r = dict(zip(cols, row))
            points.add((series_key(s["name"], s.get("tags", {})), rfc3339_ns(r["time"]), r["v"], r.get("f")))
    counts = {}
    for s in query(port, 'SELECT count(v), count(f) FROM crash, fresh, /^m_/ GROUP BY *'):
        (row,) = s["values"]
        counts[series_key(s["name"], s.get("tags", {}))] = (row[1], row[2] or 0)
    series = {row[0] for s in query(port, "SHOW SERIES") for row in s["values"]}
    measurements = {row[0] for s in query(port, "SHOW MEASUREMENTS") for row in s["values"]}
    b_values = {row[1] for s in query(port, 'SHOW TAG VALUES FROM fresh WITH KEY = "b"') for row in s["values"]}
    return Stored(points, series, measurements, b_values), counts


def state_from_engine(data_dir) -> Stored:
    """The points and series keys as the engine read API and the series file hold them."""
    from influxlite.engine import Engine
    from influxlite.serieskey import parse_series_key

    def key(sf, sid) -> str:
        name, tags = parse_series_key(sf.series_key(sid))
        return series_key(name.decode(), {k.decode(): v.decode() for k, v in tags})

    points, series = set(), set()
    with Engine(data_dir, retention_check_interval=0, cache_snapshot_write_cold_duration=0) as engine:
        sf = engine.series_file("db")
        shards = engine.shards_for("db", None, T0, T0 + 1000 * WEEK)
        measurements = {m.decode() for s in shards for m in s.measurement_names()}
        for m in measurements:
            t = engine.read("db", m)
            if not t.num_rows:
                continue
            cols = {c: t.column(c).to_pylist() for c in ("series_id", "v", "f") if c in t.column_names}
            times = t.column("time").cast("int64").to_pylist()
            for i, tm in enumerate(times):
                f = cols["f"][i] if "f" in cols else None
                points.add((key(sf, cols["series_id"][i]), tm, cols["v"][i], f))
        for shard in shards:
            for sid in shard.index.series_id_set():
                series.add(key(sf, sid))
    return Stored(points, series, measurements)


# --- the checks -------------------------------------------------------------------------------------

def check(logs: list[WriterLog], stored: Stored) -> dict[str, int]:
    """Asserts the rules (see the module doc) and returns counts for the report."""
    present: dict[tuple[int, int], set] = {}
    for p in stored.points:
        present.setdefault(batch_of(p), set()).add(p)
    acked = {(w, b) for w, log in enumerate(logs) for b in log.acked}
    unknown = {(w, b) for w, log in enumerate(logs) for b in log.unknown}
    assert set(present) <= acked | unknown, f"points of batches never sent: {sorted(set(present) - acked - unknown)[:5]}"
    lost = sorted(wb for wb in acked if present.get(wb) != batch_points(*wb))
    assert not lost, f"{len(lost)} acknowledged batches not whole, first {lost[:3]}: " + \
        str([sorted(batch_points(*wb) - present.get(wb, set()))[:3] for wb in lost[:3]])
    torn = sorted(wb for wb in unknown if wb in present and present[wb] != batch_points(*wb))
    assert not torn, f"unacknowledged batches half-written: {[(wb, sorted(present[wb])[:3]) for wb in torn[:3]]}"
    with_points = {p[0] for p in stored.points}
    assert with_points <= stored.series, f"series with points missing from the index: {sorted(with_points - stored.series)[:5]}"
    # InfluxDB's rule (tsdb Shard.WritePoints: series into the index, then the WAL): a series
    # whose points never became durable may stay in the index. Only a batch that was never
    # acknowledged and is absent can have left such series.
    absent_unknown = {k for wb in unknown - set(present) for k in (p[0] for p in batch_points(*wb))}
    orphans = stored.series - with_points
    assert orphans <= absent_unknown, f"index series no batch can explain: {sorted(orphans - absent_unknown)[:5]}"
    if stored.measurements:
        names = {s.split(",")[0] for s in with_points}
        assert names <= stored.measurements
        assert stored.measurements - names <= {s.split(",")[0] for s in absent_unknown}
    return {"acked": len(acked), "unknown": len(unknown), "unknown_present": len(set(present) & unknown),
            "orphan_series": len(orphans), "points": len(stored.points),
            "broken": sorted(Counter(e for log in logs for e in log.broken).items())}


def check_counts(stored: Stored, counts: dict[str, tuple[int, int]]) -> None:
    """SELECT count(v), count(f) GROUP BY * agrees with the raw points, series by series."""
    expected: dict[str, list[int]] = {}
    for key, _, v, f in stored.points:
        c = expected.setdefault(key, [0, 0])
        c[0] += v is not None
        c[1] += f is not None
    assert counts == {k: tuple(c) for k, c in expected.items()}
