"""Records InfluxDB 1.6.7's answers to the InfluxQL SELECT queries of tests/select_queries.py over a
seeded dataset into ``tests/fixtures/select.json``; tests/test_select.py replays it against influxlite.

    python tests/record_select.py

The dataset (``random.Random(SEED)``, fixed times around 2023-11-14T22:00:00Z, nothing relative to
now()) is built as line protocol here and written over HTTP ``/write`` in several requests with mixed
precisions. The fixture keeps every step in the order it ran:

* ``setup``: statements before the writes (``db2``; ``autogen`` of ``db`` with 1d shard groups, so the
  data lands in six shards; a second retention policy ``rp1d``: 1d shard groups, duration INF, since a
  1d duration would drop every 2023 point at write time);
* ``writes``: ``{"params": {db, rp?, precision?}, "body": lp}``, including overwrites (same series and
  time, other values, in later requests; one of them writes only some of the fields);
* ``after_writes``: a DELETE with a tag and a time range, a DELETE with a time range only, a DROP SERIES;
* ``queries``: ``{id, category, q, db, method, params, status, body}``, ``body`` the parsed JSON; ``v18``
  where InfluxDB 1.8 answers otherwise (``V18``); ``unordered_series`` where 1.6.7's series order changed
  between askings (then ``body`` has them sorted by name and tags, the order of every other GROUP BY).

Both sides start with database ``db`` and retention policy ``short`` (Influxd and the test Server
create them). Every query is asked three times; an answer that changes otherwise than in series order is
left out (listed on stderr) since nothing could match it.
"""

from __future__ import annotations

import http.client
import json
import pathlib
import random
import shutil
import sys
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from record_http_fixtures import Influxd  # noqa: E402
from select_queries import queries  # noqa: E402

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "select.json"
SEED = 20231114
T0 = 1699992000  # 2023-11-14T20:00:00Z; the dense window is T0 .. T0 + 6h (crosses midnight)
HOURS = 6
HOSTS = [f"server{i:02d}" for i in range(1, 9)]
REGIONS = ["us-west", "us-east", "eu-central"]

SETUP = [
    "CREATE DATABASE db2",
    "ALTER RETENTION POLICY autogen ON db SHARD DURATION 1d",
    "CREATE RETENTION POLICY rp1d ON db DURATION INF REPLICATION 1 SHARD DURATION 1d",
]
AFTER_WRITES = [
    "DELETE FROM cpu WHERE host = 'server03' AND time >= '2023-11-14T23:00:00Z' AND time < '2023-11-14T23:30:00Z'",
    "DELETE FROM mem WHERE time < '2023-11-14T20:10:00Z'",
    "DROP SERIES FROM disk WHERE host = 'server03' AND path = '/var'",
]


def _f(x: float) -> str:
    return repr(round(x, 3))


def cpu_lines(rng: random.Random) -> list[tuple[int, str]]:
    """One point a minute per host (odd hosts 30s later), about 4% missing; server08 has no region,
    server01 also has a few points without region (another series)."""
    out = []
    n = {h: rng.randrange(0, 1000) for h in HOSTS}
    for i, host in enumerate(HOSTS):
        offset = 30 if i % 2 else 0
        for k in range(HOURS * 60):
            t = T0 + k * 60 + offset
            n[host] += rng.randrange(0, 50)
            if rng.random() < 0.04:
                continue
            if rng.random() < 0.01:
                n[host] = rng.randrange(0, 20)  # a counter reset
            user = rng.uniform(0, 80)
            system = rng.uniform(0, 100 - user)
            tags = f"host={host}"
            if host != "server08" and not (host == "server01" and k % 45 == 7):
                tags += f",region={REGIONS[i % 3]}"
            out.append((t, f"cpu,{tags} usage_user={_f(user)},usage_system={_f(system)},"
                           f"usage_idle={_f(100 - user - system)},n={n[host]}i"))
    return out


def mem_lines(rng: random.Random) -> list[tuple[int, str]]:
    out = []
    for host in HOSTS[:4]:
        for k in range(HOURS * 30):
            t = T0 + k * 120
            status = rng.choice(["ok", "ok", "ok", "warn", "crit"])
            free = rng.randrange(-5, 16 * 2**30)
            out.append((t * 1000, f'mem,host={host} free={free}i,used={_f(rng.uniform(1, 64))},'
                                  f'status="{status}",ok={"true" if status == "ok" else "false"}'))
    return out


