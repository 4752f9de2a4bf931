"""The public API's argument checks and implementation selection."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import influxlite
from influxlite import parse_points


def test_bad_arguments():
    with pytest.raises(TypeError, match="data must be bytes, not str"):
        parse_points("cpu v=1")
    with pytest.raises(ValueError, match='invalid precision "x"'):
        parse_points(b"cpu v=1", "x")
    with pytest.raises(TypeError, match="precision must be str"):
        parse_points(b"cpu v=1", 1)
    with pytest.raises(TypeError, match="now must be an int"):
        parse_points(b"cpu v=1", now=1.5)


def test_bytes_like_input():
    assert len(parse_points(bytearray(b"cpu v=1 1"))) == 1
    assert len(parse_points(memoryview(b"cpu v=1 1"))) == 1


def test_backend_raw_functions_check_arguments_too():
    from influxlite import _backend

    with pytest.raises(TypeError):
        _backend.backend.parse("cpu v=1", "n", 0, False)
    with pytest.raises(ValueError):
        _backend.backend.parse(b"cpu v=1", "q", 0, False)
    batch = _backend.backend.parse(b"cpu v=1 1\ncpu v=2 2", "n", 0, False)
    assert batch.point(-1)[4] == 2
    with pytest.raises(IndexError):
        batch.point(2)


def test_now_defaults_to_the_current_time():
    import time

    before = time.time_ns()
    (p,) = parse_points(b"cpu v=1").points
    assert before <= p.time <= time.time_ns()


def test_batch_is_lazy_and_indexable():
    batch = parse_points(b"a v=1 1\nb v=2 2\n")
    assert batch[1].name == "b" and batch[-1].name == "b"
    assert [p.name for p in batch] == ["a", "b"]
    assert "points=2" in repr(batch)


def _run(code: str, **env) -> str:
    full_env = {k: v for k, v in os.environ.items() if k != "INFLUXLITE_PURE"}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full_env, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.mark.compares_implementations
def test_influxlite_pure_forces_the_pure_implementation():
    code = ("import influxlite; b = influxlite.parse_points(b'cpu,host=a v=1 5\\nbad'); "
            "print(influxlite.implementation, len(b), b.errors[0], type(b._raw).__module__)")
    assert _run(code, INFLUXLITE_PURE="1") == "pure 1 unable to parse 'bad': missing fields influxlite._pure.batch"
    assert _run(code) == "native 1 unable to parse 'bad': missing fields influxlite._native"


def test_version():
    from influxlite import _native, _pure

    assert influxlite.__version__ == _native.__version__ == _pure.__version__


def _progress_during(fn) -> int:
    """How many turns this thread gets while another thread runs ``fn``, with a switch
    interval long enough that a call holding the GIL is never preempted."""
    import threading

    inside, done, progress = threading.Event(), threading.Event(), []

    def worker():
        inside.set()
        fn()
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    try:
        t = threading.Thread(target=worker)
        t.start()
        inside.wait()
        while not done.is_set():
            progress.append(1)
        t.join()
    finally:
        sys.setswitchinterval(old)
    return len(progress)


@pytest.mark.compares_implementations
def test_native_parse_releases_the_gil():
    from influxlite import _native

    body = b"cpu,host=h1,region=r1 usage=1.5,n=12i 1600000000000000000\n" * 1_000_000
    # Control: a call that holds the GIL (bytes.replace) leaves this thread no turns.
    assert _progress_during(lambda: body.replace(b"h1", b"h22")) < 1000
    assert _progress_during(lambda: _native.parse(body, "n", 0, False)) > 1000


@pytest.mark.compares_implementations
def test_pure_and_native_have_the_same_api():
    """Every public function and class of _native is in _pure (and the stubs), with the same
    public methods: the contract that makes INFLUXLITE_PURE=1 a drop-in."""
    import ast
    import pathlib

    from influxlite import _native, _pure

    def public(obj):
        return {n for n in dir(obj) if not n.startswith("_")}

    native = public(_native)
    assert native <= public(_pure)
    stubs = ast.parse((pathlib.Path(influxlite.__file__).parent / "_native.pyi").read_text())
    stubbed = {n.name for n in stubs.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert native - {"__version__"} <= stubbed
    samples = {"ParsedBatch": _pure.parse(b"m v=1", "n", 0, False), "SeriesIndex": _pure.SeriesIndex(),
               "Cache": _pure.Cache(), "Prepared": _pure.shard_prepare(_pure.parse(b"m v=1", "n", 0, False), None, {})[0]}
    for name, pure_obj in samples.items():
        cls = getattr(_native, name)
        assert public(cls) == public(pure_obj) - {"size", "points"} | ({"size", "points"} & public(cls)), name
        stub = next(n for n in stubs.body if isinstance(n, ast.ClassDef) and n.name == name)
        stub_methods = {f.name for f in stub.body if isinstance(f, ast.FunctionDef)}
        assert public(cls) <= stub_methods, name
