"""What one backfill did: the run report of ``okrsync backfill`` (``--json`` and the run record)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from okrsync.core.rollup import ScoredTree
from okrsync.sync.engine import SyncReport
from okrsync.sync.run_report import RunReport


@dataclass(kw_only=True)
class BackfillReport(RunReport):
    """What one backfill did; ``as_dict`` is the ``--json`` output and the run record's summary."""

    period: str
    first_day: date | None = None
    last_day: date | None = None
    past: bool = False
    resumed: bool = False
    issues_read: int = 0
    changelog_entries: int = 0
    days_total: int = 0
    days_recorded: int = 0
    days_skipped: int = 0
    key_results: int = 0
    objectives: int = 0
    points: int = 0
    checkins: int = 0
    """Check-ins rebuilt from the KR epics' changelogs."""
    left_alone: int = 0
    sync: SyncReport | None = None
    final: ScoredTree | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "past_period": self.past,
            "resumed": self.resumed,
            "issues_read": self.issues_read,
            "changelog_entries": self.changelog_entries,
            "days": self.days_total,
            "days_recorded": self.days_recorded,
            "days_skipped": self.days_skipped,
            "key_results": self.key_results,
            "objectives": self.objectives,
            "points": self.points,
            "left_alone": self.left_alone,
            **super().as_dict(),
        }
