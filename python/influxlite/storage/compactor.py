"""Carries out a shard's compactions: writing a cache out as Parquet files and running the
planner's jobs (``storage.compaction``). The shard holds its compaction lock around each use.
A merge streams its inputs into the new file range by range (``storage.merge``), so its memory
does not grow with the files' sizes.

The order of every step is what makes a crash at any point harmless: new files get new ids and
are durable before the manifest lists them; the manifest is durable before the files it no
longer lists (and the WAL segments whose points are now in files) are removed. A step that
fails removes the files it wrote and leaves the manifest as it was.
"""

from __future__ import annotations

import os

from .. import _backend
from .._fsync import make_dirs
from . import merge, parquet
from .arrow import snapshot_to_table
from .compaction import Job
from .manifest import FileInfo


class Compactor:
    def __init__(self, shard) -> None:
        self.shard = shard

    def state(self):
        """(files, tombstones) as the planner needs them."""
        s = self.shard
        with s._write_lock:
            return list(s.manifest.files), list(s.manifest.tombstones)

    # --- the cache, written out ----------------------------------------------------------------

    def write_out(self) -> list[str]:
        """Writes the pending snapshot (a new one if none is pending and the cache has points);
        returns the new files' paths."""
        from ..shard import _Snapshot

        s = self.shard
        with s._write_lock:
            if s._pending is None:
                if s.cache.points == 0:
                    return []
                segments = s.wal.rotate()
                s._pending = _Snapshot(s.cache, segments, s.manifest.allocate_seq())
                s.cache = _backend.backend.Cache()
            snap = s._pending
        added: list[FileInfo] = []
        try:
            for m in sorted(snap.cache.measurements()):
                with s._write_lock:  # the id first: a delete from now on covers this file
                    fid = s.manifest.allocate_id()
                table = snapshot_to_table(snap.cache.snapshot(m), s.fields.types(m))
                if table.num_rows:
                    added.append(self._write(m, fid, table, 0, snap.seq, snap.seq))
            with s._write_lock:
                self._commit([], added)
                s._pending = None
        except BaseException:
            self._discard(added)
            raise
        s.stats["bytes_flushed"] += sum(f.size for f in added)
        s.wal.remove(snap.segments)
        return [os.path.join(s.path, f.path) for f in added]

    # --- merges, rewrites and drops ------------------------------------------------------------

    def run(self, jobs: list[Job]) -> None:
        for job in jobs:
            self._run(job)
        s = self.shard
        with s._write_lock:
            before = len(s.manifest.tombstones)
            s.manifest.drop_spent_tombstones()
            if len(s.manifest.tombstones) != before:
                try:
                    s.manifest.save()
                except OSError:  # the saved manifest keeps them: harmless, the next save drops them
                    pass

    def _run(self, job: Job) -> None:
        s = self.shard
        with s._write_lock:
            fid = s.manifest.allocate_id()
            tombs = list(s.manifest.tombstones)
        added: list[FileInfo] = []
        try:
            if job.kind != "drop":
                info = self._merge(job, fid, tombs)
                if info is not None:
                    added.append(info)
            with s._write_lock:
                self._commit(job.inputs, added)
        except BaseException:
            self._discard(added)
            raise
        s.stats["bytes_rewritten"] += sum(f.size for f in added)
        self._discard(job.inputs)

    def _merge(self, job: Job, fid: int, tombs) -> FileInfo | None:
        """The job's inputs merged into one new file, streamed range by range (``storage.merge``:
        memory bounded whatever the inputs' sizes); None when no row is left."""
        s = self.shard
        m = job.measurement
        rel, path = self._path(m, fid)
        inputs = [(os.path.join(s.path, f.path), f) for f in job.inputs]
        lo, hi = min(f.seq_min for f in job.inputs), max(f.seq_max for f in job.inputs)
        try:
            info = merge.merge_files(inputs, tombs, path, m, s.fields.types(m), s.series_file.series_key,
                                     s.series_file.invert, sync=s._sync)
        except merge.SchemaMismatch:  # a series with tags no input has a column for: merged whole
            merged = parquet.merge([s.read_file(f, tombstones=tombs) for f in job.inputs])
            return self._write(m, fid, merged, job.level, lo, hi) if merged.num_rows else None
        return None if info is None else self._info(m, fid, rel, job.level, lo, hi, info)

    # --- files and the manifest ----------------------------------------------------------------

    def _path(self, m: bytes, fid: int) -> tuple[str, str]:
        """(path in the shard, full path) of a new file, its directory made."""
        rel = os.path.join("parquet", parquet.dir_name(m), f"{fid:08d}.parquet")
        path = os.path.join(self.shard.path, rel)
        make_dirs(os.path.dirname(path))
        return rel, path

    def _write(self, m: bytes, fid: int, table, level: int, seq_min: int, seq_max: int) -> FileInfo:
        s = self.shard
        rel, path = self._path(m, fid)
        table = parquet.add_tags(table, s.series_file.series_key, s.series_file.invert)
        info = parquet.write(path, table, m, s.fields.types(m), sync=s._sync)
        return self._info(m, fid, rel, level, seq_min, seq_max, info)

    def _info(self, m: bytes, fid: int, rel: str, level: int, seq_min: int, seq_max: int, info: dict) -> FileInfo:
        self.shard.stats["files_written"] += 1
        return FileInfo(fid, m, rel, level, seq_min, seq_max, info["rows"], info["min_time"], info["max_time"],
                        info["size"], info["crc32"])

    def _commit(self, removed: list[FileInfo], added: list[FileInfo]) -> None:
        """Replaces files in the manifest, durably (the caller holds the write lock); on failure
        the manifest in memory is as it was."""
        s = self.shard
        files = list(s.manifest.files)
        s.manifest.replace(removed, added)
        try:
            s.manifest.save()
        except BaseException:
            s.manifest.files = files
            raise

    def _discard(self, files: list[FileInfo]) -> None:
        for f in files:
            try:
                os.remove(os.path.join(self.shard.path, f.path))
            except FileNotFoundError:
                pass
