"""The gateway's Cloud bulk edit at the HTTP level (issue 15, Build 1): the request Jira documents,
its task polled with backoff, the task's result read back, and whether okrsync may bulk edit at all."""

from __future__ import annotations

import json

import pytest
import responses
from gwkit import BASE, FakeClock, GatewayFactory, body_of

from okrsync.jira.bulk import MAX_ISSUES, BulkResult, edited_fields_input

TEXT = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
LABELS = "com.atlassian.jira.plugin.system.customfieldtypes:labels"
FLOAT = "com.atlassian.jira.plugin.system.customfieldtypes:float"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
AREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"
FIELDS = [
    {
        "id": "customfield_1",
        "name": "OKR Key Result",
        "custom": True,
        "schema": {"type": "string", "custom": TEXT},
    },
    {
        "id": "customfield_2",
        "name": "OKR Objective ID",
        "custom": True,
        "schema": {"type": "array", "custom": LABELS},
    },
    {
        "id": "customfield_3",
        "name": "OKR Progress",
        "custom": True,
        "schema": {"type": "number", "custom": FLOAT},
    },
    {
        "id": "customfield_4",
        "name": "OKR Status",
        "custom": True,
        "schema": {"type": "option", "custom": SELECT},
    },
    {
        "id": "customfield_5",
        "name": "OKR Objective",
        "custom": True,
        "schema": {"type": "string", "custom": AREA},
    },
]
SUBMIT = f"{BASE}/rest/api/3/bulk/issues/fields"
QUEUE = f"{BASE}/rest/api/3/bulk/queue/10641"
ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "O"}]}],
}


@pytest.fixture
def cloud(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> responses.RequestsMock:
    rsps.get(f"{BASE}/rest/api/3/field", json=FIELDS)
    return rsps


def test_the_request_holds_each_value_under_its_field_type(
    cloud: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    cloud.post(SUBMIT, json={"taskId": "10641"}, status=201)
    gateway = make_gateway("cloud")
    fields = {
        "customfield_1": "MOB-1: Ship it",
        "customfield_2": ["MOB-O"],
        "customfield_3": 40.0,
        "customfield_5": ADF,
    }
    assert gateway.bulk.submit(["10001", "10002"], fields, notify=False) == "10641"
    sent = body_of(cloud.calls[-1])
    assert sent == {
        "selectedIssueIdsOrKeys": ["10001", "10002"],
        "selectedActions": ["customfield_1", "customfield_2", "customfield_3", "customfield_5"],
        "editedFieldsInput": {
            "singleLineTextFields": [{"fieldId": "customfield_1", "text": "MOB-1: Ship it"}],
            "labelsFields": [
                {
                    "fieldId": "customfield_2",
                    "bulkEditMultiSelectFieldOption": "REPLACE",
                    "labels": [{"name": "MOB-O"}],
                }
            ],
            "clearableNumberFields": [{"fieldId": "customfield_3", "value": 40.0}],
            "richTextFields": [{"fieldId": "customfield_5", "richText": {"adfValue": ADF}}],
        },
        "sendBulkNotification": False,
    }
    assert gateway.stats.requests == 2  # the field list, the submit


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"customfield_1": None}, {"singleLineTextFields": [{"fieldId": "customfield_1", "text": ""}]}),
        (
            {"customfield_2": []},
            {
                "labelsFields": [
                    {"fieldId": "customfield_2", "bulkEditMultiSelectFieldOption": "REMOVE_ALL", "labels": []}
                ]
            },
        ),
        ({"customfield_3": None}, {"clearableNumberFields": [{"fieldId": "customfield_3", "value": None}]}),
        ({"customfield_5": None}, {"richTextFields": [{"fieldId": "customfield_5", "richText": {}}]}),
    ],
)
def test_clearing_as_the_spec_says(fields: dict[str, object], expected: dict[str, object]) -> None:
    schemas = {f["id"]: f["schema"] for f in FIELDS}
    assert edited_fields_input(fields, schemas) == expected  # type: ignore[arg-type]


def test_a_select_list_has_no_bulk_input_for_okrsyncs_values(
    cloud: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway("cloud")
    assert gateway.bulk.bulkable(["customfield_1", "customfield_2", "customfield_3"])
    assert not gateway.bulk.bulkable(["customfield_1", "customfield_4"])  # takes an optionId
    with pytest.raises(ValueError):
        edited_fields_input({"customfield_4": {"value": "On track"}}, {f["id"]: f["schema"] for f in FIELDS})


def test_limits_are_checked_before_sending(
    cloud: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway("cloud")
    with pytest.raises(ValueError, match="1000 issues"):
        gateway.bulk.submit([str(i) for i in range(MAX_ISSUES + 1)], {"customfield_1": "x"}, notify=True)
    assert gateway.stats.requests == 0


def test_the_task_is_polled_with_backoff_until_complete(
    cloud: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    running = {"taskId": "10641", "status": "RUNNING", "progressPercent": 65}
    done = {
        "taskId": "10641",
        "status": "COMPLETE",
        "progressPercent": 100,
        "processedAccessibleIssues": [10001, 10002],
        "failedAccessibleIssues": {"10003": ["Field 'customfield_1' cannot be set."]},
        "invalidOrInaccessibleIssueCount": 1,
        "totalIssueCount": 4,
        "created": 1709189449954,  # the description's examples give numbers, the schema date-times
    }
    for _ in range(4):
        cloud.get(QUEUE, json=running)
    cloud.get(QUEUE, json=done)
    gateway = make_gateway("cloud")
    result = gateway.bulk.poll("10641")
    assert result == BulkResult(
        "10641",
        "COMPLETE",
        frozenset({"10001", "10002"}),
        {"10003": ("Field 'customfield_1' cannot be set.",)},
        1,
    )
    assert result.complete
    assert clock.sleeps == [0.05, 0.1, 0.2, 0.4]
    assert gateway.stats.requests == 5


def test_a_task_still_running_at_the_deadline_comes_back_unfinished(
    cloud: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    for _ in range(40):
        cloud.get(QUEUE, json={"taskId": "10641", "status": "RUNNING"})
    result = make_gateway("cloud").bulk.poll("10641", deadline=10.0)
    assert not result.complete and result.processed == frozenset()
    assert sum(clock.sleeps) >= 10.0 - 2.0 and max(clock.sleeps) == 2.0


@pytest.mark.parametrize("have", [True, False])
def test_bulk_change_is_asked_once(
    cloud: responses.RequestsMock, make_gateway: GatewayFactory, have: bool
) -> None:
    cloud.get(
        f"{BASE}/rest/api/3/mypermissions",
        json={"permissions": {"BULK_CHANGE": {"key": "BULK_CHANGE", "havePermission": have}}},
    )
    gateway = make_gateway("cloud")
    assert gateway.bulk.available() is have
    assert gateway.bulk.available() is have
    asked = [c for c in cloud.calls if "mypermissions" in c.request.url]
    assert len(asked) == 1 and "permissions=BULK_CHANGE" in asked[0].request.url


def test_data_center_has_no_bulk_edit_and_asks_nothing(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    gateway = make_gateway("datacenter")
    assert gateway.bulk.available() is False
    assert gateway.stats.requests == 0


def test_a_refused_submit_is_a_jira_error(
    cloud: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    from okrsync.jira.errors import JiraPermissionError

    cloud.post(SUBMIT, status=403, body=json.dumps({"errors": [{"message": "no Bulk Change"}]}))
    with pytest.raises(JiraPermissionError):
        make_gateway("cloud").bulk.submit(["10001"], {"customfield_1": "x"}, notify=True)
