"""The simulator's rate limits (okrsync/jira_sim/ratelimit.py): Cloud's burst, per-issue and quota
limits with RateLimit-Reason and their headers, Data Center's token bucket, NearLimit, and the
record of requests sent inside a 429's scope too early. Unit tests on a fake clock; a few over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sim_http import AUTH, api, put

from okrsync.jira_sim.faults import FaultConfig
from okrsync.jira_sim.ratelimit import CLOUD_RATE_LIMITS, IN_FLIGHT_GRACE, Limits, RateLimiter
from okrsync.jira_sim.simulator import JiraSimulator


class Clock:
    def __init__(self) -> None:
        self.now = 500.0
        self.wall0 = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)

    def mono(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return self.wall0 + timedelta(seconds=self.now - 500.0)


def limiter(**settings: Any) -> tuple[RateLimiter, Clock]:
    clock = Clock()
    flavor = settings.pop("flavor", "cloud")
    return RateLimiter(FaultConfig(**settings).limits(flavor), clock=clock.mono, wall_clock=clock.wall), clock


Step = tuple[str, str | None, float]  # method, issue, seconds to advance before it


@pytest.mark.parametrize(
    ("settings", "steps", "statuses", "reason"),
    [
        # burst: 3 PUTs a second; GETs have a budget of their own
        (
            {"burst_per_second": {"PUT": 3}},
            [
                ("PUT", "A", 0),
                ("PUT", "B", 0),
                ("PUT", "C", 0),
                ("PUT", "D", 0),
                ("GET", None, 0),
                ("PUT", "D", 0.34),
            ],
            [None, None, None, 429, None, None],
            "jira-burst-based",
        ),
        # per issue: 3 writes in 2 s to one issue; other issues and reads are not counted
        (
            {"per_issue_writes": [[3, 2]]},
            [
                ("PUT", "A", 0),
                ("POST", "A", 0.1),
                ("DELETE", "A", 0.1),
                ("PUT", "A", 0.1),
                ("PUT", "B", 0),
                ("GET", "A", 0),
                ("PUT", "A", 1.8),
            ],
            [None, None, None, 429, None, None, None],
            "jira-per-issue-on-write",
        ),
        # a tenant quota: 4 requests in a 60 s window
        (
            {"quota_limit": 4, "quota_window_seconds": 60},
            [
                ("GET", None, 0),
                ("PUT", "A", 0),
                ("POST", None, 10),
                ("GET", None, 10),
                ("GET", None, 10),
                ("GET", None, 30),
            ],
            [None, None, None, None, 429, None],
            "jira-quota-tenant-based",
        ),
        # the site limit: 2 a second, every request
        (
            {"rate_limit_per_second": 2},
            [("GET", None, 0), ("PUT", "A", 0.2), ("POST", None, 0.2), ("GET", None, 0.61)],
            [None, None, 429, None],
            "jira-quota-global-based",
        ),
    ],
)
def test_cloud_limits_refuse_with_their_reason(
    settings: dict[str, Any], steps: list[Step], statuses: list[int | None], reason: str
) -> None:
    lim, clock = limiter(**settings)
    got = []
    for method, issue, advance in steps:
        clock.now += advance
        verdict = lim.check("client", method, "/rest/api/3/x", issue)
        got.append(verdict.status)
        if verdict.status == 429:
            assert verdict.headers["RateLimit-Reason"] == reason
            retry_after = int(verdict.headers["Retry-After"])
            assert retry_after >= 1
            assert verdict.headers["X-RateLimit-Remaining"] == "0"
            reset = datetime.fromisoformat(verdict.headers["X-RateLimit-Reset"])
            assert reset == clock.wall() + timedelta(seconds=retry_after)
            assert float(verdict.headers["Beta-Retry-After"]) <= retry_after
            assert verdict.headers["Beta-RateLimit"].endswith(f";r=0;t={retry_after}")
            assert ";q=" in verdict.headers["Beta-RateLimit-Policy"]
    assert got == statuses


@pytest.mark.parametrize(
    ("settings", "near_from"),
    [
        ({"rate_limit_per_second": 10}, 9),  # after the 9th, 1 of 10 is left: under 20 %
        ({"rate_limit_per_second": 2}, 2),
        ({"burst_per_second": {"GET": 5}}, 5),
        ({"quota_limit": 100}, 81),
    ],
)
def test_near_limit_is_signalled_before_refusing(settings: dict[str, Any], near_from: int) -> None:
    lim, _ = limiter(**settings)
    near = []
    for _ in range(near_from):
        verdict = lim.check("client", "GET", "/x", "A")
        assert verdict.status is None
        near.append(verdict.headers.get("X-RateLimit-NearLimit") == "true")
    assert near == [False] * (near_from - 1) + [True]


def test_an_issues_write_windows_send_no_near_limit() -> None:
    lim, _ = limiter(per_issue_writes=[[20, 2]])
    verdicts = [lim.check("client", "PUT", "/x", "A") for _ in range(21)]
    assert [v.status for v in verdicts] == [None] * 20 + [429]
    assert not any("X-RateLimit-NearLimit" in v.headers for v in verdicts[:20])


def test_datacenter_bucket_answers_its_headers_on_every_answer() -> None:
    lim, clock = limiter(flavor="datacenter", rate_limit_per_second=2, rate_limit_burst=3)
    answers = [lim.check("alice", "GET", "/x") for _ in range(4)]
    assert [a.status for a in answers] == [None, None, None, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert [a.headers["Retry-After"] for a in answers] == ["0", "0", "0", "1"]
    for a in answers:
        assert a.headers["X-RateLimit-Limit"] == "3"
        assert a.headers["X-RateLimit-FillRate"] == "2"
        assert a.headers["X-RateLimit-Interval-Seconds"] == "1"
        assert "RateLimit-Reason" not in a.headers  # Data Center names no reason
    assert lim.check("bob", "GET", "/x").status is None  # a bucket per user
    clock.now += 1.0  # a batch of 2 new tokens every interval
    assert [lim.check("alice", "GET", "/x").status for _ in range(3)] == [None, None, 429]


@pytest.mark.parametrize(
    ("settings", "refused", "then", "violations"),
    [
        # a per-issue 429 holds back writes to that issue, nothing else
        ({"per_issue_writes": [[1, 5]]}, ("PUT", "A"), [("PUT", "B"), ("GET", "A"), ("PUT", "A")], ["PUT"]),
        # a burst 429 holds back its method
        (
            {"burst_per_second": {"PUT": 1}},
            ("PUT", "A"),
            [("GET", None), ("POST", "A"), ("PUT", "B")],
            ["PUT"],
        ),
        # the site limit holds back everything
        ({"rate_limit_per_second": 1}, ("GET", None), [("PUT", "A"), ("GET", None)], ["PUT", "GET"]),
    ],
)
def test_violations_are_recorded_in_the_refused_scope_only(
    settings: dict[str, Any],
    refused: tuple[str, str | None],
    then: list[tuple[str, str | None]],
    violations: list[str],
) -> None:
    lim, clock = limiter(**settings)
    lim.check("me", refused[0], "/first", refused[1])
    assert lim.check("me", refused[0], "/refused", refused[1], connection=1).status == 429
    clock.now += 0.01  # within IN_FLIGHT_GRACE, on another connection: on its way before the 429 came
    lim.check("me", refused[0], "/in-flight", refused[1], connection=2)
    assert lim.violations == []
    lim.check("me", refused[0], "/same-connection", refused[1], connection=1)  # read the 429, sent anyway
    assert [v["path"] for v in lim.violations] == ["/same-connection"]
    lim.violations.clear()
    clock.now += 2 * IN_FLIGHT_GRACE
    for method, issue in then:
        lim.check("me", method, f"/{method}", issue)
    assert [v["method"] for v in lim.violations] == violations
    assert all(v["retry_after"] >= 1 and v["early_by_seconds"] > 0 for v in lim.violations)
    lim.check("other-client", refused[0], "/x", refused[1])  # another client was told nothing
    assert len(lim.violations) == len(violations)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"burst_per_second": {"FETCH": 5}}, "burst_per_second maps HTTP methods"),
        ({"burst_per_second": {"GET": 0}}, "burst_per_second maps HTTP methods"),
        ({"per_issue_writes": [[20]]}, "per_issue_writes is a list of [writes, seconds] pairs"),
        ({"quota_limit": 2.5}, "quota_limit must be a whole number"),
        ({"rate_limit_burst": -1}, "rate_limit_burst must be positive"),
        ({"quota_window_seconds": 0}, "quota_window_seconds must be positive"),
    ],
)
def test_bad_settings_say_what_is_wrong(
    sim_cloud: JiraSimulator, settings: dict[str, Any], message: str
) -> None:
    r = requests.post(f"{sim_cloud.url}/_sim/faults", json=settings, timeout=5)
    assert r.status_code == 400 and message in r.json()["errorMessages"][0]


def test_all_limits_are_off_by_default() -> None:
    assert not FaultConfig().limits("cloud").any
    assert Limits().any is False


# ----------------------------------------------------------------------------- over HTTP


def test_cloud_per_issue_limit_over_http(sim_factory: Any) -> None:
    sim = sim_factory("cloud", faults=CLOUD_RATE_LIMITS)
    statuses = []
    with requests.Session() as s:
        for n in range(21):
            r = s.put(api(sim) + "/issue/PLAT-1/properties/p", json={"n": n}, auth=AUTH, timeout=5)
            statuses.append(r.status_code)
        refused = r
        other = s.put(api(sim) + "/issue/PLAT-2/properties/p", json={"n": 0}, auth=AUTH, timeout=5)
        read = s.get(api(sim) + "/issue/PLAT-1/properties/p", auth=AUTH, timeout=5)
    assert statuses[:20] == [201] + [200] * 19 and statuses[20] == 429
    assert refused.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    assert refused.headers["X-RateLimit-Limit"] == "20"
    assert 1 <= int(refused.headers["Retry-After"]) <= 2
    assert other.status_code == 201 and read.status_code == 200  # another issue, a read: not limited
    assert read.json()["value"] == {"n": 19}
    assert sim.requests()["retry_after_violations"] == []


def test_issue_ids_count_as_their_issue(sim_factory: Any) -> None:
    sim = sim_factory("cloud", faults={"per_issue_writes": [[2, 10]]})
    issue_id = sim.issue("PLAT-1")["id"]
    assert put(sim, "/issue/PLAT-1/properties/p", {"n": 1}).status_code == 201
    assert put(sim, f"/issue/{issue_id}/properties/p", {"n": 2}).status_code == 200
    assert put(sim, "/issue/PLAT-1/properties/p", {"n": 3}).status_code == 429


def test_datacenter_headers_over_http(sim_datacenter: JiraSimulator) -> None:
    sim_datacenter.set_faults(rate_limit_per_second=50)
    r = requests.get(api(sim_datacenter) + "/myself", auth=AUTH, timeout=5)
    assert r.status_code == 200
    assert r.headers["X-RateLimit-FillRate"] == "50" and r.headers["X-RateLimit-Interval-Seconds"] == "1"
    assert r.headers["X-RateLimit-Remaining"] == "49" and r.headers["Retry-After"] == "0"
