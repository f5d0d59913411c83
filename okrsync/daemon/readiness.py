"""What the daemon's readiness (``GET /readyz``) rests on, besides a writable store: Jira answered
recently (:class:`JiraProbe`), and the last successful sync is recent enough for the schedule
(:func:`check_last_sync`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from okrsync.domain.records import RunRecord
from okrsync.jira.gateway import JiraGateway

log = logging.getLogger("okrsync.daemon.service")  # the daemon's log, as before this module

JIRA_PROBE_SECONDS = 30.0
"""A successful cycle or a probe of Jira vouches for it this long."""

OK_STATUSES = ("ok", "partial")
"""The run statuses that count as a successful sync."""


class JiraProbe:
    """Jira answered recently: a cycle succeeded, or a probe (cached 30 s) read okrsync's own user."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        gateway_factory: Callable[[], JiraGateway],
        last_success: Callable[[], datetime | None],
    ) -> None:
        self.clock = clock
        self.gateway_factory = gateway_factory
        self._last_success = last_success
        self._probe: tuple[datetime, bool] | None = None
        self._lock = threading.Lock()

    def reachable(self) -> bool:
        now = self.clock()
        recent = timedelta(seconds=JIRA_PROBE_SECONDS)
        with self._lock:
            last_success = self._last_success()
            if last_success is not None and timedelta(0) <= now - last_success < recent:
                return True
            if self._probe is not None and timedelta(0) <= now - self._probe[0] < recent:
                return self._probe[1]
            ok = False
            try:
                with self.gateway_factory() as probe:
                    probe.myself()  # reachable, and the credentials work
                ok = True
            except Exception as exc:
                log.warning("readiness: Jira is not reachable: %s", exc, extra={"event": "jira_unreachable"})
            self._probe = (now, ok)
            return ok


def last_ok_run(runs: Iterable[RunRecord]) -> RunRecord | None:
    """The newest finished run that succeeded (``runs`` newest first)."""
    return next((r for r in runs if r.status in OK_STATUSES and r.ended_at), None)


@dataclass(frozen=True, slots=True)
class LastSync:
    """The ``last_sync`` check of ``/readyz``."""

    ok: bool
    run_id: int | None
    age_seconds: float | None
    max_age_seconds: float
    late_after: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "run_id": self.run_id,
            "age_seconds": round(self.age_seconds, 1) if self.age_seconds is not None else None,
            "max_age_seconds": self.max_age_seconds,
            "late_after": self.late_after.isoformat() if self.late_after is not None else None,
        }


def check_last_sync(
    now: datetime,
    last: RunRecord | None,
    *,
    max_age: timedelta,
    late_after: Callable[[datetime], datetime | None],
    started_at: datetime,
    failures: int,
) -> LastSync:
    """Whether the last successful run ``last`` is recent enough at ``now``.

    Late: a scheduled cycle (with ``sync.cron``, a fire time; else the interval) has passed, plus a
    grace, without a successful cycle since; nights and weekends outside a cron are not late. With
    no successful sync yet: fine while the daemon is young (``max_age``) and none of its cycles failed.
    """
    age = (now - last.ended_at).total_seconds() if last is not None and last.ended_at else None
    limit = max_age.total_seconds()
    late: datetime | None = None
    if last is not None and last.ended_at is not None:
        late = late_after(last.ended_at)
        ok = late is None or now <= late
    else:
        ok = (now - started_at).total_seconds() <= limit and failures == 0
    return LastSync(ok, last.run_id if last is not None else None, age, limit, late)
