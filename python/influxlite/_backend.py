"""Chooses the implementation of the hot paths, once, at import.

``INFLUXLITE_PURE=1`` forces the pure-Python twin; otherwise the compiled ``_native`` module
is used, and the pure twin only if it cannot be imported. Everything else reaches the
implementation through ``_backend.backend`` so that tests can swap it in-process.
"""

from __future__ import annotations

import os
from types import ModuleType

backend: ModuleType
implementation: str


def _pure_forced() -> bool:
    return os.environ.get("INFLUXLITE_PURE", "").strip().lower() not in ("", "0", "false", "no")


def use(name: str) -> None:
    """Selects ``"native"`` or ``"pure"`` (tests use this to run every check on both)."""
    global backend, implementation
    if name == "native":
        from . import _native as mod
    elif name == "pure":
        from . import _pure as mod
    else:
        raise ValueError(f"unknown implementation {name!r} (use 'native' or 'pure')")
    backend, implementation = mod, name


if _pure_forced():
    use("pure")
else:
    try:
        use("native")
    except ImportError:  # no compiled extension for this platform: the twin does the same job
        use("pure")
