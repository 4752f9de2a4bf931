"""The ``influxlite`` command."""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from collections import Counter

from . import __version__, _backend
from .models import parse_points


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def cmd_parse(args: argparse.Namespace) -> int:
    """Parses line-protocol files and reports what they hold, as InfluxDB would accept it."""
    status = 0
    for path in args.files:
        data = _read(path)
        t0 = time.perf_counter()
        batch = parse_points(data, args.precision, unsigned=args.unsigned)
        elapsed = time.perf_counter() - t0
        keys = batch.keys()
        measurements = Counter(p.name for p in batch.points) if args.details else None
        errors = batch.errors
        rate = len(data) / elapsed / 1e6 if elapsed > 0 else float("inf")
        print(f"{path}: {len(batch)} points, {len(set(keys))} series, {len(errors)} bad lines "
              f"({len(data)} bytes in {elapsed * 1000:.1f} ms, {rate:.0f} MB/s, {_backend.implementation})")
        if measurements:
            for name, count in measurements.most_common():
                print(f"  measurement {name!r}: {count} points")
        for e in errors[: args.max_errors]:
            print(f"  {e}")
        if len(errors) > args.max_errors:
            print(f"  ... and {len(errors) - args.max_errors} more")
        if errors and args.strict:
            status = 1
    return status


