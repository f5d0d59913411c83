"""Cloud's search index lags writes; ``reconcileIssues`` shows the named issues as they are now.

Cloud platform v3 spec, search/jql: "Recent updates might not be immediately visible in the returned
search results. If you need read-after-write consistency, you can utilize the reconcileIssues
parameter" ("Accepts max 50 ids"). Data Center's search stays consistent.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sim_http import get, post, put
from simkit import IndexClock, SimFactory

from okrsync.jira_sim.search_index import SearchIndex
from okrsync.jira_sim.simulator import JiraSimulator

LAG = 5.0
MOB_7 = 10055  # "In Review", a child of MOB-1 in the demo dataset


@pytest.fixture
def clock() -> IndexClock:
    return IndexClock(100.0)


@pytest.fixture
def lagging(sim_factory: SimFactory, clock: IndexClock) -> JiraSimulator:
    return sim_factory("cloud", okr_fields=True, index_lag_seconds=LAG, index_clock=clock)


def search(
    sim: JiraSimulator, jql: str, reconcile: list[Any] | None = None, **extra: Any
) -> requests.Response:
    body: dict[str, Any] = {"jql": jql, "fields": ["status", "summary", "updated"], **extra}
    if reconcile is not None:
        body["reconcileIssues"] = reconcile
    return post(sim, "/search/jql", body)


def statuses(sim: JiraSimulator, jql: str, reconcile: list[Any] | None = None) -> dict[str, str]:
    resp = search(sim, jql, reconcile)
    assert resp.status_code == 200, resp.text
    return {i["key"]: i["fields"]["status"]["name"] for i in resp.json()["issues"]}


# ------------------------------------------------------------------------ the index on its own


@pytest.mark.parametrize(
    ("writes", "seen_at", "expected"),
    [
        ([], 0.0, "now"),  # never written while lagging: as it is
        ([(10.0, "v0")], 12.0, "v0"),  # written 2 s ago: the version before the write
        ([(10.0, "v0")], 15.0, "now"),  # exactly the lag later: indexed
        ([(10.0, "v0"), (12.0, "v1")], 14.0, "v0"),  # two writes pending: before the oldest
        ([(10.0, "v0"), (12.0, "v1")], 16.0, "v1"),  # the first indexed, the second not yet
        ([(10.0, "v0"), (12.0, "v1")], 17.5, "now"),
        ([(10.0, None)], 11.0, None),  # created 1 s ago: not in the index at all
    ],
)
def test_the_index_shows_each_issue_as_of_the_lag_ago(
    writes: list[tuple[float, str | None]], seen_at: float, expected: str | None
) -> None:
    clock = IndexClock()
    index = SearchIndex(LAG, clock)
    for at, before in writes:
        clock.now = at
        index.before_write("P-1", {"v": before} if before else None)
    clock.now = seen_at
    got = index.view("P-1", {"v": "now"})
    assert (got or {}).get("v") == expected


def test_no_lag_keeps_nothing_and_a_negative_lag_is_refused() -> None:
    index = SearchIndex()
    index.before_write("P-1", {"v": "old"})
    assert not index.lagging
    assert index.view("P-1", {"v": "now"}) == {"v": "now"}
    with pytest.raises(ValueError, match="index_lag_seconds must be a number of seconds >= 0"):
        SearchIndex(-1)


# ------------------------------------------------------------------------------ over HTTP


def test_a_change_is_seen_late_unless_reconciled(lagging: JiraSimulator, clock: IndexClock) -> None:
    assert statuses(lagging, "key = MOB-7") == {"MOB-7": "In Review"}
    lagging.transition("MOB-7", "Done")
    clock.advance(LAG - 1)
    assert statuses(lagging, "key = MOB-7") == {"MOB-7": "In Review"}  # the index has the old one
    assert statuses(lagging, "key = MOB-7", [MOB_7]) == {"MOB-7": "Done"}
    clock.advance(1)
    assert statuses(lagging, "key = MOB-7") == {"MOB-7": "Done"}  # the lag later, for everyone


def test_jql_matches_what_the_index_has_and_a_reconciled_issue_as_it_is(
    lagging: JiraSimulator, clock: IndexClock
) -> None:
    lagging.transition("MOB-7", "Done")
    clock.advance(1)
    in_review = 'parent = MOB-1 AND status = "In Review"'
    done = "parent = MOB-1 AND status = Done"
    assert statuses(lagging, in_review) == {"MOB-7": "In Review"}
    assert "MOB-7" not in statuses(lagging, done)
    # reconciled: matched as it is now, so it leaves one result and joins the other
    assert statuses(lagging, in_review, [MOB_7]) == {}
    assert statuses(lagging, done, [MOB_7])["MOB-7"] == "Done"
    # ids of other issues change nothing for the rest; an unknown id is no error
    assert statuses(lagging, in_review, [10053, 99999]) == {"MOB-7": "In Review"}


def test_issue_properties_and_new_issues_lag_too(lagging: JiraSimulator, clock: IndexClock) -> None:
    assert put(lagging, "/issue/MOB-1/properties/okrsync", {"progress": 25.0}).status_code == 201
    body = search(lagging, "key = MOB-1", properties=["okrsync"]).json()
    assert "okrsync" not in body["issues"][0].get("properties", {})
    mob_1 = int(lagging.issue("MOB-1")["id"])
    body = search(lagging, "key = MOB-1", [mob_1], properties=["okrsync"]).json()
    assert body["issues"][0]["properties"]["okrsync"] == {"progress": 25.0}
    with lagging.store.lock:
        new = lagging.store.insert_issue(
            {"fields": {**lagging.store.issues["MOB-16"]["fields"], "summary": "A new one"}}
        )
    assert new["key"] not in statuses(lagging, "parent = MOB-1")
    assert new["key"] in statuses(lagging, "parent = MOB-1", [int(new["id"])])
    clock.advance(LAG)
    assert new["key"] in statuses(lagging, "parent = MOB-1")


def test_get_takes_reconcile_issues_as_a_query_parameter(lagging: JiraSimulator, clock: IndexClock) -> None:
    lagging.transition("MOB-7", "Done")
    params = {"jql": "key = MOB-7", "fields": "status"}
    stale = get(lagging, "/search/jql", params=params).json()
    fresh = get(lagging, "/search/jql", params={**params, "reconcileIssues": str(MOB_7)}).json()
    assert stale["issues"][0]["fields"]["status"]["name"] == "In Review"
    assert fresh["issues"][0]["fields"]["status"]["name"] == "Done"


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.parametrize(
    ("reconcile", "message"),
    [
        (list(range(10000, 10051)), "reconcileIssues accepts at most 50 issue ids; 51 were given."),
        (["MOB-7"], "The value 'MOB-7' is invalid for the 'reconcileIssues' parameter."),
        ([True], "The value 'True' is invalid for the 'reconcileIssues' parameter."),
    ],
)
def test_more_than_fifty_ids_or_ids_that_are_not_numbers_are_refused(
    lagging: JiraSimulator, reconcile: list[Any], message: str
) -> None:
    resp = search(lagging, "key = MOB-7", reconcile)
    assert resp.status_code == 400
    assert resp.json()["errorMessages"] == [message]
    assert search(lagging, "key = MOB-7", list(range(10000, 10050))).status_code == 200


def test_the_approximate_count_reads_the_index(lagging: JiraSimulator, clock: IndexClock) -> None:
    def count() -> int:
        resp = post(lagging, "/search/approximate-count", {"jql": "parent = MOB-1 AND status = Done"})
        return int(resp.json()["count"])

    before = count()
    lagging.transition("MOB-7", "Done")
    assert count() == before
    clock.advance(LAG)
    assert count() == before + 1


def test_no_lag_by_default_and_data_center_is_consistent(sim_factory: SimFactory, clock: IndexClock) -> None:
    cloud = sim_factory("cloud")
    cloud.transition("MOB-7", "Done")
    assert statuses(cloud, "key = MOB-7") == {"MOB-7": "Done"}
    dc = sim_factory("datacenter", index_lag_seconds=LAG, index_clock=clock)
    dc.transition("MOB-7", "Done")
    resp = post(dc, "/search", {"jql": "key = MOB-7", "fields": ["status"]})
    assert resp.json()["issues"][0]["fields"]["status"]["name"] == "Done"


def test_the_lag_is_set_over_sim_faults_until_a_reset(sim_factory: SimFactory, clock: IndexClock) -> None:
    sim = sim_factory("cloud", index_clock=clock)
    faults = f"{sim.url}/_sim/faults"
    assert requests.get(faults, timeout=10).json()["index_lag_seconds"] == 0.0
    resp = requests.post(faults, json={"index_lag_seconds": LAG}, timeout=10)
    assert resp.status_code == 200 and resp.json()["index_lag_seconds"] == LAG
    sim.transition("MOB-7", "Done")
    assert statuses(sim, "key = MOB-7") == {"MOB-7": "In Review"}
    sim.index_catch_up()
    assert statuses(sim, "key = MOB-7") == {"MOB-7": "Done"}
    for bad in (-1, "5", True):
        refused = requests.post(faults, json={"index_lag_seconds": bad}, timeout=10)
        assert refused.status_code == 400
        assert "index_lag_seconds must be a number of seconds >= 0" in refused.json()["errorMessages"][0]
    sim.reset()
    assert requests.get(faults, timeout=10).json()["index_lag_seconds"] == 0.0
