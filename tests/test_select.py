"""InfluxQL SELECT over HTTP against InfluxDB 1.6.7's recorded answers (tests/fixtures/select.json, written
by tests/record_select.py from the queries of tests/select_queries.py).

One ``influxlite serve`` per implementation for the module: it gets the recorded setup statements, the
writes (same parameters and bodies) and the DELETE / DROP SERIES, each of which must answer as InfluxDB
did; then every recorded query is one test comparing status and body:
  * the parsed JSON must be equal, key order included, except that floats compare with a relative
    tolerance of 1e-9 (Go and DuckDB may differ in the last bits of a mean or a stddev); an integer
    InfluxDB wrote (Go writes an integral float as ``3``) must not come back as ``3.0``;
  * where InfluxDB 1.8 answers otherwise (the case's ``v18``), 1.8's answer is expected;
  * ``unordered_series`` (1.6.7's integral() GROUP BY tags emits series in a random order): the series of
    each result are sorted by name and tags before comparing, as the fixture's are.
  * rows of one series with the same time are compared as a set: InfluxDB 1.x leaves the order of points
    of different series at the same time unspecified (its merge is not stable), influxlite puts them in
    series-key order.
Queries of categories not in ``SUPPORTED_CATEGORIES`` and those in ``NOT_YET_IDS`` are skipped
("not yet: ..."); ``DIFFERENT`` lists the queries influxlite answers otherwise on purpose.
"""

from __future__ import annotations

import json
import math
import pathlib
import urllib.parse

import pytest

from record_select import sort_series
from test_http_write import Server, request

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "select.json").read_text())
ALL_CATEGORIES = sorted({q["category"] for q in FIXTURE["queries"]})
# What the planner does not do yet (issue 9 is open).
SUPPORTED_CATEGORIES: set[str] = set(ALL_CATEGORIES)
NOT_YET_IDS = {
}
# Answers that differ from 1.6.7's on purpose (README, "Differences from InfluxDB").
_TIES = "points of several series at the same time: 1.6.7's pick follows its unstable merge order"
DIFFERENT: dict[str, str] = {
    "aggregates-020": "mode() ties: 1.6.7 breaks them after Go's unstable sort by value",
    "selectors-008": _TIES, "selectors-012": _TIES, "selectors-013": _TIES, "selectors-033": _TIES,
    "order_limit-031": "LIMIT cuts between " + _TIES, "order_limit-032": "LIMIT cuts between " + _TIES,
    "order_limit-006": "OFFSET without LIMIT: 1.6.7 returns a single row",
    "multi_measurement-010": "a measurement named twice in FROM: 1.6.7 returns each point twice",
    "aggregates-043": "integral() over several series: of two points at one time the later in 1.6.7's unstable merge "
                      "order counts",
    "order_limit-019": "SOFFSET without SLIMIT: 1.6.7 returns no series",
}
REL_TOL = 1e-9
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def ask(port: int, q: str, db: str = "", method: str = "GET", params: dict | None = None) -> tuple[int, object]:
    """One /query, as the recorder sent it (GET with q in the URL, or POST with q in a form body)."""
    p = dict(params or {})
    if db:
        p["db"] = db
    if method == "POST":
        resp = request(port, "POST", "/query?" + urllib.parse.urlencode(p),
                       urllib.parse.urlencode({"q": q}).encode(), FORM)
    else:
        resp = request(port, "GET", "/query?" + urllib.parse.urlencode(dict(p, q=q)))
    try:
        body = json.loads(resp["body"]) if resp["body"] else None
    except ValueError:
        body = {"<not JSON>": resp["body"][:2000]}
    return resp["status"], body


def replay_dataset(port: int) -> None:
    """Setup statements, writes and deletes in the recorded order; each must answer as InfluxDB did."""
    for step in FIXTURE["setup"]:
        assert ask(port, step["q"], step["db"], "POST") == (step["status"], step["body"]), step["q"]
    for w in FIXTURE["writes"]:
        resp = request(port, "POST", "/write?" + urllib.parse.urlencode(w["params"]), w["body"].encode())
        assert resp["status"] == 204, (w["params"], resp["body"][:500])
    for step in FIXTURE["after_writes"]:
        assert ask(port, step["q"], step["db"], "POST") == (step["status"], step["body"]), step["q"]


