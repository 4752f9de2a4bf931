"""``influxlite verify DATA_DIR``: 0 on a clean data dir (a torn log tail is only a note), 1 with
a line naming the file on damage, 2 on a usage error; it changes no byte and no mtime."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest

from test_damaged_files import _base, damage, pick

from influxlite.verify import verify


def _state(d: str) -> dict:
    out = {}
    for root, _dirs, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            st = os.stat(p)
            with open(p, "rb") as f:
                out[p] = (f.read(), st.st_mtime_ns, st.st_size)
    return out


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "influxlite", "verify", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def bases():
    return {}


@pytest.mark.parametrize("variant", ["clean", "crash"])
def test_clean_data_dir_passes_and_nothing_changes(bases, tmp_path_factory, tmp_path, variant):
    base, _ = _base(bases, tmp_path_factory, variant)
    d = shutil.copytree(base, str(tmp_path / "d"))
    before = _state(d)
    report = verify(d)
    assert not report.damaged(), report.lines()
    assert _state(d) == before


@pytest.mark.parametrize("variant,kind,how,needle", [
    ("crash", "wal", "flip", "whole entry follows"),
    ("crash", "wal", "zero", "whole entry follows"),
    ("crash", "tsl", "flip", "whole entry follows"),
    ("clean", "ilx", "flip", "checksum mismatch"),
    ("clean", "parquet", "flip", "crc32"),
    ("clean", "parquet", "truncate", "bytes, the manifest recorded"),
    ("crash", "manifest", "flip", "damaged manifest"),
    ("clean", "fields", "zero", "damaged"),
    ("clean", "meta", "truncate", "damaged at offset"),
    ("crash", "tsi_manifest", "truncate", "damaged at offset"),
    ("clean", "series", "flip", "checksum mismatch"),
    ("crash", "series", "flip", "checksum mismatch"),
    ("crash", "series", "zero", "invalid series segment"),  # a small segment: its header is in the page
    ("crash", "series", "truncate", "cut short"),
    ("clean", "series_sum", "zero", "bad header"),
])
def test_damage_is_reported_and_nothing_changes(bases, tmp_path_factory, tmp_path, variant, kind, how, needle):
    base, _ = _base(bases, tmp_path_factory, variant)
    d = shutil.copytree(base, str(tmp_path / "d"))
    rel = pick(d, kind)
    target = os.path.join(d, rel)
    with open(target, "rb") as f:  # a preallocated series segment: damage inside its entries
        data_end = len(f.read().rstrip(b"\0")) if kind == "series" else None
    damage(target, how, data_end=data_end)
    before = _state(d)
    report = verify(d)
    assert report.damaged()
    hits = [line for line in report.lines() if line.startswith("damage:") and rel in line]
    assert hits and any(needle in h for h in hits), report.lines()
    assert _state(d) == before


@pytest.mark.parametrize("checked", [True, False])
def test_series_file_cut_short(bases, tmp_path_factory, tmp_path, checked):
    """A series segment truncated inside its entries: its checksums name the segment and the
    offset; without them (InfluxDB's files) the keys the index and files still use are missed."""
    base, _ = _base(bases, tmp_path_factory, "crash")
    d = shutil.copytree(base, str(tmp_path / "d"))
    seg = os.path.join(d, pick(d, "series"))
    if not checked:
        for side in glob.glob(os.path.join(d, "data/db/_series/*/*.sum")):
            os.remove(side)
    with open(seg, "rb") as f:
        end = len(f.read().rstrip(b"\0"))
    with open(seg, "r+b") as f:
        f.truncate(end // 2)
    report = verify(d)
    if checked:
        hit = [line for line in report.lines() if line.startswith(f"damage: {seg} offset ")]
        assert hit and f"cut short at {end // 2} bytes" in hit[0], report.lines()
    else:
        assert any("is not in the series file" in line for line in report.lines()), report.lines()
        assert any(line.startswith(f"note: {seg}: no checksums") for line in report.lines()), report.lines()


def test_torn_series_checksums_are_a_note(bases, tmp_path_factory, tmp_path):
    base, _ = _base(bases, tmp_path_factory, "crash")
    d = shutil.copytree(base, str(tmp_path / "d"))
    side = os.path.join(d, pick(d, "series_sum"))
    with open(side, "ab") as f:
        f.write(b"\x01\x02\x03")  # a checkpoint a crash cut short
    report = verify(d)
    assert not report.damaged(), report.lines()
    assert any(line.startswith("note: ") and f"{side}: torn checkpoint" in line for line in report.lines())


def test_torn_wal_tail_is_a_note(bases, tmp_path_factory, tmp_path):
    base, _ = _base(bases, tmp_path_factory, "crash")
    d = shutil.copytree(base, str(tmp_path / "d"))
    seg = os.path.join(d, pick(d, "wal"))
    with open(seg, "r+b") as f:
        f.truncate(os.path.getsize(seg) - 10)
    report = verify(d)
    assert not report.damaged(), report.lines()
    assert any(line.startswith("note: " + seg) and "torn tail" in line for line in report.lines())


def test_cli_exit_status(bases, tmp_path_factory, tmp_path, impl):
    if impl == "pure":
        pytest.skip("the subprocess uses the default implementation; run once")
    base, _ = _base(bases, tmp_path_factory, "clean")
    d = shutil.copytree(base, str(tmp_path / "d"))
    r = _cli(d)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no damage found" in r.stdout
    rel = pick(d, "parquet")
    damage(os.path.join(d, rel), "flip")
    r = _cli(d)
    assert r.returncode == 1 and rel in r.stdout, r.stdout + r.stderr
    assert _cli(str(tmp_path / "nothing")).returncode == 2
    assert _cli().returncode == 2
