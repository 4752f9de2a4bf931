"""Meta-store errors, worded as InfluxDB 1.x words them."""

from __future__ import annotations

from ..errors import InfluxliteError
from .durations import format_duration, MIN_RETENTION_POLICY_DURATION


class MetaError(InfluxliteError):
    """A meta-store request InfluxDB would refuse; ``str(e)`` is InfluxDB's text."""


class DatabaseNotFoundError(MetaError):
    def __init__(self, name: str) -> None:
        super().__init__(f"database not found: {name}")
        self.name = name


class RetentionPolicyNotFoundError(MetaError):
    def __init__(self, name: str) -> None:
        super().__init__(f"retention policy not found: {name}")
        self.name = name


DATABASE_NAME_REQUIRED = "database name required"
NAME_TOO_LONG = "name too long"
INVALID_NAME = "invalid name"
RETENTION_POLICY_EXISTS = "retention policy already exists"
RETENTION_POLICY_NAME_REQUIRED = "retention policy name required"
RETENTION_POLICY_NAME_EXISTS = "retention policy name already exists"
RETENTION_POLICY_CONFLICT = "retention policy conflicts with an existing policy"
RETENTION_POLICY_DURATION_TOO_LOW = (
    f"retention policy duration must be at least {format_duration(MIN_RETENTION_POLICY_DURATION)}")
INCOMPATIBLE_DURATIONS = "retention policy duration must be greater than the shard duration"
REPLICATION_FACTOR_TOO_LOW = "replication factor must be greater than 0"
SHARD_GROUP_NOT_FOUND = "shard group not found"
CONTINUOUS_QUERY_EXISTS = "continuous query already exists"
USER_EXISTS = "user already exists"
USER_NOT_FOUND = "user not found"
USERNAME_REQUIRED = "username required"
AUTHENTICATION_FAILED = "authentication failed"
INVALID_PRIVILEGE = "invalid privilege"
