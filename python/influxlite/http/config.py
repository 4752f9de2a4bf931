"""``influxlite serve`` settings: a TOML file with InfluxDB 1.x's section and key names, then
environment overrides named as InfluxDB names them (``INFLUXDB_HTTP_BIND_ADDRESS`` becomes
``INFLUXLITE_HTTP_BIND_ADDRESS``), then command-line flags.

```toml
[http]
bind-address = "127.0.0.1:8086"
auth-enabled = false
max-body-size = 25000000            # bytes; 0 = unlimited (also bounds a gunzipped body here)
max-concurrent-write-limit = 0      # 0 = unlimited
max-enqueued-write-limit = 0        # /write requests waiting for a slot (more: 503); 0 = unlimited
enqueued-write-timeout = "30s"      # how long one waits (then 503); 0 = forever
log-enabled = true                  # the access log, in InfluxDB's format, on stderr

[data]
dir = "~/.influxlite"
wal-fsync-delay = "0s"
max-series-per-database = 1000000   # 0 = unlimited; as InfluxDB's inmem index (influxlite.limits)
max-values-per-tag = 100000         # 0 = unlimited; as InfluxDB's inmem index (influxlite.limits)
cache-snapshot-memory-size = "25m"

[coordinator]
write-timeout = "10s"
max-select-point = 0                # points one SELECT may read (0 = unlimited; query.limits)
max-select-series = 0               # series one SELECT may read
max-select-buckets = 0              # GROUP BY time buckets one SELECT may make
query-timeout = "0s"                # a statement running longer stops (0 = never)
max-concurrent-queries = 0          # statements running at once (more: an error)
query-memory-limit = "1g"           # influxlite's own: DuckDB's memory for all queries (more: the query fails)

[meta]
retention-autocreate = true

[continuous_queries]
enabled = true                      # run continuous queries (influxlite.query.continuous)
log-enabled = true                  # "[continuous_querier] ..." lines on stderr
run-interval = "1s"                 # how often to look for queries that are due
```

Durations are Go's (``"1m30s"``, ``"100ms"``) or plain seconds; sizes are bytes or InfluxDB's
``k``/``m``/``g`` suffixes (powers of 1024).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field, fields

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """A setting that cannot be used; ``str(e)`` names the section and key."""


def _go_duration(text: str) -> float:
    """Seconds in a Go duration string (``1h2m3.5s``, ``250ms``, ``0``)."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    s = text.strip()
    if s in ("0", ""):
        return 0.0
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-")
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)", s)
    if not parts or "".join(n + u for n, u in parts) != s:
        raise ValueError(f"time: invalid duration {text!r}")
    return sign * sum(float(n) * units[u] for n, u in parts)


def _size(value) -> int:
    if isinstance(value, bool):
        raise ValueError(f"invalid size {value!r}")
    if isinstance(value, int):
        return value
    m = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)[bB]?\s*", str(value))
    if not m:
        raise ValueError(f"invalid size {value!r}")
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def _duration(value) -> float:
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    return _go_duration(str(value))


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    low = str(value).strip().lower()
    if low in ("1", "t", "true", "yes", "on"):
        return True
    if low in ("0", "f", "false", "no", "off"):
        return False
    raise ValueError(f"invalid boolean {value!r}")


def _int(value) -> int:
    if isinstance(value, bool):
        raise ValueError(f"invalid integer {value!r}")
    return int(value)


def _str(value) -> str:
    return str(value)


