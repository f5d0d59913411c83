"""The one log line each daemon cycle leaves: its message and the fields of its JSON record."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from okrsync.sync.engine import SyncReport

log = logging.getLogger("okrsync.daemon.service")  # the daemon's log, as before this module


@dataclass(frozen=True, slots=True)
class CycleSummary:
    """What the one log line of a cycle says (also the fields of its JSON log record)."""

    reason: str
    report: SyncReport
    affected: frozenset[str]

    def fields(self) -> dict[str, Any]:
        r = self.report
        return {
            "event": "cycle",
            "reason": self.reason,
            "run_id": r.run_id,
            "mode": r.mode,
            "status": r.status,
            "affected_krs": sorted(self.affected),
            "key_results": r.key_results,
            "issues_read": r.issues_read,
            "requests": r.requests,
            "writes": r.writes,
            "comments": r.comments_posted + r.comments_updated,
            "errors": r.error_count,
            "warnings": len(r.warnings),
            "seconds": round(r.seconds, 3),
            "health": r.health,
            "failure": r.failure,
            "pid": os.getpid(),
        }

    def message(self) -> str:
        r = self.report
        krs = f" krs={','.join(sorted(self.affected))}" if self.affected else ""
        text = (
            f"cycle run={r.run_id} reason={self.reason} mode={r.mode} status={r.status}{krs} "
            f"key_results={r.key_results} read={r.issues_read} requests={r.requests} writes={r.writes} "
            f"errors={r.error_count} warnings={len(r.warnings)} seconds={r.seconds:.2f}"
        )
        return f"{text} failure={r.failure!r}" if r.failure else text


def log_cycle(reason: str, report: SyncReport, affected: frozenset[str]) -> None:
    """The line of a cycle that ran (a warning if it failed)."""
    summary = CycleSummary(reason, report, affected)
    level = logging.WARNING if report.status == "failed" else logging.INFO
    log.log(level, summary.message(), extra=summary.fields())


def log_crashed_cycle(reason: str, exc: Exception) -> None:
    """The line of a cycle that raised (the store or a bug), with its traceback; call it in the
    ``except`` block."""
    log.exception(
        "cycle reason=%s status=failed errors=1 failure=%r",
        reason,
        str(exc),
        extra={"event": "cycle", "reason": reason, "status": "failed", "errors": 1, "failure": str(exc)},
    )
