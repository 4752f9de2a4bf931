"""Crash and restart under load (issue 10 item 1).

A real ``influxlite serve`` takes concurrent writes from three threads (tests/crash_load.py)
while it is killed with SIGKILL at random moments, again and again, and restarted on the same
data directory each time: some kills land while it opens the data directory, some while it
stops after a SIGTERM (writing its cache out, merging). A small ``cache-snapshot-memory-size``
makes it write its cache out to Parquet (and merge files) all the time, and the writers move
to a new shard group every few batches (a new shard, a meta store change), so kills land in
those too. A second test has the server kill itself at its N-th write, fsync, rename, remove,
truncate, open or close (tests/crash_at.py), before or after the call. Then, over /query and
again through the engine read API after a clean stop:

* every batch acknowledged with 204 is whole (each point, with its values), and
  SELECT count(v), count(f) GROUP BY * agrees with the points, series by series;
* a batch that was not acknowledged is whole or absent, never partly there;
* SHOW SERIES / SHOW MEASUREMENTS / SHOW TAG VALUES hold every series that has points. Beyond
  those they may hold only series of batches that were never acknowledged and are absent: as in
  InfluxDB (tsdb ``Shard.WritePoints`` adds the series to the index, then writes the WAL), a
  series created just before a crash keeps its index entry although its points never became
  durable. Nothing else may be in the index;
* no temporary file is left in the data directory.

SIGTERM under load (and while the server opens its data directory): the server exits 0, a
write in flight ends with a 204 or a clean error, nothing acknowledged is lost, and the index
holds no series without points. A request sent on a keep-alive connection just as the stopping
server closes it (idle, or its headers not yet whole) sees the connection reset and was not
written, as with Go's ``http.Server.Shutdown``; such batches are checked as unacknowledged.

The kill moments come from a seeded RNG, counted in acknowledged batches (so every round
makes progress on any machine) plus a random few milliseconds.
"""

from __future__ import annotations

import math
import random
import signal
import time

import pytest

import crash_load as load
from test_http_write import Server

SEED = 20240610
# A cache this small is written out to Parquet every few batches.
# Kills per run: the pure twin (slower, the same storage code above the encodings) runs fewer.
ROUNDS_KILL = {"native": 30, "pure": 20}
ROUNDS_AT = {"native": 24, "pure": 12}
ROUNDS_SIGTERM = 4
LOG_MAX = 1500  # the largest N of test_sigkill_at_file_operations
SMALL_CACHE = {"INFLUXLITE_DATA_CACHE_SNAPSHOT_MEMORY_SIZE": "8k"}


def start_server(data_dir, impl: str, env: dict | None = None, *, prepare: bool = False) -> Server:
    """Server(...), again when the free port it chose was taken before it could listen (a
    client connection's ephemeral port can take it meanwhile): a test harness race only."""
    for _ in range(5):
        try:
            return Server(data_dir, impl, env, prepare=prepare)
        except RuntimeError:
            logs = sorted(data_dir.parent.glob("serve-*.log"), key=lambda p: p.stat().st_mtime)
            if not logs or not load.port_taken(logs[-1].read_text(errors="replace")):
                raise
    raise RuntimeError("no free port found")


def run_kills(data_dir, impl: str, rounds: int, rng: random.Random, writers: load.Writers,
              target: load.Target) -> None:
    for n in range(rounds):
        if n % 6 == 5:  # killed while it opens the data directory (recovery killed part-way)
            proc, _ = load.spawn(data_dir, impl, SMALL_CACHE)
            try:
                time.sleep(rng.uniform(0.05, 0.6))
            finally:
                load.kill(proc)
            continue
        server = start_server(data_dir, impl, SMALL_CACHE)
        try:
            target.serve(server.port)
            writers.wait_acks(rng.randint(1, 40))
            time.sleep(rng.uniform(0, 0.02))
        finally:
            target.up.clear()
            if n % 6 == 2:  # killed while it stops gracefully (writing its cache out, merging)
                server.proc.send_signal(signal.SIGTERM)
                time.sleep(rng.uniform(0, 0.3))
            load.kill(server.proc)
        assert not writers.errors, writers.errors


