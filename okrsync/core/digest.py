"""The weekly digest's content: what each audience is told, from the stored tree and its history.

Pure: takes the scored-tree snapshot (``okrsync.tree/1``, :mod:`okrsync.core.stored_tree`), the
stored progress history and the day of the last digest, returns one :class:`Digest` per audience:
the company (every objective) and, optionally, each owner (the objectives and key results they own,
and the key results under their objectives). Each digest holds every objective with its progress
and health, what moved since the last digest, what was achieved (the celebration) and what needs
attention (at risk, off track, overdue, stale, low confidence) with its owner, each item linked to
its Jira issue. :mod:`okrsync.core.digest_render` turns it into chat Markdown, text and HTML.

Stale follows the coach's rule (:func:`okrsync.core.coach.stale_since`) on the stored history: a KR
whose progress has not changed for ``stale_after_days`` (its source failing counts too).

A KR or objective of a closed OKR period (``closed`` in the stored tree) is shown as closed with
its final score, never as needing attention: nothing about it can be acted on any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from okrsync.core.coverage import Coverage, describe
from okrsync.core.plan import pct
from okrsync.domain.model import Health
from okrsync.domain.records import ProgressPoint

COMPANY = "company"
"""The company digest's audience; an owner's is ``owner:<display name>``."""

_ATTENTION = (Health.OVERDUE, Health.OFF_TRACK, Health.AT_RISK)


@dataclass(frozen=True, slots=True)
class Item:
    """An objective or key result as the digest names it."""

    id: str
    kind: str  # "objective" | "key_result"
    title: str
    owner: str | None
    url: str | None
    progress: float | None  # 0-100
    expected: float | None
    health: Health
    due: str | None = None
    closed: str | None = None
    """The OKR period it closed with (its numbers are the final ones); ``None``: live."""
    score: float | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """How far an item moved since the last digest (percentage points)."""

    item: Item
    before: float | None
    after: float | None

    @property
    def delta(self) -> float:
        return round((self.after or 0.0) - (self.before or 0.0), 1)


@dataclass(frozen=True, slots=True)
class Attention:
    """An item that needs its owner: why (``reason``: at_risk, off_track, overdue, stale, low_confidence)."""

    item: Item
    reason: str
    note: str


@dataclass(frozen=True, slots=True)
class Digest:
    audience: str
    owner: str | None
    period: str
    as_of: date
    since: date
    objectives: tuple[Item, ...]
    key_results: tuple[Item, ...]
    moved: tuple[Move, ...]
    achieved: tuple[Item, ...]
    attention: tuple[Attention, ...]
    alignment: tuple[str, ...] = ()
    """The company's alignment coverage (:func:`okrsync.core.coverage.describe`), company digest only."""

    @property
    def title(self) -> str:
        who = f" for {self.owner}" if self.owner else ""
        return f"OKR digest{who}: {self.period}, week to {self.as_of.isoformat()}"


def issue_url(site_url: str, key: str | None) -> str | None:
    """``https://acme.atlassian.net/browse/KEY`` (the browse page both dialects serve), else None."""
    if not key or not site_url:
        return None
    return f"{site_url.rstrip('/')}/browse/{key}"


def _health(value: Any) -> Health:
    try:
        return Health(str(value))
    except ValueError:
        return Health.NO_DATA


def _item(data: Mapping[str, Any], kind: str, site_url: str, closed: str | None = None) -> Item:
    return Item(
        id=str(data["id"]),
        kind=kind,
        title=str(data.get("title") or data["id"]),
        owner=data.get("owner") or None,
        url=issue_url(site_url, data.get("jira_key")),
        progress=data.get("progress"),
        expected=data.get("expected"),
        health=_health(data.get("health")),
        due=data.get("due"),
        closed=closed or _closed_with(data),
        score=data.get("score"),
    )


def _closed_with(data: Mapping[str, Any]) -> str | None:
    closed = data.get("closed")
    if not isinstance(closed, Mapping):
        return None
    return str(closed.get("period") or "its period")


def _before(points: Sequence[ProgressPoint], since: date) -> ProgressPoint | None:
    """The last point on or before ``since`` (the state at the last digest)."""
    earlier = [p for p in points if p.day <= since]
    return max(earlier, key=lambda p: p.day) if earlier else None


def _last_change(points: Sequence[ProgressPoint], as_of: date, current: float | None) -> date | None:
    """The first day of the run of days whose progress equals today's (the last movement)."""
    last: date | None = None
    previous: float | None = None
    for p in sorted(points, key=lambda p: p.day):
        if p.day > as_of:
            break
        value = pct(p.progress)
        if last is None or value != previous:
            last = p.day
        previous = value
    if last is not None and previous != current:
        return as_of  # today's value is new
    return last


def _stale_note(
    kr: Mapping[str, Any], points: Sequence[ProgressPoint], as_of: date, period_start: date, days: int
) -> str | None:
    if kr.get("source_error"):
        since = kr.get("stale_since")
        return f"its source fails{f' since {since}' if since else ''}: {kr['source_error']}"
    if _health(kr.get("health")) == Health.DONE or as_of < period_start:
        return None
    last = _last_change(points, as_of, kr.get("progress"))
    moved = last if last is not None and last >= period_start else period_start
    if (as_of - moved).days >= days:
        return f"no movement since {moved.isoformat()}"
    return None


