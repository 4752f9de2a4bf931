"""The ``influxlite`` command."""

from __future__ import annotations

import argparse
import gzip
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="influxlite", description=__doc__)
    parser.add_argument("--version", action="version", version=f"influxlite {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="parse line-protocol files and report points, series and errors")
    p.add_argument("files", nargs="+", help="line-protocol files (.gz too; - for stdin)")
    p.add_argument("--precision", default="n", help="timestamp unit: n, u, ms, s, m, h (default n)")
    p.add_argument("--unsigned", action="store_true", help="accept 123u unsigned integers")
    p.add_argument("--details", action="store_true", help="count points per measurement")
    p.add_argument("--max-errors", type=int, default=10, help="how many errors to print (default 10)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if any line is rejected")
    p.set_defaults(func=cmd_parse)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
