"""Shared pytest configuration: the Jira simulator fixtures (okrsync.jira_sim.testing)."""

pytest_plugins = ["okrsync.jira_sim.testing"]
