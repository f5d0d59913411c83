"""The scored-tree snapshot (``okrsync.tree/1``) as a walkable outline, shared by every report format.

Pure: takes the snapshot document (a dict, see :mod:`okrsync.core.stored_tree`) and the progress
history, returns values. Every renderer (tree, Markdown, HTML, CSV) walks the same outline, so the
numbers and the order are the same in every format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from okrsync.core.plan import pct
from okrsync.core.stored_tree import SCHEMA
from okrsync.domain.model import Health, OkrsyncError, Period
from okrsync.domain.records import ProgressPoint, RunRecord

TreeDoc = Mapping[str, Any]
"""One snapshot document (``okrsync.tree/1``)."""

HEALTH_ORDER: tuple[Health, ...] = (
    Health.DONE,
    Health.ON_TRACK,
    Health.AT_RISK,
    Health.OFF_TRACK,
    Health.OVERDUE,
    Health.NOT_STARTED,
    Health.NO_DATA,
)


class StoredTreeError(OkrsyncError):
    """The state store holds no usable snapshot of the scored tree."""


NO_SYNC_YET = "no sync has run yet: run okrsync sync first"


def check_stored_tree(doc: Any) -> dict[str, Any]:
    """``doc`` if it is an ``okrsync.tree/1`` document, else a :class:`StoredTreeError` saying what to do."""
    if doc is None:
        raise StoredTreeError(f"{NO_SYNC_YET} (the state store holds no scored tree).")
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise StoredTreeError(
            f"The state store holds a scored tree in the format {found!r}; this okrsync reads {SCHEMA}. "
            "Run okrsync sync once with this version to store it anew."
        )
    missing = [k for k in ("period", "as_of", "objectives", "key_results") if k not in doc]
    if missing:
        raise StoredTreeError(
            f"The stored scored tree lacks {', '.join(missing)}. Run okrsync sync once to store it anew."
        )
    return doc


@dataclass(frozen=True, slots=True)
class ObjectiveNode:
    """One objective of the outline with its key results and the objectives aligned to it."""

    data: Mapping[str, Any]
    depth: int
    parent: str | None
    key_results: tuple[Mapping[str, Any], ...]
    children: tuple[ObjectiveNode, ...]

    @property
    def id(self) -> str:
        return str(self.data["id"])


def outline(doc: TreeDoc) -> tuple[ObjectiveNode, ...]:
    """The alignment tree of ``doc``: its root objectives (normally the company objectives).

    An objective's parent is the objective it aligns to when that one exists (as in
    :class:`~okrsync.domain.model.OkrTree`); objectives caught in an alignment cycle, reachable from no
    root, become roots so that none is lost. Key results come in the snapshot's order.
    """
    objectives: list[Mapping[str, Any]] = list(doc["objectives"])
    ids = {o["id"] for o in objectives}
    children: dict[str | None, list[Mapping[str, Any]]] = {}
    for obj in objectives:
        parent = obj.get("aligns_to")
        key = parent if parent in ids and parent != obj["id"] else None
        children.setdefault(key, []).append(obj)
    krs: dict[str, list[Mapping[str, Any]]] = {}
    for kr in doc["key_results"]:
        krs.setdefault(kr["objective"], []).append(kr)
    seen: set[str] = set()

    def build(obj: Mapping[str, Any], depth: int, parent: str | None) -> ObjectiveNode:
        seen.add(obj["id"])
        kids = tuple(
            build(child, depth + 1, obj["id"])
            for child in children.get(obj["id"], [])
            if child["id"] not in seen
        )
        return ObjectiveNode(obj, depth, parent, tuple(krs.get(obj["id"], [])), kids)

    roots = [build(obj, 0, None) for obj in children.get(None, [])]
    roots += [build(obj, 0, obj.get("aligns_to")) for obj in objectives if obj["id"] not in seen]
    return tuple(roots)


def walk(roots: Iterable[ObjectiveNode]) -> Iterator[ObjectiveNode]:
    """Objectives depth first, each before the objectives aligned to it."""
    for node in roots:
        yield node
        yield from walk(node.children)


def period_of(doc: TreeDoc) -> Period:
    """The document's period; a closed one's name says so (``2026-Q4, closed 2027-01-01``)."""
    p = doc["period"]
    closed = doc.get("closed")
    name = str(p["name"])
    if isinstance(closed, Mapping) and closed.get("on"):
        name += f", closed {closed['on']}"
        if closed.get("scored_on"):  # no history on its last day (okrsync.core.closing)
            name += f", scored on {closed['scored_on']}, after the period ended"
    return Period(name, date.fromisoformat(p["start"]), date.fromisoformat(p["end"]))


def as_of(doc: TreeDoc) -> date:
    return date.fromisoformat(doc["as_of"])


def health_in(item: Mapping[str, Any]) -> Health:
    try:
        return Health(str(item.get("health")))
    except ValueError:
        return Health.NO_DATA


def stale_note(item: Mapping[str, Any]) -> str | None:
    """For a KR whose source fails: "stale since 2026-11-27: <why>" (its numbers are held); else None."""
    reason = item.get("source_error")
    if not reason:
        return None
    since = item.get("stale_since")
    return f"stale{f' since {since}' if since else ''}: {reason}"


def checkin_note(item: Mapping[str, Any]) -> str | None:
    """A KR's latest check-in for people: "confidence Low — “the vendor is late” (Ann Lee,
    2026-11-03)"; ``None`` when its owner never checked in."""
    checkin = item.get("checkin")
    if not isinstance(checkin, Mapping):
        return None
    conf = item.get("confidence")
    said = f"confidence {str(conf).capitalize()}" if conf else "no confidence given"
    note = f" — “{checkin['note']}”" if checkin.get("note") else ""
    by = ", ".join(str(v) for v in (checkin.get("author"), checkin.get("day")) if v)
    return f"{said}{note}{f' ({by})' if by else ''}"


