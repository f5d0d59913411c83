"""REST route handlers; importing this package registers them on ``routing.ROUTER``."""

from okrsync.jira_sim.routes import admin, comments, issues, meta, search, sim, views

__all__ = ["admin", "comments", "issues", "meta", "search", "sim", "views"]
