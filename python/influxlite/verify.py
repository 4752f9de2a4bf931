"""``influxlite verify DATA_DIR``: checks every checksum and cross-reference of a data directory
and reports what it finds, one line per finding (file, offset when known, what), changing
nothing (every file is opened read-only; no lock is taken, no torn tail is cut).

Checked: ``meta/meta.json`` parses; per database, the series file's segments read to their
end (a torn tail of the last segment is a note, not damage) and match the crc32 checkpoints
of their sidecars (``NNNN.sum``; a segment without one, as InfluxDB writes them, is a note);
per shard, ``fields.json`` parses, the manifest parses and each file it lists exists with the
recorded size and crc32, opens as Parquet, has the recorded row count and time range, decodes
with its page checksums, and holds only series ids the series file and the shard's index know; WAL
segments decode to their end or have only a torn tail; each TSI partition's MANIFEST
parses, its log files' entries carry good checksums (a torn tail is a note), its index
files' checksums match, and every series id the index holds is in the series file, in the
index partition its key hashes to.

Exit status (``run``): 0 clean (notes allowed), 1 damage found, 2 usage error.
"""

from __future__ import annotations

import os
import sys

DAMAGE, NOTE = "damage", "note"


class Report:
    def __init__(self) -> None:
        self.findings: list[tuple[str, str, int | None, str]] = []

    def add(self, level: str, path: str, what: str, offset: int | None = None) -> None:
        self.findings.append((level, path, offset, what))

    def damaged(self) -> bool:
        return any(f[0] == DAMAGE for f in self.findings)

    def lines(self) -> list[str]:
        return [f"{level}: {path}" + ("" if off is None else f" offset {off}") + f": {what}"
                for level, path, off, what in self.findings]


def verify(data_dir: str) -> Report:
    """Checks ``data_dir``; returns the findings."""
    from .meta.store import MetaStore

    report = Report()
    try:
        MetaStore(data_dir, read_only=True)
    except Exception as e:  # noqa: BLE001 - every failure is a finding
        report.add(DAMAGE, os.path.join(data_dir, "meta", "meta.json"), str(e))
    root = os.path.join(data_dir, "data")
    for db in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        db_dir = os.path.join(root, db)
        sf = _series_file(report, os.path.join(db_dir, "_series"))
        try:
            for rp in sorted(os.listdir(db_dir)):
                rp_dir = os.path.join(db_dir, rp)
                if rp == "_series" or not os.path.isdir(rp_dir):
                    continue
                for shard in sorted(os.listdir(rp_dir)):
                    if shard.isdigit() and os.path.isdir(os.path.join(rp_dir, shard)):
                        _shard(report, os.path.join(rp_dir, shard), sf)
        finally:
            if sf is not None:
                sf.close()
    return report


def _series_file(report: Report, path: str):
    from .seriesfile import SeriesFile

    if not os.path.isdir(path):
        return None
    try:
        sf = SeriesFile(path, read_only=True)
        sf.series_count()
    except Exception as e:  # noqa: BLE001
        report.add(DAMAGE, getattr(e, "path", None) or path, str(e), getattr(e, "offset", None))
        return None
    for t in sf.torn:
        report.add(NOTE, path, f"torn tail (cut back on the next writable open): {t}")
    for segment in sf.unchecked:
        report.add(NOTE, segment, "no checksums (written by InfluxDB or an older influxlite): checked for structure "
                                  "only; the next writable open adds them")
    return sf


def _shard(report: Report, path: str, sf) -> None:
    from .storage import fields

    fpath = os.path.join(path, "fields.json")
    if os.path.exists(fpath):
        try:
            fields.load(fpath)
        except Exception as e:  # noqa: BLE001
            report.add(DAMAGE, fpath, str(e))
    index_ids = _index(report, os.path.join(path, "index"), sf)
    _wal(report, os.path.join(path, "wal"))
    _parquet(report, path, sf, index_ids)


def _wal(report: Report, path: str) -> None:
    from . import _backend
    from .storage.wal import WAL, next_whole_entry

    segments = WAL(path, read_only=True).segments()
    for i, seg in enumerate(segments):
        with open(seg, "rb") as f:
            data = f.read()
        valid, stop, _, _ = _backend.backend.Cache().replay(data)
        if stop is None:
            continue
        later = next_whole_entry(data, valid + 1)
        if i != len(segments) - 1 or later is not None:
            where = "later segments follow" if later is None else f"a whole entry follows at offset {later}"
            report.add(DAMAGE, seg, f"{stop}; {where}", valid)
        else:
            report.add(NOTE, seg, f"torn tail ({stop}, {len(data) - valid} bytes; cut on the next writable open)",
                       valid)


def _parquet(report: Report, path: str, sf, index_ids) -> None:
    from .storage.manifest import Manifest

    try:
        manifest = Manifest(path).load()
    except Exception as e:  # noqa: BLE001
        report.add(DAMAGE, os.path.join(path, "manifest.json"), str(e))
        return
    listed = set()
    for info in manifest.files:
        listed.add(os.path.normpath(info.path))
        tombs = [t for t in manifest.tombstones if t.applies_to(info)]
        deleted = None if any(t.series_ids is None for t in tombs) else set().union(*(t.series_ids for t in tombs))
        _parquet_file(report, os.path.join(path, info.path), info, sf, None if deleted is None else (index_ids, deleted))
    pdir = os.path.join(path, "parquet")
    for d, _dirs, names in os.walk(pdir):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), path)
            if n.endswith(".parquet") and rel not in listed:
                report.add(NOTE, os.path.join(d, n), "not listed in the shard manifest (an interrupted write-out)")


