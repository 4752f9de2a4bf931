"""Which Parquet files of a shard to rewrite, and how: the compaction planner (no I/O).

A job turns some files of one measurement into at most one new file:

* ``drop``: a file every row of which a tombstone deletes: removed, nothing read;
* ``rewrite``: a file a tombstone deletes some rows of: rewritten alone without them;
* ``merge``: a run of files next to each other in the read order (``seq``) combined into one a
  level up, so a merge never changes which value of a point wins. Normal compactions merge a
  run of ``FANOUT`` files of the same level (size-tiered: each point is rewritten about once per
  level, log4 of the number of cache write-outs); a full compaction merges every group of files
  whose time ranges overlap, so that afterwards each (series, time) is in one file only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .manifest import FileInfo, Tombstone

FANOUT = 4  # files of one level merged into one of the next
MAX_LEVEL = 8


@dataclass
class Job:
    kind: str  # drop, rewrite, merge
    measurement: bytes
    inputs: list[FileInfo]
    level: int


def plan(files: list[FileInfo], tombstones: list[Tombstone], *, full: bool = False) -> list[Job]:
    """The jobs for the shard's files (sorted in read order), measurement by measurement."""
    jobs: list[Job] = []
    for m in sorted({f.measurement for f in files}):
        jobs += _plan_measurement(m, [f for f in files if f.measurement == m],
                                  [t for t in tombstones if t.measurement == m], full)
    return jobs


def _plan_measurement(m: bytes, files: list[FileInfo], tombs: list[Tombstone], full: bool) -> list[Job]:
    jobs, live = [], []
    for f in files:
        if any(t.drops_whole(f) for t in tombs):
            jobs.append(Job("drop", m, [f], f.level))
        else:
            live.append(f)
    groups = _overlapping(live) if full else _runs(live)
    merged = {f.id for g in groups for f in g}
    for g in groups:
        jobs.append(Job("merge", m, g, min(MAX_LEVEL, max(f.level for f in g) + 1)))
    for f in live:
        if f.id not in merged and any(t.overlaps(f) for t in tombs):
            jobs.append(Job("rewrite", m, [f], f.level))
    return jobs


def _runs(files: list[FileInfo]) -> list[list[FileInfo]]:
    """Runs of ``FANOUT`` neighbouring files of one level below ``MAX_LEVEL``."""
    out, run = [], []
    for f in files:
        if run and (f.level != run[0].level or len(run) == FANOUT):
            if len(run) == FANOUT:
                out.append(run)
            run = []
        run.append(f)
    if len(run) == FANOUT:
        out.append(run)
    return [r for r in out if r[0].level < MAX_LEVEL]


def _overlapping(files: list[FileInfo]) -> list[list[FileInfo]]:
    """Groups of two or more files whose time ranges overlap (connected components). Groups
    have disjoint time spans, so merging one never reorders points that another file shares."""
    groups: list[list[FileInfo]] = []
    span_end = None
    for f in sorted(files, key=lambda f: (f.min_time, f.max_time)):
        if groups and f.min_time <= span_end:
            groups[-1].append(f)
            span_end = max(span_end, f.max_time)
        else:
            groups.append([f])
            span_end = f.max_time
    return [sorted(g, key=lambda f: (f.seq_max, f.id)) for g in groups if len(g) > 1]
