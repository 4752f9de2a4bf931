"""The executor's pieces that the recorded comparison does not reach: Go's JSON encoding,
statement sequencing, deletes that really delete, DROP SHARD, privileges' effect."""

from __future__ import annotations

import json

import pytest

from influxlite import Engine, parse_points
from influxlite.query import ParseError
from influxlite.query.executor import QueryExecutor
from influxlite.query.results import (UnsupportedValueError, encode_value, format_time_rfc3339nano,
                                      make_result, make_row, to_json)

T0 = 1_700_000_000_000_000_000


@pytest.mark.compares_implementations
@pytest.mark.parametrize("value, text", [
    (20.0, "20"), (-0.0, "-0"), (0.1, "0.1"), (0.00001, "0.00001"), (1e-6, "0.000001"),
    (123456789012345680.0, "123456789012345680"), (1e-7, "1e-7"), (1e21, "1e+21"), (1.5e300, "1.5e+300"),
    (1e20, "100000000000000000000"), (float("nan"), "null"), (9223372036854775807, "9223372036854775807"),
    (True, "true"), (None, "null"), ("a<b>&c", '"a\\u003cb\\u003e\\u0026c"'), ("μ\u2028", '"μ\\u2028"'),
    ("q\"\\\n\x01", '"q\\"\\\\\\n\\u0001"'),
])
def test_values_encode_as_go_encodes_them(value, text):
    assert encode_value(value) == text


@pytest.mark.compares_implementations
def test_inf_cannot_be_encoded_and_times_trim_zeros():
    with pytest.raises(UnsupportedValueError, match=r"^json: unsupported value: \+Inf$"):
        encode_value(float("inf"))
    assert format_time_rfc3339nano(T0) == "2023-11-14T22:13:20Z"
    assert format_time_rfc3339nano(T0 + 120_000_000) == "2023-11-14T22:13:20.12Z"
    assert format_time_rfc3339nano(1) == "1970-01-01T00:00:00.000000001Z"
    assert format_time_rfc3339nano(-1) == "1969-12-31T23:59:59.999999999Z"


@pytest.mark.compares_implementations
def test_rows_and_results_leave_empty_members_out():
    assert make_result(3) == {"statement_id": 3}
    assert make_row("", ["user", "admin"], []) == {"columns": ["user", "admin"]}
    row = make_row("cpu", ["c"], [[1]], tags={"b": "2", "a": "1"}, partial=True)
    assert list(row) == ["name", "tags", "columns", "values", "partial"] and list(row["tags"]) == ["a", "b"]
    assert to_json([make_result(0, [row])]) == (
        b'{"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"a":"1","b":"2"},'
        b'"columns":["c"],"values":[[1]],"partial":true}]}]}')


@pytest.fixture
def x(tmp_path):
    with Engine(tmp_path / "data", retention_check_interval=0, cache_snapshot_write_cold_duration=0) as e:
        e.meta.create_database("db")
        e.write_points("db", None, parse_points(
            b"cpu,host=a usage=1 %d\ncpu,host=a usage=2 %d\ncpu,host=b usage=3 %d" % (T0, T0 + 10**9, T0)))
        yield QueryExecutor(e)


def test_statements_after_an_error_do_not_run(x):
    assert x.execute("SHOW DATABASES; SHOW TAG KEYS ON nodb; CREATE DATABASE late") == [
        {"statement_id": 0, "series": [{"name": "databases", "columns": ["name"], "values": [["db"]]}]},
        {"statement_id": 1, "error": "not executed"}]
    assert x.engine.meta.database("late") is None
    assert x.execute("SELECT * FROM cpu") == [{"statement_id": 0, "error": "database name required"}]
    assert x.execute("SHOW MEASUREMENTS") == [{"statement_id": 0, "error": "database name required"}]
    with pytest.raises(ParseError, match="^found FOO"):
        x.execute("SHOW FOO")


def test_bound_parameters_and_parsed_queries(x):
    from influxlite.query import parse_query
    got = x.execute("SHOW TAG VALUES WITH KEY = host WHERE host = $h", database="db", params={"h": "b"})
    assert got[0]["series"][0]["values"] == [["host", "b"]]
    assert x.execute(parse_query("SHOW MEASUREMENTS ON db"))[0]["series"][0]["values"] == [["cpu"]]


def test_delete_removes_points_in_its_time_range_only(x):
    e = x.engine
    assert x.execute(f"DELETE FROM cpu WHERE host = 'a' AND time <= {T0}", database="db") == [{"statement_id": 0}]
    t = e.read("db", "cpu")
    assert sorted(t.column("usage").to_pylist()) == [2.0, 3.0]
    x.execute("DELETE WHERE time >= 0", database="db")
    assert e.read("db", "cpu").num_rows == 0


def test_drop_series_and_measurement_leave_the_index(x):
    x.execute("DROP SERIES WHERE host = 'b'", database="db")
    assert x.execute("SHOW SERIES", database="db")[0]["series"][0]["values"] == [["cpu,host=a"]]
    x.execute("DROP MEASUREMENT cpu", database="db")
    assert x.execute("SHOW MEASUREMENTS", database="db") == [{"statement_id": 0}]


def test_drop_shard_removes_it(x):
    sid = x.execute("SHOW SHARDS")[0]["series"][0]["values"][0][0]
    assert x.execute(f"DROP SHARD {sid}") == [{"statement_id": 0}]
    assert "values" not in x.execute("SHOW SHARDS")[0]["series"][0]
    assert x.execute("SHOW SERIES", database="db") == [{"statement_id": 0}]


def test_privileges_limit_show_databases_and_survive_a_restart(x, tmp_path):
    x.execute("CREATE DATABASE hidden; CREATE USER u WITH PASSWORD 'p'; GRANT WRITE ON db TO u")
    u = x.engine.meta.user("u")
    ctx_db = x.execute("SHOW DATABASES", user=u)
    assert ctx_db[0]["series"][0]["values"] == [["db"]]
    x.execute("REVOKE WRITE ON db FROM u")
    assert x.execute("SHOW DATABASES", user=u) == [
        {"statement_id": 0, "series": [{"name": "databases", "columns": ["name"]}]}]
    assert json.loads(json.dumps(x.execute("SHOW GRANTS FOR u")))[0]["series"][0]["values"] == [
        ["db", "NO PRIVILEGES"]]