class _Progress:
    """One status line on stderr: points/s, bytes read, errors."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.perf_counter()
        self.last = 0.0

    def show(self, points: int, nbytes: int, errors: int, final: bool = False) -> None:
        now = time.perf_counter()
        if not self.enabled or (not final and now - self.last < 0.25):
            return
        self.last = now
        rate = points / max(now - self.start, 1e-9)
        sys.stderr.write(f"\r{points:,} points  {rate:,.0f} points/s  {nbytes / 1e6:,.1f} MB  {errors:,} errors")
        if final:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _chunks(path: str, size: int):
    """The file in chunks that end on a line boundary (plain or gzip; - for stdin)."""
    from . import _backend

    if path == "-":
        f = sys.stdin.buffer
    else:
        f = gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    try:
        rest = b""
        while True:
            data = f.read(size)
            if not data:
                break
            data = rest + data
            cut = _backend.backend.complete_lines(data)
            if cut == 0:
                rest = data
                continue
            yield data[:cut], len(data[:cut])
            rest = data[cut:]
        if rest:
            yield rest, len(rest)
    finally:
        if f is not sys.stdin.buffer:
            f.close()


def cmd_import(args: argparse.Namespace) -> int:
    """Bulk-loads line-protocol files into a database, as writes through the engine, and ends
    with a full compaction (the Parquet files are then the truth)."""
    from .engine import Engine
    from .errors import InfluxliteError

    engine = Engine(args.data_dir, retention_check_interval=0).open(start_services=False)
    progress = _Progress(not args.quiet and sys.stderr.isatty() or args.progress)
    points = nbytes = n_errors = 0
    errors: list[str] = []

    def note(msgs: list[str]) -> None:
        errors.extend(msgs[: max(0, args.max_errors - len(errors))])

    try:
        if engine.meta.database(args.db) is None:
            engine.meta.create_database(args.db)
            print(f"created database {args.db!r}", file=sys.stderr)
        for path in args.files:
            for chunk, size in _chunks(path, args.batch_bytes):
                batch = parse_points(chunk, args.precision)
                nbytes += size
                n_errors += len(batch.errors)
                note(batch.errors)
                if len(batch):
                    result = engine.points_writer.write_points_all(args.db, args.rp, batch)
                    points += result.written
                    n_errors += result.dropped
                    note([f"partial write: {r}" for r in result.reasons])
                progress.show(points, nbytes, n_errors)
        engine.compact()
    except (InfluxliteError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        progress.show(points, nbytes, n_errors, final=True)
        engine.close()
    elapsed = time.perf_counter() - progress.start
    print(f"imported {points:,} points ({nbytes / 1e6:,.1f} MB) into {args.db!r} in {elapsed:.1f} s"
          f" ({points / max(elapsed, 1e-9):,.0f} points/s); {n_errors:,} errors")
    for e in errors:
        print(f"  {e}")
    if n_errors > len(errors):
        print(f"  ... and {n_errors - len(errors):,} more")
    return 1 if n_errors and args.strict else 0


def cmd_compact(args: argparse.Namespace) -> int:
    """Compacts every shard fully, so that its Parquet files are the truth."""
    from .engine import Engine
    from .errors import InfluxliteError

    if not os.path.isdir(os.path.join(args.data_dir, "meta")):
        print(f"no influxlite data in {args.data_dir}")
        return 1
    try:
        engine = Engine(args.data_dir, retention_check_interval=0).open(start_services=False)
    except InfluxliteError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        for shard in engine.open_shards():
            shard.compact_full()
            print(f"shard {shard.id} ({shard.database}/{shard.retention_policy}): "
                  f"{len(shard.manifest.files)} files, {sum(f.rows for f in shard.manifest.files):,} rows")
    except (InfluxliteError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        engine.close()
    return 0


def _size(path: str) -> tuple[int, int]:
    """(apparent bytes, allocated bytes) of the files under ``path``."""
    apparent = allocated = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                st = os.stat(os.path.join(d, f))
            except FileNotFoundError:  # removed by a writer meanwhile
                continue
            apparent += st.st_size
            allocated += st.st_blocks * 512
    return apparent, allocated


def _bytes(path: str) -> str:
    apparent, allocated = _size(path)
    return f"{allocated:,} bytes on disk ({apparent:,} apparent)"


def cmd_inspect(args: argparse.Namespace) -> int:
    """Prints databases, retention policies, shard groups, measurements, series and points.
    Opens the data read-only: changes no byte, even beside a running writer."""
    from .engine import Engine
    from .meta import format_duration

    if not os.path.isdir(os.path.join(args.data_dir, "meta")):
        print(f"no influxlite data in {args.data_dir}")
        return 1
    engine = Engine(args.data_dir, read_only=True).open(start_services=False)
    try:
        for db in engine.meta.databases:
            sf = engine.series_file(db.name)
            print(f"database {db.name!r}: {sf.series_count():,} series, {_bytes(engine.database_path(db.name))}")
            for t in sf.torn:
                print(f"  torn series file tail (not repaired, read-only): {t}")
            for rp in db.retention_policies:
                default = " (default)" if rp.name == db.default_retention_policy else ""
                print(f"  retention policy {rp.name!r}{default}: duration {format_duration(rp.duration)}, "
                      f"shard group duration {format_duration(rp.shard_group_duration)}, replication {rp.replica_n}")
                for g in rp.shard_groups:
                    span = f"{_iso(g.start)} .. {_iso(g.end)}" + (" (deleted)" if g.deleted else "")
                    print(f"    shard group {g.id}: {span}")
                    for sid in g.shards:
                        if os.path.isdir(engine.shard_path(db.name, rp.name, sid)):
                            _inspect_shard(engine, engine.shard(db.name, rp.name, sid))
        users = engine.meta.users
        if users:
            print("users: " + ", ".join(u.name + (" (admin)" if u.admin else "") for u in users))
    finally:
        engine.close()
    return 0


def _inspect_shard(engine, shard) -> None:
    files = shard.manifest.files
    rows = sum(f.rows for f in files)
    state = "fully compacted" if not shard.cache.points and not shard.manifest.tombstones and not _overlap(files) \
        else "not fully compacted: files may repeat or hide points until `influxlite compact`"
    print(f"      shard {shard.id}: {len(shard.measurement_names())} measurements, "
          f"{shard.index.series_n():,} series, {rows:,} rows in {len(files)} Parquet files, "
          f"{shard.cache.points:,} rows in the WAL since; {len(shard.manifest.tombstones)} tombstones; "
          f"{_bytes(shard.path)}; {state}")
    for t in shard.wal.torn + [p.active.torn for p in shard.index.partitions if p.active and p.active.torn]:
        print(f"        torn tail (not repaired, read-only): {t}")
    waiting = len(shard.wal.segments()) - 1
    if waiting > 0:  # a write-out under way, or failing and being retried by the writer
        print(f"        {waiting} closed WAL segments not yet written out to Parquet")
    if shard.compaction_error is not None:
        print(f"        last compaction failed: {shard.compaction_error}")
    for m in shard.measurement_names():
        types = ", ".join(f"{k.decode('utf-8', 'replace')}:{t}" for k, t in shard.field_types(m).items())
        print(f"        {m.decode('utf-8', 'replace')}: "
              f"{len(shard.index.measurement_series_ids(m)):,} series; fields {types}")


def _overlap(files) -> bool:
    from .storage import compaction

    return any(j.kind == "merge" for j in compaction.plan(files, [], full=True))


def _iso(ns: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_serve(args: argparse.Namespace) -> int:
    """Serves InfluxDB 1.8's HTTP API over the data directory until SIGINT/SIGTERM."""
    from .http import ConfigError, load, serve

    try:
        config = load(args.config)
        if args.bind is not None:
            config.bind_address = args.bind
        if args.data_dir is not None:
            config.data_dir = args.data_dir
        config.host_port()
    except (ConfigError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return serve(config)


def main(argv: list[str] | None = None) -> int:
    from . import _version_text

    # Raw: --version prints several lines, which the default formatter would join into one.
    parser = argparse.ArgumentParser(prog="influxlite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version_text(),
                        help="show the version, the implementation in use and how it was built, and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="parse line-protocol files and report points, series and errors")
    p.add_argument("files", nargs="+", help="line-protocol files (.gz too; - for stdin)")
    p.add_argument("--precision", default="n", help="timestamp unit: n, u, ms, s, m, h (default n)")
    p.add_argument("--unsigned", action="store_true", help="accept 123u unsigned integers")
    p.add_argument("--details", action="store_true", help="count points per measurement")
    p.add_argument("--max-errors", type=int, default=10, help="how many errors to print (default 10)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if any line is rejected")
    p.set_defaults(func=cmd_parse)

    from .engine import DEFAULT_DATA_DIR

    p = sub.add_parser("import", help="bulk-load line-protocol files (plain or .gz) into a database")
    p.add_argument("files", nargs="+", help="line-protocol files (.gz too; - for stdin)")
    p.add_argument("--db", required=True, help="database (created if missing)")
    p.add_argument("--rp", default=None, help="retention policy (default: the database's default)")
    p.add_argument("--precision", default="n", help="timestamp unit: n, u, ms, s, m, h (default n)")
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help=f"data directory (default {DEFAULT_DATA_DIR})")
    p.add_argument("--batch-bytes", type=int, default=4 << 20, help="bytes per write batch (default 4 MiB)")
    p.add_argument("--max-errors", type=int, default=10, help="how many errors to print (default 10)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if any line or point is refused")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument("--progress", action="store_true", help="a progress line even when stderr is not a terminal")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("compact", help="compact every shard fully (its Parquet files are then the truth)")
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help=f"data directory (default {DEFAULT_DATA_DIR})")
    p.set_defaults(func=cmd_compact)

    p = sub.add_parser("inspect", help="show databases, policies, shard groups, measurements, series, points")
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help=f"data directory (default {DEFAULT_DATA_DIR})")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("verify", help="check every checksum and cross-reference of a data directory (changes nothing)")
    p.add_argument("verify_dir", metavar="DATA_DIR")
    p.set_defaults(func=lambda a: __import__("influxlite.verify", fromlist=["run"]).run([a.verify_dir]))

    p = sub.add_parser("serve", help="serve InfluxDB 1.8's HTTP API (/write, /ping, ...) over the data directory")
    p.add_argument("--bind", default=None, metavar="HOST:PORT",
                   help="address to listen on (default 127.0.0.1:8086, or [http] bind-address)")
    p.add_argument("--data-dir", default=None,
                   help=f"data directory (default {DEFAULT_DATA_DIR}, or [data] dir)")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="TOML config with InfluxDB's section and key names; INFLUXLITE_<SECTION>_<KEY> overrides")
    p.set_defaults(func=cmd_serve)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into head and the like: stop quietly
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
