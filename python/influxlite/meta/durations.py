"""Durations as InfluxDB 1.x's meta store handles them (nanosecond ints here)."""

from __future__ import annotations

NANOSECOND = 1
MICROSECOND = 1_000
MILLISECOND = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

MIN_RETENTION_POLICY_DURATION = HOUR
MIN_NANO_TIME = -(1 << 63) + 2
MAX_NANO_TIME = (1 << 63) - 2
# Go's zero time (0001-01-01T00:00:00Z) in ns since the Unix epoch: Time.Truncate counts from it.
GO_ZERO_TIME = -62135596800 * SECOND


def shard_group_duration(duration: int) -> int:
    """The default shard-group duration of a retention policy (InfluxDB's table)."""
    if duration == 0 or duration >= 180 * DAY:
        return 7 * DAY
    if duration >= 2 * DAY:
        return DAY
    return HOUR


def normalised_shard_duration(sgd: int, duration: int) -> int:
    """An unset shard duration takes the default; one under 1h becomes 1h."""
    if sgd == 0:
        return shard_group_duration(duration)
    if sgd < MIN_RETENTION_POLICY_DURATION:
        return shard_group_duration(MIN_RETENTION_POLICY_DURATION)
    return sgd


def truncate(t: int, d: int) -> int:
    """Go's ``Time.Truncate(d)``: rounds down to a multiple of d counted from the year 1 (so
    7-day shard groups start on Mondays)."""
    if d <= 0:
        return t
    return t - (t - GO_ZERO_TIME) % d


def format_duration(ns: int) -> str:
    """Go's ``time.Duration.String()``: ``168h0m0s``, ``1h30m0s``, ``1.5s``, ``0s``."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < SECOND:
        for unit, name in ((MILLISECOND, "ms"), (MICROSECOND, "µs"), (NANOSECOND, "ns")):
            if u >= unit:
                return ("-" if neg else "") + _frac(u, unit) + name
    h, rem = divmod(u, HOUR)
    m, rem = divmod(rem, MINUTE)
    s = _frac(rem, SECOND)
    out = (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + s + "s"
    return ("-" if neg else "") + out


def _frac(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}." + f"{frac:0{digits}d}".rstrip("0")
