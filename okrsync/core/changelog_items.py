"""What a changelog says, item by item (pure): which fields a backfill tracks, and each change as
an undo step (the value before it, on its field), with Jira's timestamps read in every form.

Split out of :mod:`okrsync.core.history`, which rebuilds the days from these steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from okrsync.core.mappers import issue_fields
from okrsync.domain.model import StatusCategory

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


def utc(at: datetime) -> datetime:
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
        return utc(at) if at is not None else None
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
