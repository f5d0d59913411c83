"""The simulator answers as each dialect's spec documents it where okrsync once relied on more (issue
13): comment properties only through the documented reads, mypermissions per dialect, filter names
searched in full text unless asked for substrings, Data Center filters shared only through the
share-permission operation, built-in gadgets by uri with string configs."""

from __future__ import annotations

from typing import Any

import pytest
from sim_http import get, post, put

from okrsync.jira_sim.simulator import JiraSimulator


def _body(sim: JiraSimulator, text: str) -> Any:
    if sim.flavor == "datacenter":
        return text
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def _commented(sim: JiraSimulator) -> tuple[str, str]:
    """A comment on PLAT-2 with the ``okrsync`` property set, and a plain one: their ids."""
    marked = post(sim, "/issue/PLAT-2/comment", {"body": _body(sim, "— okrsync · status")}).json()["id"]
    assert put(sim, f"/comment/{marked}/properties/okrsync", {"identity": "status"}).status_code == 201
    plain = post(sim, "/issue/PLAT-2/comment", {"body": _body(sim, "thanks")}).json()["id"]
    return str(marked), str(plain)


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.parametrize("expand", [None, "renderedBody"])
def test_issue_comments_never_carry_properties(sim: JiraSimulator, expand: str | None) -> None:
    # GET …/comment documents the expand renderedBody only, on both dialects
    _commented(sim)
    params = {"expand": expand} if expand else {}
    comments = get(sim, "/issue/PLAT-2/comment", params=params).json()["comments"]
    assert len(comments) >= 2
    assert all("properties" not in c for c in comments)


@pytest.mark.deviations_expected  # the undocumented expand okrsync once sent, on purpose
def test_the_undocumented_properties_expand_gets_no_properties(sim: JiraSimulator) -> None:
    _commented(sim)
    comments = get(sim, "/issue/PLAT-2/comment", params={"expand": "properties"}).json()["comments"]
    assert len(comments) >= 2 and all("properties" not in c for c in comments)


def test_cloud_comment_list_returns_properties_when_expanded(sim_cloud: JiraSimulator) -> None:
    sim = sim_cloud
    marked, plain = _commented(sim)
    ids = [int(marked), int(plain)]
    bare = post(sim, "/comment/list", {"ids": ids}).json()
    assert [c["id"] for c in bare["values"]] == [marked, plain]
    assert all("properties" not in c for c in bare["values"])
    page = post(sim, "/comment/list", {"ids": ids}, params={"expand": "properties"}).json()
    assert page["isLast"] is True and page["total"] == 2
    assert [c["properties"] for c in page["values"]] == [
        [{"key": "okrsync", "value": {"identity": "status"}}],
        [],
    ]


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.deviations_expected  # id lists the contract refuses, on purpose
@pytest.mark.parametrize("ids", [[], list(range(1, 1002)), ["10000"]])
def test_cloud_comment_list_refuses_an_empty_oversized_or_textual_id_list(
    sim_cloud: JiraSimulator, ids: list[Any]
) -> None:
    resp = post(sim_cloud, "/comment/list", {"ids": ids})
    assert resp.status_code == 400 and resp.json()["errorMessages"]


@pytest.mark.deviations_expected  # an operation Data Center does not have, on purpose
def test_datacenter_has_no_comment_list(sim_datacenter: JiraSimulator) -> None:
    marked, _plain = _commented(sim_datacenter)
    assert post(sim_datacenter, "/comment/list", {"ids": [int(marked)]}).status_code == 404
    # the documented way there: the comment property itself
    assert get(sim_datacenter, f"/comment/{marked}/properties/okrsync").json()["value"] == {
        "identity": "status"
    }


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.deviations_expected  # without the required permissions, on purpose
def test_mypermissions_cloud_requires_the_keys(sim_cloud: JiraSimulator) -> None:
    assert get(sim_cloud, "/mypermissions").status_code == 400
    got = get(sim_cloud, "/mypermissions", params={"permissions": "EDIT_ISSUES"}).json()["permissions"]
    assert list(got) == ["EDIT_ISSUES"]


