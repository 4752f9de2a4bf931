"""The PointsWriter: InfluxDB 1.x's ``WritePointsPrivileged`` below the HTTP layer.

For a parsed batch: find the retention policy (the database's default when none is given),
create the shard groups the points' times need, drop points older than the policy keeps
(a partial write, ``points beyond retention policy``), split the rest by shard (group by time,
shard by ``fnv1a64(series key) % shards``, in Rust), write every shard concurrently and wait up
to the write timeout. The first shard error is returned and replaces the retention error, as
in InfluxDB.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field

from . import _backend
from .errors import InfluxliteError
from .meta.durations import MIN_NANO_TIME
from .stats import Statistic, registry

# InfluxDB's ``write`` statistic (coordinator/points_writer.go).
WRITE_STATS = ("req", "pointReq", "pointReqLocal", "writeOk", "writeDrop", "writeTimeout", "writeError",
               "subWriteOk", "subWriteDrop")

CONSISTENCY_LEVELS = ("any", "one", "quorum", "all")
DEFAULT_WRITE_TIMEOUT = 10.0


class WriteError(InfluxliteError):
    """A write InfluxDB would fail; ``str(e)`` is InfluxDB's text."""


class PartialWriteError(WriteError):
    """Some points were not written: ``partial write: <reason> dropped=<n>``."""

    def __init__(self, reason: str, dropped: int) -> None:
        super().__init__(f"partial write: {reason} dropped={dropped}")
        self.reason, self.dropped = reason, dropped


class WriteTimeoutError(WriteError):
    def __init__(self) -> None:
        super().__init__("timeout")


class WriteFailedError(WriteError):
    def __init__(self) -> None:
        super().__init__("write failed")


def parse_consistency(level: str | None) -> str:
    """InfluxDB's ``ParseConsistencyLevel``: any, one, quorum, all (any case); "" means one."""
    if not level:
        return "one"
    low = level.lower()
    if low not in CONSISTENCY_LEVELS:
        raise WriteError("invalid consistency level")
    return low


@dataclass
class WriteResult:
    written: int
    dropped: int
    reasons: list[str] = field(default_factory=list)  # why points were dropped (write_points_all)


class PointsWriter:
    def __init__(self, meta, shards, *, write_timeout: float = DEFAULT_WRITE_TIMEOUT, max_workers: int = 8) -> None:
        """``shards(database, rp, shard_id)`` returns the open ``Shard`` (creating it)."""
        self.meta = meta
        self.shards = shards
        self.write_timeout = write_timeout
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="influxlite-write")
        self._closing = threading.Event()
        self.stats = registry.register(Statistic("write", None, WRITE_STATS))

    def close(self) -> None:
        registry.unregister(self.stats)
        self._closing.set()
        self._pool.shutdown(wait=True)

    def map_shards(self, database: str, retention_policy: str | None, batch, now: int | None = None):
        """``(rp, [(shard id, u32 LE point indices)], dropped)``: groups created as needed."""
        rp = self.meta.retention_policy(database, retention_policy or None)
        now = time.time_ns() if now is None else now
        min_time = now - rp.duration if rp.duration > 0 else MIN_NANO_TIME
        backend = _backend.backend
        for start in backend.group_starts(batch._raw, rp.shard_group_duration, min_time):
            self.meta.create_shard_group(database, rp.name, start)
        groups = [g for g in list(rp.shard_groups) if not g.deleted]
        spans = [(g.start, g.end, len(g.shards)) for g in groups]
        per_group, dropped, unplaced = backend.split_by_shard(batch._raw, spans, min_time)
        if unplaced:  # a group deleted between creating and splitting: count as dropped
            dropped += len(unplaced) // 4
        work = [(g.shards[s], sel) for g, shards in zip(groups, per_group) for s, sel in enumerate(shards) if sel]
        return rp, work, dropped

    def write_points(self, database: str, retention_policy: str | None, batch, consistency: str | None = None,
                     now: int | None = None) -> WriteResult:
        """Writes a parsed batch; raises ``WriteError`` (or a meta error) as InfluxDB would fail."""
        parse_consistency(consistency)
        self.stats.update(req=1, pointReq=len(batch))
        if self._closing.is_set():
            raise WriteFailedError()
        if self.meta.database(database) is None:
            from .meta import DatabaseNotFoundError

            raise DatabaseNotFoundError(database)
        rp, work, dropped = self.map_shards(database, retention_policy, batch, now)
        self.stats.update(writeDrop=dropped, pointReqLocal=sum(len(sel) for _, sel in work) // 4)
        futures = [self._pool.submit(self._write_shard, database, rp.name, sid, batch, sel) for sid, sel in work]
        written = 0
        try:
            # As InfluxDB: the first shard that fails decides the answer, without waiting for
            # the others (which still finish their writes).
            for f in as_completed(futures, timeout=self.write_timeout):
                res = f.result()  # an unexpected exception surfaces here
                written += res.written
                if res.dropped:
                    raise PartialWriteError(res.reason, res.dropped)
        except FuturesTimeout:
            self.stats.add("writeTimeout")
            raise WriteTimeoutError() from None
        if dropped:
            raise PartialWriteError("points beyond retention policy", dropped)
        return WriteResult(written, dropped)

    def write_points_all(self, database: str, retention_policy: str | None, batch,
                         now: int | None = None) -> WriteResult:
        """Writes a parsed batch and waits for every shard, however many refuse points: the
        exact written and dropped counts, with one reason per kind of refusal (bulk loads)."""
        if self.meta.database(database) is None:
            from .meta import DatabaseNotFoundError

            raise DatabaseNotFoundError(database)
        self.stats.update(req=1, pointReq=len(batch))
        rp, work, dropped = self.map_shards(database, retention_policy, batch, now)
        self.stats.update(writeDrop=dropped, pointReqLocal=sum(len(sel) for _, sel in work) // 4)
        reasons = ["points beyond retention policy"] if dropped else []
        written = 0
        for f in [self._pool.submit(self._write_shard, database, rp.name, sid, batch, sel) for sid, sel in work]:
            res = f.result()
            written += res.written
            dropped += res.dropped
            if res.dropped and res.reason not in reasons:
                reasons.append(res.reason)
        return WriteResult(written, dropped, reasons)

    def _write_shard(self, database: str, rp: str, shard_id: int, batch, sel: bytes):
        if self._closing.is_set():
            raise WriteFailedError()
        try:
            res = self.shards(database, rp, shard_id).write(batch, sel)
        except BaseException:
            self.stats.add("writeError")
            raise
        # As InfluxDB: a shard that dropped points returned an error (a partial write).
        self.stats.add("writeError" if res.dropped else "writeOk")
        return res
