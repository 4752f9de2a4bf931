"""Timestamp precisions: nanoseconds per unit (InfluxDB's names, plus ns/us and "" for n)."""

PRECISION_MULTIPLIERS = {
    "": 1, "n": 1, "ns": 1,
    "u": 1_000, "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
