"""HTTP-level tests (``responses``) of how the client answers each ``RateLimit-Reason`` and learns
from ``X-RateLimit-NearLimit`` and Data Center's bucket headers; every request is counted."""

from __future__ import annotations

import pytest
import responses
from gwkit import BASE, FakeClock, GatewayFactory

from okrsync.jira import Doc, JiraUnavailable, Paragraph
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.pacing import AdaptivePacer

ISSUE = f"{BASE}/rest/api/3/issue"


def pacer_of(gw: JiraGateway) -> AdaptivePacer:
    return gw._client.pacer


def limited(reason: str | None, retry_after: str = "2", **extra: str) -> dict[str, str]:
    headers = {"Retry-After": retry_after, "X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0", **extra}
    if reason:
        headers["RateLimit-Reason"] = reason
    return headers


def test_per_issue_limit_slows_that_issue_only(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.put(f"{ISSUE}/PLAT-1", status=429, headers=limited("jira-per-issue-on-write"))
    rsps.put(f"{ISSUE}/PLAT-1", status=204)
    rsps.put(f"{ISSUE}/PLAT-2", status=204)
    rsps.get(f"{ISSUE}/PLAT-3", json={"key": "PLAT-3"})
    gw = make_gateway("cloud", requests_per_second=10)
    gw.edit_issue("PLAT-1", {"summary": "a"}, notify=False)
    assert clock.sleeps == [2.0]  # the refused write waits as Jira said, once
    gw.edit_issue("PLAT-2", {"summary": "b"}, notify=False)
    gw.get_issue("PLAT-3", [])
    # the other issue and the read go on at the configured pace (0.1 s apart), nothing slower
    assert clock.sleeps == [2.0, pytest.approx(0.1), pytest.approx(0.1)]
    assert pacer_of(gw).rate == pytest.approx(10.0, abs=0.1)
    assert pacer_of(gw).method_rate("PUT") is None
    assert len(rsps.calls) == 4
    assert gw.stats.rate_limited == {"jira-per-issue-on-write": 1}


def test_per_issue_limit_on_a_comment_post_retries_it_once(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{ISSUE}/PLAT-1/comment"
    rsps.post(url, status=429, headers=limited("jira-per-issue-on-write", "1"))
    rsps.post(url, status=201, json={"id": "7"})
    gw = make_gateway("cloud")
    assert gw.add_comment("PLAT-1", Doc(Paragraph("x")))["id"] == "7"
    assert len(rsps.calls) == 2  # refused, then created: one comment
    assert clock.sleeps == [1.0]


def test_burst_limit_backs_off_that_method_only(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    for key in ("PLAT-1", "PLAT-2", "PLAT-3"):
        rsps.put(f"{ISSUE}/{key}", status=204)
        rsps.get(f"{ISSUE}/{key}", json={"key": key})
    rsps.replace(responses.PUT, f"{ISSUE}/PLAT-3", status=429, headers=limited("jira-burst-based", "1"))
    rsps.add(responses.PUT, f"{ISSUE}/PLAT-3", status=204)
    gw = make_gateway("cloud", requests_per_second=100)
    gw.edit_issue("PLAT-1", {"summary": "a"}, notify=False)
    gw.edit_issue("PLAT-2", {"summary": "a"}, notify=False)
    gw.edit_issue("PLAT-3", {"summary": "a"}, notify=False)  # refused (burst), retried after 1 s
    assert 1.0 in clock.sleeps
    put_rate = pacer_of(gw).method_rate("PUT")
    assert put_rate is not None and put_rate < 100
    assert pacer_of(gw).rate == pytest.approx(100, abs=1)  # reads keep the overall rate
    before = len(clock.sleeps)
    gw.get_issue("PLAT-1", [])
    gw.get_issue("PLAT-2", [])
    assert all(s <= 0.011 for s in clock.sleeps[before:])  # GETs at 100/s
    gw.edit_issue("PLAT-1", {"summary": "b"}, notify=False)
    gw.edit_issue("PLAT-2", {"summary": "b"}, notify=False)
    assert clock.sleeps[-1] == pytest.approx(1 / put_rate, rel=0.05)  # PUTs at their own, lower rate
    assert len(rsps.calls) == 8
    assert gw.stats.rate_limited == {"jira-burst-based": 1}


def test_quota_pauses_everything_until_the_reset(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    # the fake wall clock reads 2026-10-05T09:30:00Z; Retry-After says 20 s, the reset a minute
    rsps.get(
        f"{ISSUE}/PLAT-1",
        status=429,
        headers=limited("jira-quota-tenant-based", "20", **{"X-RateLimit-Reset": "2026-10-05T09:31Z"}),
    )
    rsps.get(f"{ISSUE}/PLAT-1", json={"key": "PLAT-1"})
    rsps.put(f"{ISSUE}/PLAT-2", status=204)
    gw = make_gateway("cloud", requests_per_second=10)
    gw.get_issue("PLAT-1", [])
    assert clock.sleeps == [60.0]  # the later of the two
    assert pacer_of(gw).rate < 10
    gw.edit_issue("PLAT-2", {"summary": "b"}, notify=False)
    assert len(rsps.calls) == 3


def test_a_quota_beyond_the_retry_budget_sends_nothing_more(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{ISSUE}/PLAT-1", status=429, headers=limited("jira-quota-global-based", "900"))
    rsps.put(f"{ISSUE}/PLAT-2", status=204)
    gw = make_gateway("cloud", max_retry_seconds=120)
    with pytest.raises(JiraUnavailable) as first:
        gw.get_issue("PLAT-1", [])
    assert "Jira asked to wait 900 s" in str(first.value)
    assert "RateLimit-Reason jira-quota-global-based" in str(first.value)
    with pytest.raises(JiraUnavailable) as second:
        gw.edit_issue("PLAT-2", {"summary": "b"}, notify=False)
    message = str(second.value)
    assert "quota (jira-quota-global-based) is used up for the next 900 s" in message
    assert "jira.max_retry_seconds (120 s)" in message
    assert second.value.attempts == 0 and second.value.status == 429
    assert len(rsps.calls) == 1  # the held-back edit was never sent
    assert clock.sleeps == []


def test_near_limit_slows_the_pacer_before_any_429(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{ISSUE}/PLAT-1"
    rsps.get(url, json={"key": "PLAT-1"})
    rsps.get(url, json={"key": "PLAT-1"}, headers={"X-RateLimit-NearLimit": "true"})
    gw = make_gateway("cloud", requests_per_second=20)
    for _ in range(6):
        gw.get_issue("PLAT-1", [])
    # 20/s at first; NearLimit on the second answer: 2 accepted in the last second, so 2/s
    assert pacer_of(gw).rate == pytest.approx(2.0)
    assert clock.sleeps[-1] == pytest.approx(0.5)
    assert gw.stats.near_limit == 5 and gw.stats.rate_limited == {}
    assert len(rsps.calls) == 6


def test_data_center_paces_to_the_bucket_an_admin_set(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{BASE}/rest/api/2/issue/PLAT-1"
    bucket = {"X-RateLimit-Limit": "10", "X-RateLimit-Interval-Seconds": "1", "X-RateLimit-FillRate": "4"}
    rsps.get(
        url, json={"key": "PLAT-1"}, headers={**bucket, "X-RateLimit-Remaining": "9", "Retry-After": "0"}
    )
    gw = make_gateway("datacenter", requests_per_second=50)
    for _ in range(4):
        gw.get_issue("PLAT-1", [])
    assert pacer_of(gw).rate == pytest.approx(0.95 * 4)
    assert clock.sleeps[-1] == pytest.approx(1 / 3.8)


def test_data_center_429_without_a_reason_pauses_everything(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{BASE}/rest/api/2/issue/PLAT-1"
    rsps.get(url, status=429, headers={"Retry-After": "3", "X-RateLimit-Remaining": "0"})
    rsps.get(url, json={"key": "PLAT-1"})
    gw = make_gateway("datacenter", requests_per_second=10)
    gw.get_issue("PLAT-1", [])
    assert clock.sleeps == [3.0]
    assert pacer_of(gw).rate < 10
    assert gw.stats.rate_limited == {"none": 1}
    assert gw.stats.snapshot()["rate_limited"] == {"none": 1}


def test_beta_retry_after_is_honoured_when_retry_after_is_missing(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{ISSUE}/PLAT-1"
    rsps.get(url, status=429, headers={"Beta-Retry-After": "1.5", "RateLimit-Reason": "jira-burst-based"})
    rsps.get(url, json={"key": "PLAT-1"})
    make_gateway("cloud").get_issue("PLAT-1", [])
    assert clock.sleeps == [1.5]