def final_checks(data_dir, impl: str, writers: load.Writers) -> dict:
    """Over /query on a restarted server, then through the engine after a clean stop."""
    server = start_server(data_dir, impl)
    try:
        over_http, counts = load.state_over_http(server.port)
    finally:
        status = server.stop()
    assert status == 0, server.output()
    report = load.check(writers.logs, over_http)
    load.check_counts(over_http, counts)
    assert over_http.fresh_b_values <= {s.split(",")[1][2:] for s in over_http.series if s.startswith("fresh,")}
    assert {s.split(",")[1][2:] for s in over_http.series if s.startswith("fresh,")} <= over_http.fresh_b_values
    # A write a crash cut short leaves a temporary file; opening (and then closing) the data
    # directory removes every one (as InfluxDB removes its .tmp files on open).
    assert not sorted(str(p) for p in data_dir.rglob("*.tmp")), sorted(str(p) for p in data_dir.rglob("*.tmp"))
    from_engine = load.state_from_engine(data_dir)
    assert from_engine.points == over_http.points
    assert from_engine.series == over_http.series
    assert from_engine.measurements == over_http.measurements
    return report


def test_sigkill_under_load(tmp_path, impl):
    data_dir = tmp_path / "data"
    start_server(data_dir, impl, prepare=True).stop()  # creates db (prepare_data) once
    rng = random.Random(SEED)
    rounds = ROUNDS_KILL[impl]
    target = load.Target()
    writers = load.Writers(target).start()
    try:
        run_kills(data_dir, impl, rounds, rng, writers, target)
    finally:
        writers.stop()
    assert not writers.errors, writers.errors
    assert not [u for log in writers.logs for u in log.unexpected]
    report = final_checks(data_dir, impl, writers)
    assert report["acked"] >= rounds - rounds // 6  # every round that served acknowledged something
    print(report)


def test_sigkill_at_file_operations(tmp_path, impl):
    """The server kills itself at its N-th write, fsync, rename, remove, truncate, open or close
    (tests/crash_at.py; N drawn log-uniformly so the opening and the writing both get hit,
    before or after the call) under the same load; a server that will not start again after
    such a death (any exit but SIGKILL's) fails the test."""
    data_dir = tmp_path / "data"
    start_server(data_dir, impl, prepare=True).stop()
    rng = random.Random(SEED + 2)
    target = load.Target()
    writers = load.Writers(target).start()
    died, hits = [], []
    try:
        for n in range(ROUNDS_AT[impl]):
            # odd rounds: the N-th rename or removal (write-outs, merges, manifests, WAL segments)
            ops = "replace,rename,remove,unlink" if n % 2 else ""
            # (about one such call every two batches, some when it opens)
            at = int(math.exp(rng.uniform(0, math.log(12 if ops else LOG_MAX))))
            log_path = tmp_path / f"at-{n}.log"
            after = rng.random() < 0.5
            for _ in range(5):  # again while the chosen port was taken (see start_server)
                with open(log_path, "wb") as log:
                    proc, port = load.spawn(data_dir, impl, SMALL_CACHE, log, crash_at=at, crash_after=after,
                                            crash_ops=ops)
                up = load.serving(proc, port)
                if up or proc.returncode != 1 or not load.port_taken(log_path.read_text(errors="replace")):
                    break
            try:
                if up:
                    target.serve(port)
                    writers.wait_acks(rng.randint(30, 60) if ops else rng.randint(1, 40),
                                      alive=lambda: proc.poll() is None)
            finally:
                target.up.clear()
                if proc.poll() is not None:
                    died.append(at)
                load.kill(proc)
            hits += [line.split("SIGKILL ", 1)[1] for line in log_path.read_text(errors="replace").splitlines()
                     if line.startswith("crash_at: ")]
            assert proc.returncode == -signal.SIGKILL, log_path.read_text(errors="replace")
            assert not writers.errors, writers.errors
    finally:
        writers.stop()
    assert not writers.errors, writers.errors
    assert not [u for log in writers.logs for u in log.unexpected]
    assert len(died) >= ROUNDS_AT[impl] // 3, died  # the injection did kill it, often
    print(final_checks(data_dir, impl, writers), "died at", died, *hits, sep="\n")


