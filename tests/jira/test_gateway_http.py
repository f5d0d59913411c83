"""HTTP-level tests of the Jira gateway: fields, issues, comments, properties, for both flavors, with `responses`."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from gwkit import BASE, GatewayFactory, api, body_of, fields_payload
from responses import matchers

from okrsync.jira import (
    BulletList,
    Doc,
    Heading,
    Link,
    Mention,
    MissingFieldError,
    Paragraph,
    Text,
)

FLAVORS = ["cloud", "datacenter"]


def _add_fields(rsps: responses.RequestsMock, flavor: str) -> None:
    rsps.get(f"{BASE}/rest/api/{api(flavor)}/field", json=fields_payload(flavor))


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
