"""Damaged files (issue 10, item 2): each kind of file the engine writes, truncated, with a byte
flipped and with a 4 KiB page zeroed, in a data dir closed cleanly and in one copied while the
engine was open (a crash). A torn tail of a log is cut back and the rest served; any other
damage stops with an error naming the file; nothing is served wrong or deleted. Series segments
are checked against the checkpoints of their sidecars (``0000.sum``)."""

from __future__ import annotations

import glob
import os
import shutil

import pytest

from influxlite import Engine, _backend, parse_points
from influxlite.seriesfile import SeriesFile
from influxlite.tsi import Index


def _lines(n0: int, n: int) -> bytes:
    return b"\n".join(b"cpu,host=h%d,region=r%d usage=%d.5,n=%di 17000000%02d000000000" % (i % 40, i % 3, i, i, i % 97)
                      for i in range(n0, n0 + n))


def build(root: str) -> tuple[str, str]:
    """``(clean, crash)`` data dirs: Parquet files, a WAL of several entries (crash only), TSI
    log files (crash) or compacted index files (clean)."""
    d = os.path.join(root, "clean")
    e = Engine(d).open(start_services=False)
    e.meta.create_database("db")
    e.write_points("db", None, parse_points(_lines(0, 1500)))
    e.compact()
    for k in range(8):
        e.write_points("db", None, parse_points(_lines(1500 + 50 * k, 50) + b"\nmem,host=a%d free=1i 1700000000000000000" % k))
    shutil.copytree(d, os.path.join(root, "crash"))  # what a crash leaves: every write returned is durable
    e.close()
    sf = SeriesFile(os.path.join(d, "data/db/_series"))
    Index(glob.glob(os.path.join(d, "data/db/*/*/index"))[0], sf, max_log_file_size=1).open().close()
    sf.close()
    return d, os.path.join(root, "crash")


def snapshot(d: str):
    """Every point with its series key, or the exception opening or reading raised."""
    try:
        e = Engine(d).open(start_services=False)
    except Exception as x:  # noqa: BLE001
        return x
    try:
        out = {}
        sf = e.series_file("db")
        for m in ("cpu", "mem"):
            t = e.read("db", m)
            cols = [c for c in t.column_names if c != "series_id"]
            keys = [sf.series_key(s) for s in t.column("series_id").to_pylist()] if t.num_rows else []
            out[m] = set(zip(keys, *[t.column(c).to_pylist() for c in cols]))
        return out
    except Exception as x:  # noqa: BLE001
        return x
    finally:
        e.close()


KINDS = {
    "meta": lambda rel: rel == "meta/meta.json",
    "series": lambda rel: rel.startswith("data/db/_series/") and not rel.endswith(".sum"),
    "series_sum": lambda rel: rel.startswith("data/db/_series/") and rel.endswith(".sum"),
    "tsl": lambda rel: rel.endswith(".tsl"),
    "ilx": lambda rel: rel.endswith(".ilx"),
    "tsi_manifest": lambda rel: rel.endswith("/MANIFEST"),
    "fields": lambda rel: rel.endswith("fields.json"),
    "wal": lambda rel: rel.endswith(".wal"),
    "parquet": lambda rel: rel.endswith(".parquet"),
    "manifest": lambda rel: rel.endswith("/manifest.json"),
}


def pick(d: str, kind: str) -> str:
    """The largest file of a kind holding data (series segments: one holding entries)."""
    rels = [os.path.relpath(p, d) for p in glob.glob(d + "/**", recursive=True) if os.path.isfile(p)]
    rels = [r for r in rels if KINDS[kind](r) and os.path.getsize(os.path.join(d, r))]
    if kind == "series":
        return max(rels, key=lambda r: len(_read(os.path.join(d, r)).rstrip(b"\0")))
    if kind == "series_sum":  # the checksums of that segment
        return pick(d, "series") + ".sum"
    return max(rels, key=lambda r: os.path.getsize(os.path.join(d, r)))


def damage(path: str, how: str, *, data_end: int | None = None) -> None:
    """Truncates to half, flips a byte in the middle or zeroes the 4 KiB page holding the middle
    (of the data, for a preallocated file: ``data_end``)."""
    end = data_end if data_end is not None else os.path.getsize(path)
    mid = end // 2
    with open(path, "r+b") as f:
        if how == "truncate":
            f.truncate(mid)
        elif how == "flip":
            f.seek(mid)
            b = f.read(1)
            f.seek(mid)
            f.write(bytes([b[0] ^ 0x10]))
        else:
            off = mid & ~4095
            f.seek(off)
            f.write(bytes(min(4096, os.path.getsize(path) - off)))


