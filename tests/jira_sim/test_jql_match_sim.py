"""The simulator's Cloud ``POST /rest/api/3/jql/match`` over real HTTP: one match list per query in
their order, a query in error answered with its errors (not a 400), unknown ids never matched, the
body's shape checked; Data Center has no such route."""

from __future__ import annotations

from typing import Any

import pytest
from sim_http import post

from okrsync.jira_sim.routes.jql_match import MAX_ISSUE_IDS


def ident(sim: Any, key: str) -> int:
    return int(sim.issue(key)["id"])


def test_each_query_matches_among_the_issues_asked_about(sim_factory: Any) -> None:
    sim = sim_factory("cloud")
    ids = [ident(sim, "DATA-3"), ident(sim, "DATA-2"), 99_999_999]
    resp = post(
        sim,
        "/jql/match",
        {"issueIds": ids, "jqls": ["labels = kr-quality", "project = DATA", "broken = = value"]},
    )
    assert resp.status_code == 200, resp.text
    first, second, third = resp.json()["matches"]
    assert first == {"matchedIssues": [ids[0]], "errors": []}
    assert second == {"matchedIssues": ids[:2], "errors": []}
    assert third["matchedIssues"] == [] and third["errors"]


@pytest.mark.deviations_expected
def test_a_malformed_or_oversized_body_is_a_400(sim_factory: Any) -> None:
    sim = sim_factory("cloud")
    for body in (
        {"jqls": ["project = DATA"]},  # issueIds is required
        {"issueIds": [1, 1], "jqls": []},  # unique ids
        {"issueIds": ["1"], "jqls": []},  # int64 ids
        {"issueIds": [1], "jqls": [], "expand": "x"},  # no other property
        {"issueIds": list(range(1, MAX_ISSUE_IDS + 2)), "jqls": ["project = DATA"]},
    ):
        assert post(sim, "/jql/match", body).status_code == 400, body


def test_data_center_has_no_jql_match(sim_factory: Any) -> None:
    sim = sim_factory("datacenter")
    assert post(sim, "/jql/match", {"issueIds": [1], "jqls": ["project = DATA"]}).status_code == 404
