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

import calendar
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from okrsync.cli.progress import stage_progress
from okrsync.core.history import (
    History,
    days_between,
    history_of,
    rebuild,
    scores_of,
    tracked_fields,
)
from okrsync.core.mappers import issue_fields as f
from okrsync.core.mappers.tree import JiraSnapshot
from okrsync.core.plan import CommentPolicy, CommentRecord, IssueNow, Plan, WritebackIds, plan_changes
from okrsync.core.rollup import ScoredTree
from okrsync.domain import exit_codes
from okrsync.domain.config import PeriodConfig, Settings
from okrsync.domain.model import OkrsyncError, exit_code_of
from okrsync.jira.errors import JiraError, JiraNotFound
from okrsync.jira.gateway import JiraGateway
from okrsync.state.models import ProgressPoint
from okrsync.state.store import StateStore
from okrsync.sync.apply import Applier, ApplyError
from okrsync.sync.engine import SyncReport, rollup_policy, run_sync, writeback_ids
from okrsync.sync.fetch import Fetcher
from okrsync.sync.scope import ReadPlan, plan_read

log = logging.getLogger(__name__)

CURSOR_KEY = "backfill"
CURSOR_VERSION = 1
CHUNK_DAYS = 7
"""Days recorded (and the cursor moved) at a time."""

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_HALF = re.compile(r"^(\d{4})-?H([12])$", re.IGNORECASE)


class BackfillError(OkrsyncError):
    """Backfill arguments that cannot be used."""


# ------------------------------------------------------------------------------- arguments


def parse_period(text: str, current: PeriodConfig) -> PeriodConfig:
    """``--period``: ``YYYY-Qn``, ``YYYY-Hn``, ``START..END`` (ISO days), or the configured name."""
    value = text.strip()
    if value == current.name:
        return current
    start: date
    end: date
    name = value
    if m := _QUARTER.match(value):
        year, quarter = int(m.group(1)), int(m.group(2))
        start = date(year, 3 * quarter - 2, 1)
        end = date(year, 3 * quarter, calendar.monthrange(year, 3 * quarter)[1])
        name = f"{year}-Q{quarter}"
    elif m := _HALF.match(value):
        year, half = int(m.group(1)), int(m.group(2))
        start = date(year, 1 if half == 1 else 7, 1)
        end = date(year, 6, 30) if half == 1 else date(year, 12, 31)
        name = f"{year}-H{half}"
    elif ".." in value:
        first, _, last = value.partition("..")
        try:
            start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
        except ValueError:
            raise BackfillError(
                f"--period {value!r}: START..END needs two days as YYYY-MM-DD, e.g. 2026-07-01..2026-09-30."
            ) from None
        if end < start:
            raise BackfillError(f"--period {value!r}: the end is before the start. Swap the two days.")
    else:
        raise BackfillError(
            f"--period {value!r} is not a period. Use YYYY-Qn (e.g. 2026-Q3), YYYY-Hn, "
            f"START..END (e.g. 2026-07-01..2026-09-30) or the configured period's name ({current.name})."
        )
    if (start, end) == (current.start, current.end):
        return current
    return PeriodConfig(name=name, start=start, end=end)


def parse_day(text: str, option: str = "--since") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BackfillError(f"{option} {text!r} is not a day. Use YYYY-MM-DD, e.g. 2026-10-15.") from None


# ---------------------------------------------------------------------------------- report