def sigterm_while_opening(data_dir, impl: str, rng: random.Random) -> int:
    """SIGTERM once the server holds the data directory's lock (its signal handlers are set by
    then) and is replaying the WAL or about to serve: it must still stop cleanly, status 0."""
    log_path = data_dir.parent / "opening.log"
    for _ in range(5):  # again while the chosen port was taken (see start_server)
        with open(log_path, "wb") as log:
            proc, _ = load.spawn(data_dir, impl, SMALL_CACHE, log)
        try:
            lock = data_dir / ".lock"
            while proc.poll() is None and lock.read_text().strip() != str(proc.pid):
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.2))
            proc.send_signal(signal.SIGTERM)
            status = proc.wait()
        finally:
            load.kill(proc)
        if status != 1 or not load.port_taken(log_path.read_text(errors="replace")):
            break
    assert status == 0, log_path.read_text(errors="replace")
    return status


def test_sigterm_under_load(tmp_path, impl):
    """Graceful stops under load: exit 0, in-flight writes answered 204 or a clean error."""
    data_dir = tmp_path / "data"
    rng = random.Random(SEED + 1)
    target = load.Target()
    writers = load.Writers(target, clean_errors=(500, 503)).start()
    prepare = True
    try:
        for _ in range(ROUNDS_SIGTERM):
            server = start_server(data_dir, impl, SMALL_CACHE, prepare=prepare)
            prepare = False
            try:
                target.serve(server.port)
                writers.wait_acks(rng.randint(10, 40))
            finally:
                status = server.stop()  # the writers keep sending meanwhile
                target.up.clear()
            assert status == 0, server.output()
            assert sigterm_while_opening(data_dir, impl, rng) == 0
    finally:
        writers.stop()
    assert not writers.errors, writers.errors
    assert not [u for log in writers.logs for u in log.unexpected]
    report = final_checks(data_dir, impl, writers)
    # a graceful stop leaves no orphan series and nothing partly written
    assert report["orphan_series"] == 0
    print(report)


@pytest.mark.compares_implementations
def test_check_catches_loss_torn_batches_and_stray_series():
    """The checks can fail: a lost point of an acknowledged batch, half an unacknowledged
    batch, an index series no batch explains, each is caught."""
    logs = [load.WriterLog(acked=[0, 1], unknown=[2, 3]) for _ in range(load.WRITERS)]
    points = {p for w in range(load.WRITERS) for b in (0, 1, 3) for p in load.batch_points(w, b)}
    series = {p[0] for p in points}
    orphan = {p[0] for p in load.batch_points(0, 2)}
    report = load.check(logs, load.Stored(points, series | orphan))
    assert report["unknown_present"] == load.WRITERS and report["orphan_series"] == len(orphan - series)
    lost = sorted(load.batch_points(1, 1))[0]
    with pytest.raises(AssertionError, match="acknowledged batches not whole"):
        load.check(logs, load.Stored(points - {lost}, series))
    half = sorted(load.batch_points(2, 3))[-1]
    with pytest.raises(AssertionError, match="half-written"):
        load.check(logs, load.Stored(points - {half}, series))
    with pytest.raises(AssertionError, match="no batch can explain"):
        load.check(logs, load.Stored(points, series | {"fresh,b=7,w=0"}))
    with pytest.raises(AssertionError, match="missing from the index"):
        load.check(logs, load.Stored(points, series - {"fresh,b=0,w=1"}))


def test_open_removes_temporary_files_a_crash_left(tmp_path, impl):
    """Regression (found by test_sigkill_at_file_operations: a kill between writing
    fields.json.tmp and renaming it left the .tmp for good): opening the meta store, a series
    file and a shard removes the temporary file of a save or a new segment that a crash cut
    short, and keeps the whole files."""
    from influxlite import parse_points
    from influxlite.engine import Engine

    data_dir = tmp_path / "data"
    with Engine(data_dir, retention_check_interval=0) as engine:
        engine.meta.create_database("db")
        engine.write_points("db", None, parse_points(b"cpu,host=a v=1i 1700000000000000000\n"))
    shard_dir = next(data_dir.glob("data/db/autogen/*"))
    stale = [data_dir / "meta" / "meta.json.tmp", shard_dir / "fields.json.tmp", shard_dir / "manifest.json.tmp",
             data_dir / "data" / "db" / "_series" / "00" / "0001.tmp"]
    for p in stale:
        p.write_bytes(b"{half")
    with Engine(data_dir, retention_check_interval=0) as engine:
        table = engine.read("db", "cpu")
        assert table.column("v").to_pylist() == [1]
    assert not sorted(data_dir.rglob("*.tmp"))
