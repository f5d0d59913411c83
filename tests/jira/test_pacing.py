"""Unit tests of the adaptive pacer (okrsync/jira/pacing.py): a fake clock, no real sleeping."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from gwkit import FakeClock

from okrsync.jira.pacing import (
    CLOUD_PER_ISSUE_WRITES,
    AdaptivePacer,
    Answer,
    PacingTooLong,
    Ticket,
    scope_of,
)

OK = Answer(200)


def pacer(clock: FakeClock, rate: float = 10.0, **kw: Any) -> AdaptivePacer:
    return AdaptivePacer(rate, clock=clock.monotonic, sleep=clock.sleep, **kw)


def send(
    p: AdaptivePacer,
    clock: FakeClock,
    answer: Answer = OK,
    method: str = "GET",
    issue: str | None = None,
    latency: float = 0.0,
) -> Ticket:
    """One request through the pacer: acquire, ``latency`` seconds on the wire, then the answer."""
    ticket = p.acquire(method, issue)
    clock.now += latency
    p.observe(ticket, answer)
    return ticket


def refused(reason: str | None, wait: float = 1.0) -> Answer:
    return Answer(429, reason, wait)


# ----------------------------------------------------------------------------- spacing


def test_requests_leave_evenly_at_the_configured_rate(clock: FakeClock) -> None:
    p = pacer(clock, 5)
    start = clock.now
    waits = [p.acquire("GET").waited for _ in range(11)]
    assert waits[0] == 0
    assert clock.now - start == pytest.approx(2.0)  # 10 intervals of 0.2 s
    assert all(w == pytest.approx(0.2) for w in waits[1:])


def test_slow_requests_never_wait(clock: FakeClock) -> None:
    p = pacer(clock, 2)
    for _ in range(3):
        assert send(p, clock).waited == 0
        clock.now += 1.0
    assert clock.sleeps == []


# ----------------------------------------------------------------------------- reading answers


@pytest.mark.parametrize(
    ("status", "headers", "wait", "expected"),
    [
        (200, {}, None, Answer(200)),
        (200, {"X-RateLimit-NearLimit": "true"}, None, Answer(200, near_limit=True)),
        (200, {"X-RateLimit-NearLimit": "false"}, None, Answer(200)),
        # Data Center sends no NearLimit: under 20 % of its bucket left means the same
        (
            200,
            {
                "X-RateLimit-Limit": "10",
                "X-RateLimit-Remaining": "1",
                "X-RateLimit-FillRate": "5",
                "X-RateLimit-Interval-Seconds": "1",
                "Retry-After": "0",
            },
            None,
            Answer(200, near_limit=True, sustained_rate=5.0),
        ),
        (
            200,
            {
                "X-RateLimit-Limit": "10",
                "X-RateLimit-Remaining": "2",
                "X-RateLimit-FillRate": "30",
                "X-RateLimit-Interval-Seconds": "60",
            },
            None,
            Answer(200, sustained_rate=0.5),
        ),
        (
            429,
            {"RateLimit-Reason": "jira-burst-based", "Retry-After": "1"},
            1.0,
            Answer(429, "jira-burst-based", 1.0),
        ),
        (
            429,
            {"Retry-After": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "5"},
            3.0,
            Answer(429, None, 3.0),
        ),
        (200, {"X-RateLimit-Remaining": "soon", "X-RateLimit-Limit": "5"}, None, Answer(200)),
    ],
)
def test_answer_read(status: int, headers: dict[str, str], wait: float | None, expected: Answer) -> None:
    assert Answer.read(status, headers, wait) == expected


@pytest.mark.parametrize(
    ("reason", "scope"),
    [
        ("jira-per-issue-on-write", "issue"),
        ("jira-burst-based", "method"),
        ("jira-quota-tenant-based", "site"),
        ("jira-quota-global-based", "site"),
        (None, "site"),  # Data Center's bucket, a proxy
        ("something-new", "site"),
    ],
)
def test_scope_of_a_reason(reason: str | None, scope: str) -> None:
    assert scope_of(reason) == scope


# ----------------------------------------------------------------------------- 429 by reason

PUT_1 = ("PUT", "PLAT-1")
PUT_2 = ("PUT", "PLAT-2")
GET = ("GET", None)
POST_1 = ("POST", "PLAT-1")


@pytest.mark.parametrize(
    ("reason", "refused_request", "then", "waits", "rate_drops"),
    [
        # a per-issue limit slows that issue only: its writes wait, nothing else does
        ("jira-per-issue-on-write", PUT_1, [PUT_2, GET, POST_1, PUT_1], [0, 0, 2.0, 0], False),
        # a burst limit holds that method back; other methods go on
        ("jira-burst-based", PUT_1, [GET, POST_1, PUT_2, GET], [0, 0, 2.0, 0], False),
        # a quota pauses everything until the reset
        ("jira-quota-tenant-based", GET, [GET, PUT_2], [2.0, 0], True),
        ("jira-quota-global-based", PUT_1, [POST_1], [2.0], True),
        # no reason (Data Center): everything waits, too
        (None, GET, [PUT_1, GET], [2.0, 0], True),
    ],
)
def test_a_429_holds_back_the_scope_its_reason_names(
    clock: FakeClock,
    reason: str | None,
    refused_request: tuple[str, str | None],
    then: list[tuple[str, str | None]],
    waits: list[float],
    rate_drops: bool,
) -> None:
    p = pacer(clock, 1000.0)  # spacing of 1 ms: only holds make anyone wait
    method, issue = refused_request
    send(p, clock, refused(reason, 2.0), method, issue)
    got = []
    for m, i in then:
        got.append(send(p, clock, OK, m, i).waited)
    assert got == [pytest.approx(w, abs=0.002) for w in waits]
    assert (p.rate < 1000.0) is rate_drops


def test_per_issue_429_changes_no_rate_and_burst_429_only_its_methods(clock: FakeClock) -> None:
    p = pacer(clock, 10.0)
    for _ in range(5):
        send(p, clock, OK, "PUT", "PLAT-1")
    send(p, clock, refused("jira-per-issue-on-write", 2.0), "PUT", "PLAT-1")
    assert p.rate == pytest.approx(10.0, abs=0.5) and p.method_rate("PUT") is None
    assert p.held_until("issue", "PLAT-1") == pytest.approx(clock.now + 2.0)
    send(p, clock, refused("jira-burst-based", 1.0), "PUT", "PLAT-2")
    assert p.rate == pytest.approx(10.0, abs=0.5)
    method_rate = p.method_rate("PUT")
    assert method_rate is not None and method_rate < 10.0
    assert p.method_rate("GET") is None


# ----------------------------------------------------------------------------- AIMD


def test_a_429_lowers_the_rate_to_what_jira_accepted_then_deeper_in_a_streak(clock: FakeClock) -> None:
    p = pacer(clock, 20.0)
    for _ in range(2):  # a site that takes 2 a second: 2 accepted in the last second
        send(p, clock)
    send(p, clock, refused(None, 1.0))
    assert p.rate == pytest.approx(0.95 * 2)
    clock.sleep(1.0)
    send(p, clock, refused(None, 1.0))  # refused again soon after: the limit is lower than it looked
    assert p.rate == pytest.approx(0.75 * 1.9)
    clock.sleep(1.0)
    send(p, clock, refused(None, 1.0))
    assert p.rate == pytest.approx(0.5 * 0.75 * 1.9)


def test_after_a_deeper_cut_the_rate_climbs_back_to_the_estimate_even_near_the_limit(
    clock: FakeClock,
) -> None:
    near = Answer(200, near_limit=True)
    p = pacer(clock, 20.0, increase=0.2)
    send(p, clock)
    send(p, clock, near)  # 2 a second
    send(p, clock, refused(None, 1.0))
    clock.sleep(1.0)
    send(p, clock, near)
    # a second 429 soon after, when only one request had left in the second before: 75 % of 1.9,
    # and 1.9 is the new estimate (the site took less than the pace it was refused at)
    send(p, clock, refused(None, 1.0))
    assert p.rate == pytest.approx(0.75 * 1.9)
    clock.sleep(1.0)
    for _ in range(30):
        send(p, clock, near)
    assert p.rate == pytest.approx(0.95 * 1.9)  # back to 95 % of the estimate, no further


def test_the_estimate_is_the_window_the_refused_request_met_not_when_its_answer_came(
    clock: FakeClock,
) -> None:
    p = pacer(clock, 4.0)
    send(p, clock)
    send(p, clock)
    send(p, clock)  # 3 accepted, 0.25 s apart
    ticket = p.acquire("GET")
    clock.now += 2.0  # a slow answer: by now none of the 3 is in the last second
    p.observe(ticket, refused(None, 1.0))
    assert p.rate == pytest.approx(0.95 * 3)


def test_answers_to_requests_sent_before_a_decrease_do_not_decrease_again(clock: FakeClock) -> None:
    p = pacer(clock, 10.0)
    in_flight = [p.acquire("GET") for _ in range(3)]  # three threads sent before any answer
    p.observe(in_flight[0], refused(None, 0.5))
    after_first = p.rate
    for ticket in in_flight[1:]:
        p.observe(ticket, refused(None, 0.5))
    assert p.rate == after_first < 10.0


def test_near_limit_holds_the_rate_at_what_jira_accepts(clock: FakeClock) -> None:
    near = Answer(200, near_limit=True)
    p = pacer(clock, 20.0)
    send(p, clock)
    send(p, clock, near)  # 2 accepted in the last second, and the budget nearly spent
    assert p.rate == pytest.approx(2.0)
    for _ in range(20):
        send(p, clock, near)
    assert p.rate == pytest.approx(2.0)  # no increase while near the limit


def test_near_limit_of_a_client_slower_than_its_rate_only_stops_the_increase(clock: FakeClock) -> None:
    p = pacer(clock, 20.0)
    for _ in range(5):  # one request a second, each answer near a limit (a quota, say)
        send(p, clock, Answer(200, near_limit=True))
        clock.now += 1.0
    assert p.rate == 20.0


def _climb(rate: float, step: float, answers: int, ceiling: float) -> float:
    for _ in range(answers):
        rate = min(ceiling, rate + step / rate)
    return rate


@pytest.mark.parametrize("answers", [1, 10, 1000])
def test_success_raises_the_rate_additively_never_above_the_maximum(clock: FakeClock, answers: int) -> None:
    p = pacer(clock, 10.0, increase=0.2)
    for _ in range(4):
        send(p, clock)
    send(p, clock, Answer(200, near_limit=True))  # 5 accepted in the last half second
    assert p.rate == pytest.approx(5.0)
    for _ in range(answers):
        send(p, clock)
    assert p.rate == pytest.approx(_climb(5.0, 0.2, answers, 10.0))
    assert p.rate <= 10.0


def test_probing_above_the_rate_last_refused_is_slow(clock: FakeClock) -> None:
    p = pacer(clock, 20.0, increase=0.2)
    for _ in range(4):
        send(p, clock)
    send(p, clock, refused(None, 1.0))
    clock.sleep(1.0)
    start = p.rate  # 95 % of the 4 accepted
    for _ in range(20):
        send(p, clock)
    assert start < p.rate < start + 20 * 0.2 / start / 19  # 1/20 of the usual step


def test_data_center_fill_rate_caps_the_rate(clock: FakeClock) -> None:
    p = pacer(clock, 10.0)
    send(p, clock, Answer(200, sustained_rate=4.0))
    assert p.rate == pytest.approx(0.95 * 4.0)
    for _ in range(50):
        send(p, clock, Answer(200, sustained_rate=4.0))
    assert p.rate == pytest.approx(0.95 * 4.0)


# ----------------------------------------------------------------------------- per-issue windows, bounds


def test_cloud_per_issue_windows_space_writes_to_one_issue(clock: FakeClock) -> None:
    p = pacer(clock, 1000.0, per_issue_writes=CLOUD_PER_ISSUE_WRITES)
    start = clock.now
    first = [send(p, clock, OK, "PUT", "PLAT-1").waited for _ in range(20)]
    assert max(first) < 0.01
    assert send(p, clock, OK, "PUT", "PLAT-2").waited < 0.01  # another issue is not held
    assert send(p, clock, OK, "GET", "PLAT-1").waited < 0.01  # reads do not count
    twenty_first = p.acquire("PUT", "PLAT-1")
    assert twenty_first.sent_at == pytest.approx(start + 2.0)  # the first write left the window


def test_a_hold_longer_than_allowed_raises_before_sending(clock: FakeClock) -> None:
    p = pacer(clock, 10.0)
    send(p, clock, refused("jira-quota-tenant-based", 900.0))
    with pytest.raises(PacingTooLong) as info:
        p.acquire("GET", max_wait=300)
    assert info.value.wait == pytest.approx(900.0, abs=0.2)
    assert info.value.reason == "jira-quota-tenant-based" and info.value.scope == "site"
    assert clock.sleeps == []
    clock.now += 900
    assert p.acquire("GET", max_wait=300).waited == 0


def test_threads_get_slots_of_their_own(clock: FakeClock) -> None:
    """Threads reserve distinct, evenly spaced slots under the lock and sleep outside it."""
    lock = threading.Lock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the fake clock does not move: every slot is reserved at once
        with lock:
            slept.append(seconds)

    p = AdaptivePacer(10.0, clock=clock.monotonic, sleep=sleep)
    tickets: list[Ticket] = []

    def worker() -> None:
        for _ in range(25):
            ticket = p.acquire("GET")
            with lock:
                tickets.append(ticket)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots = sorted(t.sent_at for t in tickets)
    assert len(set(slots)) == 100
    assert all(b - a == pytest.approx(0.1) for a, b in itertools.pairwise(slots))


@pytest.mark.parametrize(
    ("reason", "method", "issue", "held"),
    [
        (None, "GET", None, True),  # a site-wide 429 holds back every request
        ("jira-burst-based", "PUT", None, True),  # a burst 429 on PUT holds back PUTs
        ("jira-burst-based", "GET", None, False),  # ... not GETs
        ("jira-per-issue-on-write", "PUT", "A-1", True),  # writes to that issue
        ("jira-per-issue-on-write", "PUT", "A-2", False),  # not to another
    ],
)
def test_a_request_waiting_for_its_slot_obeys_a_429_another_thread_met_meanwhile(
    clock: FakeClock, reason: str | None, method: str, issue: str | None, held: bool
) -> None:
    """Concurrent workers share the pacer: one sleeps towards its slot while another's answer
    says 429; when it wakes, it must not send before that Retry-After has passed."""
    p = pacer(clock, 10)
    first = p.acquire("PUT", "A-1")  # the request the 429 will answer, in flight
    slept: list[float] = []

    def sleep_while_refused(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 1:  # while this one sleeps, the other request's 429 arrives
            p.observe(first, refused(reason, wait=3.0))
        clock.now += seconds

    p._sleep = sleep_while_refused  # type: ignore[method-assign]
    ticket = p.acquire(method, issue)
    if held:
        assert ticket.sent_at >= first.sent_at + 3.0 and len(slept) >= 2
    else:
        assert len(slept) == 1 and ticket.sent_at < first.sent_at + 1.0
