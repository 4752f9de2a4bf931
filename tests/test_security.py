"""What the data directory lets others see, and InfluxQL identifiers and strings that carry
quotes and escapes (no injection through them)."""

from __future__ import annotations

import os
import stat

from influxlite import parse_points
from influxlite.engine import Engine
from influxlite.query.executor import QueryExecutor


def test_a_new_data_dir_and_everything_below_are_the_owners_only(tmp_path):
    root = tmp_path / "new" / "data"
    with Engine(root) as engine:
        engine.meta.create_database("db")
        engine.write_points("db", None, parse_points(b"m v=1 1\n"))
    dirs = [root] + [os.path.join(d, n) for d, names, _ in os.walk(root) for n in names]
    assert len(dirs) > 3
    for d in dirs:
        assert stat.S_IMODE(os.stat(d).st_mode) & 0o077 == 0, d


def test_identifiers_and_strings_with_quotes_stay_values(tmp_path):
    """A measurement, tag key and values made of InfluxQL syntax are matched as text, never run."""
    with Engine(tmp_path / "data") as engine:
        engine.meta.create_database("db")
        engine.write_points("db", None, parse_points(
            b'm\\ "x,k\\=\\ "=it\'s\\ "q" v=1 1\nm\\ "x,k\\=\\ "=plain v=2 2\n'))
        x = QueryExecutor(engine)
        assert x.execute("SHOW MEASUREMENTS", database="db")[0]["series"][0]["values"] == [['m "x']]
        got = x.execute("""SELECT v FROM "m \\"x" WHERE "k= \\"" = 'it\\'s "q"'""", database="db")
        assert got[0]["series"][0]["values"] == [[1, 1]]  # (time in ns, v): only the quoted value's point
        # a string that looks like more condition is one value: it matches no point
        assert x.execute("""SELECT v FROM "m \\"x" WHERE "k= \\"" = 'plain\\' OR 1=1 OR \\'x'""",
                         database="db") == [{"statement_id": 0}]
        assert engine.meta.database("db") is not None
