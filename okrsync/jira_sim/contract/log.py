"""The deviations a simulator saw: requests (and responses) that break Jira's contract."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from okrsync.jira_sim.timeutil import iso_z


class DeviationLog:
    """Every deviation in order: ``{"kind": "request"|"response", "method", "path", "query",
    "operation", "reasons", "status", "refused", "at"}`` (``status``: what the simulator answered)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def record(
        self,
        kind: str,
        method: str,
        path: str,
        query: str,
        operation: str,
        reasons: list[str],
        *,
        status: int,
        refused: bool,
    ) -> None:
        entry = {
            "kind": kind,
            "method": method,
            "path": path,
            "query": query,
            "operation": operation,
            "reasons": list(reasons),
            "status": status,
            "refused": refused,
            "at": iso_z(datetime.now(UTC)),
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
