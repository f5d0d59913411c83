"""``okrsync backfill``: OKR fields on every in-scope issue, and the daily history from changelogs.

A one-off for first installs and past periods, in three phases:

1. **read** — the scope exactly as a sync reads it (:class:`~okrsync.sync.fetch.Fetcher`), plus
   every issue's changelog: on Cloud with ``POST /rest/api/3/changelog/bulkfetch`` (1000 issues a
   request), on Data Center in the searches themselves (``expand=changelog``, which returns whole
   changelogs there; an issue whose changelog came back truncated is re-read alone). One
   ``GET /status`` maps the statuses in changelogs to their categories.
2. **history** — :mod:`okrsync.core.history` (pure) rebuilds the tree of each day from the first day of
   the period (or ``--since``) to today (or the period's end), scores it like a sync, and the
   points are recorded as ``source="backfill"`` rows that never replace a row a sync recorded.
   A closed OKR period's KRs and objectives (meta ``closed_periods``) keep their final numbers on
   the days after its end, as a sync holds them: their history is not rewritten past the close.
   Days are recorded a week at a time; the cursor (meta ``backfill``) remembers the last one.
3. **writes** — the current period: one full sync cycle (:func:`~okrsync.sync.engine.run_sync`),
   after the history, so that stale check-ins see it. A past period: the same plan and apply for
   its tree as of the period's last day, without celebrations and check-in reminders (they would
   arrive months late and notify people about finished work) and without touching issues in the
   live sync's scope (their fields show the current period). A past period never changes the
   mirror, the watermark or the stored tree of the live sync.

``--resume`` continues an interrupted backfill of the same period from its cursor: days already
recorded are not computed again, and a finished history is not read again for the current period.
Writes are idempotent anyway (the plan sees what Jira shows; applied writes are recorded).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from okrsync.core.changelog_items import tracked_fields
from okrsync.core.closing import closes_of
from okrsync.core.history import (
    IssueHistory,
    days_between,
    history_from_changelogs,
    rebuild,
    scores_of,
)
from okrsync.core.periods import BackfillError
from okrsync.core.plan import WritebackIds
from okrsync.domain.config import PeriodConfig, Settings
from okrsync.domain.keys import META_BACKFILL_CURSOR, META_CLOSED_PERIODS
from okrsync.domain.records import ProgressPoint
from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.backfill_report import BackfillReport
from okrsync.sync.changelogs import read_with_changelogs
from okrsync.sync.checkins import rebuilt_checkins, replace_checkins
from okrsync.sync.engine import rollup_policy, run_sync, writeback_ids
from okrsync.sync.past_period import write_past
from okrsync.sync.run_report import record_run
from okrsync.sync.scope import ReadScope, read_scope

log = logging.getLogger(__name__)

CURSOR_KEY = META_BACKFILL_CURSOR
CURSOR_VERSION = 1
CHUNK_DAYS = 7
"""Days recorded (and the cursor moved) at a time."""


# ---------------------------------------------------------------------------------- report


# ---------------------------------------------------------------------------------- cursor


def _period_json(period: PeriodConfig) -> dict[str, str]:
    return {"name": period.name, "start": period.start.isoformat(), "end": period.end.isoformat()}


def _resumable(cursor: Any, period: PeriodConfig, first: date) -> bool:
    return (
        isinstance(cursor, Mapping)
        and cursor.get("version") == CURSOR_VERSION
        and cursor.get("period") == _period_json(period)
        and cursor.get("first_day") == first.isoformat()
        and cursor.get("phase") in ("history", "writes")
    )


def _days_to_rebuild(period: PeriodConfig, today: date, since: date | None) -> tuple[date, date]:
    """The first and last day whose history a backfill rebuilds; bad arguments raise."""
    if today < period.start:
        raise BackfillError(
            f"the period {period.name} starts on {period.start}, after today ({today}): "
            "there is no history to rebuild yet. Run okrsync sync instead."
        )
    last = min(today, period.end)
    if since is None:
        return period.start, last
    if since > last:
        raise BackfillError(
            f"--since {since} is after the last day to rebuild ({last}). "
            f"Pick a day from {period.start} to {last}."
        )
    return max(period.start, since), last


def _cursor(
    cursor: Any, report: BackfillReport, period: PeriodConfig, first: date, *, resume: bool
) -> dict[str, Any]:
    """The cursor this backfill continues (``--resume`` of the same period) or starts afresh."""
    resumable = _resumable(cursor, period, first)
    if resume and not resumable:
        report.warnings.append("nothing to resume for this period; backfilled it from the start")
    elif not resume and resumable:
        report.warnings.append(
            "an interrupted backfill of this period was started over (--resume continues one)"
        )
    report.resumed = resumable and resume
    if report.resumed and isinstance(cursor, Mapping):
        return dict(cursor)
    return {
        "version": CURSOR_VERSION,
        "period": _period_json(period),
        "first_day": first.isoformat(),
        "phase": "history",
        "history_through": None,
    }


# -------------------------------------------------------------------------------- the run


def run_backfill(
    cfg: Settings,
    *,
    store: StateStore,
    gateway: JiraGateway,
    now: datetime,
    period: PeriodConfig | None = None,
    since: date | None = None,
    dry_run: bool = False,
    resume: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
) -> BackfillReport:
    """Backfill ``period`` (default: the configured one) as of ``now`` (an aware datetime).

    Bad arguments raise :class:`BackfillError` before anything is read; Jira and data problems are
    reported (``status`` ``failed`` or ``partial``), never raised.
    """
    period_cfg = period or cfg.period
    today = now.astimezone(UTC).date()
    first, last = _days_to_rebuild(period_cfg, today, since)
    past = period_cfg.end < today
    # --period on a configuration of a running period: its KR sources are the live ones, whose
    # fields show the running period; the past period then only gets its history
    live_period = cfg.period.name if past and period_cfg != cfg.period and cfg.period.end >= today else None
    work = cfg if period_cfg == cfg.period else cfg.model_copy(update={"period": period_cfg})

    started = time.perf_counter()
    requests_before = int(gateway.stats.snapshot()["requests"])
    report = BackfillReport(
        run_id=None, period=period_cfg.name, first_day=first, last_day=last, past=past, dry_run=dry_run
    )
    state = _cursor(store.get_meta(CURSOR_KEY), report, period_cfg, first, resume=resume)
    interrupted = store.end_interrupted_runs(now)
    report.run_id = store.start_run("backfill-dry-run" if dry_run else "backfill", now)
    if interrupted:
        report.warnings.append(f"marked {interrupted} interrupted run(s) failed: their process stopped")

    def save(**changes: Any) -> None:
        state.update(changes, updated_at=clock().isoformat())
        if not dry_run:
            store.set_meta(CURSOR_KEY, state)

    try:
        _run(
            work,
            store,
            gateway,
            now,
            report,
            state,
            save,
            past=past,
            live_period=live_period,
            dry_run=dry_run,
            clock=clock,
            stop=stop,
            on_progress=on_progress,
        )
    except KeyboardInterrupt:
        report.status = "failed"
        report.failure = "interrupted; run okrsync backfill --resume to continue"
        _finish(store, report, now, started, requests_before, gateway)
        raise
    except Exception as exc:  # a failed backfill is reported and recorded, never crashes the caller
        report.fail(exc, log, "backfill")
    _finish(store, report, now, started, requests_before, gateway)
    return report


def _finish(
    store: StateStore,
    report: BackfillReport,
    now: datetime,
    started: float,
    requests_before: int,
    gateway: JiraGateway,
) -> None:
    report.requests = int(gateway.stats.snapshot()["requests"]) - requests_before
    report.seconds = time.perf_counter() - started
    # on the same clock as the start, like a sync: ``now``
    record_run(store, report, ended_at=now + timedelta(seconds=report.seconds))


def _run(
    cfg: Settings,
    store: StateStore,
    gateway: JiraGateway,
    now: datetime,
    report: BackfillReport,
    state: dict[str, Any],
    save: Callable[..., None],
    *,
    past: bool,
    live_period: str | None,
    dry_run: bool,
    clock: Callable[[], datetime],
    stop: Callable[[], bool],
    on_progress: Callable[[str, int, int], None],
) -> None:
    days = _days_left(report, state)
    ids = writeback_ids(cfg, gateway)
    history: IssueHistory | None = None
    scope = None
    if days or past:
        history, scope = _read_history(
            cfg,
            gateway,
            report,
            ids,
            since=days[0] if days else report.last_day,
            on_progress=on_progress,
            store=None if dry_run else store,
        )
    if days and history is not None and scope is not None:
        finished = _record_history(
            cfg,
            store,
            report,
            history,
            scope,
            days,
            save,
            dry_run=dry_run,
            stop=stop,
            on_progress=on_progress,
        )
        if not finished:
            return
    save(phase="writes")
    if stop():
        report.status = "partial"
        report.warnings.append("stopped before writing to Jira; okrsync backfill --resume continues")
        return

    # ---- writes
    if past:
        assert history is not None and scope is not None
        write_past(
            cfg,
            store,
            gateway,
            report,
            history,
            scope,
            ids,
            live_period=live_period,
            dry_run=dry_run,
            clock=clock,
            stop=stop,
            on_progress=on_progress,
        )
    elif not _write_current(
        cfg, store, gateway, now, report, dry_run=dry_run, clock=clock, stop=stop, on_progress=on_progress
    ):
        return
    if report.status == "ok" and not report.errors:
        save(phase="done")
    elif report.errors:
        report.status = "partial"


def _write_current(
    cfg: Settings,
    store: StateStore,
    gateway: JiraGateway,
    now: datetime,
    report: BackfillReport,
    *,
    dry_run: bool,
    clock: Callable[[], datetime],
    stop: Callable[[], bool],
    on_progress: Callable[[str, int, int], None],
) -> bool:
    """The current period's writes: one full sync cycle, after the history (so that stale check-ins
    see it); ``False`` when it failed or stopped part-way."""
    sync = run_sync(
        cfg,
        store=store,
        gateway=gateway,
        now=now,
        dry_run=dry_run,
        full=True,
        clock=clock,
        stop=stop,
        on_progress=lambda stage, done, total: on_progress(
            "write" if stage == "write" else "sync", done, total
        ),
    )
    report.sync = sync
    report.key_results = report.key_results or sync.key_results
    report.objectives = report.objectives or sync.objectives
    report.field_edits, report.field_values = sync.field_edits, sync.field_values
    report.properties = sync.properties
    report.comments_posted, report.comments_updated = sync.comments_posted, sync.comments_updated
    report.planned, report.plan = sync.planned, sync.plan
    report.errors.extend(sync.errors)
    report.warnings.extend(w for w in sync.warnings if w not in report.warnings)
    if sync.status == "failed":
        report.status = "failed"
        report.failure = f"the sync cycle failed: {sync.failure}"
        report.failure_exit = sync.failure_exit
        return False
    if sync.status == "partial":
        report.status = "partial"
        return False
    return True


def _days_left(report: BackfillReport, state: Mapping[str, Any]) -> list[date]:
    """The days whose history is still to be rebuilt (a resumed backfill skips those done)."""
    assert report.first_day is not None and report.last_day is not None
    all_days = days_between(report.first_day, report.last_day)
    report.days_total = len(all_days)
    through = state.get("history_through")
    done_through = date.fromisoformat(through) if isinstance(through, str) else None
    days = (
        []
        if state.get("phase") == "writes"
        else [d for d in all_days if done_through is None or d > done_through]
    )
    report.days_skipped = len(all_days) - len(days)
    return days


def _read_history(
    cfg: Settings,
    gateway: JiraGateway,
    report: BackfillReport,
    ids: WritebackIds,
    *,
    since: date | None,
    on_progress: Callable[[str, int, int], None],
    store: StateStore | None = None,
) -> tuple[IssueHistory, ReadScope]:
    """Every issue in scope with its changelog, as timelines from ``since`` on; the KR epics'
    check-ins rebuilt from their changelogs (recorded in ``store`` unless a dry run)."""
    scope = read_scope(cfg, gateway.fields, [*ids.present(), "created"])
    read = read_with_changelogs(gateway, cfg, scope, on_progress)
    report.issues_read = len(read.issues)
    report.changelog_entries = read.entries
    report.warnings.extend(read.warnings)
    epics = [epic for source in read.snapshot.kr_epics for epic in source]
    checkins = rebuilt_checkins(gateway, read.issues, epics, scope.ids)
    report.checkins = sum(len(found) for found in checkins.values())
    if store is not None and checkins:
        replace_checkins(store, checkins)
    statuses: list[dict[str, Any]] = []
    try:
        statuses = gateway.history.statuses()
    except JiraError as exc:
        report.warnings.append(f"could not list the statuses ({exc}); used those seen on issues")
    names = {
        fid: gateway.fields.name_of(fid)
        for fid in (scope.ids.story_points, scope.ids.epic_link, *scope.ids.numbers.values())
        if fid
    }
    tracked = tracked_fields(scope.ids, names, statuses, read.issues.values())
    return history_from_changelogs(read.snapshot, tracked, since=since), scope


def _record_history(
    cfg: Settings,
    store: StateStore,
    report: BackfillReport,
    history: IssueHistory,
    scope: ReadScope,
    days: Sequence[date],
    save: Callable[..., None],
    *,
    dry_run: bool,
    stop: Callable[[], bool],
    on_progress: Callable[[str, int, int], None],
) -> bool:
    """Score each day and record it, a week at a time (moving the cursor); ``False`` if stopped."""
    on_progress("history", 0, len(days))
    batch: list[ProgressPoint] = []
    batch_days = 0
    scoring = rebuild(
        cfg,
        history,
        scope.ids,
        days,
        rollup_policy(cfg),
        objective_field_id=scope.objective_field_id,
        closes=closes_of(store.get_meta(META_CLOSED_PERIODS)),  # closed KRs keep their finals
    )
    for n, scored in enumerate(scoring, 1):
        report.key_results = len(scored.key_results)
        report.objectives = len(scored.objectives)
        batch.extend(
            ProgressPoint(s.day, s.node_id, s.kind, s.progress, s.expected, s.health, source="backfill")
            for s in scores_of(scored)
        )
        batch_days += 1
        on_progress("history", n, len(days))
        if batch_days < CHUNK_DAYS and n < len(days):
            continue
        if not dry_run:
            store.record_progress(batch, preserve_sync=True)
        report.points += len(batch)
        report.days_recorded += batch_days
        save(history_through=scored.as_of.isoformat())
        batch, batch_days = [], 0
        if n < len(days) and stop():
            report.status = "partial"
            report.warnings.append(
                f"stopped after {scored.as_of}; okrsync backfill --resume continues from there"
            )
            return False
    return True