def disk_lines(rng: random.Random) -> list[tuple[int, str]]:
    out = []
    for host in HOSTS[:3]:
        for path in ("/", "/var"):
            for k in range(HOURS * 6):
                t = T0 + k * 600
                out.append((t * 10**9, f"disk,host={host},path={path} used={_f(rng.uniform(0, 1))},"
                                       f"inodes={rng.randrange(0, 10**6)}i"))
    return out


def weather_lines(rng: random.Random) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Sparse: hourly from 2023-11-12 to 2023-11-17 with whole days and single hours missing; its
    string field ``host`` has the name of cpu's tag. Returns (precision h lines, precision m lines)."""
    hours, minutes = [], []
    start = 1699747200 // 3600  # 2023-11-12T00:00:00Z
    for h in range(start, start + 5 * 24):
        if (h - start) // 24 == 2 and (h - start) % 24 < 20:  # 2023-11-14: only 20:00-23:00
            continue
        for station in ("s1", "s2"):
            if rng.random() < 0.3:
                continue
            line = f"weather,station={station} temp={_f(rng.uniform(-5, 20))},host=\"{rng.choice(HOSTS)}\""
            if rng.random() < 0.5:
                hours.append((h, line))
            else:
                minutes.append((h * 60 + rng.randrange(0, 60), line))
    return hours, minutes


def body(lines: list[tuple[int, str]]) -> str:
    return "".join(f"{line} {t}\n" for t, line in lines)


