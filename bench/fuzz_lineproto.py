#!/usr/bin/env python3
"""Long-run fuzzing of the line-protocol parser (issue 10), with atheris (libFuzzer for Python).

Differential: the same bytes, with a precision, an ``unsigned`` flag and a ``now`` taken from the
input's first byte, go through ``influxlite._native.parse`` (Rust) and ``influxlite._pure.parse``;
their batches must agree exactly (error messages, keys, times, hashes, binary series keys, points
with their field values' types) and neither may raise: a bad line is an error message, never an
exception. Where a point parsed, the encoder (``Point.to_line``) must write a line that parses
back, in both implementations, to the same point, or refuse it with its documented ValueError;
and each binary series key must decode (``parse_series_key``) to the point's name and tags.

Only the pure twin and the encoder are instrumented (the Rust module has no coverage hooks), so
coverage guides the search through the Python implementation and the native one is checked
against it on every input.

    python -m pip install atheris==3.0.0      # into the machine's Python, not a CI dependency
    python bench/fuzz_lineproto.py -max_total_time=1200 CORPUS_DIR

An empty (or missing) ``CORPUS_DIR`` is first filled with seeds: the lines of
tests/fixtures/lp_corpus.lp (written by tests/make_corpus.py) and tests/lpgen.py's random bodies.
Use a temporary directory; a corpus is never committed. A crash or mismatch is written by
libFuzzer as ``crash-<sha1>`` in the working directory; ``python bench/fuzz_lineproto.py FILE``
replays one.
"""

from __future__ import annotations

import os
import pathlib
import random
import sys

import atheris

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

with atheris.instrument_imports(include=["influxlite._pure", "influxlite.models"]):
    from influxlite import _native, _pure
    from influxlite.models import Point

PRECISIONS = ["n", "u", "ms", "s", "m", "h"]
NOWS = [0, 1_700_000_000_123_456_789, -1_234_567_891]


def options(head: int) -> tuple[str, bool, int]:
    """Precision, unsigned and now from the input's first byte."""
    return PRECISIONS[head % 6], bool(head & 8), NOWS[(head >> 4) % 3]


def _fields(point) -> list:
    return [(k, t, repr(v)) for k, t, v in point[3]]


def same(a, b, what: str) -> None:
    """The comparison of tests/test_lineproto_fuzz.py's ``_same``, plus the series keys."""
    checks = [("error_messages", a.error_messages(), b.error_messages()), ("keys", a.keys(), b.keys()),
              ("times", a.times(), b.times()), ("hashes", a.hashes(), b.hashes()),
              ("series_keys", a.series_keys(), b.series_keys())]
    pa, pb = a.points(), b.points()
    checks.append(("points", [(p[0], p[1], p[2], p[4]) for p in pa], [(p[0], p[1], p[2], p[4]) for p in pb]))
    checks.append(("field values", [_fields(p) for p in pa], [_fields(p) for p in pb]))
    for name, x, y in checks:
        if x != y:
            raise AssertionError(f"{what}: native and pure differ in {name}:\n  native {x!r}\n  pure   {y!r}")


def _same_point(p: Point, q: Point) -> bool:
    if (p.key, p.name, p.tags, p.field_types, p.time) != (q.key, q.name, q.tags, q.field_types, q.time):
        return False
    return all(repr(p.fields[k]) == repr(q.fields[k]) for k in p.fields)


def round_trip(parsed: tuple) -> None:
    """A parsed point written by the encoder parses back to itself (or the encoder refuses it)."""
    p = Point._from_parsed(parsed)
    try:
        line = p.to_line("n").encode("utf-8", "surrogateescape")
    except ValueError:
        return  # documented: line protocol cannot carry every key a parsed point may have
    a = _native.parse(line + b"\n", "n", 0, True)
    b = _pure.parse(line + b"\n", "n", 0, True)
    same(a, b, f"re-parse of {line!r}")
    if a.error_messages() or len(a) != 1:
        raise AssertionError(f"{parsed!r} encoded as {line!r}, which parses as {a.error_messages()!r}")
    q = Point._from_parsed(a.point(0))
    if not _same_point(p, q):
        raise AssertionError(f"{parsed!r} encoded as {line!r}, which parses back as {a.point(0)!r}")


def check_series_keys(batch) -> None:
    for sk, point in zip(batch.series_keys(), batch.points()):
        for mod in (_native, _pure):
            got = mod.parse_series_key(sk)
            if got != (point[1], point[2]):
                raise AssertionError(f"{mod.__name__}.parse_series_key({sk!r}) = {got!r}, point {point!r}")


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    precision, unsigned, now = options(data[0])
    body = data[1:]
    a = _native.parse(body, precision, now, unsigned)
    b = _pure.parse(body, precision, now, unsigned)
    same(a, b, f"parse({body!r}, {precision!r}, {now}, {unsigned})")
    check_series_keys(a)
    for parsed in a.points():
        round_trip(parsed)


def seed(corpus: pathlib.Path) -> int:
    """Fills an empty corpus directory with seed inputs; returns how many."""
    import lpgen

    corpus.mkdir(parents=True, exist_ok=True)
    lines = (ROOT / "tests" / "fixtures" / "lp_corpus.lp").read_bytes().split(b"\n")
    inputs = [bytes([i % 256]) + line for i, line in enumerate(lines) if line]
    rng = random.Random(10)
    for i in range(300):
        inputs.append(bytes([rng.randrange(256)]) + lpgen.body(rng, rng.choice([1, 1, 2, 5])))
    for i, data in enumerate(inputs):
        (corpus / f"seed-{i:04d}").write_bytes(data)
    return len(inputs)


def main() -> None:
    for arg in sys.argv[1:]:
        if not arg.startswith("-") and not os.path.isfile(arg):
            path = pathlib.Path(arg)
            if not path.exists() or not any(path.iterdir()):
                print(f"seeded {path} with {seed(path)} inputs", file=sys.stderr)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
