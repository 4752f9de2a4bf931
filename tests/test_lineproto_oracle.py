"""Both implementations against InfluxDB's own parser (lpdump) on a corpus of tricky lines."""

from __future__ import annotations

import math

import pytest

import influxlite
from influxlite import _backend

import oracle

CORPUS = (oracle.FIXTURES / "lp_corpus.lp").read_bytes()


def _same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return type(a) is type(b) and a == b


def assert_matches(data: bytes, records: list[dict], precision: str, now: int, uint: bool):
    want_points, want_errors = oracle.expected(records, uint)
    batch = _backend.backend.parse(data, precision, now, uint)
    got_errors = batch.error_messages()
    assert len(got_errors) == len(want_errors)
    for g, w in zip(got_errors, want_errors):
        if w is None:  # InfluxDB accepted a line whose values it cannot decode; we reject it
            assert g.startswith(b"unable to parse '"), g
        else:
            assert g == w
    got = batch.points()
    assert len(got) == len(want_points)
    for g, w in zip(got, want_points):
        assert g[:3] == w[:3], w[0]
        assert g[4] == w[4], w[0]
        assert [(k, t) for k, t, _ in g[3]] == [(k, t) for k, t, _ in w[3]], w[0]
        for (_, _, gv), (_, _, wv) in zip(g[3], w[3]):
            assert _same_value(gv, wv), (w[0], gv, wv)


@pytest.mark.parametrize("config", sorted(oracle.CONFIGS))
def test_corpus_matches_influxdb(config):
    precision, now, uint = oracle.CONFIGS[config]
    records = oracle.parse_records((oracle.FIXTURES / f"lp_corpus.{config}.lpdump.jsonl").read_text("utf-8"))
    assert len(records) > 150
    assert_matches(CORPUS, records, precision, now, uint)


def test_corpus_through_public_api():
    records = oracle.parse_records((oracle.FIXTURES / "lp_corpus.n.lpdump.jsonl").read_text("utf-8"))
    batch = influxlite.parse_points(CORPUS, now=0)
    points, errors = oracle.expected(records, False)
    assert len(batch) == len(points)
    assert [e.encode("utf-8") for e in batch.errors] == [
        e.decode("utf-8", "replace").encode("utf-8") for e in errors if e is not None
    ]
    assert [p.key for p in batch.points] == [p[0] for p in points]
