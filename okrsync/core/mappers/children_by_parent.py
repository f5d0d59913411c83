"""Epic children by the ``parent`` field (Jira Cloud, team- and company-managed projects)."""

from __future__ import annotations

from okrsync.core.mappers import issue_fields as f


def epic_of(issue: f.RawIssue) -> str | None:
    return f.parent_key(issue)


def jql_clause() -> str:
    return "parent"
