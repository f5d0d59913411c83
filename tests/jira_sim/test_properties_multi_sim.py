"""The simulator's Cloud bulk issue properties, its task and the bulk issue read, over real HTTP.

``POST /rest/api/3/issue/properties/multi`` (303 to ``GET /rest/api/3/task/{taskId}``, at most 100
issues, 10 properties an issue, 32,768 characters a value; a missing issue ignored, an issue the
account may not edit not written) and ``POST /rest/api/3/issue/bulkfetch`` (100 issues, 5
properties, ascending id order), as the Cloud platform spec describes them.
"""

from __future__ import annotations

from typing import Any

import pytest
from sim_http import AUTH, VIEWER, get, post

from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.jira_sim.tasks import set_task_polls


@pytest.fixture
def sim(sim_factory: Any) -> JiraSimulator:
    return sim_factory("cloud", okr_fields=True)


def ident(sim: JiraSimulator, key: str) -> int:
    return int(sim.issue(key)["id"])


def multi(sim: JiraSimulator, items: list[dict[str, Any]], auth: Any = AUTH) -> Any:
    return post(sim, "/issue/properties/multi", {"issues": items}, auth=auth, allow_redirects=False)


def task_of(resp: Any) -> str:
    assert resp.status_code == 303, resp.text
    location = resp.headers["Location"]
    assert location.startswith(f"{resp.url.split('/rest/')[0]}/rest/api/3/task/")
    return str(location.rsplit("/", 1)[1])


def prop(sim: JiraSimulator, key: str, name: str = "okrsync") -> Any:
    return sim.issue(key)["properties"].get(name)


def test_properties_of_many_issues_answer_303_to_a_task_that_completes(sim: JiraSimulator) -> None:
    items = [
        {"issueID": ident(sim, "MOB-2"), "properties": {"okrsync": {"progress": 40, "list": [1, "a"]}}},
        {"issueID": ident(sim, "MOB-3"), "properties": {"okrsync": "just text", "other": 7}},
    ]
    task = task_of(multi(sim, items))
    assert prop(sim, "MOB-2") == {"progress": 40, "list": [1, "a"]}
    assert (prop(sim, "MOB-3"), prop(sim, "MOB-3", "other")) == ("just text", 7)
    done = get(sim, f"/task/{task}").json()
    assert done["status"] == "COMPLETE" and done["progress"] == 100 and done["id"] == task
    assert done["self"].endswith(f"/rest/api/3/task/{task}")
    assert sorted(done["result"]["updated"]) == sorted(i["issueID"] for i in items)
    assert sim.deviations() == []  # the values are any JSON (the spec's JsonNode patched)


def test_following_the_location_with_requests_reads_the_task(sim: JiraSimulator) -> None:
    resp = post(
        sim, "/issue/properties/multi", {"issues": [{"issueID": ident(sim, "MOB-2"), "properties": {"k": 1}}]}
    )
    assert resp.status_code == 200 and resp.json()["status"] == "COMPLETE"  # a client that follows it


def test_a_missing_issue_is_ignored_and_one_the_account_may_not_edit_is_not_written(
    sim: JiraSimulator,
) -> None:
    task = task_of(
        multi(
            sim,
            [
                {"issueID": ident(sim, "MOB-2"), "properties": {"okrsync": {"v": 1}}},
                {"issueID": 999999, "properties": {"okrsync": {"v": 1}}},
            ],
        )
    )
    result = get(sim, f"/task/{task}").json()["result"]
    assert result["updated"] == [ident(sim, "MOB-2")] and result["ignored"] == [999999]
    # the viewer may browse, not edit: its task completes, having written nothing
    viewer = task_of(multi(sim, [{"issueID": ident(sim, "MOB-3"), "properties": {"okrsync": 1}}], VIEWER))
    assert prop(sim, "MOB-3") is None
    got = get(sim, f"/task/{viewer}", auth=VIEWER).json()
    assert got["status"] == "COMPLETE" and got["result"]["failed"][0]["issueID"] == ident(sim, "MOB-3")
    # Get task: "Administer Jira" or the "Creator of the task"
    assert get(sim, f"/task/{task}", auth=VIEWER).status_code == 403
    assert get(sim, f"/task/{viewer}").status_code == 200  # the admin
    assert get(sim, "/task/424242").status_code == 404


def _items(sim: JiraSimulator, n: int, props: int = 1, size: int = 10) -> list[dict[str, Any]]:
    keys = sorted(sim.store.issues)[:n]
    return [
        {"issueID": ident(sim, k), "properties": {f"p{j}": "x" * size for j in range(props)}} for k in keys
    ]


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ({"n": 101}, "must not exceed 100"),
        ({"n": 1, "props": 11}, "has too many properties"),  # the contract refuses it (maxProperties 10)
        ({"n": 1, "size": 32769}, "maximum length of 32768"),
        ({"n": 0}, "at least one issue"),
    ],
)
@pytest.mark.deviations_expected(strict=True)  # sent on purpose: refused whole
def test_what_jira_refuses_whole(sim: JiraSimulator, shape: dict[str, int], message: str) -> None:
    if len(sim.store.issues) < 101:
        pytest.skip("a site of fewer than 101 issues")
    resp = multi(sim, _items(sim, **shape))
    assert resp.status_code == 400
    assert message in resp.text
    assert all(not {"p0", "p1"} & set(i["properties"]) for i in sim.store.issues.values())


