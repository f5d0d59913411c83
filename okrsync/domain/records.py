"""What okrsync records: mirrored issues, applied writes, progress history, runs. Plain frozen
dataclasses the state store takes and returns (and the reports read): no SQL, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

WRITE_KINDS: Final = frozenset({"field", "property", "comment"})
NODE_KINDS: Final = frozenset({"key_result", "objective"})
RUN_STATUSES: Final = frozenset({"ok", "partial", "failed"})
RUNNING: Final = "running"
"""The status of a run that was started and not (yet) finished."""
HISTORY_SOURCES: Final = frozenset({"sync", "backfill"})


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")


@dataclass(frozen=True, slots=True)
class MirrorIssue:
    """One fetched Jira issue as mirrored locally.

    ``raw`` is the issue's JSON as Jira returned it (when okrsync stores it) or its compact record
    (when the store returns it: the same shape without what okrsync never reads, see
    :func:`okrsync.domain.mirror_record.compact_issue`)."""

    key: str
    issue_id: str
    updated: datetime | None
    epic_key: str | None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("MirrorIssue.key must not be empty")
        _require_aware("MirrorIssue.updated", self.updated)


@dataclass(frozen=True, slots=True)
class AppliedWrite:
    """A write okrsync applied to Jira; one per (issue_key, kind, target).

    `kind` is "field", "property" or "comment"; `target` is the field id, the property key or the
    comment identity (e.g. "status_change", "celebrate:PLAT-1", "stale:2026-11-20"); `value_hash` is
    :func:`okrsync.domain.hashing.value_hash` of what was written.
    """

    issue_key: str
    kind: str
    target: str
    value_hash: str
    comment_id: str | None
    run_id: int | None
    applied_at: datetime

    def __post_init__(self) -> None:
        if self.kind not in WRITE_KINDS:
            raise ValueError(f"AppliedWrite.kind must be one of {sorted(WRITE_KINDS)}, got {self.kind!r}")
        if not self.issue_key or not self.target:
            raise ValueError("AppliedWrite.issue_key and target must not be empty")
        _require_aware("AppliedWrite.applied_at", self.applied_at)

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.issue_key, self.kind, self.target)


@dataclass(frozen=True, slots=True)
class ProgressPoint:
    """Progress of one KR or objective on one day (0.0-1.0 fractions; progress None = no data)."""

    day: date
    node_id: str
    kind: str
    progress: float | None
    expected: float
    health: str
    source: str = "sync"

    def __post_init__(self) -> None:
        if isinstance(self.day, datetime) or not isinstance(self.day, date):
            raise ValueError(f"ProgressPoint.day must be a date, got {self.day!r}")
        if self.kind not in NODE_KINDS:
            raise ValueError(f"ProgressPoint.kind must be one of {sorted(NODE_KINDS)}, got {self.kind!r}")
        if self.source not in HISTORY_SOURCES:
            raise ValueError(
                f"ProgressPoint.source must be one of {sorted(HISTORY_SOURCES)}, got {self.source!r}"
            )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One sync (or backfill, or setup) run. `ended_at` and the counters are unset while running."""

    run_id: int
    mode: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    requests: int = 0
    writes: int = 0
    comments: int = 0
    errors: int = 0
    warnings: int = 0
    summary: Mapping[str, Any] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def duration_seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()
