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

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from okrsync.core.mappers import children, issue_fields
from okrsync.core.mappers.action_plans import action_plan
from okrsync.core.mappers.tree import RawTree, build_tree
from okrsync.core.rollup import RollupPolicy, ScoredTree, roll_up
from okrsync.domain.config import Settings
from okrsync.domain.model import ActionPlan, OkrTree, StatusCategory

RawIssue = Mapping[str, Any]
PARENT = "parent"
_PARENT_NAMES = ("issueparentassociation", "parent", "parent link")
_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")


# ------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True, slots=True)
class Tracked:
    """Which changelog items move progress, and how to turn their ``from`` side into field JSON."""

    numbers: frozenset[str] = frozenset()
    """Ids of number fields: story points, metric and manual fields."""
    epic_link: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    """Lower-cased changelog ``field`` name → field id, for items without a ``fieldId``."""
    status_categories: Mapping[str, str] = field(default_factory=dict)
    """Status id, and lower-cased status name → status category key (``new``, ``indeterminate``, ``done``)."""


def tracked_fields(
    ids: issue_fields.FieldIds,
    field_names: Mapping[str, str],
    statuses: Iterable[Mapping[str, Any]] = (),
    issues: Iterable[RawIssue] = (),
) -> Tracked:
    """What to rewind for the read plan's field ids.

    ``field_names`` maps field id → name (from the field list) for the custom fields; ``statuses``
    is Jira's status list (``GET /rest/api/{v}/status``) and ``issues`` the issues read, whose
    current statuses fill in a status the list lacks.
    """
    numbers = {i for i in (ids.story_points, *ids.numbers.values()) if i}
    names: dict[str, str] = {"status": "status", "resolution": "resolution"}
    for alias in _PARENT_NAMES:
        names[alias] = PARENT
    for fid in (*sorted(numbers), ids.epic_link):
        if fid and field_names.get(fid):
            names[field_names[fid].strip().lower()] = fid
    if ids.epic_link:
        names.setdefault("epic link", ids.epic_link)
    categories: dict[str, str] = {}

    def learn(status: Any) -> None:
        if not isinstance(status, Mapping):
            return
        cat = status.get("statusCategory")
        key = cat.get("key") if isinstance(cat, Mapping) else None
        if not isinstance(key, str):
            return
        if status.get("id") is not None:
            categories.setdefault(str(status["id"]), key)
        if isinstance(status.get("name"), str):
            categories.setdefault(str(status["name"]).strip().lower(), key)

    for status in statuses:
        learn(status)
    for issue in issues:
        learn(issue_fields.fields_of(issue).get("status"))
    return Tracked(frozenset(numbers), ids.epic_link, names, categories)


# ----------------------------------------------------------------------------- the changes


@dataclass(frozen=True, slots=True)
class Undo:
    """One tracked field change: ``field_id`` held ``before`` until ``at``, ``after`` since."""

    at: datetime
    field_id: str
    before: Any
    after: Any


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def histories_of(issue: RawIssue) -> list[Mapping[str, Any]]:
    """``issue["changelog"]["histories"]`` (search/issue ``expand=changelog``; the backfill puts
    bulk-fetched changelogs there too)."""
    log = issue.get("changelog")
    hist = log.get("histories") if isinstance(log, Mapping) else None
    return [h for h in hist if isinstance(h, Mapping)] if isinstance(hist, list) else []


def _number(text: Any) -> float | None:
    if text is None or isinstance(text, bool):
        return None
    try:
        return float(str(text).strip())
    except ValueError:
        return None


def _issue_ref(raw_id: Any, text: Any, key_by_id: Mapping[str, str]) -> str | None:
    """An issue key from a changelog side: the key in ``*String``, else the id looked up."""
    if isinstance(text, str) and _ISSUE_KEY.match(text.strip()):
        return text.strip()
    if raw_id is not None and str(raw_id) in key_by_id:
        return key_by_id[str(raw_id)]
    return text.strip() if isinstance(text, str) and text.strip() else None


