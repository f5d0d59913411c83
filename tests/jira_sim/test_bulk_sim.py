"""The simulator's Cloud bulk edit and its task queue (issue 15, Build 1), over real HTTP.

``POST /rest/api/3/bulk/issues/fields`` and ``GET /rest/api/3/bulk/queue/{taskId}`` as the Cloud
platform spec describes them: at most 1000 issues and 200 fields, every edited field listed in
``selectedActions``, the global Bulk change permission, asynchronous, and an issue that cannot be
edited failing in the task's result, not the whole request.
"""

from __future__ import annotations

from typing import Any

import pytest
from sim_http import get, post

from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.jira_sim.tasks import revoke_bulk_change, set_task_polls


@pytest.fixture
def sim(sim_factory: Any) -> JiraSimulator:
    return sim_factory("cloud", okr_fields=True)


def payload(sim: JiraSimulator, keys: list[str], **extra: Any) -> dict[str, Any]:
    kr, oid, progress = (
        sim.field_id("OKR Key Result"),
        sim.field_id("OKR Objective ID"),
        sim.field_id("OKR Progress"),
    )
    body: dict[str, Any] = {
        "selectedIssueIdsOrKeys": keys,
        "selectedActions": [kr, oid, progress],
        "editedFieldsInput": {
            "singleLineTextFields": [{"fieldId": kr, "text": "MOB-1: Ship it"}],
            "labelsFields": [
                {"fieldId": oid, "bulkEditMultiSelectFieldOption": "REPLACE", "labels": [{"name": "MOB-O"}]}
            ],
            "clearableNumberFields": [{"fieldId": progress, "value": 42.5}],
        },
        "sendBulkNotification": False,
    }
    body.update(extra)
    return body


def value(sim: JiraSimulator, key: str, name: str) -> Any:
    return sim.issue(key)["fields"].get(sim.field_id(name))


def test_a_bulk_edit_sets_the_values_on_every_issue_and_its_task_reports_them(sim: JiraSimulator) -> None:
    keys = ["MOB-2", "MOB-3", "MOB-4"]
    resp = post(sim, "/bulk/issues/fields", payload(sim, keys))
    assert resp.status_code == 201, resp.text
    task = resp.json()["taskId"]
    for key in keys:
        assert value(sim, key, "OKR Key Result") == "MOB-1: Ship it"
        assert value(sim, key, "OKR Objective ID") == ["MOB-O"]
        assert value(sim, key, "OKR Progress") == 42.5
    progress = get(sim, f"/bulk/queue/{task}").json()
    assert progress["status"] == "COMPLETE" and progress["progressPercent"] == 100
    assert sorted(progress["processedAccessibleIssues"]) == sorted(int(sim.issue(k)["id"]) for k in keys)
    assert progress["failedAccessibleIssues"] == {} and progress["invalidOrInaccessibleIssueCount"] == 0
    assert progress["totalIssueCount"] == 3
    assert sim.deviations() == []


def test_clearing_by_the_documented_inputs(sim: JiraSimulator) -> None:
    kr, oid = sim.field_id("OKR Key Result"), sim.field_id("OKR Objective ID")
    assert post(sim, "/bulk/issues/fields", payload(sim, ["MOB-2"])).status_code == 201
    clear = {
        "selectedIssueIdsOrKeys": ["MOB-2"],
        "selectedActions": [kr, oid],
        "editedFieldsInput": {
            "singleLineTextFields": [
                {"fieldId": kr, "text": ""}
            ],  # "To clear, set `text` to an empty string"
            "labelsFields": [{"fieldId": oid, "bulkEditMultiSelectFieldOption": "REMOVE_ALL", "labels": []}],
        },
    }
    assert post(sim, "/bulk/issues/fields", clear).status_code == 201
    assert value(sim, "MOB-2", "OKR Key Result") is None
    assert not value(sim, "MOB-2", "OKR Objective ID")


def test_an_issue_that_cannot_be_edited_fails_in_the_result_not_the_request(sim: JiraSimulator) -> None:
    sim.set_off_screen("WEB", ["OKR Key Result"])  # WEB's screens lack the field
    resp = post(sim, "/bulk/issues/fields", payload(sim, ["MOB-2", "WEB-2", "NOPE-1"]))
    assert resp.status_code == 201
    result = get(sim, f"/bulk/queue/{resp.json()['taskId']}").json()
    assert result["processedAccessibleIssues"] == [int(sim.issue("MOB-2")["id"])]
    failed = result["failedAccessibleIssues"]
    assert list(failed) == [sim.issue("WEB-2")["id"]]
    assert any(sim.field_id("OKR Key Result") in reason for reason in failed[sim.issue("WEB-2")["id"]])
    assert result["invalidOrInaccessibleIssueCount"] == 1  # NOPE-1 does not exist
    assert value(sim, "WEB-2", "OKR Progress") != 42.5  # an issue's edit is all or nothing


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"selectedIssueIdsOrKeys": [f"MOB-{i}" for i in range(1, 1002)]}, "maximum of 1000 issues"),
        ({"selectedActions": [f"customfield_{i}" for i in range(10000, 10201)]}, "maximum of 200 fields"),
        ({"selectedActions": ["customfield_1"]}, "not listed as selectedActions"),
        ({"selectedIssueIdsOrKeys": []}, "must not be empty"),
    ],
)
def test_what_jira_refuses_whole(sim: JiraSimulator, change: dict[str, Any], message: str) -> None:
    resp = post(sim, "/bulk/issues/fields", payload(sim, ["MOB-2"], **change))
    assert resp.status_code == 400
    assert message in resp.json()["errors"][0]["message"]
    assert value(sim, "MOB-2", "OKR Progress") != 42.5


def test_without_the_bulk_change_permission_403_and_mypermissions_says_so(sim: JiraSimulator) -> None:
    assert get(sim, "/mypermissions", params={"permissions": "BULK_CHANGE"}).json()["permissions"][
        "BULK_CHANGE"
    ]["havePermission"]
    revoke_bulk_change(sim)
    resp = post(sim, "/bulk/issues/fields", payload(sim, ["MOB-2"]))
    assert resp.status_code == 403 and "Bulk Change" in resp.json()["errors"][0]["message"]
    perms = get(sim, "/mypermissions", params={"permissions": "BULK_CHANGE"}).json()["permissions"]
    assert perms["BULK_CHANGE"]["havePermission"] is False
    assert value(sim, "MOB-2", "OKR Progress") != 42.5


def test_a_task_runs_for_the_polls_it_is_told_then_completes(sim: JiraSimulator) -> None:
    set_task_polls(sim, 2)
    task = post(sim, "/bulk/issues/fields", payload(sim, ["MOB-2"])).json()["taskId"]
    states = [get(sim, f"/bulk/queue/{task}").json()["status"] for _ in range(3)]
    assert states == ["RUNNING", "RUNNING", "COMPLETE"]
    assert get(sim, "/bulk/queue/99999").status_code == 400  # "not a bulk operation task"


def test_data_center_has_no_bulk_edit(sim_factory: Any) -> None:
    dc = sim_factory("datacenter", okr_fields=True)
    resp = post(dc, "/bulk/issues/fields", {"selectedIssueIdsOrKeys": ["MOB-2"]}, version="2")
    assert resp.status_code == 404
