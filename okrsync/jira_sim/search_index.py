"""Jira Cloud's search index, which lags writes: what ``search/jql`` sees of each issue.

Cloud's ``GET|POST /rest/api/3/search/jql`` "Recent updates might not be immediately visible in the
returned search results. If you need read-after-write consistency, you can utilize the
``reconcileIssues`` parameter" (Cloud platform v3 spec, operations searchAndReconsileIssuesUsingJql
and …Post; ``reconcileIssues``: "Strong consistency issue ids to be reconciled with search results.
Accepts max 50 ids."). Atlassian's "Search after write with search and reconcile" page puts the delay
at "a few seconds to minutes". The index here shows each issue as it was ``lag_seconds`` ago: the
store calls :meth:`SearchIndex.before_write` with the issue as it is just before each change, and
:meth:`SearchIndex.view` answers, for a search now, the version written last before ``now - lag``.

Data Center is not lagged: its search reads the node's Lucene index, which Jira updates as part of
the issue operation itself (near-real-time, read-after-write on the node that made the change); its
spec states no consistency caveat and has no ``reconcileIssues``. (A DC cluster replicates index
changes between nodes within seconds; a client cannot reconcile that, and okrsync talks to one base
URL.)

A lag of 0 (the default) keeps nothing and every search is consistent, as before.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Any

Json = dict[str, Any]


class SearchIndex:
    """The versions of the issues written in the last ``lag_seconds`` (monotonic clock)."""

    def __init__(self, lag_seconds: float = 0.0, clock: Callable[[], float] | None = None) -> None:
        self._lock = threading.Lock()
        self._clock = clock or time.monotonic
        self._lag = 0.0
        self.lag_seconds = lag_seconds
        # key -> [(when written, the issue as it was just before that write; None: not created yet)],
        # oldest first; only writes the index has not caught up with yet
        self._pending: dict[str, list[tuple[float, Json | None]]] = {}

    @property
    def lag_seconds(self) -> float:
        return self._lag

    @lag_seconds.setter
    def lag_seconds(self, value: float) -> None:
        lag = float(value)
        if not lag >= 0:  # also refuses NaN
            raise ValueError(f"index_lag_seconds must be a number of seconds >= 0, not {value!r}")
        self._lag = lag

    def before_write(self, key: str, issue: Json | None) -> None:
        """``key`` is about to change (``issue`` as it is now; None while it is being created)."""
        if self._lag <= 0:
            return
        before = copy.deepcopy(issue) if issue is not None else None
        with self._lock:
            now = self._clock()
            entries = self._pending.setdefault(key, [])
            while entries and entries[0][0] <= now - self._lag:
                entries.pop(0)  # indexed by now: the version before it is no longer seen
            entries.append((now, before))

    def view(self, key: str, issue: Json) -> Json | None:
        """``issue`` (the current version of ``key``) as the index shows it: the version before its
        oldest write the index has not caught up with, or None if it was created since."""
        with self._lock:
            entries = self._pending.get(key)
            if not entries:
                return issue
            horizon = self._clock() - self._lag
            while entries and entries[0][0] <= horizon:
                entries.pop(0)
            if not entries:
                del self._pending[key]
                return issue
            return entries[0][1]

    @property
    def lagging(self) -> bool:
        """Whether some write may not be visible to a search yet."""
        with self._lock:
            return bool(self._pending)

    def catch_up(self) -> None:
        """The index shows every write made so far (as ``lag_seconds`` later)."""
        with self._lock:
            self._pending.clear()