_servers: dict[str, Server] = {}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A server per implementation with the dataset loaded, started on first use."""

    def get(impl: str) -> Server:
        if impl not in _servers:
            server = Server(tmp_path_factory.mktemp(f"select-{impl}") / "data", impl)
            _servers[impl] = server
            replay_dataset(server.port)
        return _servers[impl]

    yield get
    failures = []
    for impl, server in _servers.items():
        if server.stop() != 0:
            failures.append(f"{impl}: {server.output()[-3000:]}")
    _servers.clear()
    assert not failures, failures


def _same_number(want, got) -> bool:
    if isinstance(want, int) and isinstance(got, int):
        return want == got
    if isinstance(want, int) and isinstance(got, float) and got.is_integer():
        return False  # InfluxDB never writes "3.0": Go prints an integral float as 3
    return math.isclose(want, got, rel_tol=REL_TOL, abs_tol=1e-300)


def first_difference(want, got, path: str = "$") -> str | None:
    """The first path where ``got`` differs from ``want`` (None when equal within the float tolerance)."""
    if isinstance(want, bool) or isinstance(got, bool) or want is None or got is None or isinstance(want, str):
        return None if type(want) is type(got) and want == got else f"{path}: want {want!r}, got {got!r}"
    if isinstance(want, (int, float)):
        if isinstance(got, (int, float)) and _same_number(want, got):
            return None
        return f"{path}: want {want!r}, got {got!r}"
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{path}: want an object, got {got!r}"[:500]
        if list(want) != list(got):
            return f"{path}: want keys {list(want)}, got {list(got)}"
        for key in want:
            diff = first_difference(want[key], got[key], f"{path}.{key}")
            if diff:
                return diff
        return None
    if isinstance(want, list):
        if not isinstance(got, list):
            return f"{path}: want a list, got {got!r}"[:500]
        for i, (w, g) in enumerate(zip(want, got)):
            diff = first_difference(w, g, f"{path}[{i}]")
            if diff:
                return diff
        if len(want) != len(got):
            extra = want[len(got)] if len(want) > len(got) else got[len(want)]
            return f"{path}: want {len(want)} items, got {len(got)} (first unmatched: {extra!r})"[:500]
        return None
    raise TypeError(f"{path}: unexpected {type(want).__name__} in the fixture")


def ties_sorted(body):
    """The body with each series' rows of equal time (column 0) in a canonical order."""
    if not isinstance(body, dict):
        return body
    for result in body.get("results", []):
        for row in result.get("series", []):
            values = row.get("values") or []
            out, start = [], 0
            for i in range(1, len(values) + 1):
                if i == len(values) or values[i][0] != values[start][0]:
                    out += sorted(values[start:i], key=lambda v: json.dumps(v, sort_keys=True))
                    start = i
            if values:
                row["values"] = out
    return body


def _excerpt(body) -> str:
    text = json.dumps(body, ensure_ascii=False)
    return text if len(text) <= 1500 else text[:1500] + f"... ({len(text)} chars)"


@pytest.mark.parametrize("case", FIXTURE["queries"], ids=[q["id"] for q in FIXTURE["queries"]])
def test_select_answers_as_influxdb(case, impl, servers):
    if case["category"] not in SUPPORTED_CATEGORIES:
        pytest.skip(f"not yet: {case['category']}")
    if case["id"] in NOT_YET_IDS:
        pytest.skip(f"not yet: {NOT_YET_IDS[case['id']]}")
    if case["id"] in DIFFERENT:
        pytest.skip(f"differs on purpose: {DIFFERENT[case['id']]}")
    expected = case.get("v18", case)  # where 1.8 answers otherwise, influxlite follows 1.8
    status, body = ask(servers(impl).port, case["q"], case["db"], case["method"], case["params"])
    if case.get("unordered_series"):
        body = sort_series(body)
    diff = None if status == expected["status"] else f"status: want {expected['status']}, got {status}"
    diff = diff or first_difference(ties_sorted(expected["body"]), ties_sorted(body))
    if diff:
        pytest.fail(f"{case['id']} {case['q']!r} db={case['db']!r} params={case['params']}\n  first difference at "
                    f"{diff}\n  influxdb: {_excerpt(expected['body'])}\n  ours:     {_excerpt(body)}"
                    + (f"\n  (1.8 differs from the recorded 1.6.7: {case['v18']['why']})" if "v18" in case else ""),
                    pytrace=False)


def test_first_difference_reports_the_first_differing_path():
    """The comparison itself: float tolerance, ints exact, integral floats refused, key order, lengths."""
    assert first_difference({"a": [1, 2.5, None]}, {"a": [1, 2.5 * (1 + 1e-12), None]}) is None
    assert first_difference({"a": [1, 2.5]}, {"a": [1, 2.5001]}) == "$.a[1]: want 2.5, got 2.5001"
    assert first_difference([3], [3.0]).startswith("$[0]")
    assert first_difference([3], [2.9999999999999996]) is None
    assert first_difference([9223372036854775807], [9223372036854775806]) is not None
    assert first_difference([True], [1]) is not None
    assert first_difference({"a": 1, "b": 2}, {"b": 2, "a": 1}).startswith("$: want keys")
    assert "want 2 items, got 1" in first_difference([1, 2], [1])
    assert first_difference({"x": "s"}, {"x": None}) == "$.x: want 's', got None"
