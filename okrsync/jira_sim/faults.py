"""Fault injection and measurement: latency, rate limiting, error answers, dropped connections,
forbidden issues, and the record of clients that ignored a ``Retry-After``.

The rate limits themselves (Cloud's burst, per-issue and quota limits, Data Center's token bucket)
are :mod:`okrsync.jira_sim.ratelimit`'s; this module holds their settings with the other faults."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from okrsync.jira_sim.ratelimit import Limits, RateLimiter

HTTP_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH"})


@dataclass
class FaultConfig:
    """What ``POST /_sim/faults`` sets (every key optional there).

    ``rate_limit_per_second``: a site limit on every request (Cloud: a sliding one-second window;
    Data Center: the fill rate of each user's token bucket, ``rate_limit_burst`` its size);
    ``burst_per_second``: Cloud's burst limits by HTTP method (e.g. ``{"PUT": 50}``);
    ``per_issue_writes``: Cloud's per-issue write windows, ``[[writes, seconds], ...]``;
    ``quota_limit`` requests per ``quota_window_seconds``: a tenant quota. All off by default;
    ``okrsync.jira_sim.ratelimit.CLOUD_RATE_LIMITS`` holds Cloud's documented numbers.
    ``fail_tasks``: every asynchronous task submitted meanwhile (bulk edit, ``properties/multi``)
    ends ``FAILED`` having written nothing; ``task_failed_issues``: issue keys a task fails on (the
    other issues of the task are written).
    """

    latency_ms: int = 0
    rate_limit_per_second: float | None = None
    rate_limit_burst: float | None = None
    burst_per_second: dict[str, float] | None = None
    per_issue_writes: list[list[float]] | None = None
    quota_limit: int | None = None
    quota_window_seconds: float = 3600.0
    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 503])
    drop_rate: float = 0.0
    seed: int | None = None
    forbidden_issues: list[str] = field(default_factory=list)
    fail_tasks: bool = False
    task_failed_issues: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def limits(self, flavor: str) -> Limits:
        """The rate limits these settings describe, checked: a ``ValueError`` says what is wrong."""
        site = self.rate_limit_per_second
        if site is not None and not _positive(site):
            raise ValueError("rate_limit_per_second must be positive (or null to switch it off)")
        if self.rate_limit_burst is not None and not _positive(self.rate_limit_burst):
            raise ValueError("rate_limit_burst must be positive (or null: the bucket holds one second)")
        burst = self.burst_per_second
        if burst is not None:
            if not isinstance(burst, dict) or not all(
                isinstance(m, str) and m.upper() in HTTP_METHODS and _positive(v) for m, v in burst.items()
            ):
                raise ValueError(
                    'burst_per_second maps HTTP methods to requests a second, e.g. {"GET": 100, "PUT": 50}'
                )
            burst = {m.upper(): float(v) for m, v in burst.items()}
        windows: list[tuple[int, float]] = []
        for pair in self.per_issue_writes or []:
            if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(_positive(v) for v in pair)):
                raise ValueError(
                    "per_issue_writes is a list of [writes, seconds] pairs, e.g. [[20, 2], [100, 30]]"
                )
            windows.append((int(pair[0]), float(pair[1])))
        if self.quota_limit is not None and not (
            _positive(self.quota_limit) and int(self.quota_limit) == self.quota_limit
        ):
            raise ValueError("quota_limit must be a whole number of requests (or null to switch it off)")
        if not _positive(self.quota_window_seconds):
            raise ValueError("quota_window_seconds must be positive")
        return Limits(
            flavor=flavor,
            site_per_second=site,
            site_burst=self.rate_limit_burst,
            burst_per_second=burst,
            per_issue_writes=tuple(windows),
            quota_limit=int(self.quota_limit) if self.quota_limit else None,
            quota_window_seconds=float(self.quota_window_seconds),
        )


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


FAULT_KEYS = frozenset(FaultConfig.__dataclass_fields__)


@dataclass
class Decision:
    """What to do with one request before it reaches a handler; ``headers`` go on the answer also
    when ``status`` is None (the rate limits' headers on a request they let through)."""

    delay: float = 0.0
    drop: bool = False
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""


class Faults:
    """Thread-safe fault state; ``decide`` is called once per (non-admin) request."""

    def __init__(self, config: FaultConfig | None = None, *, flavor: str = "cloud") -> None:
        self._lock = threading.Lock()
        self.flavor = flavor
        self._config = config or FaultConfig()
        self._rng = random.Random(self._config.seed)  # noqa: S311 - fault sampling
        self.limiter = RateLimiter(self._config.limits(flavor))

    @property
    def config(self) -> FaultConfig:
        return self._config

    @config.setter
    def config(self, cfg: FaultConfig) -> None:
        limits = cfg.limits(self.flavor)
        with self._lock:
            self._config = cfg
            self._rng = random.Random(cfg.seed)  # noqa: S311
        self.limiter.configure(limits)

    @property
    def retry_after_violations(self) -> list[dict[str, Any]]:
        """Requests sent before the ``Retry-After`` of a 429 in their scope had passed."""
        return self.limiter.violations

    def update(self, changes: Mapping[str, Any]) -> FaultConfig:
        unknown = set(changes) - FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}; known: {sorted(FAULT_KEYS)}")
        with self._lock:
            data = self._config.to_json()
            data.update(changes)
            cfg = FaultConfig(**data)
            if not 0 <= cfg.error_rate <= 1 or not 0 <= cfg.drop_rate <= 1:
                raise ValueError("error_rate and drop_rate are shares between 0 and 1")
            limits = cfg.limits(self.flavor)
            self._config = cfg
            if "seed" in changes:
                self._rng = random.Random(cfg.seed)  # noqa: S311
        self.limiter.configure(limits)
        return cfg

    def reset_measurements(self) -> None:
        self.limiter.reset_measurements()

    def decide(
        self, client: str, method: str, path: str, issue: str | None = None, connection: object = None
    ) -> Decision:
        """``issue``: the key of the issue the request addresses, if any (per-issue write limits)."""
        verdict = self.limiter.check(client, method, path, issue, connection=connection)
        d = Decision(headers=verdict.headers)
        with self._lock:
            cfg = self._config
            d.delay = cfg.latency_ms / 1000.0
            if verdict.status is not None:
                d.status, d.message = verdict.status, verdict.message
                return d
            if cfg.drop_rate and self._rng.random() < cfg.drop_rate:
                d.drop = True
                return d
            if cfg.error_rate and self._rng.random() < cfg.error_rate:
                statuses = cfg.error_statuses or [500]
                d.status = statuses[self._rng.randrange(len(statuses))]
                d.message = "Internal server error" if d.status == 500 else "Service Unavailable"
                d.headers = {}
        return d

    def forbidden(self, key: str) -> bool:
        return key.upper() in {k.upper() for k in self._config.forbidden_issues}

    def task_fails(self) -> bool:
        """Whether a task submitted now fails whole (``fail_tasks``)."""
        return self._config.fail_tasks

    def task_fails_on(self, key: str) -> bool:
        """Whether a task fails on this issue (``task_failed_issues``)."""
        return key.upper() in {k.upper() for k in self._config.task_failed_issues}
