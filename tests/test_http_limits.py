"""``max-series-per-database`` and ``max-values-per-tag`` through ``influxlite serve``, against
InfluxDB 1.6.7's recorded answers (tests/record_http_limits.py): the points of refused series
are dropped, the others written, and the write answers 400 ``partial write: ... dropped=N``;
SHOW SERIES / SHOW TAG VALUES show what was created."""

from __future__ import annotations

import json

import pytest

from record_http_limits import ENV, FIXTURE, STEPS
from record_http_fixtures import send
from test_http_write import Server

RECORDED = json.loads(FIXTURE.read_text())["answers"]


@pytest.mark.parametrize("topic", list(STEPS))
def test_limits_as_influxdb(tmp_path, impl, topic):
    env = {k.replace("INFLUXDB_", "INFLUXLITE_", 1): v for k, v in ENV[topic].items()}
    s = Server(tmp_path / "data", impl, env)
    try:
        for step in STEPS[topic]:
            resp, conn = send(s.port, step)
            if conn is not None:
                conn.close()
            want = RECORDED[topic][step["name"]]
            assert (resp["status"], resp["body"]) == (want["status"], want["body"]), step["name"]
    finally:
        assert s.stop() == 0, s.output()


def test_limits_off_when_zero(tmp_path, impl):
    from influxlite.engine import Engine
    from influxlite.models import parse_points

    with Engine(tmp_path / "d", retention_check_interval=0, max_series_per_database=0,
                max_values_per_tag=0) as engine:
        engine.meta.create_database("db")
        body = b"".join(b"cpu,host=h%d v=1 %d\n" % (i, i) for i in range(50))
        assert engine.write_points("db", None, parse_points(body)).written == 50
    with Engine(tmp_path / "e", retention_check_interval=0, max_series_per_database=10,
                max_values_per_tag=4) as engine:
        engine.meta.create_database("db")
        from influxlite.coordinator import PartialWriteError

        with pytest.raises(PartialWriteError) as e:
            engine.write_points("db", None, parse_points(body))
        assert str(e.value) == "partial write: max-series-per-database limit exceeded: (10) dropped=50"
        ok = b"".join(b"cpu,host=h%d v=1 %d\n" % (i, i) for i in range(6))
        assert engine.write_points("db", None, parse_points(ok)).written == 6  # one write may pass 4 values
        with pytest.raises(PartialWriteError) as e:
            engine.write_points("db", None, parse_points(b"cpu,host=h1 v=2 9\ncpu,host=new v=1 9\n"))
        assert str(e.value) == ('partial write: max-values-per-tag limit exceeded (6/4): measurement="cpu" '
                                'tag="host" value="new" dropped=1')
        table = engine.read("db", "cpu")
        assert table.num_rows == 7  # h0..h5 and the second h1 point
