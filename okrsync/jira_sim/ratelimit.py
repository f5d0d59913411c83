"""The simulator's rate limits: what Jira Cloud and Data Center refuse with 429, and the headers they send.

Jira Cloud (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/ and "Build an app that
respects rate limits"), for API-token traffic:

* **burst limits** per tenant and HTTP method, token buckets holding one second of traffic
  (:data:`CLOUD_BURST_PER_SECOND`: GET 100/s, POST 100/s, PUT 50/s, DELETE 50/s), refused with
  ``RateLimit-Reason: jira-burst-based``;
* **per-issue write limits** (:data:`CLOUD_PER_ISSUE_WRITES`: 20 writes in 2 s and 100 in 30 s on one
  issue, sliding windows), ``jira-per-issue-on-write``; only writes (POST/PUT/DELETE under
  ``/rest/api/{v}/issue/{key}``) count;
* a **tenant quota** (``quota_limit`` requests in fixed windows of ``quota_window_seconds``),
  ``jira-quota-tenant-based``; the simulator's site limit ``rate_limit_per_second`` (a sliding
  one-second window over every request) answers ``jira-quota-global-based``;
* a 429 carries ``Retry-After`` (whole seconds), ``X-RateLimit-Limit``, ``X-RateLimit-Remaining: 0``,
  ``X-RateLimit-Reset`` (ISO-8601, the request's time plus the wait), ``RateLimit-Reason`` and the
  beta headers ``Beta-Retry-After`` (seconds, to the millisecond), ``Beta-RateLimit``
  (``"policy";r=remaining;t=seconds``) and ``Beta-RateLimit-Policy`` (``"policy";q=quota;w=window``);
* ``X-RateLimit-NearLimit: true`` on an answer after which less than 20 % of a budget the request
  used remains ("When true, indicates that less than 20% of any budget remains"): the site limit,
  the method's burst budget or the quota. Not for an issue's write windows: a client cannot tell
  which budget a NearLimit is about, and one about a single issue would slow it down everywhere
  (Jira itself sends NearLimit for fewer limits than it documents, JRACLOUD-83791).

Jira Data Center (https://confluence.atlassian.com/adminjiraserver/improving-instance-stability-with-
rate-limiting-983794911.html): an admin gives each user a token bucket, ``Requests allowed`` tokens
(``X-RateLimit-FillRate``) every ``X-RateLimit-Interval-Seconds`` up to ``Max requests``
(``X-RateLimit-Limit``). Every answer carries those headers, ``X-RateLimit-Remaining`` and
``Retry-After`` (0 while tokens are left); an empty bucket answers 429, without a ``RateLimit-Reason``.
``rate_limit_per_second`` is the fill rate per one-second interval there, ``rate_limit_burst`` the
bucket's size (default: the fill rate).

Every limit is off unless configured (the suite's requests must not be refused by default);
:data:`CLOUD_RATE_LIMITS` switches on Cloud's documented numbers. A client that sends a request its
last 429 told it to hold back (same client, in the refused scope: everything, the method, or writes
to the issue) before ``Retry-After`` has passed is recorded in :attr:`RateLimiter.violations`. A
request on the connection the 429 went out on always counts (HTTP/1.1 without pipelining: the client
read the answer before it sent the next one); one on another connection only when it arrives more
than :data:`IN_FLIGHT_GRACE` after the refusal, since a client with several requests in flight
(okrsync's concurrent apply) may have sent it before the 429 could reach it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from okrsync.jira_sim.timeutil import iso_z

CLOUD_BURST_PER_SECOND: dict[str, float] = {"GET": 100, "POST": 100, "PUT": 50, "DELETE": 50}
CLOUD_PER_ISSUE_WRITES: list[list[float]] = [[20, 2.0], [100, 30.0]]
CLOUD_RATE_LIMITS: dict[str, Any] = {
    "burst_per_second": CLOUD_BURST_PER_SECOND,
    "per_issue_writes": CLOUD_PER_ISSUE_WRITES,
}
"""Jira Cloud's documented API-token limits as fault settings: ``JiraSimulator(faults=CLOUD_RATE_LIMITS)``."""

NEAR_LIMIT_SHARE = 0.2
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})

BURST = "jira-burst-based"
PER_ISSUE = "jira-per-issue-on-write"
QUOTA_TENANT = "jira-quota-tenant-based"
QUOTA_GLOBAL = "jira-quota-global-based"

Scope = tuple[str, str]
"""What a 429 holds back: ``("all", "")``, ``("method", "PUT")`` or ``("issue", "PLAT-1")``."""


IN_FLIGHT_GRACE = 0.25
"""Seconds after a 429 during which the same client's requests on other connections are taken as
already on their way: a worker that passed its pacer before the 429 arrived may be descheduled
for a good part of this on a loaded machine (50 ms was too little on CI's 2 cores)."""


