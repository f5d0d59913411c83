"""Team-managed (next-gen) projects in the simulator, as Jira Cloud has them.

A team-managed project has fields of its own: an edit that sets a global custom field on one of its
issues is refused with the 400 a field missing from a screen gets (``"Field 'customfield_10041'
cannot be set. It is not on the appropriate screen, or unknown."``); issue properties and comments
work there as anywhere. Cloud's ``Project`` says ``style`` ("classic" / "next-gen") and
``simplified``, and so does the issue's ``project`` field (``ProjectDetails.simplified``). Data
Center has no team-managed projects.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sim_http import get, post, put
from simkit import SimFactory

from okrsync.jira_sim.simulator import JiraSimulator

CANNOT_SET = "Field '{fid}' cannot be set. It is not on the appropriate screen, or unknown."
ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
}


@pytest.fixture
def tm(sim_factory: SimFactory) -> JiraSimulator:
    """Cloud demo site with the OKR fields, WEB team-managed."""
    return sim_factory("cloud", okr_fields=True, team_managed=["WEB"])


def _edit(sim: JiraSimulator, key: str, fields: dict[str, Any]) -> requests.Response:
    return put(sim, f"/issue/{key}", {"fields": fields})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("OKR Progress", 42.0),
        ("OKR Status", {"value": "On track"}),
        ("OKR Objective", "WEB-O"),
        ("OKR Objective ID", ["WEB-O"]),
        ("OKR Current", 5.0),  # a global field the demo's admin made
        ("Story Points", 3.0),  # the company-managed story points field
        ("Epic Link", "WEB-1"),  # team-managed projects use the parent instead
    ],
)
def test_a_global_custom_field_cannot_be_set_on_a_team_managed_issue(
    tm: JiraSimulator, field: str, value: Any
) -> None:
    fid = tm.field_id(field)
    resp = _edit(tm, "WEB-2", {fid: value})
    assert resp.status_code == 400, resp.text
    assert resp.json() == {"errorMessages": [], "errors": {fid: CANNOT_SET.format(fid=fid)}}
    assert tm.issue("WEB-2")["fields"].get(fid) is None
    # the same edit elsewhere is taken
    if field != "Epic Link":
        assert _edit(tm, "MOB-2", {fid: value}).status_code == 204


def test_an_edit_with_one_global_field_changes_nothing_and_names_only_that_field(tm: JiraSimulator) -> None:
    progress = tm.field_id("OKR Progress")
    before = tm.issue("WEB-1")["fields"]["summary"]
    resp = _edit(tm, "WEB-1", {"summary": "Renamed", progress: 10.0})
    assert resp.status_code == 400
    assert list(resp.json()["errors"]) == [progress]
    assert tm.issue("WEB-1")["fields"]["summary"] == before


def test_system_fields_and_jira_softwares_own_fields_are_taken(tm: JiraSimulator) -> None:
    resp = _edit(
        tm,
        "WEB-2",
        # customfield_10016: "Story point estimate", Jira Software's, which team-managed projects use
        {"summary": "Pricing page, redesigned", "labels": ["okr"], "customfield_10016": 5.0},
    )
    assert resp.status_code == 204, resp.text
    fields = tm.issue("WEB-2")["fields"]
    assert (fields["summary"], fields["labels"], fields["customfield_10016"]) == (
        "Pricing page, redesigned",
        ["okr"],
        5.0,
    )


def test_properties_and_comments_work_in_a_team_managed_project(tm: JiraSimulator) -> None:
    assert put(tm, "/issue/WEB-1/properties/okrsync", {"progress": 42.0}).status_code == 201
    assert get(tm, "/issue/WEB-1/properties/okrsync").json() == {
        "key": "okrsync",
        "value": {"progress": 42.0},
    }
    resp = post(tm, "/issue/WEB-1/comment", {"body": ADF})
    assert resp.status_code == 201, resp.text
    assert [c["body"] for c in tm.comments("WEB-1")][-1] == "hi"


def test_projects_say_their_style(tm: JiraSimulator) -> None:
    listed = get(tm, "/project/search").json()["values"]
    assert {p["key"]: (p["style"], p["simplified"]) for p in listed} == {
        "PLAT": ("classic", False),
        "MOB": ("classic", False),
        "WEB": ("next-gen", True),
        "DATA": ("classic", False),
    }
    one = get(tm, "/project/WEB").json()
    assert (one["style"], one["simplified"]) == ("next-gen", True)
    assert {p["key"]: p["style"] for p in get(tm, "/project").json()}["WEB"] == "next-gen"


def test_the_issues_project_field_says_simplified(tm: JiraSimulator) -> None:
    """The issue's ``project`` is a ``ProjectDetails``: ``projectTypeKey`` and ``simplified``, no ``style``."""
    resp = get(tm, "/search/jql", params={"jql": "key in (WEB-1, MOB-1)", "fields": "project"})
    projects = {i["key"]: i["fields"]["project"] for i in resp.json()["issues"]}
    assert projects["WEB-1"]["simplified"] is True
    assert projects["MOB-1"]["simplified"] is False
    assert projects["WEB-1"]["projectTypeKey"] == "software"
    assert "style" not in projects["WEB-1"]


