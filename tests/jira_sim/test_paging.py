"""Paging is exact: every issue of a 5,000-issue dataset comes back once, in order, in both dialects."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sim_http import get, search_all

from okrsync.jira_sim.simulator import JiraSimulator

JQL = "project in (GA, GB, GC, GD)"


@pytest.fixture(scope="module", params=["cloud", "datacenter"])
def big(request: pytest.FixtureRequest) -> Iterator[JiraSimulator]:
    with JiraSimulator(
        flavor=request.param, dataset="generated", epics=100, issues_per_epic=49, seed=7
    ) as sim:
        assert len(sim.store.issues) == 5000
        yield sim


@pytest.mark.parametrize("page", [100, 1000])
def test_every_issue_once_in_order(big: JiraSimulator, page: int) -> None:
    issues = search_all(big, JQL, fields="summary", page=page)
    ids = [int(i["id"]) for i in issues]
    assert len(ids) == 5000
    assert ids == sorted(set(ids))  # once each, id ascending (no ORDER BY)
    effective = min(page, 100 if big.flavor == "cloud" else 1000)
    expected_requests = -(-5000 // effective)
    path = "search/jql" if big.flavor == "cloud" else "search"
    counts = big.requests()["counts"]
    assert counts[f"GET /rest/api/{'3' if big.flavor == 'cloud' else '2'}/{path}"] >= expected_requests
    big.reset_counters()


def test_order_by_is_honoured_across_pages(big: JiraSimulator) -> None:
    issues = search_all(big, JQL + " ORDER BY created DESC, key ASC", fields="created", page=1000)
    created = [i["fields"]["created"] for i in issues]
    assert len(issues) == 5000 and created == sorted(created, reverse=True)
    assert len({i["key"] for i in issues}) == 5000


def test_cloud_pages_5000_keys_at_once(big: JiraSimulator) -> None:
    if big.flavor != "cloud":
        body = get(big, "/search", params={"jql": JQL, "fields": "key", "maxResults": 5000}).json()
        assert body["maxResults"] == 1000 and body["total"] == 5000
        return
    body = get(big, "/search/jql", params={"jql": JQL, "fields": "key", "maxResults": 5000}).json()
    assert len(body["issues"]) == 5000 and body["isLast"] is True


def test_bad_page_token_is_400(big: JiraSimulator) -> None:
    if big.flavor == "cloud":
        r = get(big, "/search/jql", params={"jql": JQL, "nextPageToken": "garbage"})
        assert r.status_code == 400
