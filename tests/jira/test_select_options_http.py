"""HTTP-level tests of reading a select field's options (``gateway.admin.select_options``), as the
sync and ``okrsync check`` read the health options: the exact requests and how many, per flavor."""

from __future__ import annotations

import pytest
import responses
from gwkit import BASE, GatewayFactory
from responses import matchers

from okrsync.jira import JiraPermissionError

CONTEXTS = f"{BASE}/rest/api/3/field/customfield_10302/context"
PAGE = {"startAt": "0", "maxResults": "100"}


def test_cloud_reads_the_global_contexts_options_in_two_requests(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(
        CONTEXTS,
        match=[matchers.query_param_matcher(PAGE)],
        json={
            "values": [
                {"id": "10201", "name": "MOB only", "isGlobalContext": False},
                {"id": "10200", "name": "Default Configuration Scheme", "isGlobalContext": True},
            ],
            "isLast": True,
        },
    )
    rsps.get(
        f"{CONTEXTS}/10200/option",
        match=[matchers.query_param_matcher(PAGE)],
        json={
            "values": [
                {"id": "1", "value": "Done", "disabled": False},
                {"id": "2", "value": "Off track", "disabled": True},
            ],
            "isLast": True,
        },
    )
    options = make_gateway("cloud").admin.select_options("customfield_10302")
    assert [(o["value"], o["disabled"]) for o in options or []] == [("Done", False), ("Off track", True)]
    assert len(rsps.calls) == 2


def test_cloud_without_a_global_context_reads_the_first_and_without_any_reads_nothing_more(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(CONTEXTS, json={"values": [{"id": "10201", "isGlobalContext": False}], "isLast": True})
    rsps.get(f"{CONTEXTS}/10201/option", json={"values": [{"id": "1", "value": "Done"}], "isLast": True})
    gw = make_gateway("cloud")
    assert [o["value"] for o in gw.admin.select_options("customfield_10302") or []] == ["Done"]
    assert len(rsps.calls) == 2

    rsps.replace(responses.GET, CONTEXTS, json={"values": [], "isLast": True})
    assert gw.admin.select_options("customfield_10302") == []
    assert len(rsps.calls) == 3


def test_data_center_reads_one_page_sending_only_declared_parameters(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    # declared: customFieldId (path), maxResults, page, query, projectIds, issueTypeIds
    rsps.get(
        f"{BASE}/rest/api/2/customFields/10302/options",
        match=[matchers.query_param_matcher({"maxResults": "1000", "page": "1"})],
        json={"options": [{"id": 1, "value": "Done", "disabled": False}], "total": 1},
    )
    options = make_gateway("datacenter").admin.select_options("customfield_10302")
    assert [o["value"] for o in options or []] == ["Done"]
    assert len(rsps.calls) == 1


def test_reading_options_without_administer_jira_is_a_permission_error(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(CONTEXTS, status=403, json={"errorMessages": ["Only Jira administrators can access this."]})
    gw = make_gateway("cloud")
    with pytest.raises(JiraPermissionError, match="Administer Jira"):
        gw.admin.select_options("customfield_10302")
    assert len(rsps.calls) == 1  # a 403 is not retried
    # and not asked again by this gateway (a daemon's next cycles)
    with pytest.raises(JiraPermissionError, match="Administer Jira"):
        gw.admin.select_options("customfield_10302")
    assert len(rsps.calls) == 1
