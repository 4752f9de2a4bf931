"""influxlite: an InfluxDB 1.x-compatible ingest node and series index, hot paths in Rust.

``influxlite.implementation`` says which implementation is in use: ``"native"`` (the Rust
extension) or ``"pure"`` (the pure-Python twin, forced by ``INFLUXLITE_PURE=1``).
``influxlite.__version__`` is the installed package's version, which is Cargo's
(``[workspace.package] version`` in Cargo.toml, the one place it is set).
"""

from __future__ import annotations

from . import _backend
from .models import Point, PointBatch, parse_points

__all__ = ["Engine", "Point", "PointBatch", "parse_points", "implementation", "__version__"]


def __getattr__(name: str):
    if name == "__version__":  # read on first use: importlib.metadata costs ~20 ms at import
        global __version__
        __version__ = _installed_version()
        return __version__
    if name == "implementation":
        return _backend.implementation
    if name == "Engine":  # imported on first use: it pulls in pyarrow
        from .engine import Engine

        return Engine
    raise AttributeError(f"module 'influxlite' has no attribute {name!r}")


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("influxlite")
    except PackageNotFoundError:  # the source tree put on sys.path by hand, never installed
        return "0+unknown"


def _version_text() -> str:
    """What ``influxlite --version`` prints: the version, the implementation in use and, for
    the native one, how the extension was built."""
    import os
    import platform
    import sys

    lines = [f"influxlite {__getattr__('__version__')}"]
    if _backend.implementation == "native":
        from . import _native

        build = getattr(_native, "__build__", {})
        abi = ("stable ABI (abi3) for CPython 3.10 and later" if build.get("abi3")
               else f"for CPython {sys.version_info.major}.{sys.version_info.minor} only")
        lines.append(f"implementation: native (Rust extension {os.path.basename(_native.__file__)})")
        lines.append(f"built with: {build.get('rustc', 'rustc (unknown version)')}, "
                     f"PyO3 {build.get('pyo3', '(unknown version)')}, {abi}, target {build.get('target', '?')}")
    else:
        if _backend._pure_forced():
            why = "INFLUXLITE_PURE is set"
        else:
            try:
                from . import _native  # noqa: F401
                why = "selected in-process"
            except ImportError as e:
                why = f"the native extension could not be imported: {e}"
        lines.append(f"implementation: pure (the pure-Python twin, no Rust; {why})")
    lines.append(f"python: {platform.python_implementation()} {platform.python_version()} ({sys.executable})")
    return "\n".join(lines)
