"""The ``influxlite`` command."""

from __future__ import annotations

import gzip

from influxlite.cli import main


def test_parse_reports_points_series_and_errors(tmp_path, capsys):
    f = tmp_path / "data.lp"
    f.write_bytes(b"cpu,host=a v=1 1\ncpu,host=b v=2 2\ncpu,host=a v=3 3\nbad line\n")
    assert main(["parse", str(f), "--details"]) == 0
    assert main(["parse", str(f), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "3 points, 2 series, 1 bad lines" in out
    assert "measurement 'cpu': 3 points" in out
    assert "unable to parse 'bad line': invalid field format" in out


def test_parse_reads_gzip(tmp_path, capsys):
    f = tmp_path / "data.lp.gz"
    f.write_bytes(gzip.compress(b"m v=1 1\n"))
    assert main(["parse", str(f)]) == 0
    assert "1 points, 1 series, 0 bad lines" in capsys.readouterr().out
