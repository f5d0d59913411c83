"""One cycle's plan: from what it read and scored to the changes it makes (the plan step of
:func:`okrsync.sync.engine.run_sync`), and the day-by-day movement the stale reminders and the
coach read from the stored history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from okrsync.core.checkins import latest_moves
from okrsync.core.plan import Plan, WritebackIds, has_value, plan_changes
from okrsync.core.rollup import ScoredTree
from okrsync.core.team_managed import tree_issue_keys
from okrsync.domain.config import Settings
from okrsync.domain.records import ProgressPoint
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync import outbox, pending_properties
from okrsync.sync.checkins import CycleCheckins
from okrsync.sync.closing import CycleCloses
from okrsync.sync.fetch import FetchResult
from okrsync.sync.field_schemas import with_health_options
from okrsync.sync.known_state import known_properties
from okrsync.sync.project_styles import team_managed_projects
from okrsync.sync.scope import ReadScope
from okrsync.sync.searched_comments import searched_comments
from okrsync.sync.writeback import (
    CommentsInJira,
    IssuesNow,
    comment_policy,
    issue_now,
    plan_with_jira_comments,
    prior_writes,
)


def moved_days(points: Iterable[ProgressPoint]) -> dict[str, date]:
    """Per node, the last day its progress differed from the day recorded before it.

    A node's first recorded day is not a movement (it is when okrsync started watching), so a KR
    that has never moved since installation has no entry here.
    """
    last: dict[str, date] = {}
    previous: dict[str, float | None] = {}
    for point in sorted(points, key=lambda p: (p.node_id, p.day)):
        if point.node_id in previous and previous[point.node_id] != point.progress:
            last[point.node_id] = point.day
        previous[point.node_id] = point.progress
    return last


@dataclass(frozen=True, slots=True)
class Scored:
    """What one cycle read and scored: the plan is made from it."""

    fetched: FetchResult
    scope: ReadScope
    ids: WritebackIds
    scored: ScoredTree
    checkins: CycleCheckins | None = None
    closes: CycleCloses = field(default_factory=CycleCloses)
    """The closed OKR periods, and those this cycle closes (:mod:`okrsync.sync.closing`)."""


def plan_cycle(
    cfg: Settings,
    store: StateStore,
    gateway: JiraGateway,
    state: Scored,
    merged: MutableMapping[str, dict[str, Any]],
    mirror: Mapping[str, dict[str, Any]],
) -> tuple[Plan, list[str], CommentsInJira, pending_properties.ReadBack]:
    """The changes, the issues that left the scope with okrsync's values still on them, the
    comments read from Jira to plan them (the same in a dry run as in the run), and the issues
    whose property a dead run may have written that could not be read back (they stay open)."""
    ids, fetched = state.ids, state.fetched
    known = gateway.search_returns_properties
    if not known and cfg.writeback.enabled:
        known_properties(gateway, state.scored.tree, state.ids.status, merged, mirror)
    prior = prior_writes(store)
    read_back = pending_properties.ReadBack()
    unsure = pending_properties.left_open(store) if cfg.writeback.enabled else {}
    if unsure:  # a dead run's property writes, or lost answers: what Jira holds, read back
        truth = pending_properties.read_back(
            gateway, list(unsure), {**mirror, **merged}, workers=cfg.jira.max_concurrency
        )
        read_back = pending_properties.ReadBack(unsure, truth, prior.property_hashes)
        hashes, times = dict(prior.property_hashes), dict(prior.property_times)
        pending_properties.adopt(merged, read_back, hashes, times)
        prior = replace(prior, property_hashes=hashes, property_times=times)
    now_in_jira = IssuesNow(merged, ids, known)  # made per issue as the plan asks
    # keys Jira says are gone (deleted, unbrowsable) cannot be cleared: no futile write
    leaving = [k for k in fetched.removed if k in mirror and k not in fetched.gone]
    for key in leaving:
        now_in_jira[key] = issue_now(mirror[key], ids, known)
    out_of_scope = [
        k for k in leaving if any(has_value(now_in_jira[k].fields.get(fid)) for fid in ids.present())
    ]
    if not cfg.writeback.enabled:
        return Plan(()), out_of_scope, CommentsInJira(), read_back
    # status comments a dead run may have left said but unrecorded (see okrsync.sync.outbox)
    recovered = outbox.recover(store, gateway, prior.comments)
    if not prior.comments:  # a new or lost state database: what the status comments in Jira say
        status = ids.status
        shown = {k: n.fields.get(status) for k, n in now_in_jira.items()} if status else {}
        shows = [
            kr.jira_key
            for kr in state.scored.tree.key_results
            if kr.jira_key and has_value(shown.get(kr.jira_key))
        ]
        recovered = outbox.recover_fresh(
            gateway, shows, searched_comments(gateway, shows, merged), workers=cfg.jira.max_concurrency
        )
    said = {**outbox.announced(store, prior.property_times), **recovered.announced}
    for key, health in said.items():
        if key in now_in_jira:
            now_in_jira[key] = replace(now_in_jira[key], announced=health)
    records = {**prior.comments, **recovered.landed}
    # a check-in is movement too: the stale reminder waits for the next stretch without either
    last_change = latest_moves(
        moved_days(store.history(since=state.scored.tree.period.start)), state.scored.tree.key_results
    )
    # issues of team-managed projects take no OKR field (Cloud); their project field tells
    team_managed = team_managed_projects(
        gateway,
        [*merged.values(), *(mirror[k] for k in leaving)],
        [*tree_issue_keys(state.scored.tree), *out_of_scope],
    )
    plan, in_jira = plan_with_jira_comments(
        gateway,
        records,
        lambda records: plan_changes(
            state.scored,
            ids,
            now_in_jira,
            comments=comment_policy(cfg),
            records=records,
            property_hashes=prior.property_hashes,
            last_change=last_change,
            out_of_scope=out_of_scope,
            team_managed=team_managed,
            closing=state.closes.plan(),
        ),
        already_read=recovered.read,
        issues=merged,
        workers=cfg.jira.max_concurrency,
    )
    in_jira = replace(in_jira, recovered=recovered)
    return with_health_options(cfg, gateway, ids, plan), out_of_scope, in_jira, read_back