def build_writes(seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    cpu = cpu_lines(rng)
    mem, disk = mem_lines(rng), disk_lines(rng)
    w_h, w_m = weather_lines(rng)
    writes = []
    for part in range(4):  # cpu in four requests
        chunk = cpu[part::4]
        writes.append({"params": {"db": "db", "precision": "s"}, "body": body(sorted(chunk))})
    writes.append({"params": {"db": "db", "precision": "ms"}, "body": body(mem)})
    writes.append({"params": {"db": "db"}, "body": body(disk)})
    writes.append({"params": {"db": "db", "precision": "h"}, "body": body(w_h)})
    writes.append({"params": {"db": "db", "precision": "m"}, "body": body(w_m)})
    rp = [((T0 + k * 300) * 10**6, f"cpu,host=server01 usage_user={_f(rng.uniform(0, 100))},n={k}i")
          for k in range(HOURS * 12)]
    writes.append({"params": {"db": "db", "rp": "rp1d", "precision": "u"}, "body": body(rp)})
    m = [((T0 + k * 600) * 10**9, f"m,host={HOSTS[k % 2]} value={_f(rng.uniform(0, 10))}") for k in range(36)]
    writes.append({"params": {"db": "db2"}, "body": body(m)})
    # Overwrites: server02 21:00-21:10 only usage_user (the other fields stay), 21:10-21:15 every field.
    over = [(T0 + 3600 + k * 60 + 30, f"cpu,host=server02,region=us-east usage_user={_f(rng.uniform(80, 90))}")
            for k in range(10)]
    over += [(T0 + 4200 + k * 60 + 30, f"cpu,host=server02,region=us-east usage_user=1.5,usage_system=2.5,"
                                       f"usage_idle=96,n={k}i") for k in range(5)]
    writes.append({"params": {"db": "db", "precision": "s"}, "body": body(over)})
    # The same point twice in one request: the later one wins.
    twice = [(T0 + 7200, "cpu,host=server04,region=us-west usage_user=11.5"),
             (T0 + 7200, "cpu,host=server04,region=us-west usage_user=22.5")]
    writes.append({"params": {"db": "db", "precision": "s"}, "body": body(twice)})
    return writes


def sort_series(body):
    """The body with each result's series sorted by name and tags (the order of every other GROUP BY)."""
    out = json.loads(json.dumps(body))
    for result in (out or {}).get("results", []):
        if "series" in result:
            result["series"].sort(key=lambda row: (row.get("name", ""), sorted(row.get("tags", {}).items())))
    return out


def _abs_int(body: dict) -> dict:
    """1.8's abs() of the integer columns (1.6.7 returns them unchanged)."""
    out = json.loads(json.dumps(body))
    for result in out["results"]:
        for row in result.get("series", []):
            row["values"] = [[v[0]] + [abs(x) if isinstance(x, int) else x for x in v[1:]] for v in row["values"]]
    return out


# Where InfluxDB 1.8 answers otherwise than the recorded 1.6.7, what it answers (influxlite follows 1.8):
# the case keeps 1.6.7's answer and gets ``"v18": {"why", "status", "body"}``.
V18 = {"abs_int": ("1.6.7 returns abs() of an integer unchanged; 1.8's query/math.go takes its absolute value",
                   _abs_int)}


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, params: dict, form: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        url = path + ("?" + urllib.parse.urlencode(params) if params else "")
        if form is not None:
            conn.request(method, url, body=urllib.parse.urlencode(form),
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        else:
            conn.request(method, url)
        resp = conn.getresponse()
        data = resp.read().decode()
        conn.close()
        return resp.status, data

    def query(self, q: str, db: str = "", method: str = "GET", params: dict | None = None) -> tuple[int, object]:
        p = dict(params or {})
        if db:
            p["db"] = db
        if method == "POST":
            status, data = self.request("POST", "/query", p, {"q": q})
        else:
            status, data = self.request("GET", "/query", dict(p, q=q))
        return status, json.loads(data) if data else None

    def write(self, params: dict, lp: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request("POST", "/write?" + urllib.parse.urlencode(params), body=lp.encode())
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if resp.status != 204:
            raise RuntimeError(f"write {params} answered {resp.status}: {data[:300]!r}")
        return resp.status


def record(client: Client, writes: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    setup, after = [], []
    for q in SETUP:
        status, out = client.query(q, method="POST")
        assert status == 200 and "error" not in out["results"][0], (q, out)
        setup.append({"q": q, "db": "", "status": status, "body": out})
    for w in writes:
        client.write(w["params"], w["body"])
    for q in AFTER_WRITES:
        status, out = client.query(q, db="db", method="POST")
        assert status == 200 and "error" not in out["results"][0], (q, out)
        after.append({"q": q, "db": "db", "status": status, "body": out})
    recorded, unstable = [], []
    for case in queries():
        answers = [client.query(case["q"], case["db"], case["method"], case["params"]) for _ in range(3)]
        entry = dict(case, status=answers[0][0], body=answers[0][1])
        if any(a != answers[0] for a in answers[1:]):
            if any(sort_series(a[1]) != sort_series(answers[0][1]) for a in answers[1:]):
                unstable.append(case["id"])
                continue
            # integral() GROUP BY tags: 1.6.7 emits the series in a random order (the same values each time).
            entry["body"], entry["unordered_series"] = sort_series(entry["body"]), True
        elif "integral(" in case["q"] and sort_series(entry["body"]) != entry["body"]:
            entry["body"], entry["unordered_series"] = sort_series(entry["body"]), True  # the same, by chance stable
        if "v18" in case:
            why, rewrite = V18[case["v18"]]
            entry["v18"] = {"why": why, "status": entry["status"], "body": rewrite(entry["body"])}
        recorded.append(entry)
    if unstable:
        print(f"left out {len(unstable)} unstable answers: {unstable}", file=sys.stderr)
    return setup, after, recorded


def dump(fixture: dict) -> str:
    """JSON with one line per list item (a query and its answer, a write), so diffs stay readable."""
    parts = []
    for key, value in fixture.items():
        if isinstance(value, list):
            items = ",\n  ".join(json.dumps(v, ensure_ascii=False) for v in value)
            parts.append(f" {json.dumps(key)}: [\n  {items}\n ]")
        else:
            parts.append(f" {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main() -> int:
    if shutil.which("influxd") is None:
        print("influxd is not installed (apt-get install influxdb)", file=sys.stderr)
        return 1
    writes = build_writes()
    server = Influxd(max_body=64 << 20)
    try:
        version = server.version()
        setup, after, recorded = record(Client(server.port), writes)
    finally:
        server.stop()
    FIXTURE.write_text(dump({"influxdb_version": version, "seed": SEED, "setup": setup, "writes": writes,
                             "after_writes": after, "queries": recorded}))
    print(f"recorded {len(recorded)} answers of InfluxDB {version} in {FIXTURE} "
          f"({sum(w['body'].count(chr(10)) for w in writes)} points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
