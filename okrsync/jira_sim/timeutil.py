"""Jira's timestamp format (``2026-10-05T09:30:00.000+0000``), always UTC in the simulator."""

from __future__ import annotations

from datetime import UTC, date, datetime


def fmt(ts: datetime) -> str:
    """Format ``ts`` the way Jira does: milliseconds and a ``+0000`` offset."""
    ts = ts.astimezone(UTC) if ts.tzinfo is not None else ts.replace(tzinfo=UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}+0000"


def parse(text: str) -> datetime:
    """Parse a Jira timestamp (or an ISO date) back into an aware UTC datetime."""
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime(d.year, d.month, d.day, tzinfo=UTC)
    t = text
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    elif len(t) > 5 and t[-5] in "+-" and t[-3] != ":":
        t = t[:-2] + ":" + t[-2:]
    return datetime.fromisoformat(t).astimezone(UTC)


def iso_z(ts: datetime) -> str:
    """An ISO-8601 UTC timestamp with a ``Z`` suffix (for X-RateLimit-Reset)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
