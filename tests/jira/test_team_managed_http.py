"""Team-managed projects at the HTTP level (`responses`): the project list by keys, and how a sync
learns a project's style: from the issues it read (no request), else one ``project/search`` for the
projects none of them shows; Data Center none at all."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from gwkit import BASE, GatewayFactory

from okrsync.jira import JiraAuthError
from okrsync.sync.project_styles import team_managed_projects

SEARCH = f"{BASE}/rest/api/3/project/search"


def _page(*projects: dict[str, Any], last: bool = True) -> dict[str, Any]:
    return {"startAt": 0, "maxResults": 100, "total": len(projects), "isLast": last, "values": list(projects)}


def _query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def _issue(key: str, **project: Any) -> dict[str, Any]:
    return {"key": key, "fields": {"project": {"key": key.split("-", maxsplit=1)[0], **project}}}


def test_projects_by_keys_is_one_request_with_repeated_keys(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(SEARCH, json=_page({"key": "WEB", "style": "next-gen"}, {"key": "MOB", "style": "classic"}))
    found = make_gateway("cloud").admin.projects(["WEB", "MOB", "WEB"])
    assert [p["key"] for p in found] == ["WEB", "MOB"]
    assert len(rsps.calls) == 1
    assert _query(rsps.calls[0])["keys"] == ["WEB", "MOB"]  # keys=WEB&keys=MOB, each once


def test_more_than_fifty_keys_take_one_request_per_fifty(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(SEARCH, json=_page())
    make_gateway("cloud").admin.projects([f"P{i}" for i in range(120)])
    assert [len(_query(c)["keys"]) for c in rsps.calls] == [50, 50, 20]


def test_data_center_lists_projects_and_filters_them_here(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(f"{BASE}/rest/api/2/project", json=[{"key": "WEB"}, {"key": "MOB"}, {"key": "DATA"}])
    assert [p["key"] for p in make_gateway("datacenter").admin.projects(["MOB", "DATA"])] == ["MOB", "DATA"]
    assert len(rsps.calls) == 1
    assert _query(rsps.calls[0]) == {}  # the DC operation declares no keys parameter


def test_the_issues_read_say_the_style_no_request(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    issues = [_issue("WEB-1", simplified=True), _issue("MOB-1", simplified=False)]
    found = team_managed_projects(make_gateway("cloud"), issues, ["WEB-1", "WEB-7", "MOB-2"])
    assert found == {"WEB"}
    assert len(rsps.calls) == 0


def test_a_project_no_issue_shows_is_asked_once_for_all_such(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(SEARCH, json=_page({"key": "DATA", "style": "next-gen"}, {"key": "OPS", "style": "classic"}))
    issues = [_issue("WEB-1", simplified=True), _issue("DATA-1"), {"key": "OPS-1", "fields": {}}]
    found = team_managed_projects(make_gateway("cloud"), issues, ["WEB-1", "DATA-1", "OPS-4", "ok-not-a-key"])
    assert found == {"WEB", "DATA"}
    assert len(rsps.calls) == 1
    assert _query(rsps.calls[0])["keys"] == ["DATA", "OPS"]


def test_a_refused_project_list_leaves_the_projects_company_managed(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(SEARCH, json={"errorMessages": ["nope"], "errors": {}}, status=400)
    assert team_managed_projects(make_gateway("cloud"), [], ["DATA-1"]) == frozenset()
    assert len(rsps.calls) == 1


def test_a_refused_credential_is_not_swallowed(
    rsps: responses.RequestsMock, make_gateway: GatewayFactory
) -> None:
    rsps.get(SEARCH, json={"errorMessages": ["unauthorized"]}, status=401)
    with pytest.raises(JiraAuthError):
        team_managed_projects(make_gateway("cloud"), [], ["DATA-1"])


def test_data_center_asks_nothing(rsps: responses.RequestsMock, make_gateway: GatewayFactory) -> None:
    issues = [_issue("WEB-1", simplified=True)]  # whatever an issue says, Data Center has none
    assert team_managed_projects(make_gateway("datacenter"), issues, ["WEB-1", "DATA-1"]) == frozenset()
    assert len(rsps.calls) == 0
