"""A Labels custom field in the simulator, end to end over HTTP: create, edit, read, search, history."""

from __future__ import annotations

from typing import Any

import pytest
from sim_http import get, post, put, search_all

from okrsync.jira_sim.simulator import JiraSimulator

LABELS = "com.atlassian.jira.plugin.system.customfieldtypes:labels"
LABEL_SEARCHER = "com.atlassian.jira.plugin.system.customfieldtypes:labelsearcher"


def make_field(sim: JiraSimulator, name: str = "OKR Objective ID") -> dict[str, Any]:
    """The field, made over REST and put on every screen (as an admin would, or setup on Cloud)."""
    resp = post(sim, "/field", {"name": name, "type": LABELS, "searcherKey": LABEL_SEARCHER})
    assert resp.status_code == 201, resp.text
    sim.put_on_screens()
    return dict(resp.json())


def keys(sim: JiraSimulator, jql: str) -> set[str]:
    return {i["key"] for i in search_all(sim, jql, fields="key")}


def test_created_labels_field_has_jiras_array_of_strings_schema(sim: JiraSimulator) -> None:
    made = make_field(sim)
    listed = {f["id"]: f for f in get(sim, "/field").json()}[made["id"]]
    assert listed["schema"]["type"] == "array" and listed["schema"]["items"] == "string"
    assert listed["schema"]["custom"] == LABELS
    assert listed["searchable"] is True
    assert "OKR Objective ID" in listed["clauseNames"]


def test_edit_read_and_search_a_labels_custom_field(sim: JiraSimulator) -> None:
    fid = make_field(sim)["id"]
    for key, value in (("MOB-1", ["MOB-O"]), ("MOB-5", ["MOB-O"]), ("PLAT-2", ["PLAT-O", "ENG"])):
        resp = put(sim, f"/issue/{key}", {"fields": {fid: value}})
        assert resp.status_code == 204, resp.text
    read = get(sim, "/issue/PLAT-2", params={"fields": fid}).json()["fields"][fid]
    assert read == ["PLAT-O", "ENG"]

    assert keys(sim, '"OKR Objective ID" = MOB-O') == {"MOB-1", "MOB-5"}
    assert keys(sim, '"OKR Objective ID" = "ENG"') == {"PLAT-2"}
    assert keys(sim, '"OKR Objective ID" in ("PLAT-O", MOB-O)') == {"MOB-1", "MOB-5", "PLAT-2"}
    assert keys(sim, f"cf[{fid.removeprefix('customfield_')}] = PLAT-O") == {"PLAT-2"}
    empty = keys(sim, '"OKR Objective ID" is EMPTY AND project = MOB')
    assert "MOB-1" not in empty and "MOB-2" in empty
    assert keys(sim, '"OKR Objective ID" is not EMPTY') == {"MOB-1", "MOB-5", "PLAT-2"}

    # the change is in the changelog like the system labels': the labels, space separated
    history = get(sim, "/issue/PLAT-2", params={"expand": "changelog"}).json()["changelog"]["histories"]
    item = history[-1]["items"][0]
    assert (item["field"], item["fieldtype"], item["toString"]) == (
        "OKR Objective ID",
        "custom",
        "PLAT-O ENG",
    )


def test_clearing_reads_back_as_null_and_leaves_the_search(sim: JiraSimulator) -> None:
    fid = make_field(sim)["id"]
    put(sim, "/issue/MOB-1", {"fields": {fid: ["MOB-O"]}}).raise_for_status()
    assert put(sim, "/issue/MOB-1", {"fields": {fid: []}}).status_code == 204
    assert get(sim, "/issue/MOB-1", params={"fields": fid}).json()["fields"][fid] is None
    put(sim, "/issue/MOB-1", {"fields": {fid: ["MOB-O"]}}).raise_for_status()
    assert put(sim, "/issue/MOB-1", {"fields": {fid: None}}).status_code == 204
    assert get(sim, "/issue/MOB-1", params={"fields": fid}).json()["fields"][fid] is None
    assert "MOB-1" in keys(sim, '"OKR Objective ID" is EMPTY AND project = MOB')


def test_add_and_remove_verbs(sim: JiraSimulator) -> None:
    fid = make_field(sim)["id"]
    put(sim, "/issue/MOB-1", {"update": {fid: [{"add": "MOB-O"}, {"add": "CO-1"}]}}).raise_for_status()
    assert get(sim, "/issue/MOB-1", params={"fields": fid}).json()["fields"][fid] == ["MOB-O", "CO-1"]
    put(sim, "/issue/MOB-1", {"update": {fid: [{"remove": "MOB-O"}, {"remove": "CO-1"}]}}).raise_for_status()
    assert get(sim, "/issue/MOB-1", params={"fields": fid}).json()["fields"][fid] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("MOB-O", "array of strings"),
        ([{"name": "MOB-O"}], "array of strings"),
        (["MOB O"], "must not contain spaces"),
        (["x" * 256], "maximum length"),
    ],
)
def test_bad_labels_are_refused_like_jira(sim: JiraSimulator, value: Any, message: str) -> None:
    fid = make_field(sim)["id"]
    resp = put(sim, "/issue/MOB-1", {"fields": {fid: value}})
    assert resp.status_code == 400
    assert message in resp.json()["errors"][fid]
    assert sim.issue("MOB-1")["fields"].get(fid) is None


def test_okr_fields_precreate_the_labels_field(sim_okr: JiraSimulator) -> None:
    sim = sim_okr
    fdef = sim.store.field_by_name("OKR Objective ID")
    assert fdef is not None and fdef["schema"]["custom"] == LABELS
    # the five older OKR fields keep their ids: the new one comes after them
    assert int(fdef["id"].removeprefix("customfield_")) > max(
        int(sim.field_id(n).removeprefix("customfield_"))
        for n in ("OKR Progress", "OKR Expected", "OKR Status", "OKR Objective", "OKR Key Result")
    )
