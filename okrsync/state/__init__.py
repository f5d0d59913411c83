"""State store adapter: the only code that talks SQL (SQLite by default, PostgreSQL by URL)."""

from okrsync.domain.records import AppliedWrite, MirrorIssue, ProgressPoint, RunRecord
from okrsync.state.errors import StateStoreError
from okrsync.state.schema import SCHEMA_VERSION
from okrsync.state.store import StateStore

__all__ = [
    "SCHEMA_VERSION",
    "AppliedWrite",
    "MirrorIssue",
    "ProgressPoint",
    "RunRecord",
    "StateStore",
    "StateStoreError",
]