def _side(fid: str, raw_id: Any, text: Any, tracked: Tracked, key_by_id: Mapping[str, str]) -> Any:
    """The field JSON a mapper reads, for one side (``from``/``fromString``) of an item."""
    if fid == "status":
        if raw_id is None and not text:
            return None
        category = tracked.status_categories.get(str(raw_id)) if raw_id is not None else None
        if category is None and isinstance(text, str):
            category = tracked.status_categories.get(text.strip().lower())
        return {
            "id": None if raw_id is None else str(raw_id),
            "name": text if isinstance(text, str) else "",
            "statusCategory": {"key": category or StatusCategory.UNKNOWN.value},
        }
    if fid == "resolution":
        if raw_id is None and not text:
            return None
        return {"id": None if raw_id is None else str(raw_id), "name": text if isinstance(text, str) else ""}
    if fid == PARENT:
        key = _issue_ref(raw_id, text, key_by_id)
        return None if key is None else {"id": None if raw_id is None else str(raw_id), "key": key}
    if tracked.epic_link is not None and fid == tracked.epic_link:
        return _issue_ref(raw_id, text, key_by_id)
    return _number(text)


def _field_of(item: Mapping[str, Any], tracked: Tracked) -> str | None:
    fid = item.get("fieldId")
    name = str(item.get("field") or "").strip().lower()
    if name == "issueparentassociation":
        return PARENT
    if isinstance(fid, str) and fid:
        if fid in ("status", "resolution", PARENT) or fid in tracked.numbers or fid == tracked.epic_link:
            return fid
        return None
    return tracked.names.get(name)


EPOCH_SECONDS_BELOW = 100_000_000_000
"""A numeric ``created`` below this is epoch seconds (year 5138 and before), else milliseconds
(1973 and after)."""


def changelog_time(created: Any) -> datetime | None:
    """When a changelog entry was made, from its ``created``: Jira's date-time string, or a number
    (the specs' examples show one where the schema says a date-time: Cloud's changelog/bulkfetch
    ``"created": 1492070429``, epoch seconds; Jira's numeric times are otherwise epoch milliseconds,
    e.g. an attachment's ``1651316514000``; the jira-specs README: accept both). ``None`` when it
    is neither."""
    if isinstance(created, str):
        at = issue_fields.parse_jira_datetime(created)
        return _utc(at) if at is not None else None
    if isinstance(created, int | float) and not isinstance(created, bool):
        seconds = created if abs(created) < EPOCH_SECONDS_BELOW else created / 1000
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _entry_times(histories: Sequence[Mapping[str, Any]]) -> list[datetime | None]:
    """Each entry's time; one Jira gave no readable time for is never dropped: it takes the time of
    the entry before it in the changelog's order (Jira lists it oldest first), else of the one
    after it (``None`` only when no entry has a readable time)."""
    times = [changelog_time(h.get("created")) for h in histories]
    known = next((t for t in times if t is not None), None)
    out: list[datetime | None] = []
    for at in times:
        known = at or known
        out.append(at or known)
    return out


def unreadable_times(issue: RawIssue) -> int:
    """How many of ``issue``'s changelog entries have a ``created`` that is neither a date-time nor a
    number (placed by their neighbours; a backfill says so)."""
    return sum(changelog_time(h.get("created")) is None for h in histories_of(issue))


def changes_of(issue: RawIssue, tracked: Tracked, key_by_id: Mapping[str, str] | None = None) -> list[Undo]:
    """The tracked changes in ``issue``'s changelog, oldest first (ties: changelog id order)."""
    key_by_id = key_by_id or {}
    entries: list[tuple[datetime, int, int, Mapping[str, Any]]] = []
    histories = list(histories_of(issue))
    for n, (hist, at) in enumerate(zip(histories, _entry_times(histories), strict=True)):
        if at is None:
            continue  # no entry has a time: nothing to place them by (unreadable_times counts them)
        hid = hist.get("id")
        order = int(hid) if isinstance(hid, str | int) and str(hid).isdigit() else n
        entries.append((at, order, n, hist))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    out: list[Undo] = []
    for at, _order, _n, hist in entries:
        items = hist.get("items")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping):
                continue
            fid = _field_of(item, tracked)
            if fid is None:
                continue
            before = _side(fid, item.get("from"), item.get("fromString"), tracked, key_by_id)
            after = _side(fid, item.get("to"), item.get("toString"), tracked, key_by_id)
            out.append(Undo(at, fid, before, after))
    return out


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
    created = _utc(created_at).date() if created_at is not None else None
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
) -> Iterator[ScoredTree]:
    """The scored tree of each of ``days`` (ascending), with ``cfg.period`` as the period.

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
            tree = build_tree(cfg, history.snapshot(day), ids, objective_field_id=objective_field_id)
            where = _positions(tree)
        elif incremental:
            changed = {tl.key: tl for d in between for tl in by_day.get(d, ())}
            if changed:
                tree = _patched(tree, where, changed, day, ids)
                where = _positions(tree)
        previous = day
        yield roll_up(tree, day, policy)


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
