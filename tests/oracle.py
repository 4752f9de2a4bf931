"""InfluxDB's own line-protocol parser (``lpdump`` from ``../shared/oracle``) as a test oracle.

Committed fixtures hold its answers for ``fixtures/lp_corpus.lp``, so the comparison runs
everywhere; where Go and Debian's InfluxDB source are installed
(``apt-get install golang-go golang-github-influxdb-influxdb-dev``) the live tests also run it on
generated input. ``python tests/oracle.py --refresh`` rewrites the fixtures.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
ORACLE_DIR = pathlib.Path(os.environ.get("INFLUXLITE_ORACLE_DIR", ROOT.parent / "shared" / "oracle"))
DEFAULT_TIME = 946730096789012345

# fixture name -> (precision, default time, uint support)
CONFIGS = {
    "n": ("n", 0, False),
    "uint": ("n", 0, True),
    "u": ("u", DEFAULT_TIME, False),
    "ms": ("ms", DEFAULT_TIME, False),
    "s": ("s", DEFAULT_TIME, False),
    "m": ("m", DEFAULT_TIME, False),
    "h": ("h", DEFAULT_TIME, False),
}


def lpdump_path() -> pathlib.Path | None:
    """The lpdump binary, built from ``../shared/oracle`` if Go and the InfluxDB source exist."""
    binary = ORACLE_DIR / "bin" / "lpdump"
    if binary.exists():
        return binary
    if not (ORACLE_DIR / "build.sh").exists() or shutil.which("go") is None:
        return None
    if not pathlib.Path("/usr/share/gocode/src/github.com/influxdata/influxdb/models").is_dir():
        return None
    subprocess.run(["sh", str(ORACLE_DIR / "build.sh")], check=True, capture_output=True, timeout=600)
    return binary if binary.exists() else None


def run_lpdump(data: bytes, precision: str = "n", default_time: int = 0, uint: bool = False) -> list[dict]:
    binary = lpdump_path()
    if binary is None:
        raise RuntimeError("lpdump is not available")
    with tempfile.NamedTemporaryFile(suffix=".lp") as f:
        f.write(data)
        f.flush()
        args = [str(binary), "-default-time", str(default_time)]
        if uint:
            args.append("-uint")
        out = subprocess.run(args + [f.name, precision], check=True, capture_output=True, timeout=120)
    return parse_records(out.stdout.decode("utf-8"))


def run_lpdump_lines(lines: list[bytes], precision="n", default_time=0, uint=False):
    """lpdump over ``lines``, leaving out the lines on which InfluxDB's parser panics.
    Returns ([(records, body)] for the chunks it parsed, the lines left out). Chunks are
    compared one by one: a line ending in a backslash joins the next one only when more bytes
    follow, so chunk boundaries matter."""
    body = b"".join(line + b"\n" for line in lines)
    try:
        return [(run_lpdump(body, precision, default_time, uint), body)], []
    except subprocess.CalledProcessError as e:
        if e.returncode != 2 or b"panic" not in e.stderr:
            raise
    if len(lines) == 1:
        return [], lines
    half = len(lines) // 2
    c1, bad1 = run_lpdump_lines(lines[:half], precision, default_time, uint)
    c2, bad2 = run_lpdump_lines(lines[half:], precision, default_time, uint)
    return c1 + c2, bad1 + bad2


def parse_records(text: str) -> list[dict]:
    """lpdump's JSON lines; ``fields`` stays a list of pairs (lines may repeat a field key)."""
    return [dict(json.loads(line, object_pairs_hook=list)) for line in text.splitlines() if line]


def raw(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _value(ftype: str, text: str):
    if ftype == "float":
        return float(text)
    if ftype in ("integer", "unsigned"):
        return int(text)
    if ftype == "boolean":
        return {"true": True, "false": False}[text]
    return raw(text)


def undecodable(record: dict, uint: bool) -> bool:
    """InfluxDB accepted the line but cannot decode one of its values (its field iterator and
    its scanner split the line differently; writing it fails with a 500), or the split made an
    unsigned value its scanner would have refused, or a field with an empty key. influxlite rejects such a line at parse
    time: a deliberate difference."""
    return any(t.startswith("value-error") or t == "empty" or (t == "unsigned" and not uint) or k == ""
               for k, (t, _) in record.get("fields", []))


def expected(records: list[dict], uint: bool) -> tuple[list[tuple], list[bytes | None]]:
    """(points as the backends' ``points()`` tuples, error messages) from lpdump records;
    ``None`` stands for the error influxlite gives where InfluxDB accepted an undecodable line."""
    points, errors = [], []
    for r in records:
        if "error" in r:
            errors.append(raw(r["error"]))
            continue
        if undecodable(r, uint):
            errors.append(None)
            continue
        fields = [(raw(k), t, _value(t, v)) for k, (t, v) in r["fields"]]
        tags = [(raw(k), raw(v)) for k, v in r["tags"]]
        points.append((raw(r["key"]), raw(r["name"]), tags, fields, r["time"]))
    return points, errors


def refresh() -> None:
    corpus = (FIXTURES / "lp_corpus.lp").read_bytes()
    for name, (precision, default_time, uint) in CONFIGS.items():
        binary = lpdump_path()
        if binary is None:
            sys.exit("lpdump is not available: install golang-go golang-github-influxdb-influxdb-dev")
        args = [str(binary), "-default-time", str(default_time)] + (["-uint"] if uint else [])
        out = subprocess.run(args + [str(FIXTURES / "lp_corpus.lp"), precision], check=True,
                             capture_output=True).stdout
        (FIXTURES / f"lp_corpus.{name}.lpdump.jsonl").write_bytes(out)
        print(name, len(out.splitlines()), "records from", len(corpus), "bytes")


if __name__ == "__main__" and "--refresh" in sys.argv:
    refresh()
