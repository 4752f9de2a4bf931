"""The TSI index: ``Index`` (partitions over a shard), ``Partition`` (MANIFEST, log and index
files), ``LogFile``, ``IndexFile``, log entries and series-id sets."""

from .index import Index
from .indexfile import IndexFile
from .logfile import LogFile, LogFileClosedError
from .partition import Partition

__all__ = ["Index", "IndexFile", "LogFile", "LogFileClosedError", "Partition"]
