"""Simulator routes added for ``okrsync setup``: Data Center's option list, unsearchable fields."""

from __future__ import annotations

import requests
from sim_http import VIEWER, get, post

from okrsync.jira_sim.simulator import JiraSimulator

SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
FLOAT = "com.atlassian.jira.plugin.system.customfieldtypes:float"


def test_dc_custom_field_options_lists_what_the_admin_added(sim_datacenter: JiraSimulator) -> None:
    sim = sim_datacenter
    field = post(sim, "/field", {"name": "OKR Status", "type": SELECT}).json()
    num = field["id"].removeprefix("customfield_")
    empty = get(sim, f"/customFields/{num}/options")  # only the parameters the DC spec declares
    assert empty.status_code == 200 and empty.json() == {"options": [], "total": 0}
    requests.post(
        f"{sim.url}/_sim/field-options",
        json={"field": "OKR Status", "options": ["Done", "On track", "At risk"]},
        timeout=10,
    ).raise_for_status()
    first = get(sim, f"/customFields/{num}/options", params={"maxResults": 2, "page": 1}).json()
    second = get(sim, f"/customFields/{num}/options", params={"maxResults": 2, "page": 2}).json()
    assert [o["value"] for o in first["options"]] == ["Done", "On track"]
    assert [o["value"] for o in second["options"]] == ["At risk"]
    assert first["total"] == 3 and isinstance(first["options"][0]["id"], int)
    assert first["options"][0]["disabled"] is False


def test_dc_custom_field_options_errors(sim_datacenter: JiraSimulator) -> None:
    sim = sim_datacenter
    number = post(sim, "/field", {"name": "Size", "type": FLOAT}).json()["id"].removeprefix("customfield_")
    assert get(sim, "/customFields/99999/options").status_code == 404
    assert get(sim, f"/customFields/{number}/options").status_code == 400
    assert get(sim, f"/customFields/{number}/options", auth=VIEWER).status_code == 403


def test_dc_custom_field_options_is_not_a_cloud_route(sim_cloud: JiraSimulator) -> None:
    assert get(sim_cloud, "/customFields/10040/options").status_code == 404


def test_a_field_created_without_a_searcher_is_not_searchable(sim: JiraSimulator) -> None:
    plain = post(sim, "/field", {"name": "No searcher", "type": FLOAT}).json()
    searched = post(
        sim,
        "/field",
        {
            "name": "With searcher",
            "type": FLOAT,
            "searcherKey": "com.atlassian.jira.plugin.system.customfieldtypes:exactnumber",
        },
    ).json()
    listed = {f["id"]: f for f in get(sim, "/field").json()}
    assert listed[plain["id"]]["searchable"] is False
    assert listed[searched["id"]]["searchable"] is True
