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


def test_import_counts_partial_writes_of_every_shard_and_ends_compacted(tmp_path, capsys):
    import pyarrow.parquet as pq

    week = 7 * 24 * 3600 * 10**9
    t0 = 1_700_000_000_000_000_000
    lines = [b"m v=1i %d" % t0, b"m v=2i %d" % (t0 + week)]  # two shard groups, so two shards
    lines += [b"m v=%d.5 %d" % (i, t0 + 1 + i) for i in range(3)]  # refused by the first shard
    lines += [b"m v=\"s\" %d" % (t0 + week + 1 + i) for i in range(4)]  # refused by the second
    f = tmp_path / "d.lp"
    f.write_bytes(b"\n".join(lines) + b"\n")
    data = tmp_path / "d"
    assert main(["import", str(f), "--db", "x", "--data-dir", str(data), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "imported 2 points" in out and "; 7 errors" in out  # every shard's refusals counted
    assert 'is type float, already exists as type integer' in out and 'is type string' in out
    files = sorted(data.rglob("*.parquet"))
    assert len(files) == 2 and sum(pq.read_metadata(p).num_rows for p in files) == 2  # compacted
    assert not [p for p in data.rglob("*.wal") if p.stat().st_size]  # nothing left in the WALs
    assert main(["inspect", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert out.count("fully compacted") == 2 and "bytes on disk (" in out
    assert main(["compact", "--data-dir", str(data)]) == 0
    assert "1 files, 1 rows" in capsys.readouterr().out


def test_inspect_shows_allocated_bytes_beside_the_apparent_size(tmp_path, capsys):
    f = tmp_path / "d.lp"
    f.write_bytes(b"m v=1 1700000000000000000\n")
    data = tmp_path / "d"
    assert main(["import", str(f), "--db", "x", "--data-dir", str(data), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["inspect", "--data-dir", str(data)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("database 'x'"))
    on_disk, apparent = [int(x.replace(",", "")) for x in
                         line.split("series, ")[1].replace(" bytes on disk (", " ").split(" ")[:2]]
    assert on_disk < apparent / 10  # the series segments are preallocated, sparse files
