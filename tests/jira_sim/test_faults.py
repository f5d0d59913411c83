"""Fault injection under /_sim/faults, and the record of clients that ignore Retry-After."""

from __future__ import annotations

import time

import pytest
import requests
from sim_http import AUTH, api, get

from okrsync.jira_sim.simulator import JiraSimulator


def _faults(sim: JiraSimulator, **body: object) -> dict[str, object]:
    r = requests.post(f"{sim.url}/_sim/faults", json=body, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def test_rate_limit_answers_429_with_headers(sim_cloud: JiraSimulator) -> None:
    _faults(sim_cloud, rate_limit_per_second=3)
    statuses = []
    last = None
    with requests.Session() as s:
        for _ in range(5):
            last = s.get(api(sim_cloud) + "/myself", auth=AUTH, timeout=5)
            statuses.append(last.status_code)
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429
    assert last is not None
    assert int(last.headers["Retry-After"]) >= 1
    assert last.headers["X-RateLimit-Limit"] == "3" and last.headers["X-RateLimit-Remaining"] == "0"
    assert last.headers["X-RateLimit-Reset"].endswith("Z")


def test_naive_client_ignoring_retry_after_is_caught(sim_cloud: JiraSimulator) -> None:
    _faults(sim_cloud, rate_limit_per_second=5)
    with requests.Session() as naive:  # hammers on, whatever the server says
        for _ in range(12):
            naive.get(api(sim_cloud) + "/issue/PLAT-2", auth=AUTH, timeout=5)
    report = requests.get(f"{sim_cloud.url}/_sim/requests", timeout=5).json()
    assert report["retry_after_violations"], "the naive client should have been caught"
    v = report["retry_after_violations"][0]
    assert v["path"] == "/rest/api/3/issue/PLAT-2" and v["retry_after"] >= 1
    assert 429 in {e["status"] for e in report["log"]}


def test_polite_client_is_not_reported(sim_cloud: JiraSimulator) -> None:
    _faults(sim_cloud, rate_limit_per_second=4)
    done = 0
    with requests.Session() as polite:
        while done < 6:
            r = polite.get(api(sim_cloud) + "/myself", auth=AUTH, timeout=5)
            if r.status_code == 429:
                time.sleep(float(r.headers["Retry-After"]))
                continue
            done += 1
    assert sim_cloud.requests()["retry_after_violations"] == []


def test_error_rate_answers_500_or_503(sim: JiraSimulator) -> None:
    _faults(sim, error_rate=1.0, error_statuses=[503], seed=1)
    r = get(sim, "/myself")
    assert r.status_code == 503 and r.json()["errorMessages"]
    _faults(sim, error_rate=0.5, error_statuses=[500, 503], seed=3)
    statuses = {get(sim, "/myself").status_code for _ in range(30)}
    assert statuses == {200, 500, 503}
    # the admin API is never faulted
    assert requests.get(f"{sim.url}/_sim/faults", timeout=5).json()["error_rate"] == 0.5


def test_dropped_connections(sim_datacenter: JiraSimulator) -> None:
    _faults(sim_datacenter, drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        get(sim_datacenter, "/myself")
    _faults(sim_datacenter, drop_rate=0.0)
    assert get(sim_datacenter, "/myself").status_code == 200
    assert [e["status"] for e in sim_datacenter.requests()["log"]] == [0, 200]


def test_latency(sim_cloud: JiraSimulator) -> None:
    _faults(sim_cloud, latency_ms=150)
    t0 = time.monotonic()
    assert get(sim_cloud, "/myself").status_code == 200
    assert time.monotonic() - t0 >= 0.15


def test_forbidden_issue(sim: JiraSimulator) -> None:
    _faults(sim, forbidden_issues=["MOB-1"])
    assert get(sim, "/issue/MOB-1").status_code == 403
    assert get(sim, "/issue/MOB-2").status_code == 200


def test_unknown_fault_key_is_rejected(sim_cloud: JiraSimulator) -> None:
    r = requests.post(f"{sim_cloud.url}/_sim/faults", json={"latency": 5}, timeout=5)
    assert r.status_code == 400 and "unknown fault keys" in r.json()["errorMessages"][0]


def test_faults_from_constructor() -> None:
    with JiraSimulator("cloud", "empty", faults={"error_rate": 1.0, "error_statuses": [500]}) as sim:
        assert get(sim, "/myself").status_code == 500
