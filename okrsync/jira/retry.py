"""Retry policy (on tenacity) of the Jira gateway; the pacer is :mod:`okrsync.jira.pacing`.

Rules, after Atlassian's rate-limiting guide
(https://developer.atlassian.com/cloud/jira/platform/rate-limiting/):

* **429** is always retried (the request was refused, not executed), after ``Retry-After``
  seconds (``Beta-Retry-After`` when only that is given) or until ``X-RateLimit-Reset`` (an
  ISO-8601 timestamp such as ``2026-10-05T09:31Z``), the later of the two when both are given.
  Reissuing earlier "will fail and return the same or longer Retry-After period", so when Jira
  asks for a wait longer than what is left of ``max_retry_seconds`` we give up at once instead of
  waiting for a doomed retry. The pacer holds back the other requests in the 429's scope
  (``RateLimit-Reason``: the issue, the method, or everything) just as long.
* **500/502/503/504**, connection errors and timeouts: exponential backoff with full jitter
  (``uniform(0, min(cap, base·2^n))``, the tenacity ``wait_random_exponential`` scheme), or the
  ``Retry-After`` a 5xx carries. Only for *idempotent* requests (GET, PUT, DELETE, and the search
  POSTs, which only read).
* **Non-idempotent requests** (POST of a new comment, field, filter...) are retried only when Jira
  certainly did not act: on 429, and on errors raised before the request left this machine
  (DNS failure, connection refused, connect timeout). Never on a read timeout or a 5xx after
  sending, which could otherwise create a second comment; the sync engine notices a comment
  that did land (by its comment property) on the next run.
* **Connection refused** (nothing listens at jira.url's host and port) and a **host name that does
  not resolve** fail fast: one quick retry (:data:`FAST_FAIL_WAIT` seconds later, for a blip), then
  the error. Waiting longer helps neither a mistyped jira.url nor a Jira that is down; the daemon
  retries its whole cycle with its own backoff.
* 400/401/403/404/409 and every other status are returned at once, never retried.
* Bounds: at most ``max_retries`` retries and ``max_retry_seconds`` in total (each backoff wait is
  cut to what is left of the total).

Clock and sleep are injected, so tests never really wait.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import requests
import tenacity
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

RATE_LIMITED = 429
RETRYABLE_SERVER_STATUSES = frozenset({500, 502, 503, 504})
FAST_FAIL_RETRIES = 1
"""Retries of a refused connection or an unresolvable host name (see the module docstring)."""
FAST_FAIL_WAIT = 0.2
"""Seconds before the one quick retry of a refused connection or an unresolvable host."""

ConnectFailure = Literal["refused", "unresolved"]


def server_wait(response: requests.Response, wall_clock: Callable[[], datetime]) -> float | None:
    """Seconds Jira asks us to wait (``Retry-After`` / ``X-RateLimit-Reset``), or ``None``."""
    waits: list[float] = []
    # Beta-Retry-After (Jira Cloud's beta rate-limit headers) only when Retry-After is missing
    retry_after = response.headers.get("Retry-After") or response.headers.get("Beta-Retry-After")
    if retry_after:
        value = retry_after.strip()
        try:
            waits.append(max(0.0, float(value)))
        except ValueError:
            try:  # the HTTP-date form (RFC 9110 §10.2.3)
                when = email.utils.parsedate_to_datetime(value)
                waits.append(max(0.0, (_aware(when) - wall_clock()).total_seconds()))
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        when_reset = parse_reset(reset.strip())
        if when_reset is not None:
            waits.append(max(0.0, (when_reset - wall_clock()).total_seconds()))
    return max(waits) if waits else None


def parse_reset(value: str) -> datetime | None:
    """``X-RateLimit-Reset``: ISO-8601 on Jira Cloud; epoch seconds from some proxies."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value), tz=UTC)
    try:
        return _aware(datetime.fromisoformat(value))
    except ValueError:
        return None


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every error it wraps (``reason`` of urllib3's errors, causes, arguments)."""
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        cur = todo.pop()
        if not isinstance(cur, BaseException) or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        todo.extend([getattr(cur, "reason", None), cur.__cause__])
        todo.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))


