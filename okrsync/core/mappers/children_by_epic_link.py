"""Epic children by the classic Epic Link field (Data Center and older Cloud sites)."""

from __future__ import annotations

from okrsync.core.mappers import issue_fields


def epic_of(issue: issue_fields.RawIssue, epic_link_id: str | None) -> str | None:
    return issue_fields.epic_link(issue, epic_link_id)


def jql_clause() -> str:
    return '"Epic Link"'
