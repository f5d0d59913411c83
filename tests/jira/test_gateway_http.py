"""HTTP-level tests of the Jira gateway: the exact requests made, for both flavors, with `responses`."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
import responses
from gwkit import API_TOKEN, BASE, EMAIL, PAT, FakeClock, GatewayFactory, api, body_of, fields_payload
from responses import matchers
from urllib3.exceptions import MaxRetryError, NewConnectionError

from okrsync.domain.model import OkrsyncError
from okrsync.jira import (
    BulletList,
    Doc,
    Heading,
    JiraAuthError,
    JiraBadRequest,
    JiraNotFound,
    JiraPermissionError,
    JiraUnavailable,
    Link,
    Mention,
    MissingCredentialError,
    MissingFieldError,
    Paragraph,
    Text,
)

FLAVORS = ["cloud", "datacenter"]


def _add_fields(rsps: responses.RequestsMock, flavor: str) -> None:
    rsps.get(f"{BASE}/rest/api/{api(flavor)}/field", json=fields_payload(flavor))


# ----------------------------------------------------------------------------- flavor and auth


@pytest.mark.parametrize(
    ("deployment", "flavor", "version"),
    [("Cloud", "cloud", "3"), ("Server", "datacenter", "2"), ("DataCenter", "datacenter", "2")],
)
def test_auto_flavor_comes_from_server_info_once(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, deployment: str, flavor: str, version: str
) -> None:
    rsps.get(f"{BASE}/rest/api/2/serverInfo", json={"deploymentType": deployment, "version": "10.0"})
    gw = make_gateway("auto", pat=None)
    assert gw.flavor == flavor
    assert gw.api == version
    assert gw.flavor == flavor
    assert len(rsps.calls) == 1


@pytest.mark.parametrize("flavor", FLAVORS)
def test_configured_flavor_makes_no_detection_request(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    gw = make_gateway(flavor)
    assert gw.flavor == flavor
    assert len(rsps.calls) == 0


def test_cloud_sends_basic_auth_with_email_and_api_token(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/3/myself", json={"accountId": "abc"})
    make_gateway("cloud").myself()
    expected = "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
    assert rsps.calls[0].request.headers["Authorization"] == expected
    assert rsps.calls[0].request.headers["Accept"] == "application/json"


def test_datacenter_sends_the_pat_as_bearer(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/2/myself", json={"name": "demo"})
    make_gateway("datacenter").myself()
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {PAT}"


def test_datacenter_without_pat_falls_back_to_basic(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/2/myself", json={"name": "demo"})
    from pydantic import SecretStr

    make_gateway("datacenter", pat=None, email=EMAIL, api_token=SecretStr("pw")).myself()
    assert rsps.calls[0].request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("flavor", "overrides", "env"),
    [
        ("cloud", {"api_token": None}, "OKRSYNC_JIRA__API_TOKEN"),
        ("cloud", {"email": None}, "OKRSYNC_JIRA__EMAIL"),
        ("datacenter", {"pat": None}, "OKRSYNC_JIRA__PAT"),
    ],
)
def test_missing_credential_names_the_variable_and_sends_nothing(
    rsps: responses.RequestsMock,
    make_gateway: GatewayFactory,
    flavor: str,
    overrides: dict[str, Any],
    env: str,
) -> None:
    gw = make_gateway(flavor, **overrides)
    with pytest.raises(MissingCredentialError, match=env) as info:
        gw.myself()
    assert isinstance(info.value, OkrsyncError)
    assert len(rsps.calls) == 0


@pytest.mark.parametrize("flavor", FLAVORS)
def test_secrets_never_in_repr_or_errors(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    rsps.get(f"{BASE}/rest/api/{api(flavor)}/myself", status=401, json={"errorMessages": ["Unauthorized"]})
    gw = make_gateway(flavor)
    with pytest.raises(JiraAuthError) as info:
        gw.myself()
    for text in (repr(gw), str(info.value)):
        assert API_TOKEN not in text
        assert PAT not in text


def test_401_on_cloud_names_the_account_and_token(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/3/myself", status=401)
    with pytest.raises(JiraAuthError) as info:
        make_gateway("cloud").myself()
    assert (
        "Jira answered 401 to demo@example.com's API token: check OKRSYNC_JIRA__API_TOKEN and jira.email"
        in str(info.value)
    )


def test_401_on_datacenter_names_the_pat(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.get(f"{BASE}/rest/api/2/myself", status=401)
    with pytest.raises(JiraAuthError, match=r"personal access token: check OKRSYNC_JIRA__PAT"):
        make_gateway("datacenter").myself()


def test_403_with_denied_reason_is_an_auth_error(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(
        f"{BASE}/rest/api/2/myself",
        status=403,
        headers={"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=https://x/login.jsp"},
    )
    with pytest.raises(JiraAuthError, match="CAPTCHA"):
        make_gateway("datacenter").myself()


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(
    ("operation", "permission"),
    [("edit", "Edit issues"), ("search", "Browse projects"), ("comment", "Add comments")],
)
def test_403_names_the_operation_and_permission(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, operation: str, permission: str
) -> None:
    v = api(flavor)
    rsps.put(
        f"{BASE}/rest/api/{v}/issue/PLAT-1",
        status=403,
        json={"errorMessages": ["You do not have permission"]},
    )
    rsps.post(f"{BASE}/rest/api/3/search/jql", status=403)
    rsps.post(f"{BASE}/rest/api/2/search", status=403)
    rsps.post(f"{BASE}/rest/api/{v}/issue/PLAT-1/comment", status=403)
    gw = make_gateway(flavor)
    with pytest.raises(JiraPermissionError) as info:
        if operation == "edit":
            gw.edit_issue("PLAT-1", {"summary": "x"}, notify=True)
        elif operation == "search":
            list(gw.search("project = PLAT", ["summary"]))
        else:
            gw.add_comment("PLAT-1", Doc(Paragraph("hi")))
    assert f'"{permission}"' in str(info.value)
    assert info.value.permission == permission
    assert len(rsps.calls) == 1


# ----------------------------------------------------------------------------- fields


@pytest.mark.parametrize(
    ("flavor", "points", "epic"),
    [
        ("cloud", "customfield_10016", "customfield_10014"),
        ("datacenter", "customfield_10106", "customfield_10101"),
    ],
)
def test_field_registry_resolves_once_per_gateway(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, points: str, epic: str
) -> None:
    _add_fields(rsps, flavor)
    gw = make_gateway(flavor)
    assert gw.fields.require(["OKR Progress", "sprint"]) == {
        "OKR Progress": "customfield_10200",
        "sprint": "customfield_10020" if flavor == "cloud" else "customfield_10104",
    }
    assert gw.fields.story_points_id() == points
    assert gw.fields.epic_link_id() == epic
    assert gw.fields.id_for("cf[10200]") == "customfield_10200"
    assert len(rsps.calls) == 1
    assert rsps.calls[0].request.url == f"{BASE}/rest/api/{api(flavor)}/field"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_missing_fields_are_all_named_with_the_fix(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    _add_fields(rsps, flavor)
    with pytest.raises(MissingFieldError) as info:
        make_gateway(flavor).fields.require(["OKR Progress", "OKR Status", "OKR Expected"])
    assert (
        str(info.value)
        == 'Jira has no fields "OKR Status", "OKR Expected": run `okrsync setup` to create them.'
    )
    assert info.value.missing == ["OKR Status", "OKR Expected"]


# ----------------------------------------------------------------------------- searches


def test_cloud_search_pages_by_next_page_token(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/search/jql"
    rsps.post(
        url,
        json={
            "issues": [{"id": "1", "key": "P-1"}, {"id": "2", "key": "P-2"}],
            "nextPageToken": "t1",
            "isLast": False,
        },
    )
    rsps.post(url, json={"issues": [{"id": "3", "key": "P-3"}], "nextPageToken": "t2", "isLast": False})
    rsps.post(url, json={"issues": [{"id": "4", "key": "P-4"}], "isLast": True})
    gw = make_gateway("cloud")
    got = list(
        gw.search("project = P", ["summary", "status"], expand=["changelog", "names"], properties=["okrsync"])
    )
    assert [i["key"] for i in got] == ["P-1", "P-2", "P-3", "P-4"]
    first = {
        "jql": "project = P",
        "fields": ["summary", "status"],
        "maxResults": 5000,
        "expand": "changelog,names",
        "properties": ["okrsync"],
    }
    assert [body_of(c) for c in rsps.calls] == [
        first,
        {**first, "nextPageToken": "t1"},
        {**first, "nextPageToken": "t2"},
    ]
    assert all(c.request.method == "POST" for c in rsps.calls)
    assert rsps.calls[0].request.headers["Content-Type"] == "application/json"


def test_cloud_search_stops_when_the_last_page_omits_the_token(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/search/jql"
    rsps.post(url, json={"issues": [{"id": "1", "key": "P-1"}], "nextPageToken": "t1"})
    rsps.post(url, json={"issues": [{"id": "2", "key": "P-2"}]})  # JRACLOUD-92184: no isLast, no token
    assert [i["key"] for i in make_gateway("cloud").search("project = P", ["summary"])] == ["P-1", "P-2"]
    assert len(rsps.calls) == 2


def test_datacenter_search_pages_by_start_at_with_a_silent_cap(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/2/search"
    issues = [{"id": str(i), "key": f"P-{i}"} for i in range(1, 1201)]
    # Jira caps at 500 whatever we ask, and says so in maxResults.
    rsps.post(url, json={"startAt": 0, "maxResults": 500, "total": 1200, "issues": issues[0:500]})
    rsps.post(url, json={"startAt": 500, "maxResults": 500, "total": 1200, "issues": issues[500:1000]})
    rsps.post(url, json={"startAt": 1000, "maxResults": 500, "total": 1200, "issues": issues[1000:1200]})
    got = list(make_gateway("datacenter").search("project = P", ["summary"], expand=["changelog"]))
    assert len(got) == 1200
    assert [body_of(c) for c in rsps.calls] == [
        {
            "jql": "project = P",
            "startAt": s,
            "maxResults": 1000,
            "fields": ["summary"],
            "validateQuery": "warn",
            "expand": ["changelog"],
        }
        for s in (0, 500, 1000)
    ]


def test_datacenter_search_copes_with_total_changing_between_pages(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/2/search"
    rsps.post(
        url,
        json={
            "startAt": 0,
            "maxResults": 2,
            "total": 3,
            "issues": [{"id": "1", "key": "P-1"}, {"id": "2", "key": "P-2"}],
        },
    )
    # An issue was created meanwhile: P-2 shifts onto this page again, total grows.
    rsps.post(
        url,
        json={
            "startAt": 2,
            "maxResults": 2,
            "total": 4,
            "issues": [{"id": "2", "key": "P-2"}, {"id": "3", "key": "P-3"}],
        },
    )
    rsps.post(url, json={"startAt": 4, "maxResults": 2, "total": 4, "issues": []})
    got = [i["key"] for i in make_gateway("datacenter").search("project = P", ["summary"])]
    assert got == ["P-1", "P-2", "P-3"]
    assert len(rsps.calls) == 2


@pytest.mark.parametrize(
    ("flavor", "path", "size"),
    [("cloud", "/rest/api/3/search/jql", 5000), ("datacenter", "/rest/api/2/search", 1000)],
)
def test_keys_only_search_asks_the_largest_page(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, path: str, size: int
) -> None:
    payload: dict[str, Any] = {
        "issues": [{"id": "10", "key": "P-10"}, {"id": "11", "key": "P-11"}],
        "isLast": True,
        "total": 2,
    }
    rsps.post(BASE + path, json=payload)
    assert list(make_gateway(flavor).search_keys("project = P")) == ["P-10", "P-11"]
    sent = body_of(rsps.calls[0])
    assert sent["fields"] == ["key"]
    assert sent["maxResults"] == size


@pytest.mark.parametrize("flavor", FLAVORS)
def test_search_in_batches_1000_keys_into_bounded_queries(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    path = "/rest/api/3/search/jql" if flavor == "cloud" else "/rest/api/2/search"
    rsps.post(BASE + path, json={"issues": [], "isLast": True, "total": 0})
    gw = make_gateway(flavor)
    keys = [f"PLAT-{i}" for i in range(1, 1001)]
    list(gw.search_in("key", [*keys, "PLAT-1"], ["summary"], extra_jql="statusCategory != Done ORDER BY key"))
    jqls = [body_of(c)["jql"] for c in rsps.calls]
    assert len(jqls) == 2
    seen: list[str] = []
    for jql in jqls:
        assert len(jql) <= gw.max_jql_chars
        assert jql.startswith("key in (")
        assert jql.endswith(") AND (statusCategory != Done) ORDER BY key")
        inner = jql[len("key in (") : jql.index(") AND")]
        seen.extend(v.strip().strip('"') for v in inner.split(","))
    assert seen == keys


def test_search_in_quotes_odd_values(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.post(f"{BASE}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    list(
        make_gateway("cloud").search_in(
            '"Epic Link"', ['A"B', "back\\slash", "two\nlines", "x) OR (1=1"], ["summary"]
        )
    )
    assert body_of(rsps.calls[0])["jql"] == (
        '"Epic Link" in ("A\\"B", "back\\\\slash", "two\\nlines", "x) OR (1=1")'
    )


@pytest.mark.parametrize("flavor", FLAVORS)
def test_datacenter_properties_come_per_issue_cloud_in_the_search(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    if flavor == "cloud":
        rsps.post(
            f"{BASE}/rest/api/3/search/jql",
            json={"issues": [{"id": "1", "key": "P-1", "properties": {"okr": {"v": 1}}}], "isLast": True},
        )
    else:
        rsps.post(f"{BASE}/rest/api/2/search", json={"issues": [{"id": "1", "key": "P-1"}], "total": 1})
        rsps.get(
            f"{BASE}/rest/api/2/issue/P-1",
            match=[matchers.query_param_matcher({"fields": "key", "properties": "okr"})],
            json={"key": "P-1", "properties": {"okr": {"v": 1}}},
        )
    got = list(make_gateway(flavor).search("key = P-1", ["summary"], properties=["okr"]))
    assert got[0]["properties"] == {"okr": {"v": 1}}


# ----------------------------------------------------------------------------- writes


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("notify", [False, True])
def test_edit_is_one_put_with_all_fields_and_notify_users(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, notify: bool
) -> None:
    rsps.put(f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-7", status=204)
    fields = {"customfield_10200": 42.5, "customfield_10201": {"value": "On track"}}
    make_gateway(flavor).edit_issue("PLAT-7", fields, notify=notify)
    (call,) = rsps.calls
    assert call.request.method == "PUT"
    assert call.request.url == f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-7?notifyUsers={str(notify).lower()}"
    assert body_of(call) == {"fields": fields}


def test_empty_edit_sends_nothing(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    make_gateway("cloud").edit_issue("PLAT-7", {}, notify=False)
    assert len(rsps.calls) == 0


NASTY = "*bold* {code} [link|http://x] h1. ![img] {{mono}} [~admin] -strike- ??cite?? \\ back"


def test_cloud_comment_is_adf(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.post(f"{BASE}/rest/api/3/issue/PLAT-1/comment", status=201, json={"id": "100"})
    doc = Doc(
        Heading(3, "KR ", Text(NASTY, bold=True)),
        Paragraph("Progress ", Text("42 %", bold=True), " by ", Mention(account_id="5b10", display="Ada")),
        BulletList("one", [Link("docs", "https://example.com/a?b=1")]),
    )
    created = make_gateway("cloud").add_comment("PLAT-1", doc, properties={"okrsync": {"kr": "KR-1"}})
    assert created == {"id": "100"}
    sent = body_of(rsps.calls[0])
    assert sent["properties"] == [{"key": "okrsync", "value": {"kr": "KR-1"}}]
    body = sent["body"]
    assert body["version"] == 1 and body["type"] == "doc"
    heading = body["content"][0]
    assert heading == {
        "type": "heading",
        "attrs": {"level": 3},
        "content": [
            {"type": "text", "text": "KR "},
            {"type": "text", "text": NASTY, "marks": [{"type": "strong"}]},
        ],
    }
    assert body["content"][1]["content"][3] == {"type": "mention", "attrs": {"id": "5b10", "text": "@Ada"}}
    link = body["content"][2]["content"][1]["content"][0]["content"][0]
    assert link == {
        "type": "text",
        "text": "docs",
        "marks": [{"type": "link", "attrs": {"href": "https://example.com/a?b=1"}}],
    }


def test_datacenter_comment_is_escaped_wiki_and_properties_follow(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.post(f"{BASE}/rest/api/2/issue/PLAT-1/comment", status=201, json={"id": "100"})
    rsps.put(f"{BASE}/rest/api/2/comment/100/properties/okrsync", status=201)
    doc = Doc(Paragraph("Objective: ", Text(NASTY)), Paragraph(Mention(name="ada.l", display="Ada")))
    make_gateway("datacenter").add_comment("PLAT-1", doc, properties={"okrsync": {"kr": "KR-1"}})
    body = body_of(rsps.calls[0])["body"]
    assert body == (
        "Objective: \\*bold\\* \\{code\\} \\[link\\|http://x\\] h1. \\!\\[img\\] \\{\\{mono\\}\\} "
        "\\[\\~admin\\] \\-strike\\- \\?\\?cite\\?\\? &#92; back\n\n[~ada.l]"
    )
    assert body_of(rsps.calls[1]) == {"kr": "KR-1"}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_update_comment_puts_the_new_body(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    v = api(flavor)
    rsps.put(f"{BASE}/rest/api/{v}/issue/PLAT-1/comment/100", json={"id": "100"})
    make_gateway(flavor).update_comment("PLAT-1", "100", Doc(Paragraph(Text("done", italic=True))))
    sent = body_of(rsps.calls[0])["body"]
    if flavor == "cloud":
        assert sent["content"][0]["content"] == [{"type": "text", "text": "done", "marks": [{"type": "em"}]}]
    else:
        assert sent == "_done_"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_comments_pages_and_expands_properties(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    url = f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1/comment"
    rsps.get(
        url,
        match=[matchers.query_param_matcher({"startAt": "0", "maxResults": "1000", "expand": "properties"})],
        json={"startAt": 0, "maxResults": 2, "total": 3, "comments": [{"id": "1"}, {"id": "2"}]},
    )
    rsps.get(
        url,
        match=[matchers.query_param_matcher({"startAt": "2", "maxResults": "1000", "expand": "properties"})],
        json={"startAt": 2, "maxResults": 2, "total": 3, "comments": [{"id": "3"}]},
    )
    got = make_gateway(flavor).comments("PLAT-1", properties=True)
    assert [c["id"] for c in got] == ["1", "2", "3"]


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize("value", [{"progress": 0.5, "kr": "KR-1"}, 0, False, None, "text"])
def test_issue_property_put_is_the_raw_json_value(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, value: Any
) -> None:
    url = f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1/properties/okrsync.state"
    rsps.put(url, status=200)
    make_gateway(flavor).set_issue_property("PLAT-1", "okrsync.state", value)
    assert rsps.calls[0].request.body == json.dumps(value).encode()
    assert rsps.calls[0].request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_properties_read_back_and_missing_is_none(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    v = api(flavor)
    rsps.get(f"{BASE}/rest/api/{v}/issue/PLAT-1/properties/a", json={"key": "a", "value": {"x": 1}})
    rsps.get(
        f"{BASE}/rest/api/{v}/issue/PLAT-1/properties/b", status=404, json={"errorMessages": ["no property"]}
    )
    rsps.get(f"{BASE}/rest/api/{v}/comment/9/properties/a", json={"key": "a", "value": [1]})
    rsps.get(f"{BASE}/rest/api/{v}/comment/9/properties/b", status=404)
    gw = make_gateway(flavor)
    assert gw.issue_property("PLAT-1", "a") == {"x": 1}
    assert gw.issue_property("PLAT-1", "b") is None
    assert gw.comment_property("9", "a") == [1]
    assert gw.comment_property("9", "b") is None


def test_path_parameters_are_escaped(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.put(f"{BASE}/rest/api/3/issue/PLAT-1/properties/a%2Fb%3Fc", status=200)
    make_gateway("cloud").set_issue_property("PLAT-1", "a/b?c", 1)
    assert rsps.calls[0].request.path_url == "/rest/api/3/issue/PLAT-1/properties/a%2Fb%3Fc"


# ----------------------------------------------------------------------------- errors, retries


@pytest.mark.parametrize("flavor", FLAVORS)
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, JiraBadRequest),
        (401, JiraAuthError),
        (403, JiraPermissionError),
        (404, JiraNotFound),
        (409, JiraBadRequest),
    ],
)
def test_client_errors_are_never_retried(
    rsps: responses.RequestsMock,
    make_gateway: GatewayFactory,
    clock: FakeClock,
    flavor: str,
    status: int,
    error: type,
) -> None:
    rsps.put(f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1", status=status, json={"errorMessages": ["nope"]})
    gw = make_gateway(flavor)
    with pytest.raises(error) as info:
        gw.edit_issue("PLAT-1", {"summary": "x"}, notify=False)
    assert len(rsps.calls) == 1
    assert clock.sleeps == []
    assert info.value.status == status
    assert info.value.key == "PLAT-1"
    assert gw.stats.retries == 0


def test_bad_request_carries_jiras_reasons(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.put(
        f"{BASE}/rest/api/3/issue/PLAT-1",
        status=400,
        json={"errorMessages": [], "errors": {"customfield_10200": "Field 'OKR Progress' cannot be set."}},
    )
    with pytest.raises(JiraBadRequest) as info:
        make_gateway("cloud").edit_issue("PLAT-1", {"customfield_10200": 1}, notify=False)
    assert "customfield_10200: Field 'OKR Progress' cannot be set." in str(info.value)
    assert info.value.errors == {"customfield_10200": "Field 'OKR Progress' cannot be set."}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_429_waits_retry_after_seconds(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, flavor: str
) -> None:
    url = f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1"
    rsps.get(url, status=429, headers={"Retry-After": "7"})
    rsps.get(url, json={"key": "PLAT-1"})
    gw = make_gateway(flavor)
    assert gw.get_issue("PLAT-1", ["summary"])["key"] == "PLAT-1"
    assert clock.sleeps == [7.0]
    assert len(rsps.calls) == 2
    assert gw.stats.retries == 1
    assert gw.stats.retry_wait_seconds == 7.0


def test_429_waits_until_x_ratelimit_reset(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{BASE}/rest/api/3/issue/PLAT-1"
    # The fake wall clock reads 2026-10-05T09:30:00Z; Jira's format is yyyy-MM-ddTHH:mmZ.
    rsps.get(url, status=429, headers={"X-RateLimit-Reset": "2026-10-05T09:31Z"})
    rsps.get(url, json={"key": "PLAT-1"})
    make_gateway("cloud").get_issue("PLAT-1", ["summary"])
    assert clock.sleeps == [60.0]


def test_429_asking_more_than_the_budget_gives_up_at_once(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", status=429, headers={"Retry-After": "600"})
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retry_seconds=120).get_issue("PLAT-1", ["summary"])
    assert len(rsps.calls) == 1
    assert clock.sleeps == []
    assert "Jira asked to wait 600 s" in str(info.value)
    assert "requests_per_second" in str(info.value)


@pytest.mark.parametrize("flavor", FLAVORS)
def test_503_is_retried_with_jittered_backoff_then_succeeds(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, flavor: str
) -> None:
    url = f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1"
    rsps.put(url, status=503)
    rsps.put(url, status=502)
    rsps.put(url, status=204)
    # a pacer this fast never sleeps, even when a jittered wait comes out shorter than 1 ms
    gw = make_gateway(flavor, requests_per_second=1e9)
    gw.edit_issue("PLAT-1", {"summary": "x"}, notify=False)
    assert len(rsps.calls) == 3
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 0.5 and 0 <= clock.sleeps[1] <= 1.0
    assert gw.stats.by_status == {"503": 1, "502": 1, "204": 1}


def test_503_with_retry_after_honours_it(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{BASE}/rest/api/3/issue/PLAT-1"
    rsps.get(url, status=503, headers={"Retry-After": "3"})
    rsps.get(url, json={"key": "PLAT-1"})
    make_gateway("cloud").get_issue("PLAT-1", [])
    assert clock.sleeps == [3.0]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_gives_up_after_max_retries(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, flavor: str
) -> None:
    rsps.get(f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1", status=503)
    gw = make_gateway(flavor, max_retries=3)
    with pytest.raises(JiraUnavailable) as info:
        gw.get_issue("PLAT-1", ["summary"])
    assert len(rsps.calls) == 4
    assert info.value.attempts == 4
    assert info.value.status == 503
    assert "after 4 attempts" in str(info.value)
    assert "jira.max_retries is 3" in str(info.value)
    assert len(clock.sleeps) == 3
    assert gw.stats.retries == 3


def test_gives_up_when_the_total_time_runs_out(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", status=503, headers={"Retry-After": "40"})
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=20, max_retry_seconds=100).get_issue("PLAT-1", [])
    assert clock.sleeps == [40.0, 40.0]
    assert info.value.attempts == 3


def test_connection_errors_are_retried_and_name_the_url(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{BASE}/rest/api/3/myself", body=requests.ConnectionError("refused"))
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud", max_retries=2).myself()
    assert len(rsps.calls) == 3
    assert f"Check jira.url ({BASE})" in str(info.value)
    assert info.value.status is None


def _connect_error() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def test_comment_post_is_retried_on_429_and_connect_errors_only(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    url = f"{BASE}/rest/api/3/issue/PLAT-1/comment"
    rsps.post(url, status=429, headers={"Retry-After": "2"})
    rsps.post(url, body=_connect_error())
    rsps.post(url, status=201, json={"id": "5"})
    assert make_gateway("cloud").add_comment("PLAT-1", Doc(Paragraph("x")))["id"] == "5"
    assert len(rsps.calls) == 3
    assert clock.sleeps[0] == 2.0


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503},
        {"status": 500},
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectionError("reset by peer")},
    ],
)
def test_comment_post_is_not_retried_once_it_may_have_landed(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock, failure: dict[str, Any]
) -> None:
    rsps.post(f"{BASE}/rest/api/3/issue/PLAT-1/comment", **failure)
    with pytest.raises(JiraUnavailable) as info:
        make_gateway("cloud").add_comment("PLAT-1", Doc(Paragraph("x")))
    assert len(rsps.calls) == 1
    assert clock.sleeps == []
    assert info.value.attempts == 1


def test_searches_are_retried_although_they_are_posts(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/search/jql"
    rsps.post(url, status=504)
    rsps.post(url, json={"issues": [{"id": "1", "key": "P-1"}], "isLast": True})
    assert [i["key"] for i in make_gateway("cloud").search("project = P", ["summary"])] == ["P-1"]


# ----------------------------------------------------------------------------- pacing and stats


def test_pacer_spaces_requests_to_the_budget(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, clock: FakeClock
) -> None:
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", json={"key": "PLAT-1"})
    gw = make_gateway("cloud", requests_per_second=4)
    for _ in range(3):
        gw.get_issue("PLAT-1", [])
    assert clock.sleeps == [0.25, 0.25]
    assert gw.stats.pacing_wait_seconds == 0.5


def test_stats_count_every_request_by_template_and_status(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/2/serverInfo", json={"deploymentType": "Cloud"})
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", status=429, headers={"Retry-After": "1"})
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-1", json={"key": "PLAT-1"})
    rsps.get(f"{BASE}/rest/api/3/issue/PLAT-2", json={"key": "PLAT-2"})
    rsps.put(f"{BASE}/rest/api/3/issue/PLAT-2", status=204)
    gw = make_gateway("auto")
    gw.get_issue("PLAT-1", [])
    gw.get_issue("PLAT-2", [])
    gw.edit_issue("PLAT-2", {"summary": "y"}, notify=False)
    snap = gw.stats.snapshot()
    assert snap["requests"] == 5
    assert snap["retries"] == 1
    assert snap["retry_wait_seconds"] == 1.0
    assert snap["by_endpoint"] == {
        "GET /rest/api/2/serverInfo": 1,
        "GET /rest/api/3/issue/{key}": 3,
        "PUT /rest/api/3/issue/{key}": 1,
    }
    assert snap["by_status"] == {"200": 3, "204": 1, "429": 1}
    json.dumps(snap)
