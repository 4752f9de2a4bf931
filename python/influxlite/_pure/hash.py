"""FNV-1a 64-bit (InfluxDB's ``HashID`` of a series key): twin of ``rust/src/hash.rs``."""

_OFFSET = 14695981039346656037
_PRIME = 1099511628211
_MASK = (1 << 64) - 1


def fnv1a64(data: bytes) -> int:
    h = _OFFSET
    for b in data:
        h = ((h ^ b) * _PRIME) & _MASK
    return h
