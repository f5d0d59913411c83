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
    JiraPermissionError,
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
def test_a_refused_silent_edit_names_the_permission_only_where_jira_refuses_it(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    # Data Center refuses notifyUsers=false without Administer projects (403); Cloud ignores it, so a
    # 403 there is about Edit issues itself
    rsps.put(f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1", status=403, json={"errorMessages": ["no"]})
    with pytest.raises(JiraPermissionError) as info:
        make_gateway(flavor).edit_issue("PLAT-1", {"summary": "x"}, notify=False)
    assert ("Administer projects" in str(info.value)) == (flavor == "datacenter")
    assert "Edit issues" in str(info.value)
    assert len(rsps.calls) == 1


def _comment(cid: str, text: str, flavor: str) -> dict[str, Any]:
    body: Any = text
    if flavor == "cloud":
        body = {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
        }
    return {"id": cid, "body": body}


def _page(url: str, start: int, total: int, comments: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "url": url,
        "match": [matchers.query_param_matcher({"startAt": str(start), "maxResults": "1000"})],
        "json": {"startAt": start, "maxResults": 2, "total": total, "comments": comments},
    }


@pytest.mark.parametrize("flavor", FLAVORS)
def test_comments_pages_without_the_undocumented_properties_expand(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    # GET …/comment documents the expand renderedBody only (both dialects): no expand=properties
    url = f"{BASE}/rest/api/{api(flavor)}/issue/PLAT-1/comment"
    rsps.get(**_page(url, 0, 3, [_comment("1", "a", flavor), _comment("2", "b", flavor)]))
    rsps.get(**_page(url, 2, 3, [_comment("3", "c", flavor)]))
    got = make_gateway(flavor).comments("PLAT-1")
    assert [c["id"] for c in got] == ["1", "2", "3"]
    assert all("properties" not in c for c in got)
    assert len(rsps.calls) == 2


def test_cloud_comment_properties_come_from_comment_list_for_okrsyncs_comments_only(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/issue/PLAT-1/comment"
    marker = {"identity": "status", "hash": "h1"}
    mine = [
        _comment("10", "On track\n— okrsync · status", "cloud"),
        _comment("12", "x\n— okrsync · celebrate", "cloud"),
    ]
    rsps.get(**_page(url, 0, 3, [mine[0], _comment("11", "a person's comment", "cloud"), mine[1]]))
    rsps.post(
        f"{BASE}/rest/api/3/comment/list",
        match=[
            matchers.query_param_matcher({"expand": "properties"}),
            matchers.json_params_matcher({"ids": [10, 12]}),
        ],
        json={
            "isLast": True,
            "startAt": 0,
            "total": 2,
            "values": [
                {"id": "10", "properties": [{"key": "okrsync", "value": marker}]},
                {"id": "12"},  # posted by an okrsync killed before its property was set
            ],
        },
    )
    got = make_gateway("cloud").comments("PLAT-1", properties=True)
    assert [c.get("properties") for c in got] == [[{"key": "okrsync", "value": marker}], None, []]
    assert [c.request.method for c in rsps.calls] == ["GET", "POST"]


def test_cloud_comment_list_takes_at_most_1000_ids_a_request(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/3/issue/PLAT-1/comment"
    many = [_comment(str(1000 + n), f"r{n}\n— okrsync · reminder:{n}", "cloud") for n in range(1500)]
    rsps.get(url, json={"startAt": 0, "maxResults": 1500, "total": 1500, "comments": many})
    listed = f"{BASE}/rest/api/3/comment/list"
    rsps.post(listed, json={"values": [{"id": c["id"], "properties": []} for c in many[:1000]]})
    rsps.post(listed, json={"values": [{"id": c["id"], "properties": []} for c in many[1000:]]})
    make_gateway("cloud").comments("PLAT-1", properties=True)
    sizes = [len(body_of(c)["ids"]) for c in rsps.calls[1:]]
    assert sizes == [1000, 500]


def test_datacenter_reads_okrsyncs_comment_property_per_comment(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    # Data Center documents neither comment/list nor a properties expand: one GET per okrsync comment
    url = f"{BASE}/rest/api/2/issue/PLAT-1/comment"
    marker = {"identity": "status", "hash": "h1"}
    page = [
        _comment("10", "On track\n_— okrsync · status_", "datacenter"),
        _comment("11", "a person's comment", "datacenter"),
        _comment("12", "_— okrsync · celebrate_", "datacenter"),
    ]
    rsps.get(**_page(url, 0, 3, page))
    rsps.get(f"{BASE}/rest/api/2/comment/10/properties/okrsync", json={"key": "okrsync", "value": marker})
    rsps.get(f"{BASE}/rest/api/2/comment/12/properties/okrsync", status=404, json={"errorMessages": ["no"]})
    got = make_gateway("datacenter").comments("PLAT-1", properties=True)
    assert [c.get("properties") for c in got] == [[{"key": "okrsync", "value": marker}], None, []]
    assert len(rsps.calls) == 3


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


def test_bulk_changelogs_keep_entries_whose_created_is_a_number(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    # the bulkfetch example dates entries with numbers ("created": 1492070429): none is dropped
    rsps.post(
        f"{BASE}/rest/api/3/changelog/bulkfetch",
        json={
            "issueChangeLogs": [
                {
                    "issueId": "10001",
                    "changeHistories": [
                        {"id": "1", "created": 1492070429, "items": []},
                        {"id": "2", "created": 1651316514000, "items": []},
                        {"id": "3", "created": "2026-10-05T09:30:00.000+0000", "items": []},
                    ],
                }
            ]
        },
    )
    got = make_gateway("cloud").history.changelogs(["10001"])
    assert [h["created"] for h in got["10001"]] == [1492070429, 1651316514000, "2026-10-05T09:30:00.000+0000"]
    assert len(rsps.calls) == 1


@pytest.mark.parametrize("flavor", FLAVORS)
def test_update_comment_with_properties_sends_them_in_the_put_on_cloud_after_it_on_data_center(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str
) -> None:
    v = api(flavor)
    rsps.put(f"{BASE}/rest/api/{v}/issue/PLAT-1/comment/100", json={"id": "100"})
    if flavor == "datacenter":
        rsps.put(f"{BASE}/rest/api/{v}/comment/100/properties/okrsync", status=200)
    marker = {"identity": "status", "hash": "abc"}
    make_gateway(flavor).update_comment("PLAT-1", "100", Doc(Paragraph("x")), properties={"okrsync": marker})
    sent = body_of(rsps.calls[0])
    if flavor == "cloud":  # the Comment schema's properties: "Optional on create and update"
        assert sent["properties"] == [{"key": "okrsync", "value": marker}] and len(rsps.calls) == 1
    else:
        assert "properties" not in sent and body_of(rsps.calls[1]) == marker
