"""REST route handlers; importing this package registers them on ``routing.ROUTER``."""

from okrsync.jira_sim.routes import admin, changelog_bulk, comments, issues, meta, search, sim, views

__all__ = ["admin", "changelog_bulk", "comments", "issues", "meta", "search", "sim", "views"]
