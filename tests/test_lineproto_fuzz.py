"""Randomized differential tests: native vs pure always; both vs InfluxDB's parser when the
oracle can be built here."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from influxlite import _backend, _native, _pure, parse_points

import lpgen
import oracle
from test_lineproto_oracle import assert_matches


def _same(data: bytes, precision="n", now=0, unsigned=False):
    a = _native.parse(data, precision, now, unsigned)
    b = _pure.parse(data, precision, now, unsigned)
    assert a.error_messages() == b.error_messages()
    assert a.keys() == b.keys()
    assert a.times() == b.times()
    assert a.hashes() == b.hashes()
    pa, pb = a.points(), b.points()
    assert [(p[0], p[1], p[2], p[4]) for p in pa] == [(p[0], p[1], p[2], p[4]) for p in pb]
    for x, y in zip(pa, pb):
        assert [(k, t, repr(v)) for k, t, v in x[3]] == [(k, t, repr(v)) for k, t, v in y[3]]


@pytest.mark.compares_implementations
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200), precision=st.sampled_from(["n", "u", "ms", "s", "m", "h"]),
       unsigned=st.booleans())
def test_native_and_pure_agree_on_any_bytes(data, precision, unsigned):
    _same(data, precision, 1_700_000_000_123_456_789, unsigned)


LP_BYTES = st.lists(st.sampled_from(lpgen.NAME_PIECES + lpgen.VALUE_PIECES + lpgen.TIME_PIECES
                                    + [b"\r", b"\n", b"\r\n"]), max_size=40).map(b"".join)


@pytest.mark.compares_implementations
@settings(max_examples=500, deadline=None)
@given(data=LP_BYTES, unsigned=st.booleans())
def test_native_and_pure_agree_on_line_protocol_fragments(data, unsigned):
    _same(data, "n", 0, unsigned)


@pytest.mark.compares_implementations
@pytest.mark.parametrize("seed", range(6))
def test_native_and_pure_agree_on_generated_bodies(seed):
    _same(lpgen.body(random.Random(seed), 1500), "ms", 1_700_000_000_123_456_789, seed % 2 == 0)


@pytest.mark.parametrize("seed", range(4))
def test_generated_bodies_match_influxdb(seed):
    if oracle.lpdump_path() is None:
        pytest.skip("InfluxDB's parser (lpdump) cannot be built here; the committed corpus fixtures still run")
    lines = lpgen.logical_lines(lpgen.body(random.Random(1000 + seed), 2000))
    uint = seed % 2 == 1
    chunks, panics = oracle.run_lpdump_lines(lines, "n", 0, uint)
    for records, body in chunks:
        assert_matches(body, records, "n", 0, uint)
    # Where InfluxDB's parser panics (an HTTP 500 for the whole request), we reject the line.
    for line in panics:
        batch = _backend.backend.parse(line + b"\n", "n", 0, uint)
        assert len(batch) == 0 and len(batch.error_messages()) == 1, line


# Reproducers of the long fuzz runs (bench/fuzz_lineproto.py, bench/RESULTS.md "Long fuzz runs").

def test_parsed_key_with_a_newline_is_refused_by_the_encoder():
    # After leading whitespace InfluxDB's line splitter takes the quote in the measurement as
    # opening a string, so the key spans the newline; written bare the line would split in two.
    (p,) = parse_points(b' ="\n v=""', now=0).points
    assert p.name == '="\n'
    with pytest.raises(ValueError, match="newline"):
        p.to_line()


def test_parsed_key_whose_backslashes_move_the_line_split_is_refused_by_the_encoder():
    # `\\ ` ends InfluxDB's line-splitter's key (the pair is one escape) but not the parser's,
    # so the splitter counts the `="` after it: the newline in the string value then ended the
    # line the encoder wrote (the field key `"` is escaped there, unlike in the input).
    (p,) = parse_points(b'\\\\ =" "="\n"', now=0).points
    assert (p.name, p.fields) == ('\\ ="', {'"': "\n"})
    with pytest.raises(ValueError, match="cannot be written"):
        p.to_line()