def _parquet_file(report: Report, full: str, info, sf, index_ids) -> None:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from .storage import parquet

    if not os.path.exists(full):
        report.add(DAMAGE, full, "listed in the shard manifest but missing")
        return
    size, crc = parquet.file_checksum(full)
    if size != info.size:
        report.add(DAMAGE, full, f"{size} bytes, the manifest recorded {info.size}")
    elif info.crc32 is not None and crc != info.crc32:
        report.add(DAMAGE, full, f"crc32 {crc:08x}, the manifest recorded {info.crc32:08x}")
    try:
        with open(full, "rb") as f:
            pf = pq.ParquetFile(f, page_checksum_verification=True)
            t = pf.read(columns=["time", "series_id"])
    except Exception as e:  # noqa: BLE001
        report.add(DAMAGE, full, f"does not decode as Parquet: {e}")
        return
    if t.num_rows != info.rows:
        report.add(DAMAGE, full, f"{t.num_rows} rows, the manifest recorded {info.rows}")
    if t.num_rows:
        mm = pc.min_max(t.column("time").cast("int64")).as_py()
        if (mm["min"], mm["max"]) != (info.min_time, info.max_time):
            report.add(DAMAGE, full, f"time range {mm['min']}..{mm['max']}, the manifest recorded "
                                     f"{info.min_time}..{info.max_time}")
    index_ids, deleted = index_ids if index_ids is not None else (None, None)
    for sid in [] if deleted is None else pc.unique(t.column("series_id")).to_pylist():
        if sid in deleted:
            continue
        if sf is not None and sf.series_key(sid) is None:
            report.add(DAMAGE, full, f"series id {sid} is not in the series file")
            break
        if index_ids is not None and sid not in index_ids:
            report.add(DAMAGE, full, f"series id {sid} is not in the shard's index")
            break


def _index(report: Report, path: str, sf):
    """Checks the TSI partitions; returns the index's series ids (None if it cannot be read)."""
    from .tsi import Index
    from .tsi.indexfile import IndexFile
    from .tsi.logentry import scan
    from .tsi.logfile import next_whole_entry
    from .tsi.partition import parse_file_name

    if not os.path.isdir(path):
        return None
    for p in sorted(os.listdir(path)):
        pdir = os.path.join(path, p)
        for name in sorted(os.listdir(pdir)) if os.path.isdir(pdir) else []:
            full = os.path.join(pdir, name)
            if name.endswith(".tsl") and parse_file_name(name):
                with open(full, "rb") as f:
                    data = f.read()
                _, valid, reason = scan(data)
                if valid < len(data):
                    later = next_whole_entry(data, valid + 1)
                    if later is not None:
                        report.add(DAMAGE, full, f"{reason or 'bad entry'}; a whole entry follows at offset {later}",
                                   valid)
                    else:
                        report.add(NOTE, full, f"torn tail ({reason or 'bad entry'}; cut on the next writable open)",
                                   valid)
            elif name.endswith(".ilx") and parse_file_name(name):
                try:
                    IndexFile(full).close()
                except Exception as e:  # noqa: BLE001
                    report.add(DAMAGE, full, str(e))
    if sf is None:
        return None
    try:
        index = Index(path, sf, read_only=True).open()
    except Exception as e:  # noqa: BLE001
        report.add(DAMAGE, path, f"index does not open: {e}")
        return None
    try:
        return _index_series(report, index, sf)
    finally:
        index.close()


def _index_series(report: Report, index, sf):
    from .serieskey import parse_series_key

    ids = set()
    for i, part in enumerate(index.partitions):
        for sid in part.series_id_set:
            ids.add(sid)
            key = sf.series_key(sid)
            if key is None:
                report.add(DAMAGE, part.path, f"series id {sid} is not in the series file")
                continue
            try:
                name, tags = parse_series_key(key)
                right = index.partition_of(name, tags)
            except Exception as e:  # noqa: BLE001
                report.add(DAMAGE, part.path, f"series id {sid}: series key does not parse: {e}")
                continue
            if right != i:
                report.add(DAMAGE, part.path, f"series id {sid}: its key {key!r} belongs in index partition {right} "
                                              "(the series file or the index is damaged)")
    return ids


def run(argv: list[str]) -> int:
    """``influxlite verify DATA_DIR``: prints the findings; exit status 0, 1 (damage) or 2."""
    if len(argv) != 1 or not os.path.isdir(os.path.join(argv[0], "meta")):
        print(f"usage: influxlite verify DATA_DIR ({argv[0] if argv else 'no directory'} "
              "holds no influxlite data)" if argv else "usage: influxlite verify DATA_DIR", file=sys.stderr)
        return 2
    report = verify(argv[0])
    for line in report.lines():
        print(line)
    n = sum(1 for f in report.findings if f[0] == DAMAGE)
    print(f"{argv[0]}: {'damage found: ' + str(n) + ' finding(s)' if n else 'no damage found'}")
    return 1 if n else 0
