"""One sync cycle: fetch → map → roll up → plan → apply, with the state store around it.

Time is passed in (``now``); the engine reads no clock of its own except through ``clock`` for
the timestamps of applied writes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from okrsync.core.clear_guard import ClearGuardError, check_clearing
from okrsync.core.coverage import Coverage
from okrsync.core.mappers import children, issue_fields
from okrsync.core.mappers.tree import RawTree, build_tree
from okrsync.core.plan import (
    WritebackIds,
)
from okrsync.core.rollup import RollupPolicy, ScoredTree
from okrsync.core.stale import failing_sources
from okrsync.core.stored_tree import META_KEY as SNAPSHOT_KEY
from okrsync.core.stored_tree import stored_tree_json
from okrsync.core.team_managed import styles_of_issues
from okrsync.domain.config import Settings
from okrsync.domain.keys import ISSUE_PROPERTY, META_FAILING_SOURCES, META_KR_EPICS, META_SOURCE_EPICS
from okrsync.domain.records import MirrorIssue, ProgressPoint
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync import memory, outbox, pending_properties
from okrsync.sync.apply import ApplyError
from okrsync.sync.checkins import record_checkins, with_checkins
from okrsync.sync.closing import record_closes, score_with_closes
from okrsync.sync.coverage import record_coverage
from okrsync.sync.fetch import Fetcher, FetchResult
from okrsync.sync.field_schemas import schema_ids
from okrsync.sync.known_state import with_failures
from okrsync.sync.plan_step import Scored as _Scored
from okrsync.sync.plan_step import plan_cycle
from okrsync.sync.recent_writes import recent_writes, remember_writes
from okrsync.sync.report_facts import record_report_facts
from okrsync.sync.run_report import RunReport, record_run
from okrsync.sync.scope import read_scope
from okrsync.sync.source_reads import members_from
from okrsync.sync.writeback import (
    apply_plan,
)

log = logging.getLogger(__name__)

KR_EPICS_META = META_KR_EPICS


@dataclass(kw_only=True)
class SyncReport(RunReport):
    """What one cycle did; ``as_dict`` is the ``--json`` output and the run record's summary."""

    mode: str
    key_results: int = 0
    objectives: int = 0
    issues_in_scope: int = 0
    issues_read: int = 0
    scored: ScoredTree | None = None
    health: dict[str, int] = field(default_factory=dict)
    clearing: int = 0
    """Issues that left the tree with okrsync's values on them: cleared (planned, in a dry run)."""
    coverage: Coverage | None = None
    """The latest alignment coverage (:mod:`okrsync.sync.coverage`; counted at most once an hour)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "key_results": self.key_results,
            "objectives": self.objectives,
            "issues_in_scope": self.issues_in_scope,
            "issues_read": self.issues_read,
            "health": self.health,
            "clearing": self.clearing,
            **super().as_dict(),
        }


def writeback_ids(cfg: Settings, gateway: JiraGateway) -> WritebackIds:
    """The write-back fields' ids and formats by their schemas (:func:`~okrsync.sync.field_schemas.
    schema_ids`); the five original ones must exist (``okrsync setup`` makes them).

    "OKR Objective ID" (``objective_id``) came later: a site set up before it keeps syncing without
    it, with a warning to run ``okrsync setup`` (which adds it). A field of a type okrsync cannot
    write is left out of every edit, one error of the plan.
    """
    names = cfg.writeback.fields
    reg = gateway.fields
    if cfg.writeback.enabled:
        reg.require([names.progress, names.expected, names.status, names.objective, names.key_result])
    return schema_ids(cfg, reg, api_version=gateway.api)


def rollup_policy(cfg: Settings) -> RollupPolicy:
    return RollupPolicy(
        cfg.policy.in_progress_credit,
        cfg.policy.tolerance,
        cfg.policy.off_track,
        confidence_affects_health=cfg.policy.confidence_affects_health,
    )


def _mirror_row(raw: issue_fields.RawIssue, ids: issue_fields.FieldIds, epics: set[str]) -> MirrorIssue:
    owners = children.epics_of(raw, ids, epics)
    return MirrorIssue(
        key=issue_fields.key_of(raw),
        issue_id=str(raw.get("id") or ""),
        updated=issue_fields.timestamp(raw, "updated"),
        epic_key=owners[0] if owners else None,
        raw=raw,
    )


def run_sync(
    cfg: Settings,
    *,
    store: StateStore,
    gateway: JiraGateway,
    now: datetime,
    dry_run: bool = False,
    full: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    refresh_keys: Iterable[str] = (),
    allow_clear: bool = False,
) -> SyncReport:
    """Run one cycle as of ``now`` (an aware datetime); never raises for Jira or data problems.

    ``allow_clear``: go on although the run clears more issues than ``sync.max_clear`` allows
    (:mod:`okrsync.core.clear_guard`); without it such a run stops before writing, exit 2.

    ``refresh_keys``: issues known to have changed (from webhooks), re-read by key in an incremental
    cycle so that moves out of scope and deletions are seen at once.
    """
    started = time.perf_counter()
    requests_before = gateway.stats.snapshot()["requests"]
    last_full = store.last_full_reconcile()
    due_full = last_full is None or now - last_full >= timedelta(hours=cfg.sync.full_reconcile_hours)
    full = full or due_full
    mode = "dry-run" if dry_run else ("full" if full else "incremental")
    interrupted = store.end_interrupted_runs(now)
    run_id = store.start_run(mode, now)
    report = SyncReport(run_id=run_id, mode=mode, dry_run=dry_run)
    if interrupted:
        report.warnings.append(
            f"marked {interrupted} interrupted run(s) failed: their process stopped before they ended "
            "(each run record keeps the step it had reached)"
        )
    try:
        _cycle(
            cfg,
            store,
            gateway,
            now,
            report,
            dry_run=dry_run,
            full=full,
            clock=clock,
            stop=stop,
            on_progress=on_progress,
            refresh_keys=tuple(refresh_keys),
            allow_clear=allow_clear,
        )
    except Exception as exc:  # a failed cycle is reported and recorded, never crashes the caller
        report.fail(exc, log, "sync cycle")
    report.requests = int(gateway.stats.snapshot()["requests"]) - int(requests_before)
    report.seconds = time.perf_counter() - started
    # on the same clock as the start: ``now``
    record_run(store, report, ended_at=now + timedelta(seconds=report.seconds))
    memory.release()  # what the cycle freed goes back to the system (a daemon's RSS between cycles)
    return report


def _cycle(
    cfg: Settings,
    store: StateStore,
    gateway: JiraGateway,
    now: datetime,
    report: SyncReport,
    *,
    dry_run: bool,
    full: bool,
    clock: Callable[[], datetime],
    stop: Callable[[], bool],
    on_progress: Callable[[str, int, int], None],
    refresh_keys: tuple[str, ...] = (),
    allow_clear: bool = False,
) -> None:
    """Read, score, plan; then (unless a dry run) apply and record. Fills ``report``."""
    step = _stepper(store, report.run_id, now)
    step("read")
    mirror_rows = store.issues()
    epic_of = {k: m.epic_key for k, m in mirror_rows.items() if m.epic_key}
    managed = len(mirror_rows)
    # the store's compact records, as they are (``merged`` below is the copy the apply step edits)
    mirror = {k: cast(dict[str, Any], m.raw) for k, m in mirror_rows.items()}
    del mirror_rows
    state = _read_and_score(
        cfg,
        store,
        gateway,
        now,
        report,
        epic_of,
        mirror,
        full,
        refresh_keys,
        on_progress,
        recently_written=recent_writes(store, clock()),
    )
    _forget_reread(mirror, state.fetched)
    # what Jira shows now: the merged issues (fresh from Jira, or the mirror of what we wrote)
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in state.fetched.issues.items()}
    step("plan")
    plan, out_of_scope, in_jira, read_back = plan_cycle(cfg, store, gateway, state, merged, mirror)
    report.plan = plan
    report.planned = len(plan.changes)
    report.warnings.extend(plan.warnings)
    report.errors.extend(ApplyError("", "field", error) for error in plan.errors)
    if cfg.writeback.enabled:
        report.clearing = len(out_of_scope)
        guard = check_clearing(
            out_of_scope,
            epic_of,
            managed=managed,
            max_clear=cfg.sync.max_clear,
        )
        if guard.over and not allow_clear:
            raise ClearGuardError(guard, dry_run=dry_run)
    if dry_run:
        report.status = "partial" if report.errors else "ok"  # a failing source shows in a dry run too
        return

    step("write")
    if cfg.writeback.enabled:
        # before any write: what this run is about to say, and what a dead run's left open was
        if in_jira.recovered is not None:
            outbox.settle(store, in_jira.recovered, run_id=report.run_id, at=clock())
        outbox.record_due(store, plan)
        pending_properties.remember(store, read_back)
        pending_properties.record_due(
            store, plan, still_open=read_back.unread, run_id=report.run_id, at=clock()
        )
    record_closes(store, state.closes)  # before any write: a period is scored once
    # the mirror first: a crash from here on re-reads nothing it already has
    fetched = state.fetched
    epic_set = set(fetched.kr_epics)
    # every issue here is a compact record already (the fetch's or the store's)
    store.upsert_issues(
        (_mirror_row(raw, state.scope.ids, epic_set) for raw in _to_mirror(fetched.fresh, merged, mirror)),
        compacted=True,
    )
    if fetched.removed:
        store.delete_issues(fetched.removed)
    outcome, applier = apply_plan(
        cfg,
        gateway,
        store,
        plan,
        run_id=report.run_id,
        clock=clock,
        stop=stop,
        on_progress=on_progress,
        mirror=merged,
        out_of_scope=out_of_scope,
        in_jira=in_jira,
    )
    report.absorb(outcome)
    # what the next cycles reconcile in their searches: Cloud's may not show these writes yet
    remember_writes(store, applier.touched, clock())
    # keep what we wrote in the mirror, so that the plan of the next cycle sees it
    store.upsert_issues(
        (_mirror_row(merged[k], state.scope.ids, epic_set) for k in applier.touched if k in merged),
        compacted=True,
    )
    # recorded and stored: open only where an answer was lost; an apply that stopped (Jira down, a
    # bulk task left unread) keeps every entry it opened, read back by the next run
    if cfg.writeback.enabled and not outcome.stopped:
        pending_properties.settle(
            store,
            {*read_back.unread, *_unanswered_properties(outcome.errors)},
            run_id=report.run_id,
            at=clock(),
        )
    # what the rest needs of the cycle's issues; then they are given up (at 100,000 issues the
    # records were ~120 MiB still held while the stored tree was built: bench/README.md)
    styles = styles_of_issues(merged.values())
    remember = list(fetched.epics_to_remember or fetched.kr_epics)
    members = {str(i): m.as_json() for i, m in fetched.source_members.items()}
    del merged, mirror, applier, fetched, in_jira, read_back
    state = replace(state, fetched=_without_issues(state.fetched))
    _record_scores(store, state.scored, now.date())
    record_report_facts(
        store, cfg, state.scored, now.date(), gateway.fields.get_id(cfg.writeback.fields.confidence)
    )
    if state.checkins is not None:
        record_checkins(store, state.checkins)
    store.set_meta(
        META_FAILING_SOURCES,
        {
            kr.id: kr.failure.since.isoformat()
            for kr in state.scored.tree.key_results
            if kr.failure is not None
        },
    )
    if outcome.stopped:
        report.status = "partial"
        report.warnings.append("stopped before every change was applied; the next cycle continues")
        return
    store.set_meta(KR_EPICS_META, remember)
    store.set_meta(META_SOURCE_EPICS, members)
    store.set_watermark("default", now)
    if full:
        store.set_last_full_reconcile(now)
    report.coverage, coverage_warnings = record_coverage(
        store,
        gateway,
        state.scored.tree,
        now,
        full=full,
        key_result_field=state.ids.key_result,
        epic_link_field=state.scope.ids.epic_link,
        project_styles=styles,
    )
    report.warnings.extend(coverage_warnings)
    report.status = "partial" if report.errors else "ok"


def _without_issues(fetched: FetchResult) -> FetchResult:
    """``fetched`` without its issues (what the cycle keeps once it has written them)."""
    return replace(fetched, snapshot=RawTree(kr_epics=()), issues={}, fresh={})


def _forget_reread(mirror: dict[str, dict[str, Any]], fetched: FetchResult) -> None:
    """The mirror's copies of the issues this cycle read again, given up: the fresh ones replace
    them (at 100,000 issues, the cycle after a first sync re-reads every issue it wrote: two copies
    of each were ~80 MiB of its peak, bench/README.md). What the plan still reads of an old copy
    stays: its ``okrsync`` property (Data Center's searches return none,
    :func:`~okrsync.sync.known_state.known_properties`). The copies of issues that left the scope
    stay whole (they are cleared from them)."""
    removed = set(fetched.removed)
    for key in fetched.fresh:
        old = mirror.get(key)
        if old is None or key in removed:
            continue
        prop = _property_of(old)
        if prop is None:
            del mirror[key]
        else:
            mirror[key] = {"properties": {ISSUE_PROPERTY: prop}}


def _unanswered_properties(errors: Iterable[ApplyError]) -> set[str]:
    """Issues whose property write failed without an answer saying it was not applied (a 5xx, a
    dropped connection, a timeout): it may have landed (:mod:`okrsync.sync.pending_properties`)."""
    return {e.issue_key for e in errors if e.kind == "property" and (e.status is None or e.status >= 500)}


def _property_of(raw: Mapping[str, Any] | None) -> Any:
    props = raw.get("properties") if raw is not None else None
    return props.get(ISSUE_PROPERTY) if isinstance(props, Mapping) else None


def _to_mirror(
    fresh: Mapping[str, issue_fields.RawIssue],
    merged: Mapping[str, dict[str, Any]],
    mirror: Mapping[str, Mapping[str, Any]],
) -> list[issue_fields.RawIssue]:
    """What the mirror keeps of this cycle's reads, before the apply: each fresh issue as the plan
    saw it (``merged``). Data Center's searches return no properties: the ``okrsync`` property the
    plan knew (kept from the mirror, or read: ``known_state.known_properties``) stays in the mirror, also
    for an epic okrsync did not read again, so that no later cycle reads it again."""
    rows = [merged.get(key, raw) for key, raw in fresh.items()]
    rows += [
        raw
        for key, raw in merged.items()
        if key not in fresh
        and _property_of(raw) is not None
        and _property_of(raw) != _property_of(mirror.get(key))
    ]
    return rows


def _read_and_score(
    cfg: Settings,
    store: StateStore,
    gateway: JiraGateway,
    now: datetime,
    report: SyncReport,
    epic_of: Mapping[str, str],
    mirror: Mapping[str, dict[str, Any]],
    full: bool,
    refresh_keys: tuple[str, ...],
    on_progress: Callable[[str, int, int], None],
    *,
    recently_written: tuple[str, ...] | list[str] = (),
) -> _Scored:
    """The fetch (incremental from the watermark, or full) and the roll-up of what it found;
    ``recently_written``: the issues okrsync wrote in the last minutes, newest first (reconciled)."""
    on_progress("read", 0, 1)
    ids = writeback_ids(cfg, gateway)
    scope = read_scope(cfg, gateway.fields, ids.present())
    fetched = Fetcher(gateway, cfg, scope).fetch(
        mirror,
        since=store.watermark(),
        full=full,
        known_epics=store.get_meta(KR_EPICS_META) or [],
        previous_epic_of=epic_of,
        refresh_keys=refresh_keys,
        recently_written=recently_written,
        source_members=members_from(store.get_meta(META_SOURCE_EPICS)),
    )
    report.issues_read = len(fetched.fresh)
    report.issues_in_scope = len(fetched.issues)
    on_progress("read", 1, 1)

    tree = build_tree(
        cfg, fetched.snapshot, scope.ids, objective_field_id=scope.objective_field_id, as_of=now.date()
    )
    tree = replace(tree, warnings=(*tree.warnings, *fetched.warnings))
    tree = with_failures(store, tree, now.date())
    checkins = with_checkins(store, gateway, tree, scope.ids, fetched.issues, now.date())
    tree = checkins.tree
    report.warnings.extend(checkins.warnings)
    for failing in failing_sources(tree):
        since = f" (since {failing.since.isoformat()})" if failing.since else ""
        prefix = f"{failing.label}: " if failing.label != failing.kr_id else ""
        report.errors.append(ApplyError(failing.kr_id, "source", f"{prefix}{failing.reason}{since}"))
    scored, closes = score_with_closes(store, tree, now.date(), rollup_policy(cfg))
    if closes.new:
        report.warnings.append(f"closed OKR period(s) {', '.join(closes.new)}: final scores written once")
    report.scored = scored
    report.key_results = len(tree.key_results)
    report.objectives = len(tree.objectives)
    for score in scored.key_results.values():
        report.health[score.health.value] = report.health.get(score.health.value, 0) + 1
    report.warnings.extend(scored.warnings)
    report.warnings.extend(w for kr in tree.key_results for w in kr.warnings)
    return _Scored(fetched, scope, ids, scored, checkins, closes)


def _stepper(store: StateStore, run_id: int | None, now: datetime) -> Callable[[str], None]:
    """Notes the step a run reached in its run record (a run whose process dies keeps it)."""

    def note(step: str) -> None:
        if run_id is not None:
            store.note_run_step(run_id, step, now)

    return note


def _record_scores(store: StateStore, scored: ScoredTree, day: date) -> None:
    """The day's progress of every KR and objective, and the scored tree the reports render.

    A KR held at its last known progress (its source fails) records nothing: its history shows the
    gap, and its last measured day stays what :func:`okrsync.core.stale.last_known_progress` finds."""
    store.record_progress(
        [
            *(
                ProgressPoint(day, s.id, "key_result", s.progress, s.expected, s.health.value)
                for s in scored.key_results.values()
                if s.source_error is None
            ),
            *(
                ProgressPoint(day, s.id, "objective", s.progress, s.expected, s.health.value)
                for s in scored.objectives.values()
            ),
        ]
    )
    # the document, encoded a KR at a time, written when it changed
    store.set_meta_if_changed(SNAPSHOT_KEY, stored_tree_json(scored))
