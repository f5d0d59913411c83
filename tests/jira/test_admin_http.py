"""HTTP-level tests of the setup-only calls (``gateway.admin``): the exact requests, per flavor, with `responses`."""

from __future__ import annotations

import pytest
import responses
from gwkit import BASE, GatewayFactory, body_of, fields_payload
from responses import matchers

from okrsync.jira import JiraPermissionError
from okrsync.provision.specs import FILTER_RESULTS

SCREEN_FIELDS = f"{BASE}/rest/api/3/screens/7/tabs/10000/fields"


def test_create_field_sends_type_and_searcher(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.post(
        f"{BASE}/rest/api/3/field", json={"id": "customfield_10041", "name": "OKR Progress"}, status=201
    )
    made = make_gateway("cloud").admin.create_field(
        "OKR Progress",
        "com.atlassian.jira.plugin.system.customfieldtypes:float",
        searcher_key="com.atlassian.jira.plugin.system.customfieldtypes:exactnumber",
        description="d",
    )
    assert made["id"] == "customfield_10041"
    assert body_of(rsps.calls[0]) == {
        "name": "OKR Progress",
        "type": "com.atlassian.jira.plugin.system.customfieldtypes:float",
        "searcherKey": "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber",
        "description": "d",
    }


def test_a_created_field_makes_the_gateway_read_the_field_list_again(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/3/field", json=fields_payload("cloud"))
    rsps.post(f"{BASE}/rest/api/3/field", json={"id": "customfield_10041"}, status=201)
    gw = make_gateway("cloud")
    assert gw.fields.get_id("OKR Progress") == "customfield_10200"
    gw.admin.create_field("OKR Health", "com.atlassian.jira.plugin.system.customfieldtypes:select")
    assert gw.fields.get_id("OKR Progress") == "customfield_10200"
    assert [c.request.method for c in rsps.calls] == ["GET", "POST", "GET"]


def test_create_field_context_is_global(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    rsps.post(f"{BASE}/rest/api/3/field/customfield_10043/context", json={"id": "10100", "name": "x"})
    ctx = make_gateway("cloud").admin.create_field_context(
        "customfield_10043", "Default Configuration Scheme"
    )
    assert ctx["id"] == "10100"
    assert body_of(rsps.calls[0]) == {
        "name": "Default Configuration Scheme",
        "description": "",
        "projectIds": [],
        "issueTypeIds": [],
    }


def test_dc_field_options_pages_from_one_and_sends_only_declared_parameters(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    url = f"{BASE}/rest/api/2/customFields/10203/options"
    rsps.get(
        url,
        match=[matchers.query_param_matcher({"maxResults": "1000", "page": "1"})],
        json={"options": [{"id": 1, "value": "Done", "disabled": False}], "total": 2},
    )
    rsps.get(
        url,
        match=[matchers.query_param_matcher({"maxResults": "1000", "page": "2"})],
        json={"options": [{"id": 2, "value": "On track", "disabled": False}], "total": 2},
    )
    options = make_gateway("datacenter").admin.dc_field_options("customfield_10203")
    assert [o["value"] for o in options or []] == ["Done", "On track"]
    assert len(rsps.calls) == 2


def test_dc_field_options_is_none_where_the_resource_does_not_exist(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/2/customFields/10203/options", status=404, json={"errorMessages": ["no"]})
    assert make_gateway("datacenter").admin.dc_field_options("customfield_10203") is None


def test_screens_tabs_fields_and_adding_a_field(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(
        f"{BASE}/rest/api/3/screens",
        json={"values": [{"id": 7, "name": "MOB: Scrum Default Issue Screen"}], "isLast": True},
    )
    rsps.get(f"{BASE}/rest/api/3/screens/7/tabs", json=[{"id": 10000, "name": "Field Tab"}])
    rsps.get(SCREEN_FIELDS, json=[{"id": "summary", "name": "Summary"}])
    rsps.post(SCREEN_FIELDS, json={"id": "customfield_10041", "name": "OKR Progress"})
    gw = make_gateway("cloud").admin
    assert [s["id"] for s in gw.screens()] == [7]
    assert gw.screen_tabs("7") == [{"id": 10000, "name": "Field Tab"}]
    assert gw.screen_tab_fields("7", "10000") == [{"id": "summary", "name": "Summary"}]
    gw.add_screen_field("7", "10000", "customfield_10041")
    assert body_of(rsps.calls[-1]) == {"fieldId": "customfield_10041"}
    assert rsps.calls[0].request.params == {"startAt": "0", "maxResults": "100"}


@pytest.mark.parametrize(("flavor", "version"), [("cloud", "3"), ("datacenter", "2")])
def test_shared_filter_and_update(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, version: str
) -> None:
    rsps.post(f"{BASE}/rest/api/{version}/filter", json={"id": "10000", "name": "OKR: key results"})
    rsps.put(f"{BASE}/rest/api/{version}/filter/10000", json={"id": "10000"})
    gw = make_gateway(flavor).admin
    made = gw.create_shared_filter("OKR: key results", '"OKR Progress" is not EMPTY', description="d")
    assert made["id"] == "10000"
    assert body_of(rsps.calls[0]) == {
        "name": "OKR: key results",
        "jql": '"OKR Progress" is not EMPTY',
        "description": "d",
        "favourite": True,
        # Data Center "sets permissions just using the users default sharing permissions": not sent
        **({"sharePermissions": [{"type": "authenticated"}]} if flavor == "cloud" else {}),
    }
    gw.update_filter("10000", name="OKR: key results", jql="x = 1", description="e")
    assert rsps.calls[1].request.method == "PUT"
    assert body_of(rsps.calls[1]) == {"name": "OKR: key results", "jql": "x = 1", "description": "e"}


@pytest.mark.parametrize(("flavor", "version"), [("cloud", "3"), ("datacenter", "2")])
def test_add_filter_share_posts_one_share_permission(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, flavor: str, version: str
) -> None:
    rsps.post(
        f"{BASE}/rest/api/{version}/filter/10000/permission",
        status=201,
        json=[{"id": 10010, "type": "loggedin"}],
    )
    got = make_gateway(flavor).admin.add_filter_share("10000", {"type": "authenticated"})
    assert got == [{"id": 10010, "type": "loggedin"}]
    assert body_of(rsps.calls[0]) == {"type": "authenticated"}
    assert len(rsps.calls) == 1


def test_cloud_find_filters_asks_for_substrings_and_keeps_the_exact_name(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    # without isSubstringMatch=true filterName is a full-text search (it may miss the name)
    rsps.get(
        f"{BASE}/rest/api/3/filter/search",
        match=[
            matchers.query_param_matcher(
                {
                    "filterName": "OKR: key results",
                    "isSubstringMatch": "true",
                    "expand": "jql,sharePermissions",
                    "startAt": "0",
                    "maxResults": "100",
                }
            )
        ],
        json={
            "isLast": True,
            "values": [
                {"id": "1", "name": "OKR: key results (old)"},
                {"id": "2", "name": "okr: Key Results"},
                {"id": "3", "name": "My OKR: key results"},
            ],
        },
    )
    found = make_gateway("cloud").admin.find_filters("OKR: key results")
    assert [f["id"] for f in found] == ["2"]  # names are unique whatever their case
    assert len(rsps.calls) == 1


def test_datacenter_find_filters_by_prefix_among_the_favourites(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(
        f"{BASE}/rest/api/2/filter/favourite",
        json=[
            {"id": "1", "name": "OKR: CO-1 Delight customers"},
            {"id": "2", "name": "OKR: CO-10 Other"},
            {"id": "3", "name": "Not OKR: CO-1 x"},
        ],
    )
    found = make_gateway("datacenter").admin.find_filters("OKR: CO-1 ", prefix=True)
    assert [f["id"] for f in found] == ["1"]


def test_find_dashboards_cloud_searches_by_name(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(
        f"{BASE}/rest/api/3/dashboard/search",
        json={
            "values": [{"id": "1", "name": "OKRs 2026-Q4 old"}, {"id": "2", "name": "OKRs 2026-Q4"}],
            "isLast": True,
        },
    )
    found = make_gateway("cloud").admin.find_dashboards("OKRs 2026-Q4")
    assert [d["id"] for d in found] == ["2"]
    assert rsps.calls[0].request.params["dashboardName"] == "OKRs 2026-Q4"


def test_find_dashboards_dc_follows_next(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    url = f"{BASE}/rest/api/2/dashboard"
    rsps.get(
        url,
        match=[matchers.query_param_matcher({"startAt": "0", "maxResults": "1000"})],
        json={"dashboards": [{"id": "10000", "name": "System Dashboard"}], "next": f"{url}?startAt=1"},
    )
    rsps.get(
        url,
        match=[matchers.query_param_matcher({"startAt": "1", "maxResults": "1000"})],
        json={"dashboards": [{"id": "10100", "name": "OKRs 2026-Q4"}]},
    )
    assert [d["id"] for d in make_gateway("datacenter").admin.find_dashboards("OKRs 2026-Q4")] == ["10100"]
    assert len(rsps.calls) == 2


def test_dashboard_gadget_and_item_property(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.post(f"{BASE}/rest/api/3/dashboard", json={"id": "10001", "name": "OKRs 2026-Q4"})
    rsps.get(f"{BASE}/rest/api/3/dashboard/10001/gadget", json={"gadgets": [{"id": 5, "title": "t"}]})
    rsps.post(f"{BASE}/rest/api/3/dashboard/10001/gadget", json={"id": 6, "title": "Key results"})
    prop = f"{BASE}/rest/api/3/dashboard/10001/items/6/properties/config"
    rsps.get(prop, status=404, json={"errorMessages": ["The property with key 'config' does not exist."]})
    rsps.put(prop, status=201, json={})
    gw = make_gateway("cloud").admin
    assert gw.create_dashboard("OKRs 2026-Q4", description="d")["id"] == "10001"
    assert body_of(rsps.calls[0]) == {
        "name": "OKRs 2026-Q4",
        "description": "d",
        "sharePermissions": [{"type": "authenticated"}],
        "editPermissions": [],
    }
    assert gw.dashboard_gadgets("10001") == [{"id": 5, "title": "t"}]
    gw.add_gadget("10001", FILTER_RESULTS, title="Key results", position={"row": 0, "column": 0})
    assert body_of(rsps.calls[2]) == {
        # a built-in gadget by its spec uri (moduleKey is for apps' dashboard items)
        "uri": "rest/gadgets/1.0/g/com.atlassian.jira.gadgets:filter-results-gadget/gadgets/filter-results-gadget.xml",
        "title": "Key results",
        "color": "blue",
        "position": {"row": 0, "column": 0},
    }
    assert gw.dashboard_item_property("10001", "6", "config") is None
    gw.set_dashboard_item_property("10001", "6", "config", {"filterId": "filter-10000"})
    assert body_of(rsps.calls[4]) == {"filterId": "filter-10000"}


def test_a_refused_field_creation_names_the_permission(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.post(
        f"{BASE}/rest/api/3/field",
        status=403,
        json={"errorMessages": ["Only Jira administrators can access the fields configuration."]},
    )
    with pytest.raises(JiraPermissionError) as err:
        make_gateway("cloud").admin.create_field(
            "OKR Progress", "com.atlassian.jira.plugin.system.customfieldtypes:float"
        )
    assert "Administer Jira" in str(err.value)
    assert "Only Jira administrators" in str(err.value)


@pytest.mark.parametrize("project", [None, "PLAT"])
def test_permissions_cloud_names_the_keys_it_wants(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, project: str | None
) -> None:
    expected = {
        "permissions": "EDIT_ISSUES,ADMINISTER_PROJECTS",
        **({"projectKey": project} if project else {}),
    }
    rsps.get(
        f"{BASE}/rest/api/3/mypermissions",
        match=[matchers.query_param_matcher(expected)],
        json={"permissions": {"EDIT_ISSUES": {"havePermission": True}}},
    )
    got = make_gateway("cloud").admin.permissions("EDIT_ISSUES", "ADMINISTER_PROJECTS", project_key=project)
    assert got == {"EDIT_ISSUES": True, "ADMINISTER_PROJECTS": False}
    assert len(rsps.calls) == 1


@pytest.mark.parametrize("project", [None, "PLAT"])
def test_permissions_datacenter_sends_only_declared_parameters_and_filters_the_answer(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory, project: str | None
) -> None:
    # GET /rest/api/2/mypermissions declares projectKey/projectId/issueKey/issueId, no `permissions`:
    # it answers every permission of the site
    rsps.get(
        f"{BASE}/rest/api/2/mypermissions",
        match=[matchers.query_param_matcher({"projectKey": project} if project else {})],
        json={
            "permissions": {
                "EDIT_ISSUES": {"key": "EDIT_ISSUES", "havePermission": True},
                "ADMINISTER": {"key": "ADMINISTER", "havePermission": False},
                "BROWSE_PROJECTS": {"key": "BROWSE_PROJECTS", "havePermission": True},
            }
        },
    )
    got = make_gateway("datacenter").admin.permissions("EDIT_ISSUES", "ADMINISTER", project_key=project)
    assert got == {"EDIT_ISSUES": True, "ADMINISTER": False}
    assert len(rsps.calls) == 1
