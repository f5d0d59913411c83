"""HTTP-level tests of the JQL searches: paging and page sizes in both dialects, with `responses`."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from gwkit import BASE, GatewayFactory, api, body_of, fields_payload
from responses import matchers

FLAVORS = ["cloud", "datacenter"]


def _add_fields(rsps: responses.RequestsMock, flavor: str) -> None:
    rsps.get(f"{BASE}/rest/api/{api(flavor)}/field", json=fields_payload(flavor))


# ----------------------------------------------------------------------------- searches


def test_cloud_search_pages_by_next_page_token(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/search/jql"
    rsps.post(
        url,
        json={
            "issues": [{"id": "1", "key": "P-1"}, {"id": "2", "key": "P-2"}],
            "nextPageToken": "t1",
            "isLast": False,
        },
    )
    rsps.post(url, json={"issues": [{"id": "3", "key": "P-3"}], "nextPageToken": "t2", "isLast": False})
    rsps.post(url, json={"issues": [{"id": "4", "key": "P-4"}], "isLast": True})
    gw = make_gateway("cloud")
    got = list(
        gw.search("project = P", ["summary", "status"], expand=["changelog", "names"], properties=["okrsync"])
    )
    assert [i["key"] for i in got] == ["P-1", "P-2", "P-3", "P-4"]
    first = {
        "jql": "project = P",
        "fields": ["summary", "status"],
        "maxResults": 5000,
        "expand": "changelog,names",
        "properties": ["okrsync"],
    }
    assert [body_of(c) for c in rsps.calls] == [
        first,
        {**first, "nextPageToken": "t1"},
        {**first, "nextPageToken": "t2"},
    ]
    assert all(c.request.method == "POST" for c in rsps.calls)
    assert rsps.calls[0].request.headers["Content-Type"] == "application/json"


def test_cloud_search_stops_when_the_last_page_omits_the_token(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/search/jql"
    rsps.post(url, json={"issues": [{"id": "1", "key": "P-1"}], "nextPageToken": "t1"})
    rsps.post(url, json={"issues": [{"id": "2", "key": "P-2"}]})  # JRACLOUD-92184: no isLast, no token
    assert [i["key"] for i in make_gateway("cloud").search("project = P", ["summary"])] == ["P-1", "P-2"]
    assert len(rsps.calls) == 2


def test_datacenter_search_pages_by_start_at_with_a_silent_cap(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/2/search"
    issues = [{"id": str(i), "key": f"P-{i}"} for i in range(1, 1201)]
    # Jira caps at 500 whatever we ask, and says so in maxResults.
    rsps.post(url, json={"startAt": 0, "maxResults": 500, "total": 1200, "issues": issues[0:500]})
    rsps.post(url, json={"startAt": 500, "maxResults": 500, "total": 1200, "issues": issues[500:1000]})
    rsps.post(url, json={"startAt": 1000, "maxResults": 500, "total": 1200, "issues": issues[1000:1200]})
    got = list(make_gateway("datacenter").search("project = P", ["summary"], expand=["changelog"]))
    assert len(got) == 1200
    assert [body_of(c) for c in rsps.calls] == [
        {
            "jql": "project = P",
            "startAt": s,
            "maxResults": 1000,
            "fields": ["summary"],
            "validateQuery": False,  # a boolean on Data Center (SearchRequestBean)
            "expand": ["changelog"],
        }
        for s in (0, 500, 1000)
    ]


def test_datacenter_search_copes_with_total_changing_between_pages(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/2/search"
    rsps.post(
        url,
        json={
            "startAt": 0,
            "maxResults": 2,
            "total": 3,
            "issues": [{"id": "1", "key": "P-1"}, {"id": "2", "key": "P-2"}],
        },
    )
    # An issue was created meanwhile: P-2 shifts onto this page again, total grows.
    rsps.post(
        url,
        json={
            "startAt": 2,
            "maxResults": 2,
            "total": 4,
            "issues": [{"id": "2", "key": "P-2"}, {"id": "3", "key": "P-3"}],
        },
    )
    rsps.post(url, json={"startAt": 4, "maxResults": 2, "total": 4, "issues": []})
    got = [i["key"] for i in make_gateway("datacenter").search("project = P", ["summary"])]
    assert got == ["P-1", "P-2", "P-3"]
    assert len(rsps.calls) == 2


@pytest.mark.parametrize(
    ("flavor", "path", "size"),
    [("cloud", "/rest/api/3/search/jql", 5000), ("datacenter", "/rest/api/2/search", 1000)],
)
def test_keys_only_search_asks_the_largest_page(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, path: str, size: int
) -> None:
    payload: dict[str, Any] = {
        "issues": [{"id": "10", "key": "P-10"}, {"id": "11", "key": "P-11"}],
        "isLast": True,
        "total": 2,
    }
    rsps.post(BASE + path, json=payload)
    assert list(make_gateway(flavor).search_keys("project = P")) == ["P-10", "P-11"]
    sent = body_of(rsps.calls[0])
    assert sent["fields"] == ["key"]
    assert sent["maxResults"] == size


@pytest.mark.parametrize("flavor", FLAVORS)
def test_datacenter_properties_come_per_issue_cloud_in_the_search(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    if flavor == "cloud":
        rsps.post(
            f"{BASE}/rest/api/3/search/jql",
            json={"issues": [{"id": "1", "key": "P-1", "properties": {"okr": {"v": 1}}}], "isLast": True},
        )
    else:
        rsps.post(f"{BASE}/rest/api/2/search", json={"issues": [{"id": "1", "key": "P-1"}], "total": 1})
        rsps.get(
            f"{BASE}/rest/api/2/issue/P-1",
            match=[matchers.query_param_matcher({"fields": "key", "properties": "okr"})],
            json={"key": "P-1", "properties": {"okr": {"v": 1}}},
        )
    got = list(make_gateway(flavor).search("key = P-1", ["summary"], properties=["okr"]))
    assert got[0]["properties"] == {"okr": {"v": 1}}


def test_datacenter_search_reads_the_warnings_jira_gives_with_validate_query_false(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    # validateQuery=false: a missing key matches nothing and comes back in warningMessages (a set in
    # SearchResultsBean; repeated on every page, kept once)
    url = f"{BASE}/rest/api/2/search"
    missing = "An issue with key 'P-9' does not exist for field 'key'."
    rsps.post(
        url,
        json={"startAt": 0, "total": 2, "issues": [{"id": "1", "key": "P-1"}], "warningMessages": [missing]},
    )
    rsps.post(
        url,
        json={"startAt": 1, "total": 2, "issues": [{"id": "2", "key": "P-2"}], "warningMessages": [missing]},
    )
    gw = make_gateway("datacenter")
    mark = gw.search_warning_mark()
    keys = [i["key"] for i in gw.search("key in (P-1, P-2, P-9)", ["key"], page_size=1)]
    assert keys == ["P-1", "P-2"]
    assert gw.search_warnings_since(mark) == [missing]
    assert [body_of(c)["validateQuery"] for c in rsps.calls] == [False, False]
    assert len(rsps.calls) == 2
