"""REST route handlers; importing this package registers them on ``routing.ROUTER``."""

from okrsync.jira_sim.routes import (
    admin,
    bulk,
    changelog_bulk,
    comments,
    issue_bulkfetch,
    issues,
    jql_match,
    meta,
    properties_multi,
    search,
    sim,
    views,
)

__all__ = [
    "admin",
    "bulk",
    "changelog_bulk",
    "comments",
    "issue_bulkfetch",
    "issues",
    "jql_match",
    "meta",
    "properties_multi",
    "search",
    "sim",
    "views",
]
