"""Check-ins (pure): a KR owner's confidence and note, set in Jira on the KR epic, as a history.

A check-in is a change of the ``OKR Confidence`` select or the ``OKR Check-in`` text field on a KR
epic. The search a sync makes already carries both fields: the KR shows what they hold now
(:attr:`KeyResult.confidence`, :attr:`KeyResult.checkin_note`), and where that differs from the
last recorded check-in, a new one is recorded (:func:`is_new`), with the day and author of the
changelog entry that made it (:func:`author_of`). The backfill rebuilds the whole history from
the changelogs (:func:`checkins_from_changelog`).

Several edits by the same person on the same day are one check-in (Jira writes one changelog
entry per inline edit: the confidence, then the note, seconds apart): :func:`appended`.

Confidence and health (``policy.confidence_affects_health``, :func:`confidence_health`): the KR's
health is the worse of its progress health and its owner's confidence, where Low counts as Off
track and Medium as At risk; High lowers nothing. A KR that is done, overdue or without data
keeps its health (done is done; overdue is worse already; no data has nothing to compare).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from okrsync.core.changelog_items import changelog_time
from okrsync.domain.model import CheckIn, Confidence, Health, KeyResult, OkrTree

MAX_KEPT = 100
"""Check-ins kept per KR (two years of weekly check-ins); older ones are dropped."""

CONFIDENCE_HEALTH: Mapping[Confidence, Health | None] = {
    Confidence.LOW: Health.OFF_TRACK,
    Confidence.MEDIUM: Health.AT_RISK,
    Confidence.HIGH: None,
}
"""The health an owner's confidence stands for (``None``: it lowers nothing)."""

_RANK: Mapping[Health, int] = {
    Health.ON_TRACK: 0,
    Health.NOT_STARTED: 0,
    Health.AT_RISK: 1,
    Health.OFF_TRACK: 2,
}
"""The healths confidence can lower, best first (done, overdue and no data are left alone)."""


def confidence_health(health: Health, confidence: Confidence | None) -> Health:
    """The worse of ``health`` (from progress) and what ``confidence`` stands for."""
    floor = CONFIDENCE_HEALTH.get(confidence) if confidence is not None else None
    if floor is None or health not in _RANK:
        return health
    return floor if _RANK[floor] > _RANK[health] else health


def shown(kr: KeyResult) -> tuple[Confidence | None, str | None]:
    """What the KR epic's check-in fields hold now."""
    return kr.confidence, kr.checkin_note


def is_new(kr: KeyResult, last: CheckIn | None) -> bool:
    """Whether the fields show something else than the last recorded check-in (a first check-in:
    anything set)."""
    if last is None:
        return kr.confidence is not None or kr.checkin_note is not None
    return shown(kr) != (last.confidence, last.note)


def appended(history: Sequence[CheckIn], new: CheckIn) -> tuple[CheckIn, ...]:
    """``history`` with ``new`` at its end; one by the same author on the same day as the last
    replaces it. At most :data:`MAX_KEPT` are kept."""
    out = list(history)
    if out and out[-1].day == new.day and out[-1].author_id == new.author_id:
        out[-1] = new
    else:
        out.append(new)
    return tuple(out[-MAX_KEPT:])


# ------------------------------------------------------------------------------- changelogs


@dataclass(frozen=True, slots=True)
class CheckinFields:
    """The check-in fields' ids (a changelog item without a ``fieldId`` is matched by its field
    name: the ``names`` the readers take, lower-cased name → id)."""

    ids: frozenset[str]
    confidence: str | None = None
    """The id of the confidence field (the rest is the note field)."""


def _entries(
    histories: Iterable[Mapping[str, Any]], fields: CheckinFields, names: Mapping[str, str]
) -> list[tuple[datetime, Mapping[str, Any], dict[str, tuple[Any, Any]]]]:
    """The changelog entries that touch a check-in field, oldest first: (time, author, role →
    (fromString, toString))."""
    out: list[tuple[datetime, Mapping[str, Any], dict[str, tuple[Any, Any]]]] = []
    for hist in histories:
        at = changelog_time(hist.get("created"))
        items = hist.get("items")
        if at is None or not isinstance(items, list):
            continue
        changes: dict[str, tuple[Any, Any]] = {}
        for item in items:
            if not isinstance(item, Mapping):
                continue
            role = _role(item, fields, names)
            if role is not None:
                changes[role] = (item.get("fromString"), item.get("toString"))
        if changes:
            author = hist.get("author")
            out.append((at, author if isinstance(author, Mapping) else {}, changes))
    out.sort(key=lambda e: e[0])
    return out


def _role(item: Mapping[str, Any], fields: CheckinFields, names: Mapping[str, str]) -> str | None:
    fid = item.get("fieldId")
    if not (isinstance(fid, str) and fid):
        fid = names.get(str(item.get("field") or "").strip().casefold())
    if fid is None or fid not in fields.ids:
        return None
    return "confidence" if fid == fields.confidence else "note"


