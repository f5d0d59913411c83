"""The issues okrsync wrote in the last minutes, which Cloud's search may not show written yet.

Jira Cloud's search index takes "from a few seconds to minutes" to show a write (Atlassian, "Search
after write with search and reconcile"; the search/jql operation of the Cloud platform v3 spec: "Recent
updates might not be immediately visible"). The next cycles reconcile these issues in their searches
(``reconcileIssues``, see :mod:`okrsync.sync.fetch`), so that they read okrsync's own writes back, not
the values before them. Kept in the state store (one meta value, written once a cycle), so that a
daemon's next cycle and a second ``okrsync sync`` process know them alike. The times are the clock's
(the applied writes' clock), not the cycle's ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from okrsync.domain.keys import META_RECENT_WRITES
from okrsync.state.store import StateStore

RECENT_WRITES_WINDOW = timedelta(minutes=10)
"""How long after a write its issue is reconciled: beyond "a few seconds to minutes"."""

MAX_RECENT_WRITES = 1000
"""The newest ones kept (a request reconciles at most 50; the fetch picks those its searches return)."""


def _remembered(store: StateStore) -> dict[str, datetime]:
    value = store.get_meta(META_RECENT_WRITES)
    out: dict[str, datetime] = {}
    if not isinstance(value, dict):
        return out
    for key, at in value.items():
        try:
            when = datetime.fromisoformat(str(at))
        except ValueError:
            continue
        if when.tzinfo is not None:
            out[str(key)] = when
    return out


def recent_writes(store: StateStore, now: datetime) -> list[str]:
    """The keys of the issues okrsync wrote within :data:`RECENT_WRITES_WINDOW` before ``now``, newest
    first."""
    remembered = _remembered(store)
    recent = [(at, key) for key, at in remembered.items() if timedelta(0) <= now - at <= RECENT_WRITES_WINDOW]
    return [key for _at, key in sorted(recent, key=lambda item: (item[0], item[1]), reverse=True)]


def remember_writes(store: StateStore, keys: Iterable[str], at: datetime) -> None:
    """Remember that okrsync wrote ``keys`` at ``at``, forgetting writes older than the window."""
    written = sorted(set(keys))
    remembered = _remembered(store)
    kept = {k: t for k, t in remembered.items() if timedelta(0) <= at - t <= RECENT_WRITES_WINDOW}
    if not written and kept == remembered:
        return  # nothing new, nothing expired: no write to the state store
    kept.update(dict.fromkeys(written, at))
    newest = sorted(kept.items(), key=lambda item: (item[1], item[0]), reverse=True)[:MAX_RECENT_WRITES]
    store.set_meta(META_RECENT_WRITES, {key: when.isoformat() for key, when in newest})
