"""Shared pytest configuration: the Jira simulator fixtures (tests/simkit.py)."""

pytest_plugins = ["simkit"]
