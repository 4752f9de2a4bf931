"""Runs ``influxlite`` (``python tests/crash_at.py serve ...``) so that it kills itself with
SIGKILL at its N-th file operation that matters for durability: ``os.write``, ``os.pwrite``,
``os.fsync``, ``os.replace``, ``os.rename``, ``os.remove``, ``os.unlink``, ``os.truncate``,
``os.ftruncate``, ``os.close``, ``os.open`` (counted over every thread). ``CRASH_AT=N`` and
``CRASH_WHEN=before|after`` (the call) choose the moment; ``CRASH_OPS=replace,remove`` counts
only those calls (the renames and removals that switch a file's state: a write-out's or
merge's Parquet file, a manifest, a WAL segment); without ``CRASH_AT`` nothing changes.
Python's ``os`` functions are wrapped before influxlite is imported, so every module of it
that calls them (or took them with ``from os import``) goes through the wrappers; what
pyarrow and the Rust extension write themselves is not counted."""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading

NAMES = ("write", "pwrite", "fsync", "replace", "rename", "remove", "unlink", "truncate", "ftruncate", "close", "open")


def install(at: int, after: bool, ops: tuple[str, ...] = NAMES) -> None:
    lock = threading.Lock()
    count = [0]
    pid = os.getpid()
    die = os.kill

    def say(name: str, args: tuple, when: str) -> None:
        what = args[0] if args and isinstance(args[0], str) else ""
        sys.stderr.write(f"crash_at: SIGKILL {when} os.{name} {what}\n")
        sys.stderr.flush()

    def wrap(name: str, fn):
        def call(*args, **kwargs):
            with lock:
                count[0] += 1
                hit = count[0] == at
            if hit and not after:
                say(name, args, "before")
                die(pid, signal.SIGKILL)
            out = fn(*args, **kwargs)
            if hit:
                say(name, args, "after")
                die(pid, signal.SIGKILL)
            return out

        call.__name__ = name
        return call

    for name in ops:
        setattr(os, name, wrap(name, getattr(os, name)))


if __name__ == "__main__":
    if os.environ.get("CRASH_AT"):
        ops = tuple(os.environ.get("CRASH_OPS", "").split(",")) if os.environ.get("CRASH_OPS") else NAMES
        install(int(os.environ["CRASH_AT"]), os.environ.get("CRASH_WHEN") == "after", ops)
    sys.argv[0] = "influxlite"
    runpy.run_module("influxlite", run_name="__main__", alter_sys=True)
