"""Reading single values out of raw Jira issue JSON, tolerant of odd data (pure).

Every reader returns ``None`` (or a safe default) for a missing field, a ``null`` or a value of the
wrong shape, and never raises: a site with odd data must still sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from okrsync.domain.model import StatusCategory

RawIssue = Mapping[str, Any]
ChildStyle = Literal["auto", "parent", "epic_link"]


@dataclass(frozen=True, slots=True)
class FieldIds:
    """Ids of the site's fields that the mappers read (resolved once per run by the gateway)."""

    story_points: str | None = None
    epic_link: str | None = None
    children: ChildStyle = "auto"
    numbers: Mapping[str, str] = field(default_factory=dict)
    """Configured number field names (metric and manual fields) to their ids."""
    cancelled_resolutions: frozenset[str] = frozenset()
    """Lower-cased resolution names that mean cancelled."""
    confidence: str | None = None
    """The ``OKR Confidence`` select field a KR owner checks in with (``None``: the site lacks it)."""
    checkin: str | None = None
    """The ``OKR Check-in`` text field of the check-in note."""


def fields_of(issue: RawIssue) -> Mapping[str, Any]:
    f = issue.get("fields")
    return f if isinstance(f, Mapping) else {}


def text(issue: RawIssue, name: str) -> str:
    value = fields_of(issue).get(name)
    return value if isinstance(value, str) else ""


def status_category(issue: RawIssue) -> tuple[StatusCategory, str | None]:
    """The issue's status category by its stable key, with a warning for anything unknown."""
    status = fields_of(issue).get("status")
    if not isinstance(status, Mapping):
        return StatusCategory.UNKNOWN, "has no status"
    cat = status.get("statusCategory")
    key = cat.get("key") if isinstance(cat, Mapping) else None
    try:
        return StatusCategory(str(key)), None
    except ValueError:
        name = status.get("name", "?")
        return (
            StatusCategory.UNKNOWN,
            f"status '{name}' has an unknown status category {key!r}; counted as not done",
        )


def status_name(issue: RawIssue) -> str:
    status = fields_of(issue).get("status")
    name = status.get("name") if isinstance(status, Mapping) else None
    return name if isinstance(name, str) else ""


def option(issue: RawIssue, field_id: str | None) -> str | None:
    """A select field's option value (``{"value": "High", "id": "10001"}``), ``None`` when unset."""
    if not field_id:
        return None
    value = fields_of(issue).get(field_id)
    found = value.get("value") if isinstance(value, Mapping) else None
    return found if isinstance(found, str) and found else None


def short_text(issue: RawIssue, field_id: str | None) -> str | None:
    """A single-line text field's value, stripped; ``None`` when unset or blank (a text field's
    value is a plain string in both dialects and both API versions: Cloud v3 renders only the
    multi-line textarea as ADF)."""
    if not field_id:
        return None
    value = fields_of(issue).get(field_id)
    return value.strip() if isinstance(value, str) and value.strip() else None


def resolution(issue: RawIssue) -> str | None:
    res = fields_of(issue).get("resolution")
    name = res.get("name") if isinstance(res, Mapping) else None
    return name if isinstance(name, str) else None


def is_cancelled(issue: RawIssue, cancelled_resolutions: frozenset[str]) -> bool:
    res = resolution(issue)
    return res is not None and res.strip().lower() in cancelled_resolutions


def number(issue: RawIssue, field_id: str | None) -> float | None:
    if not field_id:
        return None
    value = fields_of(issue).get(field_id)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def user(issue: RawIssue, name: str) -> tuple[str | None, str | None]:
    """(display name, Jira id) of a user field: accountId on Cloud, ``name`` on Data Center."""
    value = fields_of(issue).get(name)
    if not isinstance(value, Mapping):
        return None, None
    ident = value.get("accountId") or value.get("name") or value.get("key")
    display = value.get("displayName") or value.get("emailAddress") or ident
    return (str(display) if display else None), (str(ident) if ident else None)


def owner(issue: RawIssue) -> tuple[str | None, str | None]:
    """Owner: the assignee, else the reporter."""
    display, ident = user(issue, "assignee")
    if display is None and ident is None:
        return user(issue, "reporter")
    return display, ident


def day(issue: RawIssue, name: str) -> date | None:
    value = fields_of(issue).get(name)
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def timestamp(issue: RawIssue, name: str) -> datetime | None:
    value = fields_of(issue).get(name)
    return parse_jira_datetime(value) if isinstance(value, str) else None


def parse_jira_datetime(value: str) -> datetime | None:
    """Jira's ``2026-10-05T09:30:00.000+0000`` (also ``Z`` and ``+00:00``)."""
    text_value = value.strip()
    if not text_value:
        return None
    if text_value.endswith("Z"):
        text_value = text_value[:-1] + "+00:00"
    elif len(text_value) > 5 and text_value[-5] in "+-" and text_value[-3] != ":":
        text_value = f"{text_value[:-2]}:{text_value[-2:]}"
    try:
        return datetime.fromisoformat(text_value)
    except ValueError:
        return None


def parent_key(issue: RawIssue) -> str | None:
    parent = fields_of(issue).get("parent")
    key = parent.get("key") if isinstance(parent, Mapping) else None
    return key if isinstance(key, str) and key else None


def epic_link(issue: RawIssue, field_id: str | None) -> str | None:
    if not field_id:
        return None
    value = fields_of(issue).get(field_id)
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping):  # some sites/apps return the epic as an object
        key = value.get("key")
        return key if isinstance(key, str) and key else None
    return None


def issue_type(issue: RawIssue) -> tuple[str, int | None]:
    t = fields_of(issue).get("issuetype")
    if not isinstance(t, Mapping):
        return "", None
    level = t.get("hierarchyLevel")
    return str(t.get("name") or ""), level if isinstance(level, int) else None


def key_of(issue: RawIssue) -> str:
    key = issue.get("key")
    return key if isinstance(key, str) else str(issue.get("id", "?"))


def is_epic(issue: RawIssue) -> bool:
    """An epic by its hierarchy level (1), or by name where Jira gives no level."""
    name, level = issue_type(issue)
    return level == 1 if level is not None else name.casefold() == "epic"


def key_order(key: str) -> tuple[str, int, str]:
    """Issue keys in Jira's order: by project, then by number (PLAT-9 before PLAT-10)."""
    project, _, number = key.rpartition("-")
    return (project, int(number), "") if number.isdigit() else (key, 0, key)