def _who(author: Mapping[str, Any]) -> tuple[str | None, str | None]:
    ident = author.get("accountId") or author.get("name") or author.get("key")
    display = author.get("displayName") or ident
    return (str(display) if display else None), (str(ident) if ident else None)


def _note(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def author_of(
    histories: Iterable[Mapping[str, Any]], fields: CheckinFields, names: Mapping[str, str] | None = None
) -> tuple[datetime, str | None, str | None] | None:
    """When and by whom the check-in fields were last changed: (time, display name, id), or
    ``None`` when the changelog shows no such change. ``names``: lower-cased field name → id."""
    entries = _entries(histories, fields, names or {})
    if not entries:
        return None
    at, author, _ = entries[-1]
    return (at, *_who(author))


def checkins_from_changelog(
    histories: Iterable[Mapping[str, Any]],
    fields: CheckinFields,
    now_shown: tuple[Confidence | None, str | None],
    names: Mapping[str, str] | None = None,
) -> tuple[CheckIn, ...]:
    """Every check-in a KR epic's changelog shows, oldest first (same author, same day: one).

    Each entry that changes a check-in field is a check-in of what both fields held after it;
    before a field's first change it held that change's ``from`` side (else what it shows now)."""
    entries = _entries(histories, fields, names or {})
    confidence, note = now_shown
    first_conf = next((c["confidence"] for _, _, c in entries if "confidence" in c), None)
    first_note = next((c["note"] for _, _, c in entries if "note" in c), None)
    state: dict[str, Any] = {
        "confidence": Confidence.of(first_conf[0]) if first_conf is not None else confidence,
        "note": _note(first_note[0]) if first_note is not None else note,
    }
    out: tuple[CheckIn, ...] = ()
    for at, author, changes in entries:
        if "confidence" in changes:
            state["confidence"] = Confidence.of(changes["confidence"][1])
        if "note" in changes:
            state["note"] = _note(changes["note"][1])
        display, ident = _who(author)
        out = appended(out, CheckIn(at.date(), state["confidence"], state["note"], display, ident))
    return out


# ------------------------------------------------------------------------------- the store


def checkin_json(c: CheckIn) -> dict[str, Any]:
    return {
        "day": c.day.isoformat(),
        "confidence": c.confidence.value if c.confidence else None,
        "note": c.note,
        "author": c.author,
        "author_id": c.author_id,
    }


def checkin_of(entry: Any) -> CheckIn | None:
    if not isinstance(entry, Mapping):
        return None
    try:
        day = date.fromisoformat(str(entry.get("day")))
    except ValueError:
        return None
    conf = entry.get("confidence")
    note, author, ident = entry.get("note"), entry.get("author"), entry.get("author_id")
    return CheckIn(
        day,
        Confidence.of(conf) if isinstance(conf, str) else None,
        note if isinstance(note, str) else None,
        author if isinstance(author, str) else None,
        ident if isinstance(ident, str) else None,
    )


def history_of(stored: Any) -> dict[str, tuple[CheckIn, ...]]:
    """KR id → its check-ins, from the stored JSON (unreadable entries left out)."""
    out: dict[str, tuple[CheckIn, ...]] = {}
    if not isinstance(stored, Mapping):
        return out
    for kr_id, entries in stored.items():
        if isinstance(entries, list):
            found = tuple(c for e in entries if (c := checkin_of(e)) is not None)
            if found:
                out[str(kr_id)] = found
    return out


def history_json(history: Mapping[str, Sequence[CheckIn]]) -> dict[str, list[dict[str, Any]]]:
    return {kr_id: [checkin_json(c) for c in cs] for kr_id, cs in sorted(history.items()) if cs}


def with_recorded(tree: OkrTree, history: Mapping[str, Sequence[CheckIn]], as_of: date) -> OkrTree:
    """``tree`` with each KR's recorded check-ins up to ``as_of``."""
    krs = tuple(
        replace(kr, checkins=tuple(c for c in history[kr.id] if c.day <= as_of)) if kr.id in history else kr
        for kr in tree.key_results
    )
    return replace(tree, key_results=krs)


def checkin_days(krs: Collection[KeyResult]) -> dict[str, date]:
    """KR id → the day of its last check-in (a check-in is movement: the stale reminder waits)."""
    return {kr.id: kr.checkins[-1].day for kr in krs if kr.checkins}


def latest_moves(moved: Mapping[str, date], krs: Collection[KeyResult]) -> dict[str, date]:
    """``moved`` (the last day each node's progress moved) with each KR's last check-in where later."""
    out = dict(moved)
    for kr_id, day in checkin_days(krs).items():
        if kr_id not in out or out[kr_id] < day:
            out[kr_id] = day
    return out