@dataclass
class BackfillReport:
    """What one backfill did; ``as_dict`` is the ``--json`` output and the run record's summary."""

    run_id: int | None
    period: str
    first_day: date | None = None
    last_day: date | None = None
    past: bool = False
    status: str = "ok"
    dry_run: bool = False
    resumed: bool = False
    issues_read: int = 0
    changelog_entries: int = 0
    days_total: int = 0
    days_recorded: int = 0
    days_skipped: int = 0
    key_results: int = 0
    objectives: int = 0
    points: int = 0
    field_edits: int = 0
    field_values: int = 0
    properties: int = 0
    comments_posted: int = 0
    comments_updated: int = 0
    planned: int = 0
    left_alone: int = 0
    requests: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    errors: list[ApplyError] = field(default_factory=list)
    failure: str | None = None
    failure_exit: int = exit_codes.NEEDS_FIX
    """The exit code of a failed backfill: that of the error that stopped it."""
    plan: Plan | None = None
    sync: SyncReport | None = None
    final: ScoredTree | None = None

    @property
    def exit_code(self) -> int:
        """0 ok, 1 partial, else the failure's code (see :mod:`okrsync.domain.exit_codes`)."""
        return {"ok": exit_codes.OK, "partial": exit_codes.ATTENTION}.get(self.status, self.failure_exit)

    @property
    def writes(self) -> int:
        return self.field_edits + self.properties + self.comments_posted + self.comments_updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "period": self.period,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "past_period": self.past,
            "status": self.status,
            "dry_run": self.dry_run,
            "resumed": self.resumed,
            "issues_read": self.issues_read,
            "changelog_entries": self.changelog_entries,
            "days": self.days_total,
            "days_recorded": self.days_recorded,
            "days_skipped": self.days_skipped,
            "key_results": self.key_results,
            "objectives": self.objectives,
            "points": self.points,
            "field_edits": self.field_edits,
            "field_values": self.field_values,
            "properties": self.properties,
            "comments_posted": self.comments_posted,
            "comments_updated": self.comments_updated,
            "planned_changes": self.planned,
            "left_alone": self.left_alone,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "warnings": self.warnings,
            "errors": [e.as_dict() for e in self.errors],
            "failure": self.failure,
        }


# ---------------------------------------------------------------------------------- reading


class _ChangelogFetcher(Fetcher):
    """The sync's reads, each search also returning changelogs (Data Center)."""

    def _search(self, jql: str) -> list[f.RawIssue]:
        return list(
            self.gateway.search(
                jql, list(self.plan.fields), expand=("changelog",), properties=self.properties
            )
        )


@dataclass(frozen=True, slots=True)
class _Read:
    snapshot: JiraSnapshot
    issues: Mapping[str, f.RawIssue]
    entries: int
    warnings: tuple[str, ...] = ()


