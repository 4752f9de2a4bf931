"""The TSI index: log files (``LogFile``), their entries (``logentry``) and id sets."""

from .logfile import LogFile, LogFileClosedError

__all__ = ["LogFile", "LogFileClosedError"]
