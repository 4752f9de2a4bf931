"""InfluxDB's own series-file and TSI code (``tsiwrite``/``tsidump`` from ``../shared/oracle``) as
a test oracle, and the same operations done with influxlite.

Fixtures in ``tests/fixtures/tsi``: ``input.lp`` and ``deletes.txt`` (made by ``make_fixture``),
``influxdb.tar.gz`` (the directory tsiwrite wrote from them) and ``influxdb.tsidump.json``
(tsidump's reading of it). ``python tests/tsi_oracle.py --refresh`` rewrites them.
"""

from __future__ import annotations

import io
import json
import pathlib
import random
import shutil
import subprocess
import sys
import tarfile

from pyroaring import BitMap64

import influxlite
from influxlite.seriesfile import SeriesFile
from influxlite.serieskey import parse_series_key
from influxlite.tsi import LogFile

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "tsi"
sys.path.insert(0, str(HERE))
import oracle  # noqa: E402

LOG_NAME = "L0-00000001.tsl"


def make_input(seed: int = 3, n: int = 400) -> tuple[bytes, str]:
    """Series over 5 measurements (escapes, non-ASCII, 2-4 tags), duplicates, shuffled."""
    rng = random.Random(seed)
    names = [b"cpu", b"mem", b"net\\ work", b"a\\,b", b"caf\xc3\xa9"]
    lines = []
    for i in range(n):
        name = names[i % len(names)]
        tags = {b"host": b"h%d" % rng.randrange(60), b"region": rng.choice([b"us\\ east", b"eu", b"\xe6\x9d\xb1"])}
        if rng.random() < 0.6:
            tags[b"k\\=x"] = b"v\\,%d" % rng.randrange(5)
        if rng.random() < 0.3:
            tags[b"z"] = b"%d" % i
        tag_text = b",".join(k + b"=" + v for k, v in tags.items())
        lines.append(name + b"," + tag_text + b" v=1 1")
    lines += rng.sample(lines, n // 4)  # duplicates
    rng.shuffle(lines)
    cpu = [ln.split(b" ")[0].decode() for ln in lines if ln.startswith(b"cpu,") and b"\\ " not in ln]
    deletes = "\n".join([
        "# deletes applied after the points, in order",
        f"series {cpu[0]}",
        f"series {cpu[1]}",
        "seriesid 13",
        "measurement mem",
        "tagvalue cpu region eu",
        "tagkey caf\u00e9 host",
        f"sfile {cpu[2]}",
        f"add {cpu[0]} v=1 1",
        "add newm,t=1 v=1 1",
    ]) + "\n"
    return b"\n".join(lines) + b"\n", deletes


def write_like_tsiwrite(directory: pathlib.Path, lp: bytes, deletes: str, batch: int = 5000) -> None:
    """What tsiwrite does with InfluxDB's code, done with influxlite's SeriesFile and LogFile."""
    directory.mkdir(parents=True, exist_ok=True)
    sfile = SeriesFile(directory / "_series")
    lf = LogFile(directory / LOG_NAME, sfile).open()
    series_set = lf.series_id_set()

    def add(data: bytes) -> None:
        points = influxlite.parse_points(data, "n", 0).points
        for i in range(0, len(points), batch):
            chunk = points[i : i + batch]
            lf.add_series_list(series_set, [p.name for p in chunk], [p.tags for p in chunk])

    def series_id(key: str) -> int:
        (p,) = influxlite.parse_points(key.encode() + b" v=1", "n", 0).points
        sid = sfile.series_id(p.name, p.tags)
        assert sid, key
        return sid

    add(lp)
    for line in deletes.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        verb, _, rest = line.partition(" ")
        args = rest.split("\t") if "\t" in line else rest.split(" ", {"tagkey": 1, "tagvalue": 2}.get(verb, 0))
        if verb == "measurement":
            lf.delete_measurement(rest.encode())
        elif verb == "tagkey":
            lf.delete_tag_key(*[a.encode() for a in args])
        elif verb == "tagvalue":
            lf.delete_tag_value(*[a.encode() for a in args])
        elif verb in ("series", "seriesid"):
            sid = int(rest) if verb == "seriesid" else series_id(rest)
            lf.delete_series_id(sid)
            series_set.discard(sid)
        elif verb == "sfile":
            sfile.delete_series_id(series_id(rest))
        elif verb == "add":
            add(rest.encode())
    lf.close()
    sfile.close()


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def escaped_key(binary_key: bytes) -> str:
    """The escaped text key InfluxDB prints for a series (models.MakeKey)."""
    from influxlite.models import make_key

    name, tags = parse_series_key(binary_key)
    return _s(make_key(name, tags))


def dump(directory: pathlib.Path) -> dict:
    """influxlite's reading of a directory, in the shape of tsidump's JSON (without sizes)."""
    sfile = SeriesFile(directory / "_series", sync=False)
    try:
        series, tomb = [], []
        for p in range(8):
            sid = p + 1
            while True:
                key = sfile.series_key(sid)
                if key is None:
                    break
                series.append([sid, escaped_key(key), p])
                if sfile.is_deleted(sid):
                    tomb.append(sid)
                sid += 8
        series.sort()
        out = {"series_file": {"count": sfile.series_count(), "series": series, "tombstoned_ids": sorted(tomb)}}
        logs = {}
        for path in sorted(directory.glob("*.tsl")):
            lf = LogFile(path, sfile, sync=False).open()
            mms = {}
            for name, deleted in lf.measurements():
                tag_keys = {}
                for key, kdel in lf.tag_key_elems(name):
                    values = {}
                    for value, vdel in lf.tag_value_elems(name, key):
                        mm = lf._mms[name]
                        ids = sorted(influxlite.tsi.seriesidset.to_list(mm.tags[key].values[value]))
                        values[_s(value)] = {"deleted": vdel, "series_ids": ids}
                    tag_keys[_s(key)] = {"deleted": kdel, "values": values}
                mm = lf._mms[name]
                mms[_s(name)] = {"deleted": deleted,
                                 "series_ids": sorted(influxlite.tsi.seriesidset.to_list(mm.series)),
                                 "tag_keys": tag_keys}
            logs[path.name] = {"series_ids": sorted(lf.series_id_set()),
                               "tombstoned_ids": sorted(lf.tombstone_series_id_set()),
                               "series_n": lf.series_n(), "measurements": mms, "valid_size": lf.size}
            lf.close()
        out["log_files"] = logs
        return out
    finally:
        sfile.close()


def normalize_tsidump(raw: dict) -> dict:
    """tsidump's JSON reduced to what ``dump`` reports."""
    sf = raw["series_file"]
    out = {"series_file": {"count": sf["count"], "series": sorted([s[0], s[1], s[2]] for s in sf["series"]),
                           "tombstoned_ids": sorted(sf["tombstoned_ids"] or [])}}
    logs = {}
    for name, lf in raw["log_files"].items():
        mms = {}
        for m, mm in (lf["measurements"] or {}).items():
            tag_keys = {}
            for k, tk in (mm.get("tag_keys") or {}).items():
                tag_keys[k] = {"deleted": tk["deleted"],
                               "values": {v: {"deleted": tv["deleted"], "series_ids": sorted(tv["series_ids"] or [])}
                                          for v, tv in (tk.get("values") or {}).items()}}
            mms[m] = {"deleted": mm["deleted"], "series_ids": sorted(mm["series_ids"] or []), "tag_keys": tag_keys}
        logs[name] = {"series_ids": sorted(lf["series_ids"] or []), "tombstoned_ids": sorted(lf["tombstoned_ids"] or []),
                      "series_n": lf["series_n"], "measurements": mms, "valid_size": lf["valid_size"]}
    out["log_files"] = logs
    return out


def tool(name: str) -> pathlib.Path | None:
    lpdump = oracle.lpdump_path()  # builds all oracle programs if it can
    if lpdump is None:
        return None
    path = lpdump.parent / name
    return path if path.exists() else None


def run_tsidump(directory: pathlib.Path) -> dict:
    out = subprocess.run([str(tool("tsidump")), str(directory)], check=True, capture_output=True)
    return json.loads(out.stdout.decode("utf-8", "surrogateescape"))


def extract_fixture(target: pathlib.Path) -> pathlib.Path:
    with tarfile.open(FIXTURES / "influxdb.tar.gz") as tar:
        tar.extractall(target, filter="data")
    return target / "influxdb"


def refresh() -> None:
    lp, deletes = make_input()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / "input.lp").write_bytes(lp)
    (FIXTURES / "deletes.txt").write_text(deletes)
    work = pathlib.Path("/tmp/influxlite-tsi-fixture")
    shutil.rmtree(work, ignore_errors=True)
    d = work / "influxdb"
    d.mkdir(parents=True)
    (d / "deletes.txt").write_text(deletes)
    subprocess.run([str(tool("tsiwrite")), str(d), str(FIXTURES / "input.lp")], check=True)
    (d / "deletes.txt").unlink()
    (FIXTURES / "influxdb.tsidump.json").write_text(json.dumps(run_tsidump(d), indent=1, sort_keys=True))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(d, arcname="influxdb")
    (FIXTURES / "influxdb.tar.gz").write_bytes(buf.getvalue())
    print("fixture:", len(buf.getvalue()), "bytes")


if __name__ == "__main__" and "--refresh" in sys.argv:
    refresh()
