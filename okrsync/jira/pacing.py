"""Client-side pacing that learns Jira's rate limits: AIMD under ``jira.requests_per_second``, and
each 429 held back in the scope its ``RateLimit-Reason`` names.

Jira Cloud applies three limits at once, each with its own scope
(https://developer.atlassian.com/cloud/jira/platform/rate-limiting/, "Build an app that respects
rate limits"), and says which one refused a request in ``RateLimit-Reason``:

=========================== ============================ =============================================
reason                      scope                        what the pacer does
=========================== ============================ =============================================
``jira-per-issue-on-write`` writes to one issue          holds further writes to *that issue* for
                                                         ``Retry-After``; nothing else slows down
``jira-burst-based``        one HTTP method              holds that method for ``Retry-After`` and
                                                         gives it a rate of its own (AIMD), below the
                                                         overall one; other methods go on
``jira-quota-*-based``,     everything (Data Center's    pauses every request until ``Retry-After`` /
none (Data Center, proxies) per-user bucket sends no     ``X-RateLimit-Reset`` (the later), and lowers
                            reason)                      the overall rate
=========================== ============================ =============================================

The overall rate is additive-increase / multiplicative-decrease, never above ``max_rate``
(``jira.requests_per_second``):

* **429** in the overall (or a method's) scope: what Jira accepted in the second before the
  refused request left is the estimate of its limit (when it was this pace that spent it, i.e.
  requests left at 80 % of the rate or faster; else the rate itself), and the rate becomes
  ``margin`` (95 %) of the estimate, or of the rate if that is lower. A second decrease soon after
  the first cuts deeper (75 %, then 50 %: the limit is shared, or the estimate was wrong).
  Answers to requests sent before the last decrease do not decrease it again (one decrease per
  round, whatever was in flight).
* **X-RateLimit-NearLimit: true** ("less than 20% of any budget remains"; on Data Center, which
  does not send it, ``X-RateLimit-Remaining`` under 20 % of ``X-RateLimit-Limit``): no probing
  (see below); and while requests leave at 80 % of the rate or faster (so that it is this pace that spends the
  budget), the rate comes down to what Jira accepted over the last second. Near a limit the pacer
  keeps the pace that fits; it does not probe further.
* **success**: the rate grows by ``increase`` requests a second per second of traffic
  (``increase / rate`` per answer) back to 95 % of the last estimate, NearLimit or not (that pace
  was fine); beyond it twenty times slower, and only without NearLimit (so that a limit is probed
  seldom).
* Data Center's ``X-RateLimit-FillRate`` per ``X-RateLimit-Interval-Seconds`` is the sustained rate
  an admin allows: the pacer keeps to ``margin`` of it.
* Cloud's documented per-issue write windows (20 writes in 2 s, 100 in 30 s) are kept before any
  429: a write to an issue waits until its windows have room.

Requests are spaced evenly (a token bucket of one). :meth:`AdaptivePacer.acquire` reserves a slot
under a lock and sleeps outside it, so threads sharing a client queue fairly and a thread held
for one issue or method does not hold up the others. Clock and sleep are injected: tests never
really wait.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

REASON_HEADER = "RateLimit-Reason"
NEAR_LIMIT_HEADER = "X-RateLimit-NearLimit"
BURST = "jira-burst-based"
PER_ISSUE = "jira-per-issue-on-write"
QUOTA_REASONS = frozenset({"jira-quota-tenant-based", "jira-quota-global-based"})
WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})

CLOUD_PER_ISSUE_WRITES: tuple[tuple[int, float], ...] = ((20, 2.0), (100, 30.0))
"""Jira Cloud's per-issue write limits: (writes, seconds) windows on one issue."""

NEAR_LIMIT_SHARE = 0.2
MARGIN = 0.95
DEEPER = (MARGIN, 0.75, 0.5)
"""Decrease factors of the first, second and further 429s of a streak."""
STREAK_SECONDS = 10.0
"""A 429 within this long of the previous decrease's pause continues its streak."""
PROBE_SLOWDOWN = 20.0
DELIVERY_WINDOW = 1.0
BINDING_SHARE = 0.8

Scope = Literal["site", "method", "issue"]


def scope_of(reason: str | None) -> Scope:
    """What a 429 with this ``RateLimit-Reason`` holds back (see the module docstring)."""
    if reason == PER_ISSUE:
        return "issue"
    if reason == BURST:
        return "method"
    return "site"  # a quota, or no reason (Data Center's bucket, a proxy): everything waits


