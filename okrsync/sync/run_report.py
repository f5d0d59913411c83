"""What a sync or backfill run did, and its run record: one base for both, one ``record_run``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from okrsync.core.plan import Plan
from okrsync.domain import exit_codes
from okrsync.domain.model import OkrsyncError, exit_code_of
from okrsync.state.store import StateStore
from okrsync.sync.apply import ApplyError, ApplyOutcome


@dataclass(kw_only=True)
class RunReport:
    """The counts, errors and outcome every run of the write-back path reports."""

    run_id: int | None
    status: str = "ok"
    dry_run: bool = False
    field_edits: int = 0
    field_values: int = 0
    properties: int = 0
    comments_posted: int = 0
    comments_updated: int = 0
    planned: int = 0
    requests: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    errors: list[ApplyError] = field(default_factory=list)
    failure: str | None = None
    failure_exit: int = exit_codes.NEEDS_FIX
    """The exit code of a failed run: that of the error that stopped it."""
    plan: Plan | None = None

    @property
    def exit_code(self) -> int:
        """0 ok, 1 partial, else the failure's code (see :mod:`okrsync.domain.exit_codes`)."""
        return {"ok": exit_codes.OK, "partial": exit_codes.ATTENTION}.get(self.status, self.failure_exit)

    @property
    def writes(self) -> int:
        return self.field_edits + self.properties + self.comments_posted + self.comments_updated

    @property
    def error_count(self) -> int:
        """The changes Jira refused, plus one for the failure that stopped the run."""
        return len(self.errors) + (1 if self.failure else 0)

    def absorb(self, outcome: ApplyOutcome) -> None:
        """Add what an apply did to this report."""
        self.field_edits += outcome.field_edits
        self.field_values += outcome.field_values
        self.properties += outcome.properties
        self.comments_posted += outcome.comments_posted
        self.comments_updated += outcome.comments_updated
        self.errors.extend(outcome.errors)
        self.warnings.extend(outcome.warnings)

    def fail(self, exc: BaseException, log: logging.Logger, what: str) -> None:
        """Mark the run failed by ``exc``; a user's error is logged without a traceback."""
        self.status = "failed"
        if isinstance(exc, OkrsyncError):  # its message says what to do
            self.failure, self.failure_exit = str(exc), exc.exit_code
            log.error("%s failed: %s", what, exc)
        else:
            self.failure, self.failure_exit = str(exc) or exc.__class__.__name__, exit_code_of(exc)
            log.exception("%s failed", what)

    def as_dict(self) -> dict[str, Any]:
        """The counts and outcome every run reports (each kind of run adds its own keys)."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "dry_run": self.dry_run,
            "field_edits": self.field_edits,
            "field_values": self.field_values,
            "properties": self.properties,
            "comments_posted": self.comments_posted,
            "comments_updated": self.comments_updated,
            "planned_changes": self.planned,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
            "errors": [e.as_dict() for e in self.errors],
            "failure": self.failure,
        }


def record_run(store: StateStore, report: RunReport, *, ended_at: datetime) -> None:
    """Close the run record of ``report`` (a run that never started has none)."""
    if report.run_id is None:
        return
    store.finish_run(
        report.run_id,
        ended_at=ended_at,
        status=report.status,
        requests=report.requests,
        writes=report.writes,
        comments=report.comments_posted + report.comments_updated,
        errors=report.error_count,
        warnings=len(report.warnings),
        summary=report.as_dict(),
    )
