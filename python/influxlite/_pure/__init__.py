"""The pure-Python implementation of ``influxlite._native``: same functions, same results,
same bytes. ``INFLUXLITE_PURE=1`` selects it; tests run every check against both."""

from .batch import ParsedBatch, parse
from .hash import fnv1a64

__version__ = "0.1.0"

__all__ = ["ParsedBatch", "fnv1a64", "parse", "__version__"]
