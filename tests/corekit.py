"""Builders the core tests share: the pinned period and moment every table is written against.

Tests pass ``now`` in; these are the values they pass, so a test reads the same on any day.
"""

from __future__ import annotations

from datetime import date

from okrsync.domain.model import Period
from okrsync.jira_sim.datasets.demo import DEFAULT_START, PERIOD_DAYS

Q4 = Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
"""The pinned OKR period of the tables (92 days), the demo company's default one."""

assert (Q4.start, (Q4.end - Q4.start).days + 1) == (DEFAULT_START, PERIOD_DAYS)