def _with_changelog(raw: f.RawIssue, histories: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {**raw, "changelog": {"startAt": 0, "total": len(histories), "histories": list(histories)}}


def _truncated(raw: f.RawIssue) -> bool:
    log_ = raw.get("changelog")
    if not isinstance(log_, Mapping):
        return True
    histories = log_.get("histories")
    total = log_.get("total")
    got = len(histories) if isinstance(histories, list) else 0
    return isinstance(total, int) and total > got


def read_with_changelogs(
    gateway: JiraGateway,
    cfg: Settings,
    plan: ReadPlan,
    on_progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
) -> _Read:
    """The scope as a full sync reads it, every issue with its whole changelog."""
    warnings: list[str] = []
    cloud = gateway.flavor == "cloud"
    on_progress("read", 0, 1)
    fetcher = Fetcher(gateway, cfg, plan) if cloud else _ChangelogFetcher(gateway, cfg, plan)
    fetched = fetcher.fetch({}, since=None, full=True)
    warnings.extend(fetched.warnings)
    on_progress("read", 1, 1)
    logs: dict[str, list[dict[str, Any]]] = {}
    issues = fetched.issues
    if cloud:
        by_id = {str(raw.get("id")): key for key, raw in issues.items() if raw.get("id") is not None}
        on_progress("changelogs", 0, len(by_id))
        try:
            bulk = gateway.changelogs(list(by_id))
            logs = {by_id[i]: h for i, h in bulk.items() if i in by_id}
        except JiraNotFound:
            warnings.append(
                "this site has no bulk changelog endpoint; changelogs were read one issue at a time"
            )
            for n, key in enumerate(issues, 1):
                logs[key] = gateway.issue_changelog(key)
                on_progress("changelogs", n, len(issues))
        on_progress("changelogs", len(by_id), len(by_id))
    else:
        again = [key for key, raw in issues.items() if _truncated(raw)]
        on_progress("changelogs", 0, len(again))
        for n, key in enumerate(again, 1):
            logs[key] = gateway.issue_changelog(key)
            on_progress("changelogs", n, len(again))

    def conv(raw: f.RawIssue) -> dict[str, Any]:
        key = f.key_of(raw)
        if key in logs:
            return _with_changelog(raw, logs[key])
        return dict(raw)

    converted = {key: conv(raw) for key, raw in issues.items()}

    def same(raw: f.RawIssue) -> f.RawIssue:
        return converted.get(f.key_of(raw), raw)

    snap = fetched.snapshot
    snapshot = JiraSnapshot(
        kr_epics=[[same(e) for e in group] for group in snap.kr_epics],
        children=[same(c) for c in snap.children],
        objective_issues=[same(o) for o in snap.objective_issues],
    )
    entries = 0
    for raw in converted.values():
        log_ = raw.get("changelog")
        histories = log_.get("histories") if isinstance(log_, Mapping) else None
        entries += len(histories) if isinstance(histories, list) else 0
    return _Read(snapshot, converted, entries, tuple(warnings))


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


# -------------------------------------------------------------------------------- the run


def _issue_now(raw: f.RawIssue, ids: WritebackIds, properties_known: bool) -> IssueNow:
    fields = f.fields_of(raw)
    props = raw.get("properties")
    prop = props.get("okrsync") if isinstance(props, Mapping) else None
    return IssueNow(
        {fid: fields.get(fid) for fid in ids.present()},
        prop if isinstance(prop, Mapping) else None,
        properties_known,
    )


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
    if today < period_cfg.start:
        raise BackfillError(
            f"the period {period_cfg.name} starts on {period_cfg.start}, after today ({today}): "
            "there is no history to rebuild yet. Run okrsync sync instead."
        )
    last = min(today, period_cfg.end)
    first = period_cfg.start
    if since is not None:
        if since > last:
            raise BackfillError(
                f"--since {since} is after the last day to rebuild ({last}). Pick a day from "
                f"{period_cfg.start} to {last}."
            )
        first = max(first, since)
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
    cursor = store.get_meta(CURSOR_KEY)
    resuming = _resumable(cursor, period_cfg, first)
    if resume and not resuming:
        report.warnings.append("nothing to resume for this period; backfilled it from the start")
    elif not resume and resuming:
        report.warnings.append(
            "an interrupted backfill of this period was started over (--resume continues one)"
        )
    resuming = resuming and resume
    report.resumed = resuming
    state: dict[str, Any] = (
        dict(cursor)
        if resuming and isinstance(cursor, Mapping)
        else {
            "version": CURSOR_VERSION,
            "period": _period_json(period_cfg),
            "first_day": first.isoformat(),
            "phase": "history",
            "history_through": None,
        }
    )
    report.run_id = store.start_run("backfill-dry-run" if dry_run else "backfill", now)

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
        _finish(store, report, clock, started, requests_before, gateway)
        raise
    except Exception as exc:  # a failed backfill is reported and recorded, never crashes the caller
        report.status = "failed"
        report.failure = str(exc) or exc.__class__.__name__
        report.failure_exit = exit_code_of(exc)
        log.exception("backfill failed")
    _finish(store, report, clock, started, requests_before, gateway)
    return report


def _finish(
    store: StateStore,
    report: BackfillReport,
    clock: Callable[[], datetime],
    started: float,
    requests_before: int,
    gateway: JiraGateway,
) -> None:
    report.requests = int(gateway.stats.snapshot()["requests"]) - requests_before
    report.seconds = time.perf_counter() - started
    if report.run_id is not None:
        store.finish_run(
            report.run_id,
            ended_at=clock(),
            status=report.status,
            requests=report.requests,
            writes=report.writes,
            comments=report.comments_posted + report.comments_updated,
            errors=len(report.errors) + (1 if report.failure else 0),
            warnings=len(report.warnings),
            summary=report.as_dict(),
        )


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
    assert report.first_day is not None and report.last_day is not None
    all_days = days_between(report.first_day, report.last_day)
    report.days_total = len(all_days)
    through = state.get("history_through")
    done_through = date.fromisoformat(through) if isinstance(through, str) else None
    if state.get("phase") == "writes":
        days = []
    else:
        days = [d for d in all_days if done_through is None or d > done_through]
    report.days_skipped = len(all_days) - len(days)
    policy = rollup_policy(cfg)
    ids = writeback_ids(cfg, gateway)

    history: History | None = None
    plan = None
    if days or past:
        plan = plan_read(cfg, gateway.fields, [*ids.present(), "created"])
        read = read_with_changelogs(gateway, cfg, plan, on_progress)
        report.issues_read = len(read.issues)
        report.changelog_entries = read.entries
        report.warnings.extend(read.warnings)
        statuses: list[dict[str, Any]] = []
        try:
            statuses = gateway.statuses()
        except JiraError as exc:
            report.warnings.append(f"could not list the statuses ({exc}); used those seen on issues")
        names = {
            fid: gateway.fields.name_of(fid)
            for fid in (plan.ids.story_points, plan.ids.epic_link, *plan.ids.numbers.values())
            if fid
        }
        tracked = tracked_fields(plan.ids, names, statuses, read.issues.values())
        start = days[0] if days else report.last_day
        history = history_of(read.snapshot, tracked, since=start)

    # ---- history
    if days and history is not None and plan is not None:
        on_progress("history", 0, len(days))
        batch: list[ProgressPoint] = []
        batch_days = 0
        scoring = rebuild(cfg, history, plan.ids, days, policy, objective_field_id=plan.objective_field_id)
        for n, scored in enumerate(scoring, 1):
            report.key_results = len(scored.key_results)
            report.objectives = len(scored.objectives)
            batch.extend(
                ProgressPoint(s.day, s.node_id, s.kind, s.progress, s.expected, s.health, source="backfill")
                for s in scores_of(scored)
            )
            batch_days += 1
            on_progress("history", n, len(days))
            if batch_days == CHUNK_DAYS or n == len(days):
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
                    return
    save(phase="writes")
    if stop():
        report.status = "partial"
        report.warnings.append("stopped before writing to Jira; okrsync backfill --resume continues")
        return

    # ---- writes
    if past:
        assert history is not None and plan is not None
        _write_past(
            cfg,
            store,
            gateway,
            report,
            history,
            plan,
            ids,
            live_period=live_period,
            dry_run=dry_run,
            clock=clock,
            stop=stop,
            on_progress=on_progress,
        )
    else:
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
        report.planned = sync.planned
        report.plan = sync.plan
        report.errors.extend(sync.errors)
        report.warnings.extend(w for w in sync.warnings if w not in report.warnings)
        if sync.status == "failed":
            report.status = "failed"
            report.failure = f"the sync cycle failed: {sync.failure}"
            report.failure_exit = sync.failure_exit
            return
        if sync.status == "partial":
            report.status = "partial"
            return
    if report.status == "ok" and not report.errors:
        save(phase="done")
    elif report.errors:
        report.status = "partial"


def _write_past(
    cfg: Settings,
    store: StateStore,
    gateway: JiraGateway,
    report: BackfillReport,
    history: History,
    plan: ReadPlan,
    ids: WritebackIds,
    *,
    live_period: str | None,
    dry_run: bool,
    clock: Callable[[], datetime],
    stop: Callable[[], bool],
    on_progress: Callable[[str, int, int], None],
) -> None:
    """The plan and apply of a past period: its tree as of its last day; no celebrations, no
    check-in reminders; issues in the live sync's scope keep the current period's values."""
    period_end = cfg.period.end
    final = next(
        rebuild(
            cfg,
            history,
            plan.ids,
            [period_end],
            rollup_policy(cfg),
            objective_field_id=plan.objective_field_id,
        )
    )
    report.final = final
    report.key_results = len(final.key_results)
    report.objectives = len(final.objectives)
    if not cfg.writeback.enabled:
        return
    # the live sync's scope: what it mirrors, or everything read when the KR sources are the live ones
    live = {tl.key for tl in history.timelines()} if live_period else store.mirror_keys()
    known = gateway.search_returns_properties
    # what Jira shows now: the newest version (write-back fields and properties are never rewound)
    now_of = {tl.key: _issue_now(tl.versions[-1], ids, known) for tl in history.timelines()}
    applied = store.applied()
    records = {
        (k[0], k[2]): CommentRecord(a.comment_id or "", a.value_hash)
        for k, a in applied.items()
        if k[1] == "comment"
    }
    property_hashes = {k[0]: a.value_hash for k, a in applied.items() if k[1] == "property"}
    full = plan_changes(
        final,
        ids,
        now_of,
        comments=CommentPolicy(
            cfg.writeback.comments.status_change, False, False, cfg.policy.stale_after_days
        ),
        records=records,
        property_hashes=property_hashes,
    )
    kept = tuple(c for c in full.changes if c.issue_key not in live)
    report.left_alone = len({c.issue_key for c in full.changes if c.issue_key in live})
    if report.left_alone and live_period:
        report.warnings.append(
            f"the configured key results are those of the running period {live_period}, so their Jira "
            f"fields keep showing it; only the history of {cfg.period.name} was rebuilt. To write a "
            "past period's fields, run the backfill with that period's configuration (okrsync -c FILE)"
        )
    elif report.left_alone:
        report.warnings.append(
            f"{report.left_alone} issue(s) are in the live sync's scope; their OKR fields show the "
            f"current period and were left alone"
        )
    past_plan = Plan(kept, full.warnings)
    report.plan = past_plan
    report.planned = len(kept)
    report.warnings.extend(past_plan.warnings)
    if dry_run:
        return
    total = len(kept)
    done = [0]

    def step() -> None:
        done[0] += 1
        on_progress("write", done[0], total)

    applier = Applier(
        gateway,
        store,
        run_id=report.run_id,
        notify=cfg.writeback.notify_users,
        clock=clock,
        stop=stop,
        on_change=step,
    )
    outcome = applier.apply(past_plan)
    report.field_edits, report.field_values = outcome.field_edits, outcome.field_values
    report.properties = outcome.properties
    report.comments_posted, report.comments_updated = outcome.comments_posted, outcome.comments_updated
    report.errors.extend(outcome.errors)
    report.warnings.extend(outcome.warnings)
    if outcome.stopped:
        report.status = "partial"
        report.warnings.append("stopped before every change was applied; okrsync backfill --resume continues")


# ------------------------------------------------------------------------------------- CLI


def summary_table(report: BackfillReport) -> Table:
    what = "past period" if report.past else "current period"
    mode = "dry run" if report.dry_run else ("resumed" if report.resumed else "full")
    table = Table(
        title=f"okrsync backfill {report.period} ({what}) — {mode}, {report.status}", show_header=False
    )
    table.add_column("what", style="bold")
    table.add_column("", justify="right")
    span = f"{report.first_day} … {report.last_day}" if report.first_day else "–"
    recorded = "would record" if report.dry_run else "recorded"
    rows: list[tuple[str, object]] = [
        ("days", f"{report.days_total} ({span})"),
        (f"days {recorded}", report.days_recorded),
        ("days already done", report.days_skipped),
        ("key results", report.key_results),
        ("objectives", report.objectives),
        (f"history points {recorded}", report.points),
        ("issues read", report.issues_read),
        ("changelog entries", report.changelog_entries),
        ("fields written", f"{report.field_values} on {report.field_edits} issues"),
        ("properties written", report.properties),
        ("comments posted / updated", f"{report.comments_posted} / {report.comments_updated}"),
        ("requests made", report.requests),
        ("warnings", len(report.warnings)),
        ("errors", len(report.errors) + (1 if report.failure else 0)),
        ("time", f"{report.seconds:.1f} s"),
    ]
    if report.dry_run:
        rows.insert(8, ("changes planned", report.planned))
    if report.left_alone:
        rows.insert(9, ("issues left to the live sync", report.left_alone))
    for name, value in rows:
        table.add_row(name, str(value))
    return table


def backfill_once(
    settings: Settings,
    console: Console,
    err_console: Console,
    *,
    period: str | None = None,
    since: str | None = None,
    dry_run: bool = False,
    resume: bool = False,
    json_out: bool = False,
    now: datetime | None = None,
) -> int:
    """``okrsync backfill``; returns the exit code: 0 ok, 1 partial, 2 failed."""
    from okrsync.cli.run_summary import print_outcome

    period_cfg = parse_period(period, settings.period) if period else None
    since_day = parse_day(since) if since else None
    now = now or datetime.now(UTC)
    show_progress = console.is_terminal and not json_out
    labels = {
        "read": "reading Jira",
        "changelogs": "reading changelogs",
        "history": "rebuilding history (days)",
        "sync": "sync: reading Jira",
        "write": "writing to Jira",
    }
    with StateStore.open(settings.sync.state_url) as store, JiraGateway(settings.jira) as gateway:
        if not dry_run:
            # one writer at a time: a daemon (or another sync) on this store would race us to post
            # the same comment; the lock is released when the store closes
            store.require_leader()
        with stage_progress(console, enabled=show_progress, labels=labels) as on_progress:
            report = run_backfill(
                settings,
                store=store,
                gateway=gateway,
                now=now,
                period=period_cfg,
                since=since_day,
                dry_run=dry_run,
                resume=resume,
                on_progress=on_progress,
            )
        names: dict[str, str] = {}
        if report.plan is not None:
            fids = {fid for edit in report.plan.field_edits for fid in edit.fields}
            names = {fid: gateway.fields.name_of(fid) for fid in fids}
    if json_out:
        console.print_json(json.dumps(report.as_dict()))
        return report.exit_code
    print_outcome(report, summary_table(report), console, err_console, names=names, command="backfill")
    return report.exit_code