def test_the_limits_themselves_are_accepted(sim: JiraSimulator) -> None:
    resp = multi(sim, _items(sim, 100, props=10, size=32766))  # a JSON string of 32,768 characters
    assert resp.status_code == 303
    assert get(sim, f"/task/{task_of(resp)}").json()["status"] == "COMPLETE"


def test_a_task_runs_for_the_polls_it_is_told_and_faults_fail_it_or_one_issue(sim: JiraSimulator) -> None:
    set_task_polls(sim, 2)
    task = task_of(multi(sim, [{"issueID": ident(sim, "MOB-2"), "properties": {"okrsync": 1}}]))
    assert [get(sim, f"/task/{task}").json()["status"] for _ in range(3)] == [
        "RUNNING",
        "RUNNING",
        "COMPLETE",
    ]
    set_task_polls(sim, 0)
    sim.set_faults(task_failed_issues=["MOB-3"])
    items = [{"issueID": ident(sim, k), "properties": {"okrsync": 2}} for k in ("MOB-2", "MOB-3")]
    result = get(sim, f"/task/{task_of(multi(sim, items))}").json()["result"]
    assert (prop(sim, "MOB-2"), prop(sim, "MOB-3")) == (2, None)
    assert [f["issueID"] for f in result["failed"]] == [ident(sim, "MOB-3")]
    sim.set_faults(task_failed_issues=[], fail_tasks=True)
    failed = get(sim, f"/task/{task_of(multi(sim, [{**items[1], 'properties': {'okrsync': 3}}]))}").json()
    assert failed["status"] == "FAILED" and prop(sim, "MOB-3") is None
    assert sim.deviations() == []


def test_bulk_edit_tasks_take_the_same_faults(sim: JiraSimulator) -> None:
    progress = sim.field_id("OKR Progress")
    body = {
        "selectedIssueIdsOrKeys": ["MOB-2", "MOB-3"],
        "selectedActions": [progress],
        "editedFieldsInput": {"clearableNumberFields": [{"fieldId": progress, "value": 42.5}]},
    }
    sim.set_faults(task_failed_issues=["MOB-3"])
    result = get(sim, f"/bulk/queue/{post(sim, '/bulk/issues/fields', body).json()['taskId']}").json()
    assert list(result["failedAccessibleIssues"]) == [sim.issue("MOB-3")["id"]]
    assert sim.issue("MOB-3")["fields"].get(progress) != 42.5
    sim.set_faults(task_failed_issues=[], fail_tasks=True)
    body["selectedIssueIdsOrKeys"] = ["MOB-4"]
    failed = get(sim, f"/bulk/queue/{post(sim, '/bulk/issues/fields', body).json()['taskId']}").json()
    assert failed["status"] == "FAILED" and sim.issue("MOB-4")["fields"].get(progress) != 42.5


def test_bulkfetch_reads_the_properties_asked_in_id_order(sim: JiraSimulator) -> None:
    task_of(
        multi(
            sim, [{"issueID": ident(sim, k), "properties": {"okrsync": {"k": k}}} for k in ("MOB-3", "MOB-2")]
        )
    )
    sim.set_faults(forbidden_issues=["MOB-4"])
    resp = post(
        sim,
        "/issue/bulkfetch",
        {
            "issueIdsOrKeys": ["MOB-3", str(ident(sim, "MOB-2")), "MOB-4", "NOPE-9"],
            "fields": ["id"],
            "properties": ["okrsync"],
        },
    )
    assert resp.status_code == 200, resp.text
    issues = resp.json()["issues"]
    assert [i["key"] for i in issues] == sorted(["MOB-2", "MOB-3"], key=lambda k: ident(sim, k))
    assert {i["key"]: i["properties"] for i in issues} == {
        "MOB-2": {"okrsync": {"k": "MOB-2"}},
        "MOB-3": {"okrsync": {"k": "MOB-3"}},
    }
    assert all(i["fields"] == {} for i in issues)
    assert resp.json()["issueErrors"] == []
    too_many = post(sim, "/issue/bulkfetch", {"issueIdsOrKeys": [str(n) for n in range(101)]})
    assert too_many.status_code == 400
    five = post(
        sim, "/issue/bulkfetch", {"issueIdsOrKeys": ["MOB-2"], "properties": [f"p{n}" for n in range(6)]}
    )
    assert five.status_code == 400
    assert sim.deviations() == []


def test_data_center_has_neither(sim_factory: Any) -> None:
    dc = sim_factory("datacenter", okr_fields=True)
    assert post(dc, "/issue/properties/multi", {"issues": []}, version="2").status_code == 404
    # POST on /issue/{key}, which Data Center has for GET, PUT and DELETE only
    assert post(dc, "/issue/bulkfetch", {"issueIdsOrKeys": ["MOB-2"]}, version="2").status_code in (404, 405)
    assert get(dc, "/task/1", version="2").status_code == 404
