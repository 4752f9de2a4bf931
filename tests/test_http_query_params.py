"""``/query`` parameters (``chunked``, ``chunk_size``, ``pretty``, ``epoch``) and statements that
write sent by GET, against InfluxDB 1.6.7's recorded answers (tests/record_query_params.py).

The same data as the recorder's is written into ``influxlite serve``, every case is sent in
order on one connection and status, body (or its SHA-256 for large ones), Content-Type,
X-Influxdb-Error and the transfer encoding (chunked for every 200, as Go's handler flushes the
header first) must match.

Where 1.8 differs from the recorded 1.6.7: without chunks, a series longer than 10000 values
is merged back by the handler; 1.6.7 leaves ``"partial":true`` on the merged row, 1.8 copies
the last piece's (``lastSeries.Partial = row.Partial``): influxlite follows 1.8 (``big_series``).

The ``select_*`` cases also go through the renderer alone (``query.render``, times as int64 ns),
so a failure tells the rendering from the SELECT executor.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from influxlite.query.chunks import merge_results, results_of
from influxlite.query.render import TIME_NS, encode_result, indent_json
from record_query_params import CASES, FIXTURE, setup_writes, stored
from record_http_fixtures import send
from test_http_write import Server, request

RECORDED = json.loads(FIXTURE.read_text())["answers"]
HTTP_CASES = CASES
QUIRK_16 = ',"partial":true}]}]}\n'  # 1.6.7's merged row keeps the first piece's partial


@pytest.fixture
def answers(tmp_path, impl):
    s = Server(tmp_path / "data", impl)
    try:
        assert request(s.port, "POST", "/query?q=CREATE+DATABASE+many")["status"] == 200
        for db, body in setup_writes():
            assert request(s.port, "POST", f"/write?db={db}", body=body)["status"] == 204
        out, conn = {}, None
        for case in HTTP_CASES:
            resp, conn = send(s.port, case, conn)
            out[case["name"]] = resp
        if conn is not None:
            conn.close()
        yield out
    finally:
        assert s.stop() == 0, s.output()


def _headers(resp: dict) -> dict:
    keep = ("content-type", "x-influxdb-error", "transfer-encoding")
    return {k.lower(): v for k, v in resp["headers"] if k.lower() in keep}


def test_query_parameters_as_influxdb(answers):
    for case in HTTP_CASES:
        name = case["name"]
        want, got = RECORDED[name], answers[name]
        assert got["status"] == want["status"], name
        assert _headers(got) == _headers(want), name
        if "body" in want:
            assert got["body"] == want["body"], name
            continue
        body = got["body"]
        if name == "big_series":  # 1.8 drops the partial that 1.6.7 leaves on the merged row
            assert body.endswith("]]}]}]}\n"), body[-100:]
            body = body[:-len("}]}]}\n")] + QUIRK_16
        raw = body.encode("utf-8", "surrogateescape")
        assert (len(raw), hashlib.sha256(raw).hexdigest()) == (want["body_len"], want["body_sha256"]), (
            name, body[:300], body[-300:])


def test_chunked_lines_are_separate_json_objects(answers):
    lines = answers["big_series_chunked"]["body"].splitlines()
    docs = [json.loads(line) for line in lines]
    assert [len(d["results"][0]["series"][0]["values"]) for d in docs] == [10000, 1]
    assert [d["results"][0].get("partial") for d in docs] == [True, None]


def _select_rows(case_name: str) -> list[dict]:
    """The recorded SELECT's rows with times as int64 ns (from the epoch=ns answer)."""
    ns = json.loads(RECORDED["select_epoch_ns"]["body"])["results"][0]
    for row in ns["series"]:
        row[TIME_NS] = True
    return ns


@pytest.mark.parametrize("case", [c for c in CASES if c["name"].startswith("select_") and "chunked" not in c["name"]],
                         ids=lambda c: c["name"])
def test_epoch_and_pretty_render_select_times_as_influxdb(case):
    params = dict(parse_qsl(urlsplit(case["path"]).query, keep_blank_values=True))
    pretty = params.get("pretty") == "true"
    result = _select_rows(case["name"])
    text = encode_result(result, params.get("epoch", ""), pretty, 2)
    body = ('{\n    "results": [\n        ' + text + '\n    ]\n}\n') if pretty else '{"results":[' + text + ']}\n'
    assert body == RECORDED[case["name"]]["body"]


def test_indent_matches_go_for_nested_empty_and_escaped():
    src = '{"a":[],"b":{},"c":[1,{"d":"x,\\"y:[]"}],"e":""}'
    assert indent_json(src) == ('{\n    "a": [],\n    "b": {},\n    "c": [\n        1,\n        {\n'
                                '            "d": "x,\\"y:[]"\n        }\n    ],\n    "e": ""\n}')


def test_results_of_splits_rows_as_the_emitter_and_merge_restores_them():
    from influxlite.query import parse_query

    stmt = parse_query("SHOW SERIES").statements[0]
    rows = [{"columns": ["key"], "values": [[f"k{i}"] for i in range(5)]},
            {"name": "x", "columns": ["key"], "values": [["z"]]}]
    got = list(results_of(stmt, 0, iter(rows), 2))
    assert [len(r["series"][0]["values"]) for r in got] == [2, 2, 1, 1]
    assert [r.get("partial") for r in got] == [True, True, True, None]
    assert [r["series"][0].get("partial") for r in got] == [True, True, None, None]
    merged = merge_results(got)
    assert merged == [{"statement_id": 0, "series": rows}]
