"""Epic children by the ``parent`` field (Jira Cloud, team- and company-managed projects)."""

from __future__ import annotations

from okrsync.core.mappers import issue_fields


def epic_of(issue: issue_fields.RawIssue) -> str | None:
    return issue_fields.parent_key(issue)


def jql_clause() -> str:
    return "parent"
