"""Alignment of Jira-side objectives: by ``parent``, by an issue link type, or by a field (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from okrsync.core.mappers import issue_fields


def by_parent(issue: issue_fields.RawIssue) -> str | None:
    return issue_fields.parent_key(issue)


def by_link(issue: issue_fields.RawIssue, link_type: str) -> str | None:
    """The issue this one points to with an outward link of ``link_type`` (by name or outward text).

    With a link type "Aligns" (outward "aligns to", inward "is aligned with"), ``A aligns to B`` is
    stored on A as an outward link to B: A aligns to B.
    """
    wanted = link_type.strip().lower()
    links = issue_fields.fields_of(issue).get("issuelinks")
    if not isinstance(links, list):
        return None
    for link in links:
        if not isinstance(link, Mapping):
            continue
        kind = link.get("type")
        names = (
            {str(kind.get(k, "")).strip().lower() for k in ("name", "outward")}
            if isinstance(kind, Mapping)
            else set()
        )
        target = link.get("outwardIssue")
        if wanted in names and isinstance(target, Mapping) and isinstance(target.get("key"), str):
            return str(target["key"])
    return None


def by_field(issue: issue_fields.RawIssue, field_id: str | None) -> str | None:
    if not field_id:
        return None
    value = issue_fields.fields_of(issue).get(field_id)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):  # an option {"value": ...} or an issue {"key": ...}
        for k in ("key", "value"):
            if isinstance(value.get(k), str) and value[k].strip():
                return str(value[k]).strip()
    return None


def aligned_to(
    issue: issue_fields.RawIssue,
    how: Literal["parent", "link", "field"],
    *,
    link_type: str | None = None,
    field_id: str | None = None,
) -> str | None:
    if how == "parent":
        return by_parent(issue)
    if how == "link":
        return by_link(issue, link_type or "")
    return by_field(issue, field_id)
