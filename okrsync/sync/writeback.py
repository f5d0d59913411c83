"""The write-back path sync and backfill share: what Jira shows, what okrsync wrote before, the
plan's comment policy, and applying a plan with progress.

One path, not two copies: a sync cycle (:mod:`okrsync.sync.engine`) and a backfill of a past period
(:mod:`okrsync.sync.backfill`) both plan with :func:`~okrsync.core.plan.plan_changes` from the
values built here and apply with :func:`apply_plan`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from okrsync.core.mappers import issue_fields as fields
from okrsync.core.plan import CommentPolicy, CommentRecord, IssueNow, Plan, WritebackIds
from okrsync.domain.config import Settings
from okrsync.domain.keys import ISSUE_PROPERTY
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.apply import Applier, ApplyOutcome


def issue_now(raw: fields.RawIssue, ids: WritebackIds, properties_known: bool) -> IssueNow:
    """What Jira shows on one issue: its write-back fields and okrsync's issue property."""
    values = fields.fields_of(raw)
    props = raw.get("properties")
    prop = props.get(ISSUE_PROPERTY) if isinstance(props, Mapping) else None
    return IssueNow(
        {fid: values.get(fid) for fid in ids.present()},
        prop if isinstance(prop, Mapping) else None,
        properties_known,
    )


@dataclass(frozen=True, slots=True)
class PriorWrites:
    """What okrsync wrote before, from the state store: its comments and its property values."""

    comments: Mapping[tuple[str, str], CommentRecord]
    """(issue key, comment identity) → the comment's id and content hash."""
    property_hashes: Mapping[str, str]
    """issue key → the hash of the ``okrsync`` property value last written."""


def prior_writes(store: StateStore) -> PriorWrites:
    applied = store.applied()
    comments = {
        (key, target): CommentRecord(write.comment_id or "", write.value_hash)
        for (key, kind, target), write in applied.items()
        if kind == "comment"
    }
    hashes = {key: write.value_hash for (key, kind, _target), write in applied.items() if kind == "property"}
    return PriorWrites(comments, hashes)


def comment_policy(cfg: Settings, *, celebrate: bool = True, remind: bool = True) -> CommentPolicy:
    """The configured comments; a past period's backfill turns celebrations and reminders off."""
    comments = cfg.writeback.comments
    return CommentPolicy(
        comments.status_change,
        comments.celebrate and celebrate,
        comments.stale_reminder and remind,
        cfg.policy.stale_after_days,
    )


def apply_plan(
    cfg: Settings,
    gateway: JiraGateway,
    store: StateStore,
    plan: Plan,
    *,
    run_id: int | None,
    clock: Callable[[], datetime],
    stop: Callable[[], bool],
    on_progress: Callable[[str, int, int], None],
    mirror: MutableMapping[str, dict[str, Any]] | None = None,
    out_of_scope: Iterable[str] = (),
) -> tuple[ApplyOutcome, Applier]:
    """Apply ``plan``, reporting each change as stage ``write``; returns the outcome and the
    applier (whose ``touched`` keys the sync keeps in its mirror)."""
    total = len(plan.changes)
    applied = 0

    def step() -> None:
        nonlocal applied
        applied += 1
        on_progress("write", applied, total)

    applier = Applier(
        gateway,
        store,
        run_id=run_id,
        notify=cfg.writeback.notify_users,
        clock=clock,
        mirror=mirror,
        stop=stop,
        on_change=step,
    )
    return applier.apply(plan, out_of_scope), applier