@dataclass(frozen=True, slots=True)
class Answer:
    """What one response says about the limits; ``wait`` is the seconds Jira asked for (or None)."""

    status: int
    reason: str | None = None
    wait: float | None = None
    near_limit: bool = False
    sustained_rate: float | None = None

    @classmethod
    def read(cls, status: int, headers: Mapping[str, str], wait: float | None) -> Answer:
        """From a response's status and headers (``wait`` as :func:`okrsync.jira.retry.server_wait`
        reads it)."""
        reason = (headers.get(REASON_HEADER) or "").strip() or None
        near = (headers.get(NEAR_LIMIT_HEADER) or "").strip().lower() == "true"
        limit = _number(headers.get("X-RateLimit-Limit"))
        remaining = _number(headers.get("X-RateLimit-Remaining"))
        if status != 429 and limit and remaining is not None and remaining < NEAR_LIMIT_SHARE * limit:
            near = True
        fill = _number(headers.get("X-RateLimit-FillRate"))
        interval = _number(headers.get("X-RateLimit-Interval-Seconds"))
        sustained = fill / interval if fill and interval else None
        return cls(status, reason, wait if status == 429 else None, near, sustained)


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) and number >= 0 else None


@dataclass(frozen=True, slots=True)
class Ticket:
    """One request's slot: when it may leave (``sent_at``) and how long :meth:`acquire` waited."""

    method: str
    issue: str | None
    sent_at: float
    waited: float


class PacingTooLong(Exception):
    """A request would wait longer than allowed (a quota spent until its reset, a long hold)."""

    def __init__(self, wait: float, scope: Scope, reason: str | None) -> None:
        super().__init__(f"held back {wait:.0f} s ({reason or scope})")
        self.wait = wait
        self.scope = scope
        self.reason = reason


@dataclass
class _Aimd:
    """One adaptive rate (the overall one, or a method's after a burst 429)."""

    rate: float
    next_at: float = 0.0
    last_sent: float | None = None
    decreased_at: float = -math.inf
    streak_until: float = -math.inf
    streak: int = 0
    limit_estimate: float | None = None  # what Jira accepted in the second before its last 429
    delivered: deque[float] = field(default_factory=deque)

    def forget_before(self, moment: float) -> None:
        while self.delivered and self.delivered[0] <= moment - DELIVERY_WINDOW:
            self.delivered.popleft()

    def accepted(self, sent_at: float) -> tuple[int, float]:
        """Jira's accepted requests sent in the second up to ``sent_at`` (the window a request
        sent then met, however late its answer came), and how fast they left (requests a second)."""
        times = [t for t in self.delivered if sent_at - DELIVERY_WINDOW < t <= sent_at]
        if len(times) < 2:
            return len(times), float(len(times))
        span = times[-1] - times[0]
        return len(times), (len(times) - 1) / span if span > 0 else math.inf


