"""okrsync: OKRs that live inside Jira."""

__version__ = "0.1.0"
