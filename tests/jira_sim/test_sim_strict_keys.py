"""JQL naming an issue that does not exist (or that the account may not browse) is rejected like Jira.

Jira answers 400 ``{"errorMessages": ["An issue with key 'FOO-999' does not exist for field 'key'."]}``
on both dialects; Data Center's ``validateQuery`` is a boolean (default true): false turns the errors
into ``warningMessages``; the strings Cloud's retired search took ("warn", "none") are refused in a
body. Cloud's ``/search/jql`` has no such parameter.
"""

from __future__ import annotations

from typing import Any

import pytest
from sim_http import get, post

from okrsync.jira_sim.simulator import JiraSimulator

MISSING = "An issue with key '{key}' does not exist for field '{field}'."


def _path(sim: JiraSimulator) -> str:
    return "/search/jql" if sim.flavor == "cloud" else "/search"


def _search(sim: JiraSimulator, jql: str, **extra: Any) -> Any:
    return post(sim, _path(sim), {"jql": jql, "fields": ["key"], "maxResults": 100, **extra})


def _keys(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [i["key"] for i in resp.json()["issues"]]


@pytest.mark.parametrize(
    ("jql", "messages"),
    [
        ("key = FOO-999", [MISSING.format(key="FOO-999", field="key")]),
        ("issuekey = FOO-999", [MISSING.format(key="FOO-999", field="issuekey")]),
        ("key in (PLAT-1, FOO-999)", [MISSING.format(key="FOO-999", field="key")]),
        ("key != PLAT-99999", [MISSING.format(key="PLAT-99999", field="key")]),
        ("key not in (PLAT-1, FOO-9)", [MISSING.format(key="FOO-9", field="key")]),
        ("id = 99999999", [MISSING.format(key="99999999", field="id")]),
        ("parent in (MOB-1, NOPE-7)", [MISSING.format(key="NOPE-7", field="parent")]),
        (
            "parent = NOPE-7 OR parent != NOPE-8",
            [MISSING.format(key=k, field="parent") for k in ("NOPE-7", "NOPE-8")],
        ),
        ('"Epic Link" in (MOB-1, NOPE-7)', [MISSING.format(key="NOPE-7", field="Epic Link")]),
        (
            "project = MOB AND (key in (A-1, B-2) OR parent = C-3)",
            [MISSING.format(key=k, field=f) for k, f in (("A-1", "key"), ("B-2", "key"), ("C-3", "parent"))],
        ),
        ("key = foo", ["The issue key 'foo' for field 'key' is invalid."]),
    ],
)
def test_an_unknown_issue_key_is_a_400_in_both_dialects(
    sim: JiraSimulator, jql: str, messages: list[str]
) -> None:
    resp = _search(sim, jql)
    assert resp.status_code == 400
    assert resp.json() == {"errorMessages": messages, "errors": {}}
    again = get(sim, _path(sim), params={"jql": jql})  # GET too
    assert again.status_code == 400 and again.json()["errorMessages"] == messages


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("key = PLAT-1", ["PLAT-1"]),
        ("key in (plat-1, MOB-1) ORDER BY key", ["MOB-1", "PLAT-1"]),
        (
            '(parent = MOB-1 OR "Epic Link" = MOB-1) AND key in (MOB-5, MOB-6) ORDER BY key',
            ["MOB-5", "MOB-6"],
        ),
        ('"Epic Link" = MOB-1 AND key = MOB-5', ["MOB-5"]),
        ("parent is EMPTY AND key = PLAT-1", ["PLAT-1"]),
    ],
)
def test_keys_that_exist_still_match(sim: JiraSimulator, jql: str, expected: list[str]) -> None:
    assert _keys(_search(sim, jql)) == expected


def test_an_id_names_its_issue(sim: JiraSimulator) -> None:
    issue_id = sim.store.issues["PLAT-1"]["id"]
    assert _keys(_search(sim, f"id = {issue_id}")) == ["PLAT-1"]


def test_a_forbidden_issue_is_named_as_not_existing(sim: JiraSimulator) -> None:
    sim.set_faults(forbidden_issues=["MOB-2"])
    resp = _search(sim, "key in (MOB-1, MOB-2) OR parent = MOB-2")
    assert resp.status_code == 400
    assert resp.json()["errorMessages"] == [
        MISSING.format(key="MOB-2", field="key"),
        MISSING.format(key="MOB-2", field="parent"),
    ]
    sim.clear_faults()
    assert _keys(_search(sim, "key in (MOB-1, MOB-2) ORDER BY key")) == ["MOB-1", "MOB-2"]


