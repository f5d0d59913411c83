"""Counting and timing of every Jira request, for the run record and the metrics."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP request as sent: ``status`` is ``None`` when no answer came (connection error)."""

    method: str
    path: str  # the template, e.g. "/rest/api/3/issue/{key}"
    status: int | None
    seconds: float

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class RequestStats:
    """Totals over every request a gateway made; thread-safe.

    ``by_endpoint`` counts by ``"METHOD /path/{template}"``, ``by_status`` by status code
    (``"error"`` for no answer), ``seconds`` is the time spent in requests, ``retries`` the repeated
    attempts, ``retry_wait_seconds`` the time slept before them, ``pacing_wait_seconds`` the time
    the client-side pacer held requests back, ``rate_limited`` the 429s by ``RateLimit-Reason``
    (``"none"`` when Jira named none), ``near_limit`` the answers saying a budget is nearly spent,
    ``pacing_rate`` the pacer's rate after the last answer. ``keep_records`` keeps every
    :class:`RequestRecord` (tests, debugging); off by default so long daemons do not grow.
    """

    keep_records: bool = False
    requests: int = 0
    seconds: float = 0.0
    retries: int = 0
    retry_wait_seconds: float = 0.0
    pacing_wait_seconds: float = 0.0
    near_limit: int = 0
    pacing_rate: float | None = None
    rate_limited: Counter[str] = field(default_factory=Counter)
    by_endpoint: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    seconds_by_endpoint: dict[str, float] = field(default_factory=dict)
    records: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, method: str, path: str, status: int | None, seconds: float) -> None:
        rec = RequestRecord(method, path, status, seconds)
        with self._lock:
            self.requests += 1
            self.seconds += seconds
            self.by_endpoint[rec.endpoint] += 1
            self.by_status["error" if status is None else str(status)] += 1
            self.seconds_by_endpoint[rec.endpoint] = self.seconds_by_endpoint.get(rec.endpoint, 0.0) + seconds
            if self.keep_records:
                self.records.append(rec)

    def record_retry(self, waited: float) -> None:
        with self._lock:
            self.retries += 1
            self.retry_wait_seconds += waited

    def record_pacing(self, waited: float) -> None:
        if waited <= 0:
            return
        with self._lock:
            self.pacing_wait_seconds += waited

    def record_limits(self, refused_for: str | None, near_limit: bool) -> None:
        """A 429 (``refused_for``: its ``RateLimit-Reason``, or ``""`` when none) or a NearLimit."""
        if refused_for is None and not near_limit:
            return
        with self._lock:
            if refused_for is not None:
                self.rate_limited[refused_for or "none"] += 1
            if near_limit:
                self.near_limit += 1

    def record_rate(self, rate: float) -> None:
        self.pacing_rate = rate

    def snapshot(self) -> dict[str, Any]:
        """A plain, JSON-serialisable copy for the run record."""
        with self._lock:
            return {
                "requests": self.requests,
                "seconds": round(self.seconds, 6),
                "retries": self.retries,
                "retry_wait_seconds": round(self.retry_wait_seconds, 6),
                "pacing_wait_seconds": round(self.pacing_wait_seconds, 6),
                "rate_limited": dict(sorted(self.rate_limited.items())),
                "near_limit": self.near_limit,
                "pacing_rate": round(self.pacing_rate, 3) if self.pacing_rate is not None else None,
                "by_endpoint": dict(sorted(self.by_endpoint.items())),
                "by_status": dict(sorted(self.by_status.items())),
                "seconds_by_endpoint": {k: round(v, 6) for k, v in sorted(self.seconds_by_endpoint.items())},
            }
