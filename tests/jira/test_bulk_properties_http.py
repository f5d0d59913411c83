"""The gateway's Cloud bulk issue properties at the HTTP level (issue 15, Build 1): the 303 read, not
followed; batches of 100 issues by id, every batch submitted before any task is polled; polling with
the bulk edit's backoff; and what was written decided by reading the values back (bulkfetch), not by
the task's undocumented result."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import responses
from gwkit import BASE, FakeClock, GatewayFactory, body_of

from okrsync.jira.bulk_properties import task_id_of
from okrsync.jira.errors import JiraError, JiraUnavailable

MULTI = f"{BASE}/rest/api/3/issue/properties/multi"
FETCH = f"{BASE}/rest/api/3/issue/bulkfetch"
TASK = re.compile(re.escape(f"{BASE}/rest/api/3/task/") + r"\d+")


def see_other(task: str) -> dict[str, Any]:
    return {"status": 303, "headers": {"Location": f"{BASE}/rest/api/3/task/{task}"}}


def done(task: str, status: str = "COMPLETE", **extra: Any) -> dict[str, Any]:
    return {"id": task, "status": status, "progress": 100, **extra}


def echo_fetch(stored: dict[str, dict[str, Any]]) -> Any:
    """A bulkfetch answering what ``stored`` holds (issue id → properties)."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        issues = [
            {
                "id": i,
                "key": f"K-{i}",
                "fields": {},
                "properties": {k: stored[i][k] for k in body["properties"] if k in stored[i]},
            }
            for i in body["issueIdsOrKeys"]
            if i in stored
        ]
        return 200, {}, json.dumps({"issues": issues, "issueErrors": []})

    return answer


def test_the_303_is_read_not_followed(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.post(MULTI, **see_other("10700"))
    task = make_gateway("cloud").bulk_properties.submit(
        {"10001": {"okrsync": {"v": 1}}, "10002": {"okrsync": []}}
    )
    assert task == "10700"
    assert [c.request.method for c in rsps.calls] == ["POST"]  # no GET of the task behind our back
    assert body_of(rsps.calls[0]) == {
        "issues": [
            {"issueID": 10001, "properties": {"okrsync": {"v": 1}}},
            {"issueID": 10002, "properties": {"okrsync": []}},
        ]
    }


@pytest.mark.parametrize(
    ("location", "task"),
    [
        (f"{BASE}/rest/api/3/task/10700", "10700"),
        ("/rest/api/3/task/42/", "42"),
        ("https://x.atlassian.net/rest/api/2/task/7?x=1", "7"),
    ],
)
def test_the_task_id_is_the_location_s_last_segment(location: str, task: str) -> None:
    assert task_id_of(location) == task


def test_a_303_without_a_location_is_an_error() -> None:
    with pytest.raises(JiraError, match="without a task Location"):
        task_id_of(None)


def test_polling_backs_off_as_the_bulk_edit_does(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    for status in ("ENQUEUED", "RUNNING", "RUNNING"):
        rsps.get(f"{BASE}/rest/api/3/task/10700", json={"id": "10700", "status": status, "progress": 10})
    rsps.get(f"{BASE}/rest/api/3/task/10700", json=done("10700"))
    assert make_gateway("cloud").bulk_properties.poll("10700")["status"] == "COMPLETE"
    assert clock.sleeps == [0.05, 0.1, 0.2]


def test_200_properties_cost_two_submits_two_polls_two_reads(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    values = {str(10000 + n): {"okrsync": {"n": n, "tags": ("a", "b")}} for n in range(200)}
    stored = {i: {"okrsync": {"n": v["okrsync"]["n"], "tags": ["a", "b"]}} for i, v in values.items()}
    del stored["10150"]  # not found: ignored by Jira, absent from the read
    stored["10151"] = {"okrsync": {"n": -1}}  # the task failed on it: the old value reads back
    rsps.post(MULTI, **see_other("1"))
    rsps.post(MULTI, **see_other("2"))
    rsps.get(TASK, json=done("1", result={"anything": "undocumented"}))
    rsps.add_callback(responses.POST, FETCH, callback=echo_fetch(stored))
    result = make_gateway("cloud").bulk_properties.set_many(values)
    calls = [(c.request.method, c.request.url.split("/rest/api/3/")[1]) for c in rsps.calls]
    assert calls == [
        ("POST", "issue/properties/multi"),
        ("POST", "issue/properties/multi"),
        ("GET", "task/1"),
        ("GET", "task/2"),
        ("POST", "issue/bulkfetch"),
        ("POST", "issue/bulkfetch"),
    ]
    first, second = body_of(rsps.calls[0]), body_of(rsps.calls[1])
    assert [len(first["issues"]), len(second["issues"])] == [100, 100]
    assert first["issues"][0]["issueID"] == 10000 and second["issues"][0]["issueID"] == 10100
    read = body_of(rsps.calls[4])
    assert (
        read["properties"] == ["okrsync"] and read["fields"] == ["id"] and len(read["issueIdsOrKeys"]) == 100
    )
    assert result.batches == 2 and result.written == frozenset(values) - {"10150", "10151"}


def test_a_refused_batch_and_a_failed_task_leave_their_issues_to_the_caller(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    values = {str(10000 + n): {"okrsync": n} for n in range(150)}
    rsps.post(MULTI, json={"errorMessages": ["nope"], "errors": {}}, status=400)
    rsps.post(MULTI, **see_other("2"))
    rsps.get(f"{BASE}/rest/api/3/task/2", json=done("2", "FAILED"))
    rsps.add_callback(responses.POST, FETCH, callback=echo_fetch({}))  # nothing landed
    result = make_gateway("cloud").bulk_properties.set_many(values)
    assert result.batches == 1 and result.written == frozenset() and result.tasks == {"2": "FAILED"}


def test_the_read_back_decides_even_when_the_task_says_failed(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    values = {"10001": {"okrsync": 1}, "10002": {"okrsync": 2}}
    rsps.post(MULTI, **see_other("3"))
    rsps.get(f"{BASE}/rest/api/3/task/3", json=done("3", "FAILED"))
    rsps.add_callback(responses.POST, FETCH, callback=echo_fetch({"10001": {"okrsync": 1}, "10002": {}}))
    assert make_gateway("cloud").bulk_properties.set_many(values).written == frozenset({"10001"})


def test_jira_down_propagates(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.post(MULTI, status=503)
    with pytest.raises(JiraUnavailable):
        make_gateway("cloud", max_retries=0).bulk_properties.set_many({"1": {"okrsync": 1}})


def test_available_on_cloud_only(make_gateway: GatewayFactory) -> None:
    assert make_gateway("cloud").bulk_properties.available()
    assert not make_gateway("datacenter").bulk_properties.available()