def health_counts(items: Iterable[Mapping[str, Any]]) -> dict[Health, int]:
    """How many items have each health, in :data:`HEALTH_ORDER` (zero counts included)."""
    counts = dict.fromkeys(HEALTH_ORDER, 0)
    for item in items:
        counts[health_in(item)] += 1
    return counts


def fmt_pct(value: float | None) -> str:
    """A snapshot percentage for people: ``16.7 %``, or ``–`` without data."""
    return "–" if value is None else f"{float(value):.1f} %"


def fmt_score(value: float | None) -> str:
    return "–" if value is None else f"{float(value):.1f}"


def ap_state(plan: Mapping[str, Any]) -> str:
    """An action plan's status for people: the Jira status name, or its category."""
    return str(plan.get("status") or plan.get("status_category") or "")


def ap_done(plan: Mapping[str, Any]) -> bool:
    return plan.get("status_category") == "done" and not plan.get("cancelled")


# ------------------------------------------------------------------------------------ history


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One day of a KR's or objective's history; percentages 0–100 like the snapshot."""

    day: date
    progress: float | None
    expected: float
    health: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "progress": self.progress,
            "expected": self.expected,
            "health": self.health,
        }


Trends = Mapping[str, Sequence[TrendPoint]]
"""Per KR or objective id, its points by day."""


def trends_of(points: Iterable[ProgressPoint], period: Period | None = None) -> dict[str, list[TrendPoint]]:
    """The store's progress points as percentages, per node, by day; only days of ``period``."""
    out: dict[str, list[TrendPoint]] = {}
    for p in sorted(points, key=lambda p: (p.node_id, p.day)):
        if period is not None and not period.contains(p.day):
            continue
        expected = pct(p.expected)
        out.setdefault(p.node_id, []).append(
            TrendPoint(p.day, pct(p.progress), expected if expected is not None else 0.0, p.health)
        )
    return out


def trend(doc_item: Mapping[str, Any], history: Trends, day: date) -> list[TrendPoint]:
    """The history of one node, ending with the snapshot's own value on ``day`` (its as-of day)."""
    points = [p for p in history.get(str(doc_item["id"]), ()) if p.day < day]
    points.append(
        TrendPoint(
            day, doc_item.get("progress"), float(doc_item.get("expected") or 0.0), str(doc_item["health"])
        )
    )
    return points


# --------------------------------------------------------------------------------------- runs


@dataclass(frozen=True, slots=True)
class LastSync:
    """The newest sync run, for a report's header."""

    run_id: int
    mode: str
    status: str
    started_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, run: RunRecord | None) -> LastSync | None:
        if run is None:
            return None
        return cls(run.run_id, run.mode, run.status, run.started_at, run.ended_at)

    def describe(self) -> str:
        at = (self.ended_at or self.started_at).strftime("%Y-%m-%d %H:%M %Z").strip()
        return f"{at} ({self.mode}, {self.status})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "mode": self.mode,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
        }
