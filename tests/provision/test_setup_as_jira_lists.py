"""``okrsync setup`` finds and makes filters and gadgets the way Jira lists them (issue 13): filters by
their exact name among Cloud's substring matches, Data Center's filters shared through the
share-permission operation (once), Cloud's built-in gadgets added and found by uri."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from test_setup_sim import FILTERS, settings_for, setup, writes_in

from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.specs import FILTER_RESULTS, PIE_CHART, TWO_DIMENSIONAL, gadget_specs

SHARE = "POST /rest/api/2/filter/{filterId}/permission"


def _filter(sim: JiraSimulator, name: str) -> dict[str, object]:
    resp = requests.post(
        f"{sim.url}/rest/api/3/filter",
        json={"name": name, "jql": "project = PLAT", "sharePermissions": [{"type": "authenticated"}]},
        auth=("demo@example.com", "demo-token"),
        timeout=10,
    )
    resp.raise_for_status()
    return dict(resp.json())


def test_cloud_setup_takes_only_the_filter_of_its_exact_name(
    sim_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_cloud
    cfg = settings_for(sim, monkeypatch, tmp_path)
    # names a substring search finds too, and the filter itself in another case
    lookalikes = [_filter(sim, "OKR: key results (2025)"), _filter(sim, "My OKR: at risk or off track")]
    mine = _filter(sim, "okr: KEY RESULTS")
    report, _ = setup(cfg)
    filters = {(a.subject, a.status) for a in report.actions if a.area == "filter"}
    assert ("OKR: key results", "updated") in filters and ("OKR: at risk or off track", "created") in filters
    names = sorted(f["name"] for f in sim.store.filters.values())
    assert names == sorted([*FILTERS, "OKR: key results (2025)", "My OKR: at risk or off track"])
    assert sim.store.filters[str(mine["id"])]["name"] == "OKR: key results"  # renamed, not duplicated
    assert all(sim.store.filters[str(f["id"])]["jql"] == "project = PLAT" for f in lookalikes)
    sim.reset_counters()
    again, _ = setup(cfg)
    assert writes_in(sim) == {} and again.changes == 0


def test_datacenter_setup_shares_its_filters_once_through_the_permission_operation(
    sim_datacenter: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_datacenter
    cfg = settings_for(sim, monkeypatch, tmp_path)
    setup(cfg)
    counts = sim.requests()["counts"]
    assert counts["POST /rest/api/2/filter"] == len(FILTERS)
    assert counts[SHARE] == len(FILTERS)  # POST /filter shares by the user's default (private) only
    assert all([p["type"] for p in f["sharePermissions"]] == ["loggedin"] for f in sim.store.filters.values())
    # someone made one private again: the next run shares it (and only it); a run later, nothing
    risk = next(f for f in sim.store.filters.values() if f["name"] == "OKR: at risk or off track")
    risk["sharePermissions"] = []
    sim.reset_counters()
    report, _ = setup(cfg)
    assert writes_in(sim) == {SHARE: 1}
    assert ("OKR: at risk or off track", "updated", "shared with logged-in users") in {
        (a.subject, a.status, a.detail) for a in report.actions if a.area == "filter"
    }
    sim.reset_counters()
    setup(cfg)
    assert writes_in(sim) == {}


def test_datacenter_setup_leaves_a_filter_shared_otherwise_as_it_is(
    sim_datacenter: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_datacenter
    cfg = settings_for(sim, monkeypatch, tmp_path)
    setup(cfg)
    risk = next(f for f in sim.store.filters.values() if f["name"] == "OKR: at risk or off track")
    risk["sharePermissions"] = [{"id": 1, "type": "group", "group": {"name": "okr-champions"}}]
    sim.reset_counters()
    setup(cfg)
    assert writes_in(sim) == {}
    assert [p["type"] for p in risk["sharePermissions"]] == ["group"]


def test_cloud_setup_adds_built_in_gadgets_by_uri_and_finds_them_again(
    sim_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_cloud
    cfg = settings_for(sim, monkeypatch, tmp_path)
    setup(cfg)
    (did,) = [d["id"] for d in sim.store.dashboards.values() if d["name"] == "OKRs 2026-Q4"]
    gadgets = sim.store.gadgets[did]
    assert sorted(g["uri"] for g in gadgets) == sorted(
        [FILTER_RESULTS, FILTER_RESULTS, PIE_CHART, TWO_DIMENSIONAL]
    )
    assert not any("moduleKey" in g for g in gadgets)
    deviations = [d for d in sim.requests().get("deviations", []) if "gadget" in str(d)]
    assert deviations == []
    sim.reset_counters()
    setup(cfg)
    assert writes_in(sim) == {}  # the gadgets Jira lists by uri are the ones setup wants
    assert len(sim.store.gadgets[did]) == 4


@pytest.mark.parametrize(
    "listed",
    [
        {"uri": TWO_DIMENSIONAL},
        {"uri": "/" + TWO_DIMENSIONAL},
        {"uri": "https://example.atlassian.net/" + TWO_DIMENSIONAL},
        {"moduleKey": "com.atlassian.jira.gadgets:two-dimensional-stats-gadget"},  # added by an older setup
    ],
)
def test_a_listed_gadget_is_recognised_by_uri_or_its_old_module_key(listed: dict[str, str]) -> None:
    specs = {
        g.uri: g for g in gadget_specs("1", "2", {"status": "customfield_1", "objective_id": "customfield_2"})
    }
    assert specs[TWO_DIMENSIONAL].is_(listed)
    assert not specs[PIE_CHART].is_(listed)
    assert specs[TWO_DIMENSIONAL].kind == "two-dimensional-stats-gadget"