@pytest.fixture(scope="module")
def bases(tmp_path_factory):
    """Built once per implementation (the files are the same; reading them differs)."""
    return {}


def _base(bases, tmp_path_factory, variant: str) -> str:
    impl = _backend.implementation
    if impl not in bases:
        root = str(tmp_path_factory.mktemp(f"base-{impl}"))
        clean, crash = build(root)
        bases[impl] = {"clean": clean, "crash": crash}
        for v, d in list(bases[impl].items()):
            bases[impl]["ref-" + v] = snapshot(shutil.copytree(d, os.path.join(root, "ref-" + v)))
    return bases[impl][variant], bases[impl]["ref-" + variant]


def _read(p: str) -> bytes:
    with open(p, "rb") as f:
        return f.read()


def _tree(d: str) -> dict:
    return {os.path.relpath(p, d): _read(p) for p in glob.glob(d + "/**", recursive=True)
            if os.path.isfile(p) and not p.endswith(".lock")}


# (variant, kind): what each damage must give. "error": open or read fails naming the file,
# and no file changes; "torn": a log's tail is cut, what is served is a subset of what was written.
CASES = [(v, k, h, "error") for v in ("clean", "crash") for k in ("meta", "fields", "manifest", "tsi_manifest", "parquet")
         for h in ("truncate", "flip", "zero")]
CASES += [("clean", "ilx", h, "error") for h in ("truncate", "flip", "zero")]
CASES += [("crash", "wal", "truncate", "torn"), ("crash", "wal", "flip", "error"), ("crash", "wal", "zero", "error")]
CASES += [("crash", "tsl", "truncate", "torn"), ("crash", "tsl", "flip", "error")]
CASES += [(v, "series", h, "error") for v in ("clean", "crash") for h in ("truncate", "flip", "zero")]
# A sidecar of checksums (one checkpoint here): a bad header stops; a bad last checkpoint is torn
CASES += [(v, "series_sum", h, "torn") for v in ("clean", "crash") for h in ("truncate", "flip")]
CASES += [(v, "series_sum", "zero", "error") for v in ("clean", "crash")]


@pytest.mark.parametrize("variant,kind,how,expected", CASES)
def test_damage_is_detected(bases, tmp_path_factory, tmp_path, variant, kind, how, expected):
    base, ref = _base(bases, tmp_path_factory, variant)
    assert isinstance(ref, dict) and ref["cpu"] and ref["mem"]
    d = shutil.copytree(base, str(tmp_path / "d"))
    rel = pick(d, kind)
    target = os.path.join(d, rel)
    data_end = len(_read(target).rstrip(b"\0")) if kind == "series" else None
    damage(target, how, data_end=data_end)
    before = _tree(d)
    got = snapshot(d)
    if expected == "error":
        assert isinstance(got, Exception), f"damaged {rel} ({how}) was served: {type(got)}"
        assert rel in str(got), f"the error does not name {rel}: {got!r}"
        after = _tree(d)
        assert after.get(rel) == before[rel], "the damaged file was changed or removed"
        assert all(after.get(r) == b for r, b in before.items() if r.endswith(".parquet")), "a Parquet file went"
    else:
        assert isinstance(got, dict), f"a torn tail of {rel} stopped the engine: {got!r}"
        for m in ref:
            assert got[m] <= ref[m], f"{m}: rows served that were never written"


def test_wal_torn_tail_keeps_whole_entries(bases, tmp_path_factory, tmp_path):
    """A WAL cut in its last entry loses that entry only; every earlier one is served."""
    base, ref = _base(bases, tmp_path_factory, "crash")
    d = shutil.copytree(base, str(tmp_path / "d"))
    seg = os.path.join(d, pick(d, "wal"))
    size = os.path.getsize(seg)
    with open(seg, "r+b") as f:
        f.truncate(size - 10)
    got = snapshot(d)
    assert len(got["mem"]) == len(ref["mem"]) - 1  # one mem point per WAL entry: the last is gone
    assert len(got["cpu"]) == len(ref["cpu"]) - 50


def test_old_index_files_without_checksum_still_open(tmp_path):
    """Version 1 ``.ilx`` files (80-byte trailer, no crc) are still read."""
    import struct

    from pyroaring import BitMap64

    from influxlite.tsi import indexfile

    p = str(tmp_path / "L1-00000001.ilx")
    indexfile.write(p, {}, BitMap64([1, 9]), BitMap64())
    data = _read(p)
    v1 = data[:-12] + b"ILX1" + struct.pack("<I", 1)  # drop the crc, version 1
    with open(p, "wb") as f:
        f.write(v1)
    f = indexfile.IndexFile(p)
    assert list(f.series_id_set()) == [1, 9]
    f.close()