def failed_before_sending(exc: BaseException) -> bool:
    """True when the request certainly never reached Jira (DNS, refused, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.exceptions.ProxyError):
        return False
    return any(isinstance(cur, NewConnectionError | ConnectTimeoutError) for cur in _chain(exc))


def connect_failure(exc: BaseException) -> ConnectFailure | None:
    """``refused`` (nothing listens at the host and port), ``unresolved`` (the host name does not
    resolve), or ``None`` for every other error (timeouts, resets, proxies: those back off)."""
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.exceptions.ProxyError):
        return None
    for cur in _chain(exc):
        if isinstance(cur, ConnectionRefusedError):
            return "refused"
        if isinstance(cur, NameResolutionError):
            return "unresolved"
    return None


@dataclass
class RetriesExhausted(Exception):
    """Raised by :meth:`RetryPolicy.run` when it gives up; the gateway turns it into JiraUnavailable.

    ``reason`` says which bound stopped the retries (``jira.max_retries is 5``, ...), without the
    attempts, which are in ``attempts``; ``elapsed`` is the seconds from the first attempt on.
    """

    attempts: int
    waited_seconds: float
    reason: str
    response: requests.Response | None = None
    error: BaseException | None = None
    elapsed: float = 0.0


@dataclass
class _RunState:
    start: float
    waited: float = 0.0
    server_mandated: bool = False
    why_stop: str = ""


class RetryPolicy:
    """Runs one logical request with retries; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        max_retries: int,
        max_seconds: float,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        wall_clock: Callable[[], datetime],
        rng: random.Random | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        on_retry: Callable[[float], None] | None = None,
    ) -> None:
        self.max_retries = max_retries
        self.max_seconds = max_seconds
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not cryptography)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._on_retry = on_retry

    # ------------------------------------------------------------------ decisions
    @staticmethod
    def should_retry_response(response: requests.Response, *, idempotent: bool) -> bool:
        status = response.status_code
        return status == RATE_LIMITED or (idempotent and status in RETRYABLE_SERVER_STATUSES)

    @staticmethod
    def should_retry_error(exc: BaseException, *, idempotent: bool) -> bool:
        if not isinstance(
            exc, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
        ):
            return False
        return idempotent or failed_before_sending(exc)

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the retry after ``attempt`` failed attempts."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** max(0, attempt - 1)))
        return self._rng.uniform(0.0, ceiling)

    # ------------------------------------------------------------------ running
    def run(self, send: Callable[[], requests.Response], *, idempotent: bool) -> requests.Response:
        """Call ``send`` until it returns a final response; raise :class:`RetriesExhausted` if bounds run out.

        Exceptions that must not be retried propagate unchanged.
        """
        state = _RunState(start=self._clock())

        def retry_pred(rs: tenacity.RetryCallState) -> bool:
            outcome = rs.outcome
            assert outcome is not None
            if outcome.failed:
                exc = outcome.exception()
                return exc is not None and self.should_retry_error(exc, idempotent=idempotent)
            return self.should_retry_response(outcome.result(), idempotent=idempotent)

        def wait(rs: tenacity.RetryCallState) -> float:
            outcome = rs.outcome
            assert outcome is not None
            state.server_mandated = False
            remaining = self.max_seconds - (self._clock() - state.start)
            if outcome.failed:
                exc = outcome.exception()
                if exc is not None and connect_failure(exc) is not None:
                    return max(0.0, min(FAST_FAIL_WAIT, remaining))
            else:
                response: requests.Response = outcome.result()
                asked = server_wait(response, self._wall_clock)
                if asked is not None:
                    state.server_mandated = True
                    return asked
            return max(0.0, min(self.backoff(rs.attempt_number), remaining))

        def stop(rs: tenacity.RetryCallState) -> bool:
            state.why_stop = self._why_stop(rs, state)
            return bool(state.why_stop)

        def do_sleep(seconds: float) -> None:
            state.waited += seconds
            if self._on_retry is not None:
                self._on_retry(seconds)
            if seconds > 0:
                self._sleep(seconds)

        def give_up(rs: tenacity.RetryCallState) -> Any:
            outcome = rs.outcome
            assert outcome is not None
            failed = outcome.failed
            raise RetriesExhausted(
                rs.attempt_number,
                state.waited,
                state.why_stop,
                response=None if failed else outcome.result(),
                error=outcome.exception() if failed else None,
                elapsed=self._clock() - state.start,
            )

        retrying = tenacity.Retrying(
            sleep=do_sleep,
            stop=stop,
            wait=wait,
            retry=retry_pred,
            retry_error_callback=give_up,
            reraise=True,
        )
        result: requests.Response = retrying(send)
        return result

    def _why_stop(self, rs: tenacity.RetryCallState, state: _RunState) -> str:
        """Which bound stops the retries now (empty: retry); see the module docstring."""
        outcome = rs.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        fast = connect_failure(error) if error is not None else None
        if fast is not None and rs.attempt_number > FAST_FAIL_RETRIES:
            return "connection refused" if fast == "refused" else "host name not resolved"
        if rs.attempt_number > self.max_retries:
            return f"gave up: jira.max_retries is {self.max_retries}"
        remaining = self.max_seconds - (self._clock() - state.start)
        if remaining <= 0:
            return f"gave up: jira.max_retry_seconds is {self.max_seconds:g}"
        if state.server_mandated and rs.upcoming_sleep > remaining:
            return (
                f"gave up: Jira asked to wait {rs.upcoming_sleep:.0f} s more, beyond "
                f"jira.max_retry_seconds ({self.max_seconds:g} s, {remaining:.0f} s left)"
            )
        return ""