class AdaptivePacer:
    """See the module docstring. ``max_rate`` is ``jira.requests_per_second``."""

    def __init__(
        self,
        max_rate: float,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        per_issue_writes: Sequence[tuple[int, float]] = (),
        min_rate: float | None = None,
        increase: float | None = None,
    ) -> None:
        if max_rate <= 0:
            raise ValueError("max_rate must be positive")
        self.max_rate = max_rate
        self.min_rate = min(max_rate, min_rate if min_rate is not None else 0.1)
        self.increase = increase if increase is not None else max(0.05, max_rate / 100)
        self.per_issue_writes = tuple(per_issue_writes)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._overall = _Aimd(max_rate)
        self._methods: dict[str, _Aimd] = {}
        self._holds: dict[tuple[Scope, str], tuple[float, str | None]] = {}
        self._issue_writes: dict[str, deque[float]] = {}
        self._accepted_by_method: dict[str, deque[float]] = {}  # the last second's, for a new method rate
        self._ceiling = max_rate

    # ------------------------------------------------------------------ reading

    @property
    def rate(self) -> float:
        """The overall rate now (requests a second)."""
        with self._lock:
            return self._overall.rate

    def method_rate(self, method: str) -> float | None:
        """A method's own rate after a burst 429 (None: it goes at the overall rate)."""
        with self._lock:
            state = self._methods.get(method.upper())
            return state.rate if state is not None else None

    def held_until(self, scope: Scope, name: str = "") -> float | None:
        with self._lock:
            hold = self._holds.get((scope, name.upper()))
            return hold[0] if hold is not None else None

    # ------------------------------------------------------------------ before a request

    def acquire(self, method: str, issue: str | None = None, *, max_wait: float = math.inf) -> Ticket:
        """Wait until a request may leave; ``issue`` is the issue it addresses (only writes count
        against an issue's limits).

        Raises :class:`PacingTooLong` without waiting when the wait would pass ``max_wait``."""
        method = method.upper()
        issue = issue.upper() if issue and method in WRITE_METHODS else None
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                at, scope, reason = self._earliest(method, issue, now)
                if at - now > max_wait:
                    raise PacingTooLong(at - now, scope, reason)
                self._reserve(method, issue, at)
            wait = max(0.0, at - now)
            if wait <= 0:
                return Ticket(method, issue, at, waited)
            self._sleep(wait)
            waited += wait
            with self._lock:
                # a 429 that another thread met while this one slept holds this request back too
                # (the holds known when it reserved end by ``at``: only a newer one can hold it)
                if not self._held(method, issue, self._clock()):
                    return Ticket(method, issue, at, waited)

    def _held(self, method: str, issue: str | None, now: float) -> bool:
        keys: list[tuple[Scope, str]] = [("site", ""), ("method", method)]
        if issue:
            keys.append(("issue", issue))
        return any(hold[0] > now for key in keys if (hold := self._holds.get(key)) is not None)

    def _earliest(self, method: str, issue: str | None, now: float) -> tuple[float, Scope, str | None]:
        """The first moment a request may leave, and what holds it back longest."""
        at, reason = max(now, self._overall.next_at), None
        scope: Scope = "site"
        candidates: list[tuple[float, Scope, str | None]] = []
        keys: list[tuple[Scope, str]] = [("site", ""), ("method", method)]
        if issue:
            keys.append(("issue", issue))
        for key in keys:
            hold = self._holds.get(key)
            if hold is not None and hold[0] <= now:
                del self._holds[key]
            elif hold is not None:
                candidates.append((hold[0], key[0], hold[1]))
        state = self._methods.get(method)
        if state is not None:
            candidates.append((state.next_at, "method", BURST))
        writes = self._issue_writes.get(issue) if issue else None
        for count, seconds in self.per_issue_writes if writes else ():
            if writes is not None and len(writes) >= count:
                candidates.append((writes[-count] + seconds, "issue", PER_ISSUE))
        for cand in candidates:
            if cand[0] > at:
                at, scope, reason = cand
        return at, scope, reason

    def _reserve(self, method: str, issue: str | None, at: float) -> None:
        for state in (self._overall, self._methods.get(method)):
            if state is not None:
                state.next_at = at + 1.0 / state.rate
                state.last_sent = at
        if issue and self.per_issue_writes:
            writes = self._issue_writes.setdefault(issue, deque())
            writes.append(at)
            longest = max(seconds for _, seconds in self.per_issue_writes)
            keep = max(count for count, _ in self.per_issue_writes)
            while len(writes) > keep or (writes and writes[0] <= at - longest):
                writes.popleft()
            if len(self._issue_writes) > 1000:  # forget issues not written for a while
                for key in [k for k, w in self._issue_writes.items() if not w or w[-1] <= at - longest]:
                    del self._issue_writes[key]

    # ------------------------------------------------------------------ after the answer

    def observe(self, ticket: Ticket, answer: Answer) -> None:
        """Learn from the answer to the request ``ticket`` was for."""
        with self._lock:
            now = self._clock()
            if answer.sustained_rate:
                self._ceiling = min(self.max_rate, max(self.min_rate, MARGIN * answer.sustained_rate))
                if self._overall.rate > self._ceiling:
                    self._set_rate(self._overall, self._ceiling)
            if answer.status == 429:
                self._refused(ticket, answer, now)
                return
            states = [(self._overall, self._ceiling)]
            method_state = self._methods.get(ticket.method)
            if method_state is not None:
                states.append((method_state, self._overall.rate))
            for state, _ in states:
                state.delivered.append(ticket.sent_at)
                state.forget_before(ticket.sent_at)  # keeps only the last second
            if method_state is None:
                recent = self._accepted_by_method.setdefault(ticket.method, deque())
                recent.append(ticket.sent_at)
                while recent and recent[0] <= ticket.sent_at - DELIVERY_WINDOW:
                    recent.popleft()
            near = answer.near_limit and not self._issue_budget_near(ticket, now)
            for state, ceiling in states:
                if near:
                    self._near(state, ticket.sent_at)
                self._increase(state, ceiling, near=answer.near_limit)
            if method_state is not None and method_state.rate >= self._overall.rate:
                del self._methods[ticket.method]  # recovered: back under the overall rate only

    def _refused(self, ticket: Ticket, answer: Answer, now: float) -> None:
        scope = scope_of(answer.reason)
        wait = answer.wait or 0.0
        if scope == "issue" and not ticket.issue:
            scope = "site"  # a per-issue refusal of a request okrsync did not know wrote an issue
        name = (ticket.issue or "") if scope == "issue" else ticket.method if scope == "method" else ""
        if wait > 0:
            key: tuple[Scope, str] = (scope, name)
            until = now + wait
            if until > self._holds.get(key, (-math.inf, None))[0]:
                self._holds[key] = (until, answer.reason)
            if len(self._holds) > 1000:  # forget holds that are over
                for old in [k for k, (end, _) in self._holds.items() if end <= now]:
                    del self._holds[old]
        if scope == "issue":
            return  # that issue only: no other request slows down
        if scope == "method":
            state = self._methods.get(ticket.method)
            if state is None:
                state = self._methods[ticket.method] = _Aimd(self._overall.rate)
                state.delivered = deque(self._accepted_by_method.get(ticket.method, ()))
                state.last_sent = ticket.sent_at
        else:
            state = self._overall
        self._decrease(state, ticket, now + wait)

    def _decrease(self, state: _Aimd, ticket: Ticket, pause_ends: float) -> None:
        if ticket.sent_at <= state.decreased_at:
            return  # sent before the last decrease: the same congestion, already answered
        now = self._clock()
        state.streak = state.streak + 1 if now <= state.streak_until else 0
        factor = DEEPER[min(state.streak, len(DEEPER) - 1)]
        accepted, pace = state.accepted(ticket.sent_at)
        # what Jira took in the last second estimates its limit, if this pace was what spent it
        binding = accepted and pace >= BINDING_SHARE * state.rate
        estimate = float(accepted) if binding else state.rate
        state.limit_estimate = estimate
        self._set_rate(state, max(self.min_rate, factor * min(state.rate, estimate)))
        state.decreased_at = now
        state.streak_until = max(now, pause_ends) + STREAK_SECONDS

    def _near(self, state: _Aimd, sent_at: float) -> None:
        """NearLimit while this pace is what spends the budget (requests have been leaving at 80 %
        of the rate or more): down to what Jira accepted over the last second. A client going
        slower than its rate is near some other budget (a quota, an issue), which a slower pace
        would not spare: it only stops increasing."""
        accepted, pace = state.accepted(sent_at)
        if accepted and pace >= BINDING_SHARE * state.rate:
            rate = max(self.min_rate, float(accepted))
            if rate < state.rate:
                self._set_rate(state, rate)

    def _increase(self, state: _Aimd, ceiling: float, *, near: bool) -> None:
        """Additive increase: up to ``margin`` of the last limit estimate at the usual step (also
        near a limit: that pace was fine), beyond it twenty times slower and only when no budget
        is near."""
        step = self.increase / state.rate
        target = MARGIN * state.limit_estimate if state.limit_estimate is not None else None
        if target is not None and state.rate < target:
            state.rate = min(ceiling, target, state.rate + step)
        elif not near:
            state.rate = min(ceiling, state.rate + (step / PROBE_SLOWDOWN if target is not None else step))

    def _set_rate(self, state: _Aimd, rate: float) -> None:
        state.rate = rate
        if state.last_sent is not None:  # from the next request on
            state.next_at = max(state.next_at, state.last_sent + 1.0 / rate)

    def _issue_budget_near(self, ticket: Ticket, now: float) -> bool:
        """The write used most of its issue's own window: NearLimit is about that issue, not the site."""
        if not ticket.issue or not self.per_issue_writes:
            return False
        writes = self._issue_writes.get(ticket.issue) or deque()
        for count, seconds in self.per_issue_writes:
            recent = sum(1 for at in writes if at > now - seconds)
            if recent >= (1 - NEAR_LIMIT_SHARE) * count:
                return True
        return False