def test_mypermissions_datacenter_answers_every_permission(sim_datacenter: JiraSimulator) -> None:
    got = get(sim_datacenter, "/mypermissions", params={"projectKey": "PLAT"}).json()["permissions"]
    assert {"ADMINISTER", "BROWSE_PROJECTS", "EDIT_ISSUES", "ADMINISTER_PROJECTS"} <= set(got)
    assert all(v["havePermission"] is True for v in got.values())  # the demo account administers


# ---------------------------------------------------------------------------------------- filters

URI = "rest/gadgets/1.0/g/com.atlassian.jira.gadgets:"
FILTER_RESULTS = URI + "filter-results-gadget/gadgets/filter-results-gadget.xml"


def _filter(sim: JiraSimulator, name: str, **extra: Any) -> dict[str, Any]:
    resp = post(sim, "/filter", {"name": name, "jql": "project = PLAT", "favourite": True, **extra})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _names(sim: JiraSimulator, **params: Any) -> list[str]:
    return [f["name"] for f in get(sim, "/filter/search", params=params).json()["values"]]


def test_cloud_filter_search_is_full_text_unless_asked_for_substrings(sim_cloud: JiraSimulator) -> None:
    for name in ("OKR: key results", "OKR: key results (old)", "Team results"):
        _filter(sim_cloud, name)
    # full text: words in any order, stemmed, never a piece of a word
    assert _names(sim_cloud, filterName="results key") == ["OKR: key results", "OKR: key results (old)"]
    assert _names(sim_cloud, filterName="key res") == []
    # isSubstringMatch=true: "a case-insensitive substring match"
    got = _names(sim_cloud, filterName="okr: key res", isSubstringMatch="true")
    assert got == ["OKR: key results", "OKR: key results (old)"]
    assert _names(sim_cloud, filterName="results key", isSubstringMatch="true") == []


def test_datacenter_filter_creation_ignores_its_share_permissions(sim_datacenter: JiraSimulator) -> None:
    made = _filter(sim_datacenter, "OKR: key results", sharePermissions=[{"type": "authenticated"}])
    # "Currently sets permissions just using the users default sharing permissions" (private here)
    assert made["sharePermissions"] == []
    shared = post(sim_datacenter, f"/filter/{made['id']}/permission", {"type": "authenticated"})
    assert shared.status_code == 201
    assert [p["type"] for p in shared.json()] == ["loggedin"]  # authenticated shows as loggedin
    listed = get(sim_datacenter, f"/filter/{made['id']}/permission").json()
    assert [p["type"] for p in listed] == ["loggedin"]
    favourite = next(f for f in get(sim_datacenter, "/filter/favourite").json() if f["id"] == made["id"])
    assert [p["type"] for p in favourite["sharePermissions"]] == ["loggedin"]


def test_cloud_filter_creation_takes_its_share_permissions(sim_cloud: JiraSimulator) -> None:
    made = _filter(sim_cloud, "OKR: key results", sharePermissions=[{"type": "authenticated"}])
    assert [p["type"] for p in made["sharePermissions"]] == ["loggedin"]


def test_a_global_or_logged_in_share_replaces_the_others(sim: JiraSimulator) -> None:
    made = _filter(sim, "OKR: at risk")
    assert (
        post(sim, f"/filter/{made['id']}/permission", {"type": "project", "projectId": "10000"}).status_code
        == 201
    )
    again = post(sim, f"/filter/{made['id']}/permission", {"type": "authenticated"}).json()
    assert [p["type"] for p in again] == ["loggedin"]


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.deviations_expected(strict=True)  # an unknown type, on purpose
def test_only_a_known_share_type_is_taken(sim: JiraSimulator) -> None:
    made = _filter(sim, "OKR: key results")
    resp = post(sim, f"/filter/{made['id']}/permission", {"type": "everyone"})
    assert resp.status_code == 400 and resp.json()["errorMessages"]


# ---------------------------------------------------------------------------------------- gadgets


