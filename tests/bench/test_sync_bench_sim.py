"""What the bench relies on in the simulator: injected latency overlaps between concurrent requests
(so a concurrent client can gain from it), and the 100k site's key-range JQL sources."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from syncbench.site import jql_sources

from okrsync.jira_sim import catalog
from okrsync.jira_sim.simulator import JiraSimulator

LATENCY_MS = 200


@pytest.fixture(scope="module")
def slow_sim() -> Iterator[JiraSimulator]:
    sim = JiraSimulator(
        flavor="cloud",
        dataset="generated",
        epics=24,
        issues_per_epic=0,
        seed=1,
        faults={"latency_ms": LATENCY_MS},
    ).start()
    yield sim
    sim.stop()


def _get(url: str) -> float:
    t0 = time.perf_counter()
    with requests.Session() as http:
        http.get(url, timeout=10).raise_for_status()
    return time.perf_counter() - t0


def test_latency_is_slept_concurrently(slow_sim: JiraSimulator) -> None:
    url = slow_sim.url + "/rest/api/3/serverInfo"
    one = _get(url)
    assert one >= LATENCY_MS / 1000
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        each = list(pool.map(_get, [url] * 8))
    together = time.perf_counter() - started
    assert min(each) >= LATENCY_MS / 1000
    # sequential: 8 × 0.2 s = 1.6 s; served side by side: about one latency
    assert together < 3 * LATENCY_MS / 1000


def test_key_range_sources_match_their_epics(slow_sim: JiraSimulator) -> None:
    epics = [k for k, i in slow_sim.store.issues.items() if i["fields"]["issuetype"]["name"] == "Epic"]
    _project, jql, keys = jql_sources(epics)[0]
    body = {"jql": jql + " AND key >= GC-2 AND key <= GC-4", "fields": ["summary"], "maxResults": 100}
    resp = requests.post(
        slow_sim.url + "/rest/api/3/search/jql",
        json=body,
        auth=(catalog.DEMO_EMAIL, catalog.DEMO_TOKEN),
        timeout=10,
    )
    resp.raise_for_status()
    assert sorted(i["key"] for i in resp.json()["issues"]) == ["GC-2", "GC-3", "GC-4"]
    assert keys == [f"GC-{n}" for n in range(1, 7)]