@dataclass
class Config:
    # [http]
    bind_address: str = field(default="127.0.0.1:8086", metadata={"key": ("http", "bind-address", _str)})
    auth_enabled: bool = field(default=False, metadata={"key": ("http", "auth-enabled", _bool)})
    max_body_size: int = field(default=25_000_000, metadata={"key": ("http", "max-body-size", _size)})
    max_concurrent_write_limit: int = field(default=0, metadata={"key": ("http", "max-concurrent-write-limit", _int)})
    max_enqueued_write_limit: int = field(default=0, metadata={"key": ("http", "max-enqueued-write-limit", _int)})
    enqueued_write_timeout: float = field(default=30.0, metadata={"key": ("http", "enqueued-write-timeout", _duration)})
    log_enabled: bool = field(default=True, metadata={"key": ("http", "log-enabled", _bool)})
    # [data]
    data_dir: str | None = field(default=None, metadata={"key": ("data", "dir", _str)})
    wal_fsync_delay: float = field(default=0.0, metadata={"key": ("data", "wal-fsync-delay", _duration)})
    max_series_per_database: int = field(default=1_000_000, metadata={"key": ("data", "max-series-per-database", _int)})
    max_values_per_tag: int = field(default=100_000, metadata={"key": ("data", "max-values-per-tag", _int)})
    cache_snapshot_memory_size: int = field(default=25 << 20,
                                            metadata={"key": ("data", "cache-snapshot-memory-size", _size)})
    # [coordinator]
    write_timeout: float = field(default=10.0, metadata={"key": ("coordinator", "write-timeout", _duration)})
    max_select_point: int = field(default=0, metadata={"key": ("coordinator", "max-select-point", _int)})
    max_select_series: int = field(default=0, metadata={"key": ("coordinator", "max-select-series", _int)})
    max_select_buckets: int = field(default=0, metadata={"key": ("coordinator", "max-select-buckets", _int)})
    query_timeout: float = field(default=0.0, metadata={"key": ("coordinator", "query-timeout", _duration)})
    max_concurrent_queries: int = field(default=0,
                                        metadata={"key": ("coordinator", "max-concurrent-queries", _int)})
    query_memory_limit: int = field(default=1 << 30,
                                    metadata={"key": ("coordinator", "query-memory-limit", _size)})
    # [meta]
    retention_autocreate: bool = field(default=True, metadata={"key": ("meta", "retention-autocreate", _bool)})
    # [continuous_queries]
    cq_enabled: bool = field(default=True, metadata={"key": ("continuous_queries", "enabled", _bool)})
    cq_log_enabled: bool = field(default=True, metadata={"key": ("continuous_queries", "log-enabled", _bool)})
    cq_run_interval: float = field(default=1.0, metadata={"key": ("continuous_queries", "run-interval", _duration)})

    def query_limits(self):
        from ..query.limits import QueryLimits

        return QueryLimits(self.max_select_point, self.max_select_series, self.max_select_buckets,
                           self.query_timeout, self.max_concurrent_queries, self.query_memory_limit)

    def host_port(self) -> tuple[str, int]:
        """``bind-address`` as (host, port); ``:8086`` (InfluxDB's form) means every interface."""
        host, sep, port = self.bind_address.rpartition(":")
        if not sep or not port.isdigit():
            raise ConfigError(f"[http] bind-address: invalid address {self.bind_address!r} (want host:port)")
        host = host.strip("[]")
        return (host or "0.0.0.0"), int(port)


def _settings():
    for f in fields(Config):
        section, key, conv = f.metadata["key"]
        yield f.name, section, key, conv


def env_name(section: str, key: str) -> str:
    return f"INFLUXLITE_{section}_{key}".upper().replace("-", "_")


def load(path: str | os.PathLike | None = None, environ: dict[str, str] | None = None) -> Config:
    """The defaults, then the TOML file (if any), then ``INFLUXLITE_<SECTION>_<KEY>`` variables."""
    environ = os.environ if environ is None else environ
    cfg = Config()
    doc: dict = {}
    if path is not None:
        try:
            with open(path, "rb") as f:
                doc = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: {e}") from None
    # Keys of InfluxDB's config that influxlite has no use for are accepted and ignored.
    for name, section, key, conv in _settings():
        raw = doc.get(section, {}).get(key)
        source = f"[{section}] {key}"
        env = environ.get(env_name(section, key))
        if env is not None:
            raw, source = env, env_name(section, key)
        if raw is None:
            continue
        try:
            value = conv(raw)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{source}: {e}") from None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{source}: must not be negative")
        setattr(cfg, name, value)
    return cfg
