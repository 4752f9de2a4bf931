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


def test_import_streams_in_batches_and_inspect_reports(tmp_path, capsys):
    import pyarrow as pa

    from influxlite.engine import Engine

    lines = [b'm,host=h%d v=%di,s="multi\nline %d" %d' % (i % 7, i, i, 1_700_000_000_000_000_000 + i) for i in range(500)]
    lines.insert(100, b"bad line")
    f = tmp_path / "data.lp.gz"
    f.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    data = tmp_path / "data"
    rc = main(["import", str(f), "--db", "mydb", "--data-dir", str(data), "--batch-bytes", "100", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "imported 500 points" in out and "1 errors" in out
    assert "unable to parse 'bad line': invalid field format" in out
    with Engine(data, retention_check_interval=0) as e:
        t = e.read("mydb", "m")
        assert t.num_rows == 500
        assert sorted(t.column("v").to_pylist()) == list(range(500))
        assert all("\n" in s for s in t.column("s").to_pylist())  # quoted newlines never split
    assert main(["inspect", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "database 'mydb': 7 series" in out
    assert "retention policy 'autogen' (default): duration 0s, shard group duration 168h0m0s" in out
    assert "500 rows" in out and "m: 7 series; fields v:integer, s:string" in out
    assert pa  # pyarrow available for reads


def test_import_reports_partial_writes(tmp_path, capsys):
    f = tmp_path / "d.lp"
    f.write_bytes(b"m v=1i 1\nm v=2 2\n")
    assert main(["import", str(f), "--db", "x", "--data-dir", str(tmp_path / "d"), "--quiet", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "imported 1 points" in out
    assert 'partial write: field type conflict: input field "v" on measurement "m" is type float' in out


def test_inspect_without_data(tmp_path, capsys):
    assert main(["inspect", "--data-dir", str(tmp_path)]) == 1
    assert "no influxlite data" in capsys.readouterr().out