@dataclass(frozen=True)
class Limits:
    """The configured limits (all optional); see the module docstring."""

    flavor: str = "cloud"
    site_per_second: float | None = None
    site_burst: float | None = None
    burst_per_second: Mapping[str, float] | None = None
    per_issue_writes: tuple[tuple[int, float], ...] = ()
    quota_limit: int | None = None
    quota_window_seconds: float = 3600.0

    @property
    def any(self) -> bool:
        return bool(
            self.site_per_second or self.burst_per_second or self.per_issue_writes or self.quota_limit
        )


@dataclass
class Verdict:
    """The limiter's answer for one request: refused (``status`` 429) or let through, and headers."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""


@dataclass
class _Refusal:
    wait: float  # seconds until the request would pass
    limit: float
    window: float
    reason: str | None
    policy: str
    scope: Scope


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class _Window:
    """At most ``limit`` events in any ``seconds``-long sliding window."""

    def __init__(self, limit: float, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.events: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()

    def wait(self, now: float) -> float:
        self._prune(now)
        return self.events[0] + self.seconds - now if len(self.events) >= self.limit else 0.0

    def take(self, now: float) -> float:
        """Record one event; the share of the budget left after it."""
        self.events.append(now)
        return (self.limit - len(self.events)) / self.limit


class _Bucket:
    """A token bucket of ``size`` tokens refilled at ``rate`` a second; ``batch`` refills in whole
    ``interval`` steps (Data Center: "You get a batch of new tokens every time interval")."""

    def __init__(
        self, rate: float, size: float, now: float, *, batch: bool = False, interval: float = 1.0
    ) -> None:
        self.rate, self.size, self.batch, self.interval = rate, size, batch, interval
        self.tokens = size
        self.last = now

    def _refill(self, now: float) -> None:
        if self.batch:
            steps = math.floor((now - self.last) / self.interval)
            if steps > 0:
                self.tokens = min(self.size, self.tokens + steps * self.rate * self.interval)
                self.last += steps * self.interval
        else:
            self.tokens = min(self.size, self.tokens + (now - self.last) * self.rate)
            self.last = now

    def wait(self, now: float) -> float:
        self._refill(now)
        if self.tokens >= 1.0:
            return 0.0
        if self.batch:
            return self.last + self.interval - now
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> float:
        self.tokens -= 1.0
        return self.tokens / self.size


class RateLimiter:
    """Thread-safe state of every configured limit; :meth:`check` once per (non-admin) request."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._wall = wall_clock
        self.limits = limits or Limits()
        self.violations: list[dict[str, Any]] = []
        self._reset_state()

    def _reset_state(self) -> None:
        self._site: _Window | None = None
        self._dc: dict[str, _Bucket] = {}
        self._burst: dict[str, _Bucket] = {}
        self._issues: dict[str, list[_Window]] = {}
        self._quota_start: float | None = None
        self._quota_used = 0
        self._blocked: dict[tuple[str, Scope], tuple[float, float, str | None, float, frozenset[object]]] = {}
        """(client, scope) → (held until, Retry-After, reason, first refused at, the connections
        its 429s went out on)."""

    def configure(self, limits: Limits) -> None:
        """New limits; every budget starts full (the violation record is kept)."""
        with self._lock:
            self.limits = limits
            self._reset_state()

    def reset_measurements(self) -> None:
        with self._lock:
            self.violations.clear()
            self._reset_state()

    # ------------------------------------------------------------------ one request

    def check(
        self, client: str, method: str, path: str, issue: str | None = None, *, connection: object = None
    ) -> Verdict:
        """Refuse (429) or let through one request; ``issue`` is the key of the issue it addresses,
        ``connection`` the connection it came on (``None``: one connection, as in unit tests)."""
        lim = self.limits
        if not lim.any:
            return Verdict()
        method = method.upper()
        write_to = issue.upper() if issue and method in WRITE_METHODS else None
        with self._lock:
            now = self._clock()
            self._note_violation(client, method, path, write_to, now, connection)
            if lim.flavor == "datacenter":
                return self._check_datacenter(client, now, connection)
            refusal = self._first_refusal(method, write_to, now)
            if refusal is not None:
                return self._refuse(client, refusal, now, connection)
            left = self._take(method, write_to, now)
        verdict = Verdict()
        if left < NEAR_LIMIT_SHARE:
            verdict.headers["X-RateLimit-NearLimit"] = "true"
        return verdict

    def _first_refusal(self, method: str, write_to: str | None, now: float) -> _Refusal | None:
        lim = self.limits
        if lim.quota_limit:
            start = self._quota_window_start(now)
            if self._quota_used >= lim.quota_limit:
                wait = start + lim.quota_window_seconds - now
                return _Refusal(
                    wait, lim.quota_limit, lim.quota_window_seconds, QUOTA_TENANT, "tenant-quota", ("all", "")
                )
        if lim.site_per_second:
            self._site = self._site or _Window(lim.site_per_second, 1.0)
            wait = self._site.wait(now)
            if wait > 0:
                return _Refusal(wait, lim.site_per_second, 1.0, QUOTA_GLOBAL, "site", ("all", ""))
        rate = (lim.burst_per_second or {}).get(method)
        if rate:
            bucket = self._burst.setdefault(method, _Bucket(rate, max(1.0, rate), now))
            wait = bucket.wait(now)
            if wait > 0:
                return _Refusal(wait, rate, 1.0, BURST, f"burst-{method.lower()}", ("method", method))
        if write_to and lim.per_issue_writes:
            windows = self._issues.setdefault(write_to, [_Window(n, s) for n, s in lim.per_issue_writes])
            for window in windows:
                wait = window.wait(now)
                if wait > 0:
                    return _Refusal(
                        wait, window.limit, window.seconds, PER_ISSUE, "issue-write", ("issue", write_to)
                    )
        return None

    def _quota_window_start(self, now: float) -> float:
        length = self.limits.quota_window_seconds
        if self._quota_start is None or now >= self._quota_start + length:
            self._quota_start = now if self._quota_start is None else now - (now - self._quota_start) % length
            self._quota_used = 0
        return self._quota_start

    def _take(self, method: str, write_to: str | None, now: float) -> float:
        """Consume from every budget the request uses; the smallest share left."""
        lim = self.limits
        left = 1.0
        if lim.quota_limit:
            self._quota_used += 1
            left = min(left, (lim.quota_limit - self._quota_used) / lim.quota_limit)
        if self._site is not None:
            left = min(left, self._site.take(now))
        bucket = self._burst.get(method)
        if bucket is not None:
            left = min(left, bucket.take(now))
        for window in self._issues.get(write_to or "", []) if write_to else []:
            window.take(now)  # no NearLimit for one issue's windows (see the module docstring)
        return left

    def _block(
        self, client: str, scope: Scope, now: float, retry_after: int, reason: str | None, connection: object
    ) -> None:
        told = self._blocked.get((client, scope))
        if told is not None and told[0] > now:  # told already: no new grace, one more connection told
            refused_at, connections = told[3], told[4] | {connection}
        else:
            refused_at, connections = now, frozenset({connection})
        self._blocked[(client, scope)] = (now + retry_after, retry_after, reason, refused_at, connections)

    def _refuse(self, client: str, r: _Refusal, now: float, connection: object) -> Verdict:
        retry_after = max(1, math.ceil(r.wait))
        self._block(client, r.scope, now, retry_after, r.reason, connection)
        reset = self._wall() + timedelta(seconds=retry_after)
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": _num(r.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": iso_z(reset),
            "X-RateLimit-NearLimit": "true",
            "Beta-Retry-After": f"{max(r.wait, 0.001):.3f}",
            "Beta-RateLimit": f'"{r.policy}";r=0;t={retry_after}',
            "Beta-RateLimit-Policy": f'"{r.policy}";q={_num(r.limit)};w={_num(r.window)}',
        }
        if r.reason:
            headers["RateLimit-Reason"] = r.reason
        return Verdict(429, headers, "Rate limit exceeded.")

    def _check_datacenter(self, client: str, now: float, connection: object) -> Verdict:
        lim = self.limits
        rate = lim.site_per_second
        if not rate:
            return Verdict()
        size = max(1.0, lim.site_burst or rate)
        bucket = self._dc.setdefault(client, _Bucket(rate, size, now, batch=True))
        wait = bucket.wait(now)
        headers = {
            "X-RateLimit-Limit": _num(size),
            "X-RateLimit-Interval-Seconds": "1",
            "X-RateLimit-FillRate": _num(rate),
        }
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self._block(client, ("all", ""), now, retry_after, None, connection)
            headers.update({"X-RateLimit-Remaining": "0", "Retry-After": str(retry_after)})
            return Verdict(429, headers, "Rate limit exceeded.")
        bucket.take(now)
        headers.update({"X-RateLimit-Remaining": str(math.floor(bucket.tokens)), "Retry-After": "0"})
        return Verdict(None, headers)

    def _note_violation(
        self, client: str, method: str, path: str, write_to: str | None, now: float, connection: object
    ) -> None:
        """Record a request sent inside a scope that a 429 told this client to hold back."""
        if not self._blocked:
            return
        scopes: list[Scope] = [("all", ""), ("method", method)]
        if write_to:
            scopes.append(("issue", write_to))
        for scope in scopes:
            held = self._blocked.get((client, scope))
            if held is None:
                continue
            until, retry_after, reason, refused_at, told_on = held
            if now >= until:
                del self._blocked[(client, scope)]
                continue
            if connection not in told_on and now - refused_at < IN_FLIGHT_GRACE:
                continue  # on its way before the 429 could reach the client
            self.violations.append(
                {
                    "client": client,
                    "method": method,
                    "path": path,
                    "retry_after": retry_after,
                    "reason": reason,
                    "scope": f"{scope[0]} {scope[1]}".strip(),
                    "early_by_seconds": round(until - now, 3),
                    "at": iso_z(self._wall()),
                }
            )