def _attention(
    kr: Item, data: Mapping[str, Any], points: Sequence[ProgressPoint], as_of: date, start: date, days: int
) -> list[Attention]:
    out: list[Attention] = []
    if kr.health in _ATTENTION:
        note = f"{_pct(kr.progress)} of expected {_pct(kr.expected)}"
        if kr.health == Health.OVERDUE:
            note = f"due {kr.due or 'at the period end'}, {_pct(kr.progress)} done"
        out.append(Attention(kr, kr.health.value, note))
    stale = _stale_note(data, points, as_of, start, days)
    if stale:
        out.append(Attention(kr, "stale", stale))
    if str(data.get("confidence") or "") == "low":
        out.append(Attention(kr, "low_confidence", "its owner's confidence is Low"))
    return out


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{float(value):.0f} %"


@dataclass(frozen=True, slots=True)
class _Facts:
    """Every item of the tree with its movement, achievement and attention, before any audience."""

    objectives: tuple[tuple[Item, Mapping[str, Any]], ...]
    key_results: tuple[tuple[Item, Mapping[str, Any]], ...]
    moved: dict[str, Move]
    achieved: frozenset[str]
    attention: dict[str, list[Attention]]


def _facts(
    doc: Mapping[str, Any],
    history: Mapping[str, Sequence[ProgressPoint]],
    since: date,
    site_url: str,
    days: int,
) -> _Facts:
    as_of = date.fromisoformat(doc["as_of"])
    start = date.fromisoformat(doc["period"]["start"])
    # a closed period's own tree (digest --period NAME): all of it closed with it
    closed = str(doc["period"]["name"]) if isinstance(doc.get("closed"), Mapping) else None
    objectives = tuple((_item(o, "objective", site_url, closed), o) for o in doc["objectives"])
    krs = tuple((_item(k, "key_result", site_url, closed), k) for k in doc["key_results"])
    moved: dict[str, Move] = {}
    achieved: set[str] = set()
    attention: dict[str, list[Attention]] = {}
    for item, _ in (*objectives, *krs):
        points = history.get(item.id, ())
        before = _before(points, since)
        before_pct = pct(before.progress) if before is not None else None
        if before is not None and item.progress is not None and before_pct != item.progress:
            moved[item.id] = Move(item, before_pct, item.progress)
        if item.health == Health.DONE and (before is None or _health(before.health) != Health.DONE):
            achieved.add(item.id)
    for item, data in krs:
        if item.closed is not None:  # a closed period's KR: final, nothing to act on
            continue
        found = _attention(item, data, history.get(item.id, ()), as_of, start, days)
        if found:
            attention[item.id] = found
    return _Facts(objectives, krs, moved, frozenset(achieved), attention)


def _digest(
    facts: _Facts, doc: Mapping[str, Any], since: date, audience: str, owner: str | None, keep: set[str]
) -> Digest:
    objectives = tuple(i for i, _ in facts.objectives if i.id in keep)
    krs = tuple(i for i, _ in facts.key_results if i.id in keep)
    ordered = (*objectives, *krs)
    moved = sorted((facts.moved[i.id] for i in ordered if i.id in facts.moved), key=lambda m: -abs(m.delta))
    return Digest(
        audience=audience,
        owner=owner,
        period=str(doc["period"]["name"]),
        as_of=date.fromisoformat(doc["as_of"]),
        since=since,
        objectives=objectives,
        key_results=krs,
        moved=tuple(moved),
        achieved=tuple(i for i in ordered if i.id in facts.achieved),
        attention=tuple(a for i in krs for a in facts.attention.get(i.id, ())),
    )


def owners_of(doc: Mapping[str, Any]) -> list[str]:
    """Everyone who owns an objective or a key result, in the tree's order."""
    names = [o.get("owner") for o in doc["objectives"]] + [k.get("owner") for k in doc["key_results"]]
    return list(dict.fromkeys(str(n) for n in names if n))


def build_digests(
    doc: Mapping[str, Any],
    points: Iterable[ProgressPoint],
    *,
    since: date,
    site_url: str,
    owners: bool = False,
    stale_after_days: int = 14,
    coverage: Coverage | None = None,
) -> list[Digest]:
    """The company digest, then (``owners``) one per owner: their objectives, the key results they
    own and those under their objectives. ``since``: the day of the last digest; ``coverage``: the
    stored alignment coverage, for the company digest."""
    history: dict[str, list[ProgressPoint]] = {}
    for p in points:
        history.setdefault(p.node_id, []).append(p)
    facts = _facts(doc, history, since, site_url, stale_after_days)
    every = {i.id for i, _ in (*facts.objectives, *facts.key_results)}
    company = _digest(facts, doc, since, COMPANY, None, every)
    if coverage is not None:
        company = replace(company, alignment=tuple(line.strip() for line in describe(coverage)))
    out = [company]
    if owners:
        for name in owners_of(doc):
            owned = {i.id for i, _ in facts.objectives if i.owner == name}
            keep = owned | {
                i.id for i, d in facts.key_results if i.owner == name or d.get("objective") in owned
            }
            out.append(_digest(facts, doc, since, f"owner:{name}", name, keep))
    return out


def default_since(as_of: date, last_digest: date | None) -> date:
    """The day the last digest showed; without one, a week before ``as_of``."""
    return last_digest if last_digest is not None and last_digest < as_of else as_of - timedelta(days=7)