def test_approximate_count_is_strict_too(sim_cloud: JiraSimulator) -> None:
    resp = post(sim_cloud, "/search/approximate-count", {"jql": "key in (PLAT-1, FOO-999)"})
    assert resp.status_code == 400
    assert resp.json()["errorMessages"] == [MISSING.format(key="FOO-999", field="key")]


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.parametrize("mode", [False, "false"])
def test_datacenter_validate_query_false_answers_with_warnings(
    sim_datacenter: JiraSimulator, mode: Any
) -> None:
    resp = _search(sim_datacenter, "key in (PLAT-1, FOO-999) OR parent = NOPE-1", validateQuery=mode)
    assert _keys(resp) == ["PLAT-1"]
    body = resp.json()
    assert body["total"] == 1
    assert body["warningMessages"] == [
        MISSING.format(key="FOO-999", field="key"),
        MISSING.format(key="NOPE-1", field="parent"),
    ]


def test_datacenter_validate_query_false_on_get(sim_datacenter: JiraSimulator) -> None:
    resp = get(
        sim_datacenter, "/search", params={"jql": "key = FOO-1 OR key = PLAT-1", "validateQuery": "false"}
    )
    assert _keys(resp) == ["PLAT-1"]
    assert resp.json()["warningMessages"] == [MISSING.format(key="FOO-1", field="key")]


def test_datacenter_false_also_downgrades_other_validation_errors(sim_datacenter: JiraSimulator) -> None:
    # every validation error comes back as a warning; the clause in error matches nothing
    resp = _search(sim_datacenter, "projct = PLAT OR key = PLAT-1", validateQuery=False)
    assert _keys(resp) == ["PLAT-1"]
    assert resp.json()["warningMessages"] == [
        "Field 'projct' does not exist or you do not have permission to view it."
    ]


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.parametrize("mode", [True, "true", None])
def test_datacenter_validate_query_strict(sim_datacenter: JiraSimulator, mode: Any) -> None:
    extra = {} if mode is None else {"validateQuery": mode}
    resp = _search(sim_datacenter, "key in (PLAT-1, FOO-999)", **extra)
    assert resp.status_code == 400
    assert resp.json()["errorMessages"] == [MISSING.format(key="FOO-999", field="key")]


def test_a_query_that_does_not_parse_is_a_400_whatever_validate_query_says(
    sim_datacenter: JiraSimulator,
) -> None:
    resp = _search(sim_datacenter, "key in (PLAT-1", validateQuery=False)
    assert resp.status_code == 400 and resp.json()["errorMessages"]


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.parametrize("mode", ["warn", "none", "strict", "lenient", 0])
def test_datacenter_refuses_a_validate_query_that_is_not_a_boolean(
    sim_datacenter: JiraSimulator, mode: Any
) -> None:
    # SearchRequestBean.validateQuery is a boolean: the body of a search okrsync sent before (warn)
    # is refused whole, whatever its JQL
    resp = _search(sim_datacenter, "key = PLAT-1", validateQuery=mode)
    assert resp.status_code == 400
    assert "validateQuery" in resp.json()["errorMessages"][0]


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
def test_datacenter_get_refuses_a_validate_query_that_is_not_a_boolean(sim_datacenter: JiraSimulator) -> None:
    resp = get(sim_datacenter, "/search", params={"jql": "key = PLAT-1", "validateQuery": "warn"})
    assert resp.status_code == 400
    assert "validateQuery" in resp.json()["errorMessages"][0]


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
def test_cloud_search_jql_has_no_validate_query(sim_cloud: JiraSimulator) -> None:
    resp = _search(sim_cloud, "key in (PLAT-1, FOO-999)", validateQuery="warn")
    assert resp.status_code == 400
    assert resp.json()["errorMessages"] == [MISSING.format(key="FOO-999", field="key")]
    ok = _search(sim_cloud, "key = PLAT-1", validateQuery="warn")
    assert _keys(ok) == ["PLAT-1"] and "warningMessages" not in ok.json()
