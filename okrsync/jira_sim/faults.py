"""Fault injection and measurement: latency, rate limiting, error answers, dropped connections,
forbidden issues, and the record of clients that ignored a ``Retry-After``."""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from okrsync.jira_sim.timeutil import iso_z


@dataclass
class FaultConfig:
    """What ``POST /_sim/faults`` sets (every key optional there)."""

    latency_ms: int = 0
    rate_limit_per_second: float | None = None
    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 503])
    drop_rate: float = 0.0
    seed: int | None = None
    forbidden_issues: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


FAULT_KEYS = {
    "latency_ms",
    "rate_limit_per_second",
    "error_rate",
    "error_statuses",
    "drop_rate",
    "seed",
    "forbidden_issues",
}


@dataclass
class Decision:
    """What to do with one request before it reaches a handler."""

    delay: float = 0.0
    drop: bool = False
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""


class Faults:
    """Thread-safe fault state; ``decide`` is called once per (non-admin) request."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)  # noqa: S311 - fault sampling
        self._window: deque[float] = deque()
        self._blocked_until: dict[str, tuple[float, float]] = {}  # client -> (until, retry_after)
        self.retry_after_violations: list[dict[str, Any]] = []

    def update(self, changes: Mapping[str, Any]) -> FaultConfig:
        unknown = set(changes) - FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}; known: {sorted(FAULT_KEYS)}")
        with self._lock:
            data = self.config.to_json()
            data.update(changes)
            cfg = FaultConfig(**data)
            if not 0 <= cfg.error_rate <= 1 or not 0 <= cfg.drop_rate <= 1:
                raise ValueError("error_rate and drop_rate are shares between 0 and 1")
            if cfg.rate_limit_per_second is not None and cfg.rate_limit_per_second <= 0:
                raise ValueError("rate_limit_per_second must be positive (or null to switch it off)")
            self.config = cfg
            if "seed" in changes:
                self._rng = random.Random(cfg.seed)  # noqa: S311
            self._window.clear()
            return cfg

    def reset_measurements(self) -> None:
        with self._lock:
            self.retry_after_violations.clear()
            self._blocked_until.clear()
            self._window.clear()

    def decide(self, client: str, method: str, path: str) -> Decision:
        now = time.monotonic()
        d = Decision()
        with self._lock:
            cfg = self.config
            d.delay = cfg.latency_ms / 1000.0
            blocked = self._blocked_until.get(client)
            if blocked is not None:
                until, retry_after = blocked
                if now < until:
                    self.retry_after_violations.append(
                        {
                            "client": client,
                            "method": method,
                            "path": path,
                            "retry_after": retry_after,
                            "early_by_seconds": round(until - now, 3),
                            "at": iso_z(datetime.now(UTC)),
                        }
                    )
                else:
                    del self._blocked_until[client]
            limit = cfg.rate_limit_per_second
            if limit is not None:
                while self._window and self._window[0] <= now - 1.0:
                    self._window.popleft()
                if len(self._window) >= limit:
                    wait = self._window[0] + 1.0 - now
                    retry_after = max(1, math.ceil(wait))
                    self._blocked_until[client] = (now + retry_after, retry_after)
                    reset = datetime.now(UTC) + timedelta(seconds=wait)
                    d.status = 429
                    d.message = "Rate limit exceeded."
                    d.headers = {
                        "Retry-After": str(retry_after),
                        "X-RateLimit-Limit": str(int(limit) if float(limit).is_integer() else limit),
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": iso_z(reset),
                        "RateLimit-Reason": "jira-quota-global-based",
                    }
                    return d
                self._window.append(now)
            if cfg.drop_rate and self._rng.random() < cfg.drop_rate:
                d.drop = True
                return d
            if cfg.error_rate and self._rng.random() < cfg.error_rate:
                statuses = cfg.error_statuses or [500]
                d.status = statuses[self._rng.randrange(len(statuses))]
                d.message = "Internal server error" if d.status == 500 else "Service Unavailable"
        return d

    def forbidden(self, key: str) -> bool:
        return key.upper() in {k.upper() for k in self.config.forbidden_issues}
