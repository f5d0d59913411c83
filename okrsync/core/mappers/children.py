"""Which epic an issue belongs to, by the configured strategy (pure).

``parent`` and ``epic_link`` use one field; ``auto`` takes whichever of the two names a known KR
epic, and reports an issue whose two fields name two different KR epics.
"""

from __future__ import annotations

from collections.abc import Collection

from okrsync.core.mappers import children_by_epic_link, children_by_parent, issue_fields


def epics_of(
    issue: issue_fields.RawIssue, ids: issue_fields.FieldIds, known_epics: Collection[str]
) -> list[str]:
    """The KR epics ``issue`` hangs under, in order of preference (normally zero or one)."""
    by_parent = children_by_parent.epic_of(issue)
    by_link = children_by_epic_link.epic_of(issue, ids.epic_link)
    if ids.children == "parent":
        candidates = [by_parent]
    elif ids.children == "epic_link":
        candidates = [by_link]
    else:
        candidates = [by_parent, by_link]
    out: list[str] = []
    for epic in candidates:
        if epic is not None and epic in known_epics and epic not in out:
            out.append(epic)
    return out


def jql_clauses(ids: issue_fields.FieldIds) -> list[str]:
    """JQL clauses that select an epic's children under the strategy."""
    if ids.children == "parent":
        return [children_by_parent.jql_clause()]
    if ids.children == "epic_link":
        return [children_by_epic_link.jql_clause()]
    clauses = [children_by_parent.jql_clause()]
    if ids.epic_link:
        clauses.append(children_by_epic_link.jql_clause())
    return clauses
