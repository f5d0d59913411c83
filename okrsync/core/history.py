"""Daily progress history rebuilt from Jira changelogs (pure: no I/O, no clock).

A backfill knows each issue as it is now plus its changelog. Undoing the changelog from the newest
entry backwards gives the issue as it was at the end of any earlier day ("the issue as of day D");
the same mappers and roll-up as a sync then score the tree of that day. Only the changes that move
progress are undone:

* ``status`` — the status (its category decides done / in progress / to do);
* ``resolution`` — set or cleared (a resolution in ``policy.cancelled_resolutions`` cancels);
* number fields — story points, a metric KR's current value, a manual KR's percentage;
* ``parent`` / Epic Link — an issue joining or leaving a KR's epic on a day.

Changelog items name their field by ``fieldId`` (Cloud, recent Data Center) or only by ``field``
(the field's name; older Data Center). Parent changes on Cloud are ``IssueParentAssociation``
items without a ``fieldId`` whose ``from``/``to`` are issue ids and ``fromString``/``toString``
keys; they replaced the "Epic Link" and "Parent" items (https://community.developer.atlassian.com/
t/deprecation-notice-issue-reparenting-changelogs/). An issue did not exist before its ``created``
day. Days are UTC days, like a sync's ``as_of`` (``now.date()`` of an aware UTC ``now``).

Efficiency: each issue's versions are computed once (one per day on which a tracked field
changed); the tree is rebuilt only on days on which some issue changed or was created, and scored
every day (the expected progress moves daily).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, Literal

from okrsync.core.changelog_items import (
    PARENT,
    RawIssue,
    Tracked,
    Undo,
    changes_of,
    utc,
)
from okrsync.core.closing import PeriodClose, frozen_scores
from okrsync.core.mappers import children, issue_fields
from okrsync.core.mappers.action_plans import action_plan
from okrsync.core.mappers.tree import RawTree, build_tree
from okrsync.core.rollup import RollupPolicy, ScoredTree, roll_up
from okrsync.domain.config import Settings
from okrsync.domain.model import ActionPlan, OkrTree

# ----------------------------------------------------------------------------- timelines


@dataclass(frozen=True, slots=True)
class Timeline:
    """One issue through time: ``versions[0]`` before ``days[0]``, ``versions[i + 1]`` from the end of
    ``days[i]`` on; ``None`` before the issue was created."""

    key: str
    created: date | None
    days: tuple[date, ...]
    versions: tuple[RawIssue, ...]

    def as_of(self, day: date) -> RawIssue | None:
        """The issue as it was at the end of ``day`` (``None``: not created yet)."""
        if self.created is not None and day < self.created:
            return None
        return self.versions[bisect_right(self.days, day)]


def _version(issue: RawIssue, fields: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in issue.items() if k not in ("fields", "changelog")}
    out["fields"] = dict(fields)
    return out


def timeline(
    issue: RawIssue,
    tracked: Tracked,
    key_by_id: Mapping[str, str] | None = None,
    *,
    since: date | None = None,
) -> Timeline:
    """Every version of ``issue`` by day, from undoing its tracked changes newest first.

    ``since``: no day before it will be asked for, so the changes before it stay applied (they are
    in effect on every day asked for) and cost no versions.
    """
    changes = changes_of(issue, tracked, key_by_id)
    created_at = issue_fields.timestamp(issue, "created")
    created = utc(created_at).date() if created_at is not None else None
    fields = dict(issue_fields.fields_of(issue))
    # epic link and parent move together on Cloud (IssueParentAssociation replaced "Epic Link")
    epic_link = tracked.epic_link
    link_follows_parent = epic_link is not None and epic_link in fields
    by_day: dict[date, list[Undo]] = {}
    for change in changes:
        by_day.setdefault(change.at.date(), []).append(change)
    versions: list[dict[str, Any]] = [_version(issue, fields)]
    kept: list[date] = []
    for day in sorted(by_day, reverse=True):
        if since is not None and day < since:
            break
        for change in reversed(by_day[day]):
            if change.field_id == PARENT and link_follows_parent and epic_link is not None:
                after_key = change.after.get("key") if isinstance(change.after, Mapping) else None
                if after_key is not None and fields.get(epic_link) == after_key:
                    before_key = change.before.get("key") if isinstance(change.before, Mapping) else None
                    fields[epic_link] = before_key
            fields[change.field_id] = change.before
        kept.append(day)
        versions.append(_version(issue, fields))
    kept.reverse()
    versions.reverse()
    return Timeline(issue_fields.key_of(issue), created, tuple(kept), tuple(versions))


# -------------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class DayScore:
    """Progress of one KR or objective on one day (the backfill records it as a history row)."""

    day: date
    node_id: str
    kind: Literal["key_result", "objective"]
    progress: float | None
    expected: float
    health: str


def scores_of(scored: ScoredTree) -> list[DayScore]:
    day = scored.as_of
    return [
        *(
            DayScore(day, s.id, "key_result", s.progress, s.expected, s.health.value)
            for s in scored.key_results.values()
        ),
        *(
            DayScore(day, s.id, "objective", s.progress, s.expected, s.health.value)
            for s in scored.objectives.values()
        ),
    ]


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)] if last >= first else []


@dataclass(frozen=True, slots=True)
class IssueHistory:
    """The timelines of one read, ready to be scored day by day."""

    kr_epics: tuple[tuple[Timeline, ...], ...]
    children: tuple[Timeline, ...]
    objective_issues: tuple[Timeline, ...]

    @property
    def change_days(self) -> frozenset[date]:
        """Days on which some issue changed or was created."""
        out: set[date] = set()
        for tl in self.timelines():
            out.update(tl.days)
            if tl.created is not None:
                out.add(tl.created)
        return frozenset(out)

    def structural_days(self, epic_link: str | None) -> frozenset[date]:
        """Days that change the tree's shape beyond its action plans: a KR epic or objective
        created or changed, a child moved (parent or Epic Link)."""
        out: set[date] = set()
        for group in (*self.kr_epics, self.objective_issues):
            for tl in group:
                out.update(tl.days)
                if tl.created is not None:
                    out.add(tl.created)
        for tl in self.children:
            for n, day in enumerate(tl.days):
                before, after = (
                    issue_fields.fields_of(tl.versions[n]),
                    issue_fields.fields_of(tl.versions[n + 1]),
                )
                if before.get(PARENT) != after.get(PARENT) or (
                    epic_link is not None and before.get(epic_link) != after.get(epic_link)
                ):
                    out.add(day)
        return frozenset(out)

    def changed_children(self) -> dict[date, list[Timeline]]:
        """Day → the children created or with a new version that day."""
        out: dict[date, list[Timeline]] = {}
        for tl in self.children:
            for day in {*tl.days, *((tl.created,) if tl.created is not None else ())}:
                out.setdefault(day, []).append(tl)
        return out

    def timelines(self) -> Iterator[Timeline]:
        """Every timeline: KR epics, children, objectives (an issue in two roles twice)."""
        for group in self.kr_epics:
            yield from group
        yield from self.children
        yield from self.objective_issues

    def snapshot(self, day: date) -> RawTree:
        """The raw issues as of the end of ``day``, by role (issues not created yet are left out)."""

        def present(timelines: Iterable[Timeline]) -> list[RawIssue]:
            return [v for tl in timelines if (v := tl.as_of(day)) is not None]

        return RawTree(
            kr_epics=[present(group) for group in self.kr_epics],
            children=present(self.children),
            objective_issues=present(self.objective_issues),
        )


def history_from_changelogs(
    snapshot: RawTree, tracked: Tracked, *, since: date | None = None
) -> IssueHistory:
    """Timelines for every issue of ``snapshot`` (as read now, with changelogs)."""
    everyone = [
        *(e for group in snapshot.kr_epics for e in group),
        *snapshot.children,
        *snapshot.objective_issues,
    ]
    key_by_id = {str(i["id"]): issue_fields.key_of(i) for i in everyone if i.get("id") is not None}
    cache: dict[str, Timeline] = {}

    def tl(issue: RawIssue) -> Timeline:
        key = issue_fields.key_of(issue)
        if key not in cache:
            cache[key] = timeline(issue, tracked, key_by_id, since=since)
        return cache[key]

    return IssueHistory(
        kr_epics=tuple(tuple(tl(e) for e in group) for group in snapshot.kr_epics),
        children=tuple(tl(c) for c in snapshot.children),
        objective_issues=tuple(tl(o) for o in snapshot.objective_issues),
    )


def rebuild(
    cfg: Settings,
    history: IssueHistory,
    ids: issue_fields.FieldIds,
    days: Sequence[date],
    policy: RollupPolicy,
    *,
    objective_field_id: str | None = None,
    incremental: bool = True,
    closes: Mapping[str, PeriodClose] | None = None,
) -> Iterator[ScoredTree]:
    """The scored tree of each of ``days`` (ascending), with ``cfg.period`` as the period.

    ``closes``: the recorded closes of OKR periods (meta ``closed_periods``). On a day after a
    closed period's end its frozen KRs and objectives keep their final numbers, as a sync holds
    them (:func:`~okrsync.core.closing.frozen_scores`): a closed KR's history is not rewritten
    past its close, and what it aligns to rolls up the finals.

    The tree is the one a sync would have built (:func:`~okrsync.core.mappers.tree.build_tree`) from the
    issues as they were at the end of the day. It is built again only when the structure moved
    (a KR epic or objective created or changed, a child's parent or Epic Link changed); when
    children were created or their statuses, resolutions or estimates changed, just their action
    plans are mapped again (``incremental=False`` always builds the whole tree: the reference).
    """
    structural = history.structural_days(ids.epic_link)
    by_day = history.changed_children()
    tree: OkrTree | None = None
    where: dict[str, tuple[int, int]] = {}
    previous: date | None = None
    changes = history.change_days
    for day in days:
        between = [] if previous is None else list(_between(previous, day))
        if tree is None or previous is None:
            rebuild_now = True
        elif not incremental:
            rebuild_now = any(d in changes for d in between)
        else:
            rebuild_now = any(d in structural for d in between)
        if rebuild_now or tree is None:
            tree = build_tree(
                cfg, history.snapshot(day), ids, objective_field_id=objective_field_id, as_of=day
            )
            where = _positions(tree)
        elif incremental:
            changed = {tl.key: tl for d in between for tl in by_day.get(d, ())}
            if changed:
                tree = _patched(tree, where, changed, day, ids)
                where = _positions(tree)
        previous = day
        ended = {name: c for name, c in (closes or {}).items() if c.period.end < day}
        yield roll_up(tree, day, policy, frozen=frozen_scores(tree, ended) if ended else None)


def _positions(tree: OkrTree) -> dict[str, tuple[int, int]]:
    """Action plan key → (index of its KR, index in the KR's plans)."""
    return {p.key: (k, n) for k, kr in enumerate(tree.key_results) for n, p in enumerate(kr.action_plans)}


def _patched(
    tree: OkrTree,
    where: Mapping[str, tuple[int, int]],
    changed: Mapping[str, Timeline],
    day: date,
    ids: issue_fields.FieldIds,
) -> OkrTree:
    """``tree`` with the action plans of ``changed`` children as of ``day``: replaced where they
    were, added (in key order, as :func:`build_tree` orders them) where a new one joins a KR."""
    krs = list(tree.key_results)
    by_epic = {kr.jira_key or kr.id: k for k, kr in enumerate(krs)}
    not_children = set(by_epic) | {o.id for o in tree.objectives}
    plans: dict[int, list[ActionPlan]] = {}
    added: set[int] = set()
    for key, tl in changed.items():
        raw = tl.as_of(day)
        if raw is None or key in not_children:
            continue
        spot = where.get(key)
        if spot is not None:
            k, n = spot
            plans.setdefault(k, list(krs[k].action_plans))[n] = action_plan(raw, ids)[0]
            continue
        owners = children.epics_of(raw, ids, by_epic)
        if owners:  # a new issue under a KR epic (a moved one made the day structural)
            k = by_epic[owners[0]]
            plans.setdefault(k, list(krs[k].action_plans)).append(action_plan(raw, ids)[0])
            added.add(k)
    for k, new in plans.items():
        if k in added:
            new.sort(key=lambda p: issue_fields.key_order(p.key))
        krs[k] = replace(krs[k], action_plans=tuple(new))
    return replace(tree, key_results=tuple(krs))


def _between(after: date, until: date) -> Iterator[date]:
    """Days in (after, until]."""
    day = after + timedelta(days=1)
    while day <= until:
        yield day
        day += timedelta(days=1)
