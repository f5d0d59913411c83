"""The simulator refuses what Jira's contract refuses: each issue-13 deviation, and the generic
checks (undeclared parameters, types, enums, bodies against the schema, the description rules),
table-driven on the validator, then end to end over HTTP in strict and lenient mode."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from simkit import SimFactory

from okrsync.jira_sim.contract import load_contract
from okrsync.jira_sim.simulator import JiraSimulator

AUTH = ("demo@example.com", "demo-token")


def doc(*content: Any) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def para(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


def q(**params: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in params.items()}


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


ORDER_8 = "project = MOB ORDER BY a, b, c, d, e, f, g, h"
ORDER_7 = "project = MOB ORDER BY a, b, c, d, e, f, g"

# (dialect, method, path, query, body, a part of the one reason, or None when valid)
CASES: list[tuple[str, str, str, dict[str, list[str]], bytes, str | None]] = [
    # the Data Center deviations
    (
        "datacenter",
        "POST",
        "/rest/api/2/search",
        {},
        body({"jql": "project = MOB", "validateQuery": "warn"}),
        "body.validateQuery: 'warn' is not of type 'boolean'",
    ),
    (
        "datacenter",
        "POST",
        "/rest/api/2/search",
        {},
        body({"jql": "project = MOB", "validateQuery": False}),
        None,
    ),
    (
        "datacenter",
        "POST",
        "/rest/api/2/search",
        {},
        body({"jql": "project = MOB", "expand": ["changelog"]}),
        None,
    ),
    (
        "datacenter",
        "GET",
        "/rest/api/2/mypermissions",
        q(permissions="EDIT_ISSUES"),
        b"",
        "query parameter 'permissions' is not a parameter of getPermissions",
    ),
    ("datacenter", "GET", "/rest/api/2/mypermissions", q(projectKey="MOB"), b"", None),
    (
        "datacenter",
        "GET",
        "/rest/api/2/customFields/10200/options",
        q(useAllContexts="true"),
        b"",
        "query parameter 'useAllContexts' is not a parameter of getCustomFieldOptions",
    ),
    (
        "datacenter",
        "GET",
        "/rest/api/2/issue/MOB-1/comment",
        q(expand="properties"),
        b"",
        "'properties' is not an expand option of getComments",
    ),
    (
        "datacenter",
        "GET",
        "/rest/api/2/issue/MOB-1/comment",
        q(expand="renderedBody", maxResults="50"),
        b"",
        None,
    ),
    (
        "datacenter",
        "GET",
        "/rest/api/latest/search",
        q(jql="project = MOB", validateQuery="warn"),
        b"",
        "'warn' is not a boolean",
    ),
    (
        "datacenter",
        "PUT",
        "/rest/api/2/issue/MOB-1",
        q(notifyUsers="false"),
        body(
            {
                "fields": {
                    "customfield_10200": 42.5,
                    "labels": ["ENG-1"],
                    "customfield_10201": {"value": "On track"},
                }
            }
        ),
        None,
    ),
    ("datacenter", "PUT", "/rest/api/2/issue/MOB-1/properties/okrsync", {}, body({"progress": 40}), None),
    # the Cloud deviations
    (
        "cloud",
        "GET",
        "/rest/api/3/issue/MOB-1/comment",
        q(expand="properties"),
        b"",
        "'properties' is not an expand option of getComments (its description lists: renderedBody)",
    ),
    (
        "cloud",
        "GET",
        "/rest/api/3/filter/search",
        q(filterName="OKR", isSubstringMatch="true", expand="jql"),
        b"",
        None,
    ),
    (
        "cloud",
        "GET",
        "/rest/api/3/filter/search",
        q(filterName="OKR", isSubstringMatch="yes"),
        b"",
        "is not a boolean",
    ),
    ("cloud", "GET", "/rest/api/3/filter/search", q(orderBy="size"), b"", "'size' is not one of"),
    ("cloud", "GET", "/rest/api/3/mypermissions", {}, b"", "'permissions' is required"),
    ("cloud", "GET", "/rest/api/2/mypermissions", q(permissions="BROWSE_PROJECTS,EDIT_ISSUES"), b"", None),
    # search/jql: the body schema (additionalProperties: false) and the description's rules
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "fields": ["summary"]}),
        None,
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "validateQuery": "strict"}),
        "Additional properties are not allowed ('validateQuery' was unexpected)",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "expand": ["names"]}),
        "body.expand: ['names'] is not of type 'string'",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "expand": "names,changelog"}),
        None,
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "expand": "names,comments"}),
        "'comments' is not an expand option of search/jql",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "properties": list("abcdef")}),
        "'properties' has 6 values; the spec allows at most 5",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "properties": list("abcde")}),
        None,
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "reconcileIssues": list(range(51))}),
        "'reconcileIssues' has 51 values; the spec allows at most 50",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "reconcileIssues": list(range(50))}),
        None,
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "reconcileIssues": ["MOB-1"]}),
        "is not of type 'integer'",
    ),
    ("cloud", "POST", "/rest/api/3/search/jql", {}, body({"jql": ORDER_8}), "ORDER BY has 8 fields"),
    ("cloud", "POST", "/rest/api/3/search/jql", {}, body({"jql": ORDER_7}), None),
    ("cloud", "POST", "/rest/api/3/search/jql", {}, body({"jql": 'summary ~ "order by x"'}), None),
    ("cloud", "POST", "/rest/api/3/search/jql", {}, body({"jql": "ORDER BY key DESC"}), "is unbounded"),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/jql",
        {},
        body({"jql": "project = MOB", "maxResults": "50"}),
        "'50' is not of type 'integer'",
    ),
    (
        "cloud",
        "GET",
        "/rest/api/3/search/jql",
        q(jql="project = MOB", properties="a,b,c,d,e,f"),
        b"",
        "'properties' has 6 values",
    ),
    (
        "cloud",
        "GET",
        "/rest/api/3/search/jql",
        q(jql="project = MOB", maxResults="lots"),
        b"",
        "'lots' is not an integer",
    ),
    (
        "cloud",
        "GET",
        "/rest/api/3/search/jql",
        q(jql="project = MOB", startAt="0"),
        b"",
        "query parameter 'startAt' is not a parameter of searchAndReconsileIssuesUsingJql",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/search/approximate-count",
        {},
        body({"jql": "order by created"}),
        "is unbounded",
    ),
    ("cloud", "POST", "/rest/api/3/search/jql", {}, b"{not json", "the request body is not valid JSON"),
    ("cloud", "POST", "/rest/api/3/search/jql", {}, b"", "needs a request body"),
    # ADF on v3 bodies
    ("cloud", "POST", "/rest/api/3/issue/MOB-1/comment", {}, body({"body": doc(para("On track"))}), None),
    (
        "cloud",
        "POST",
        "/rest/api/3/issue/MOB-1/comment",
        {},
        body({"body": doc({"type": "text", "text": "x"})}),
        "a 'text' node at document level",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/issue/MOB-1/comment",
        {},
        body({"body": doc(para(""))}),
        "a text node's text must be a non-empty string",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/issue/MOB-1/comment",
        {},
        body({"body": "plain text"}),
        "not an Atlassian Document",
    ),
    ("cloud", "POST", "/rest/api/2/issue/MOB-1/comment", {}, body({"body": "plain text on v2"}), None),
    (
        "cloud",
        "PUT",
        "/rest/api/3/issue/MOB-1/comment/10001",
        {},
        body({"body": doc({"type": "bulletList", "content": []})}),
        "a 'bulletList' needs content",
    ),
    (
        "cloud",
        "PUT",
        "/rest/api/3/issue/MOB-1",
        q(notifyUsers="false"),
        body(
            {"fields": {"customfield_10050": doc({"type": "paragraph", "content": [{"type": "paragraph"}]})}}
        ),
        "a 'paragraph' holds inline nodes",
    ),
    (
        "cloud",
        "PUT",
        "/rest/api/3/issue/MOB-1",
        q(notifyUsers="false"),
        body({"fields": {"customfield_10050": doc(para("Ship it")), "labels": ["ENG-1"]}}),
        None,
    ),
    (
        "cloud",
        "PUT",
        "/rest/api/3/issue/MOB-1",
        q(notifyUsers="no"),
        body({"fields": {}}),
        "is not a boolean",
    ),
    # gadgets: the schema (the position in both forms the README allows) and moduleKey xor uri
    (
        "cloud",
        "POST",
        "/rest/api/3/dashboard/10000/gadget",
        {},
        body(
            {
                "uri": "rest/gadgets/1.0/g/com.atlassian.jira.gadgets:filter-results-gadget/gadgets/filter-results-gadget.xml",
                "position": {"column": 0, "row": 1},
                "title": "OKRs",
            }
        ),
        None,
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/dashboard/10000/gadget",
        {},
        body({"moduleKey": "a", "uri": "b"}),
        "a gadget takes 'moduleKey' or 'uri', not both",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/dashboard/10000/gadget",
        {},
        body({"uri": "x", "position": {"column": "0"}}),
        "body.position.column: '0' is not of type 'integer'",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/dashboard/10000/gadget",
        {},
        body({"uri": "x", "color": 3}),
        "3 is not of type 'string'",
    ),
    # properties: "a valid, non-empty JSON blob. The maximum length is 32768 characters."
    (
        "cloud",
        "PUT",
        "/rest/api/3/issue/MOB-1/properties/okrsync",
        {},
        body({"v": "x" * 40000}),
        "the maximum length is 32768",
    ),
    (
        "cloud",
        "PUT",
        "/rest/api/3/issue/MOB-1/properties/" + "k" * 256,
        {},
        body({"v": 1}),
        "the maximum length is 255",
    ),
    ("cloud", "PUT", "/rest/api/3/comment/10001/properties/okrsync", {}, body({"kind": "status"}), None),
    # bulk changelogs: the schema's limits
    (
        "cloud",
        "POST",
        "/rest/api/3/changelog/bulkfetch",
        {},
        body({"issueIdsOrKeys": ["MOB-1"], "fieldIds": list("abcdefghijk")}),
        "is too long",
    ),
    (
        "cloud",
        "POST",
        "/rest/api/3/changelog/bulkfetch",
        {},
        body({"issueIdsOrKeys": []}),
        "should be non-empty",
    ),
    # operations a dialect does not have, and paths no spec describes
    ("datacenter", "POST", "/rest/api/2/search/jql", {}, b"{}", "is not an operation of Jira Data Center"),
    ("cloud", "GET", "/rest/api/3/issue/MOB-1/changelog", q(startAt="0", maxResults="100"), b"", None),
    (
        "datacenter",
        "GET",
        "/rest/api/2/issue/MOB-1/changelog",
        {},
        b"",
        "is not an operation of Jira Data Center",
    ),
]


@pytest.mark.parametrize(("dialect", "method", "path", "query", "raw", "reason"), CASES)
def test_the_contract_refuses_what_jira_refuses(
    dialect: str, method: str, path: str, query: dict[str, list[str]], raw: bytes, reason: str | None
) -> None:
    check = load_contract(dialect).check_request(method, path, query, raw)
    if reason is None:
        assert check.reasons == []
    else:
        assert len(check.reasons) == 1, check.reasons
        assert reason in check.reasons[0]


# ------------------------------------------------------------------------------ over HTTP


@pytest.mark.deviations_expected(strict=True)
def test_strict_refuses_with_jiras_status_and_body_and_records_the_deviation(sim_factory: SimFactory) -> None:
    sim = sim_factory("datacenter", strict=True)
    resp = requests.post(
        sim.url + "/rest/api/2/search",
        json={"jql": "project = MOB", "validateQuery": "warn"},
        auth=AUTH,
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "errorMessages": ["body.validateQuery: 'warn' is not of type 'boolean'"],
        "errors": {},
    }
    resp = requests.get(sim.url + "/rest/api/2/issue/MOB-1/comment?expand=properties", auth=AUTH, timeout=10)
    assert resp.status_code == 400
    log = requests.get(sim.url + "/_sim/requests", timeout=10).json()
    assert [(d["kind"], d["operation"], d["status"], d["refused"]) for d in log["deviations"]] == [
        ("request", "POST /api/2/search", 400, True),
        ("request", "GET /api/2/issue/{issueIdOrKey}/comment", 400, True),
    ]
    assert log["deviations"][1]["query"] == "expand=properties"
    assert log["deviations"] == sim.deviations()
    # a refused request reached no handler: nothing changed, and it counts like any other request
    assert log["counts"]["POST /rest/api/2/search"] == 1


@pytest.mark.deviations_expected(strict=True)
def test_an_operation_the_dialect_lacks_is_refused_404(sim_factory: SimFactory) -> None:
    sim = sim_factory("datacenter", strict=True)
    resp = requests.get(sim.url + "/rest/api/2/filter/my", auth=AUTH, timeout=10)
    assert resp.status_code in (200, 404)  # filter/{id} with id "my": Data Center has no /filter/my
    resp = requests.get(sim.url + "/rest/api/2/issue/MOB-1/changelog", auth=AUTH, timeout=10)
    assert resp.status_code == 404


@pytest.mark.deviations_expected(strict=True)
def test_lenient_serves_the_request_and_still_records_it(sim_factory: SimFactory) -> None:
    sim = sim_factory("cloud", strict=False)
    resp = requests.post(
        sim.url + "/rest/api/3/search/jql",
        json={"jql": "project = MOB", "properties": list("abcdef")},
        auth=AUTH,
        timeout=10,
    )
    assert resp.status_code == 200
    (dev,) = sim.deviations()
    assert (dev["status"], dev["refused"]) == (200, False)
    assert dev["reasons"] == [
        "'properties' has 6 values; the spec allows at most 5 (\"A list of up to 5 issue properties\")"
    ]


def test_valid_requests_pass_and_the_admin_api_and_webhook_registration_are_exempt(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory("cloud", strict=True)
    assert requests.get(sim.url + "/rest/api/3/myself", auth=AUTH, timeout=10).status_code == 200
    assert requests.get(sim.url + "/_sim/info?anything=goes", timeout=10).status_code == 200
    assert requests.get(sim.url + "/rest/webhooks/1.0/webhook", auth=AUTH, timeout=10).status_code == 200
    assert sim.deviations() == []


def test_authentication_comes_before_the_contract(sim_factory: SimFactory) -> None:
    sim = sim_factory("cloud", strict=True)
    resp = requests.get(sim.url + "/rest/api/3/issue/MOB-1/comment?expand=properties", timeout=10)
    assert resp.status_code == 401
    assert sim.deviations() == []


@pytest.mark.deviations_expected(strict=True)
def test_reset_clears_the_deviations_and_restores_strictness() -> None:
    with JiraSimulator("cloud", strict=True) as sim:
        sim.contract.strict = False
        requests.get(sim.url + "/rest/api/3/mypermissions", auth=AUTH, timeout=10)
        assert len(sim.deviations()) == 1
        sim.reset()
        assert sim.deviations() == []
        assert sim.contract.strict is True
        assert requests.get(sim.url + "/rest/api/3/mypermissions", auth=AUTH, timeout=10).status_code == 400
        sim.reset_counters()
        assert sim.deviations() == []
