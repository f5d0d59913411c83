"""Epic children by the classic Epic Link field (Data Center and older Cloud sites)."""

from __future__ import annotations

from okrsync.core.mappers import issue_fields as f


def epic_of(issue: f.RawIssue, epic_link_id: str | None) -> str | None:
    return f.epic_link(issue, epic_link_id)


def jql_clause() -> str:
    return '"Epic Link"'
