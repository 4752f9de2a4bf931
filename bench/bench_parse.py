"""Parse throughput: native, pure and the PyPI ``line-protocol-parser`` on the same data.

Runs as a quick smoke test with the test suite (benchmarks disabled); for figures run
``python -m pytest bench --benchmark-enable`` or ``python bench/parse_throughput.py`` (which
also runs InfluxDB's own parser, lpbench, side by side) and record them in bench/RESULTS.md.
"""

from __future__ import annotations

import pytest

from influxlite import _native, _pure

import lpdata

DATA = lpdata.generate(2_000_000)
LINES = DATA.count(b"\n")


def _native_parse():
    return len(_native.parse(DATA, "n", 0, False))


def _pure_parse():
    return len(_pure.parse(DATA, "n", 0, False))


def _lpp_parse():
    from line_protocol_parser import parse_line

    return sum(1 for line in DATA.decode().splitlines() if parse_line(line))


@pytest.mark.parametrize("name,fn", [("native", _native_parse), ("pure", _pure_parse),
                                     ("line-protocol-parser", _lpp_parse)])
def test_parse_throughput(benchmark, name, fn):
    n = benchmark.pedantic(fn, rounds=1 if name == "pure" else 5, iterations=1)
    assert n == LINES
    benchmark.extra_info.update(bytes=len(DATA), points=LINES)