def test_project_search_filters_by_keys_up_to_fifty(tm: JiraSimulator) -> None:
    resp = get(tm, "/project/search", params={"keys": ["WEB", "MOB"]})
    assert sorted(p["key"] for p in resp.json()["values"]) == ["MOB", "WEB"]
    assert resp.json()["total"] == 2
    too_many = get(tm, "/project/search", params={"keys": [f"P{i}" for i in range(51)]})
    assert too_many.status_code == 400
    assert too_many.json()["errorMessages"] == ["Up to 50 project keys can be provided."]


def test_project_search_pages(tm: JiraSimulator) -> None:
    first = get(tm, "/project/search", params={"maxResults": 3}).json()
    rest = get(tm, "/project/search", params={"maxResults": 3, "startAt": 3}).json()
    assert (len(first["values"]), first["isLast"], len(rest["values"]), rest["isLast"]) == (3, False, 1, True)


def test_a_project_is_made_team_managed_and_classic_again(sim_factory: SimFactory) -> None:
    sim = sim_factory("cloud", okr_fields=True)
    progress = sim.field_id("OKR Progress")
    assert _edit(sim, "WEB-1", {progress: 10.0}).status_code == 204
    resp = requests.post(f"{sim.url}/_sim/projects/WEB/style", json={"style": "next-gen"}, timeout=10)
    assert resp.json() == {"key": "WEB", "style": "next-gen"}
    assert _edit(sim, "WEB-1", {progress: 20.0}).status_code == 400
    sim.set_team_managed("WEB", False)
    assert _edit(sim, "WEB-1", {progress: 20.0}).status_code == 204
    bad = requests.post(f"{sim.url}/_sim/projects/NOPE/style", json={"style": "next-gen"}, timeout=10)
    assert bad.status_code == 400
    assert "no project 'NOPE'" in bad.json()["errorMessages"][0]


def test_the_style_survives_a_reset_and_a_save(sim_factory: SimFactory, tmp_path: Any) -> None:
    sim = sim_factory("cloud", team_managed=["WEB"])
    sim.set_team_managed("MOB")
    sim.reset()
    assert (sim.store.is_team_managed("WEB"), sim.store.is_team_managed("MOB")) == (True, False)
    sim.save(tmp_path / "site.json")
    with JiraSimulator("cloud", load=tmp_path / "site.json") as loaded:
        assert loaded.store.is_team_managed("WEB")


def test_data_center_has_no_team_managed_projects(sim_datacenter: JiraSimulator) -> None:
    project = get(sim_datacenter, "/project/WEB").json()
    assert "style" not in project and "simplified" not in project
    with pytest.raises(ValueError, match="Data Center has no team-managed projects"):
        sim_datacenter.set_team_managed("WEB")
    with pytest.raises(ValueError, match="Data Center has no team-managed projects"):
        JiraSimulator("datacenter", team_managed=["WEB"])