def _dashboard(sim: JiraSimulator) -> str:
    made = post(sim, "/dashboard", {"name": "OKRs", "sharePermissions": [], "editPermissions": []})
    return str(made.json()["id"])


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.deviations_expected(strict=True)  # refused by the contract or by the route
@pytest.mark.parametrize(
    "settings",
    [
        {"moduleKey": "com.atlassian.jira.gadgets:filter-results-gadget"},  # built-in: by uri only
        {"moduleKey": "com.example.app:dashboard-item"},  # no such app on the site
        {"uri": URI + "no-such-gadget/gadgets/none.xml"},
        {"uri": FILTER_RESULTS, "moduleKey": "com.atlassian.jira.gadgets:filter-results-gadget"},
    ],
)
def test_a_gadget_is_refused_unless_jira_knows_it(sim_cloud: JiraSimulator, settings: dict[str, Any]) -> None:
    did = _dashboard(sim_cloud)
    resp = post(
        sim_cloud,
        f"/dashboard/{did}/gadget",
        {"title": "KRs", "position": {"row": 0, "column": 0}, **settings},
    )
    assert resp.status_code == 400 and resp.json()["errorMessages"]
    assert get(sim_cloud, f"/dashboard/{did}/gadget").json()["gadgets"] == []


def test_built_in_gadgets_are_added_and_listed_by_uri(sim_cloud: JiraSimulator) -> None:
    available = get(sim_cloud, "/dashboard/gadgets").json()["gadgets"]
    assert {"uri": FILTER_RESULTS, "title": "Filter Results"} in available
    did = _dashboard(sim_cloud)
    made = post(
        sim_cloud, f"/dashboard/{did}/gadget", {"uri": FILTER_RESULTS, "title": "KRs", "color": "blue"}
    )
    assert made.status_code == 200
    listed = get(sim_cloud, f"/dashboard/{did}/gadget").json()["gadgets"]
    assert [(g["uri"], g["title"]) for g in listed] == [
        (FILTER_RESULTS, "KRs")
    ] and "moduleKey" not in listed[0]
    assert (
        len(get(sim_cloud, f"/dashboard/{did}/gadget", params={"uri": FILTER_RESULTS}).json()["gadgets"]) == 1
    )
    assert get(sim_cloud, f"/dashboard/{did}/gadget", params={"uri": URI + "x.xml"}).json()["gadgets"] == []


@pytest.mark.parametrize(
    "config", [{"num": 50}, {"filterId": "filter-1", "nested": {"a": "b"}}, ["filter-1"]]
)
def test_a_uri_gadgets_config_must_be_strings(sim_cloud: JiraSimulator, config: Any) -> None:
    did = _dashboard(sim_cloud)
    gid = post(sim_cloud, f"/dashboard/{did}/gadget", {"uri": FILTER_RESULTS, "title": "KRs"}).json()["id"]
    bad = put(sim_cloud, f"/dashboard/{did}/items/{gid}/properties/config", config)
    assert bad.status_code == 400
    assert "all keys and values as strings" in bad.json()["errorMessages"][0]
    ok = put(sim_cloud, f"/dashboard/{did}/items/{gid}/properties/config", {"num": "50"})
    assert ok.status_code == 201
    other = put(sim_cloud, f"/dashboard/{did}/items/{gid}/properties/okrsync", {"num": 50})
    assert other.status_code == 201  # the rule is the config property's


# ------------------------------------------------------------------------------------ changelogs


def test_cloud_bulk_changelogs_date_their_entries_with_numbers_as_the_example_does(
    sim_cloud: JiraSimulator,
) -> None:
    issue = get(sim_cloud, "/issue/PLAT-4", params={"fields": "key"}).json()
    body = post(sim_cloud, "/changelog/bulkfetch", {"issueIdsOrKeys": [issue["id"]]}).json()
    histories = [h for log in body["issueChangeLogs"] for h in log["changeHistories"]]
    assert histories and all(isinstance(h["created"], int) for h in histories)
    stored = get(sim_cloud, "/issue/PLAT-4/changelog").json()["values"]  # the paged read keeps strings
    assert all(isinstance(h["created"], str) for h in stored)
    assert len(stored) == len(histories)
