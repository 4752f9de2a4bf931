"""The meta store: databases, retention policies, shard groups, users (InfluxDB 1.x's rules)."""

from .durations import format_duration, shard_group_duration
from .errors import DatabaseNotFoundError, MetaError, RetentionPolicyNotFoundError
from .store import (
    DEFAULT_RETENTION_POLICY, DatabaseInfo, MetaStore, RetentionPolicyInfo, ShardGroupInfo, UserInfo,
)

__all__ = [
    "DEFAULT_RETENTION_POLICY", "DatabaseInfo", "DatabaseNotFoundError", "MetaError", "MetaStore",
    "RetentionPolicyInfo", "RetentionPolicyNotFoundError", "ShardGroupInfo", "UserInfo", "format_duration",
    "shard_group_duration",
]
