"""HTTP-level tests of ``reconcileIssues`` (Cloud's search/jql read-after-write), with `responses`.

The Cloud platform v3 spec (searchAndReconsileIssuesUsingJqlPost): "Strong consistency issue ids to
be reconciled with search results. Accepts max 50 ids. This list of ids should be consistent with
each paginated request across different pages." (int64 items). Data Center has no such parameter.
"""

from __future__ import annotations

import pytest
import responses
from gwkit import BASE, GatewayFactory, body_of


def test_cloud_sends_the_same_ids_on_every_page(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/search/jql"
    rsps.post(url, json={"issues": [{"id": "10053", "key": "MOB-5"}], "nextPageToken": "t1", "isLast": False})
    rsps.post(url, json={"issues": [{"id": "10054", "key": "MOB-6"}], "isLast": True})
    gw = make_gateway("cloud")
    got = list(gw.search("parent = MOB-1", ["status"], reconcile=[10054, 10053, 10054]))
    assert [i["key"] for i in got] == ["MOB-5", "MOB-6"]
    bodies = [body_of(c) for c in rsps.calls]
    assert len(bodies) == 2  # no request of its own
    assert [b["reconcileIssues"] for b in bodies] == [[10054, 10053], [10054, 10053]]  # each id once
    assert bodies[1]["nextPageToken"] == "t1"
    assert all(isinstance(i, int) for b in bodies for i in b["reconcileIssues"])


def test_keys_only_listing_reconciles_too(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.post(f"{BASE}/rest/api/3/search/jql", json={"issues": [{"id": "7", "key": "P-7"}], "isLast": True})
    gw = make_gateway("cloud")
    assert list(gw.search_keys("project = P", reconcile=[7])) == ["P-7"]
    assert body_of(rsps.calls[0]) == {
        "jql": "project = P",
        "fields": ["key"],
        "maxResults": 5000,
        "reconcileIssues": [7],
    }


def test_cloud_without_ids_sends_no_reconcile_issues(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.post(f"{BASE}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    gw = make_gateway("cloud")
    assert list(gw.search("project = P", ["status"])) == []
    assert "reconcileIssues" not in body_of(rsps.calls[0])


def test_more_than_fifty_ids_are_refused_before_any_request(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    gw = make_gateway("cloud")
    with pytest.raises(ValueError, match="at most 50 issue ids, not 51"):
        list(gw.search("project = P", ["status"], reconcile=list(range(1, 52))))
    assert len(rsps.calls) == 0
    rsps.post(f"{BASE}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    list(gw.search("project = P", ["status"], reconcile=list(range(1, 51))))  # 50 is allowed
    assert len(body_of(rsps.calls[0])["reconcileIssues"]) == 50


def test_data_center_is_consistent_and_gets_no_reconcile_issues(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.post(
        f"{BASE}/rest/api/2/search",
        json={"startAt": 0, "maxResults": 1000, "total": 1, "issues": [{"id": "10053", "key": "MOB-5"}]},
    )
    gw = make_gateway("datacenter")
    assert [i["key"] for i in gw.search("parent = MOB-1", ["status"], reconcile=[10053])] == ["MOB-5"]
    assert len(rsps.calls) == 1
    assert "reconcileIssues" not in body_of(rsps.calls[0])
