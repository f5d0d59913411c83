"""The simulator's ``POST /rest/api/3/changelog/bulkfetch`` and the gateway's changelog reads."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from okrsync.domain.config import JiraConfig
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator

BULK = "/rest/api/3/changelog/bulkfetch"


def post(sim: JiraSimulator, body: dict[str, Any], path: str = BULK) -> requests.Response:
    return requests.post(sim.url + path, json=body, auth=sim.credentials, timeout=10)


def gateway(sim: JiraSimulator) -> JiraGateway:
    return JiraGateway(
        JiraConfig(
            url=sim.url,
            email="demo@example.com",
            api_token="demo-token",
            pat="demo-pat",
            requests_per_second=1000,
        )
    )


def test_pages_hold_max_results_changelogs_oldest_first_grouped_by_issue(sim_cloud: JiraSimulator) -> None:
    keys = ["MOB-5", "MOB-6", "PLAT-2"]
    whole = post(sim_cloud, {"issueIdsOrKeys": keys}).json()
    assert "nextPageToken" not in whole
    every = [
        (g["issueId"], h["created"], h["id"]) for g in whole["issueChangeLogs"] for h in g["changeHistories"]
    ]
    stored = sum(len(sim_cloud.store.changelog[k]) for k in keys)
    assert len(every) == stored
    paged: list[tuple[str, str, str]] = []
    body: dict[str, Any] = {"issueIdsOrKeys": keys, "maxResults": 2}
    pages = 0
    while True:
        page = post(sim_cloud, body).json()
        pages += 1
        got = [
            (g["issueId"], h["created"], h["id"])
            for g in page["issueChangeLogs"]
            for h in g["changeHistories"]
        ]
        assert len(got) <= 2
        paged.extend(got)
        if "nextPageToken" not in page:
            break
        body = {**body, "nextPageToken": page["nextPageToken"]}
    assert pages == (stored + 1) // 2
    assert sorted(paged, key=lambda e: (e[1], int(e[0]))) == paged  # by date, then issue id
    assert sorted(paged) == sorted(every)


def test_field_ids_keep_only_those_items(sim_cloud: JiraSimulator) -> None:
    plat = [k for k in sim_cloud.store.issues if k.startswith("PLAT-")]  # one child is closed "Won't Do"
    page = post(sim_cloud, {"issueIdsOrKeys": plat, "fieldIds": ["resolution"]}).json()
    items = [i for g in page["issueChangeLogs"] for h in g["changeHistories"] for i in h["items"]]
    assert items and {i["fieldId"] for i in items} == {"resolution"}
    assert "Won't Do" in {i["toString"] for i in items}


@pytest.mark.deviations_expected  # sends what Jira's contract refuses, on purpose
@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"issueIdsOrKeys": []}, "at least one"),
        ({"issueIdsOrKeys": [str(n) for n in range(1001)]}, "up to 1000 issues"),
        ({"issueIdsOrKeys": ["MOB-1"], "fieldIds": [f"f{n}" for n in range(11)]}, "up to 10 field IDs"),
        ({"issueIdsOrKeys": ["MOB-1"], "maxResults": 0}, "positive"),
        ({"issueIdsOrKeys": ["MOB-1"], "nextPageToken": "junk"}, "invalid or expired"),
    ],
)
def test_bad_requests_get_jira_style_400s(sim_cloud: JiraSimulator, body: dict[str, Any], says: str) -> None:
    resp = post(sim_cloud, body)
    assert resp.status_code == 400
    assert says in " ".join(resp.json()["errorMessages"])


def test_unknown_issues_are_skipped_and_data_center_has_no_such_endpoint(
    sim_cloud: JiraSimulator, sim_datacenter: JiraSimulator
) -> None:
    page = post(sim_cloud, {"issueIdsOrKeys": ["NOPE-1", "MOB-5"]}).json()
    assert [g["issueId"] for g in page["issueChangeLogs"]] == [sim_cloud.issue("MOB-5")["id"]]
    resp = requests.post(
        sim_datacenter.url + "/rest/api/2/changelog/bulkfetch",
        json={"issueIdsOrKeys": ["MOB-5"]},
        headers={"Authorization": "Bearer demo-pat"},
        timeout=10,
    )
    assert resp.status_code == 404


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_the_gateway_reads_whole_changelogs_by_issue_id(sim_factory: Any, flavor: str) -> None:
    sim: JiraSimulator = sim_factory(flavor)
    keys = ["MOB-5", "MOB-6", "PLAT-2", "PLAT-4"]
    ids = {sim.issue(k)["id"]: k for k in keys}
    with gateway(sim) as gw:
        assert gw.flavor == flavor  # serverInfo, before counting
        sim.reset_counters()
        logs = gw.history.changelogs(list(ids), page_size=3)
        counts = sim.requests()["counts"]
        for ident, key in ids.items():
            assert [h["id"] for h in logs[ident]] == [h["id"] for h in sim.store.changelog[key]]
            assert [h["id"] for h in gw.history.issue_changelog(key)] == [
                h["id"] for h in sim.store.changelog[key]
            ]
        statuses = gw.history.statuses()
    stored = sum(len(sim.store.changelog[k]) for k in keys)
    if flavor == "cloud":
        assert counts == {"POST /rest/api/3/changelog/bulkfetch": (stored + 2) // 3}
    else:  # no bulk endpoint: one issue at a time
        assert counts == {"GET /rest/api/2/issue/{key}": len(keys)}
    assert {s["name"]: s["statusCategory"]["key"] for s in statuses}["In Review"] == "indeterminate"
