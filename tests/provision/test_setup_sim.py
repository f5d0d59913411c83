"""``okrsync setup`` against the simulator, both dialects, starting without the OKR fields."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from rich.console import Console

from okrsync.cli.setup import print_setup
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.setup import SetupReport, run_setup
from okrsync.provision.specs import (
    CONFIDENCE_OPTIONS,
    FILTER_RESULTS,
    HEALTH_OPTIONS,
    OBJECTIVE_GADGET,
    PIE_CHART,
    PROJECT_GADGET,
    TWO_DIMENSIONAL,
    filter_specs,
)
from okrsync.state.store import StateStore
from okrsync.sync.engine import run_sync

ROOT = Path(__file__).resolve().parents[2]
CF = "com.atlassian.jira.plugin.system.customfieldtypes:"
WANTED = {
    "OKR Progress": ("number", CF + "float"),
    "OKR Expected": ("number", CF + "float"),
    "OKR Status": ("option", CF + "select"),
    "OKR Objective": ("string", CF + "textfield"),
    "OKR Key Result": ("string", CF + "textfield"),
    "OKR Objective ID": ("array", CF + "labels"),
    "OKR Confidence": ("option", CF + "select"),
    "OKR Check-in": ("string", CF + "textfield"),
    "OKR Score": ("number", CF + "float"),
}
FILTERS = [
    "OKR: key results",
    "OKR: at risk or off track",
    "OKR: CO-1 Delight customers with a fast, reliable product",
    "OKR: CO-2 Grow revenue through self-serve",
    "OKR: CO-3 Make data-driven decisions the default",
]
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def env_for(sim: JiraSimulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "OKRSYNC_JIRA__URL": sim.url,
        "OKRSYNC_JIRA__PAT": "demo-pat",
        "OKRSYNC_JIRA__REQUESTS_PER_SECOND": "1000",
        "OKRSYNC_SYNC__STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        **extra,
    }


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    for key, value in env_for(sim, tmp_path).items():
        monkeypatch.setenv(key, value)
    return load_config(DEMO_CONFIG)


def setup(cfg: Settings, **kw: Any) -> tuple[SetupReport, str]:
    with JiraGateway(cfg.jira) as gateway:
        report = run_setup(cfg, gateway, **kw)
    out = io.StringIO()
    print_setup(report, Console(file=out, width=200, no_color=True))
    return report, out.getvalue()


def writes_in(sim: JiraSimulator) -> dict[str, int]:
    return {k: v for k, v in sim.requests()["counts"].items() if not k.startswith("GET ")}


def play_dc_admin(sim: JiraSimulator) -> None:
    """The manual steps on Data Center: an admin adds the health options and puts the fields on
    the projects' screens in the UI."""
    requests.post(
        f"{sim.url}/_sim/field-options",
        json={"field": "OKR Status", "options": list(HEALTH_OPTIONS)},
        timeout=10,
    ).raise_for_status()
    requests.post(
        f"{sim.url}/_sim/field-options",
        json={"field": "OKR Confidence", "options": list(CONFIDENCE_OPTIONS)},
        timeout=10,
    ).raise_for_status()
    sim.put_on_screens()


def test_setup_provisions_everything_and_a_second_run_changes_nothing(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = settings_for(sim, monkeypatch, tmp_path)
    assert sim.store.field_by_name("OKR Progress") is None
    report, out = setup(cfg)

    # fields: the right types, searchable, and their ids printed
    for name, (schema_type, custom) in WANTED.items():
        fdef = sim.store.field_by_name(name)
        assert fdef is not None, name
        assert fdef["schema"]["type"] == schema_type and fdef["schema"]["custom"] == custom, name
        assert fdef["searchable"] is True, name
        assert f"{name} = {fdef['id']}" in " ".join(out.split())  # the line may wrap
    assert report.field_ids["OKR Progress"] == sim.field_id("OKR Progress")
    assert "field ids: OKR Progress = customfield_" in out
    status_id = sim.field_id("OKR Status")

    # the health options: by REST on Cloud, as printed manual steps on Data Center
    options = [o["value"] for o in sim.store.field_options[status_id]]
    if sim.flavor == "cloud":
        assert options == list(HEALTH_OPTIONS)
    else:
        assert options == []
        assert "Manual step 1: Add the health options" in out
        assert "Configure → Edit Options" in out
        assert '"Done", "On track", "At risk", "Off track", "Not started", "No data"' in out

    # the filters, shared with logged-in users, with JQL the simulator accepts
    filters = {f["name"]: f for f in sim.store.filters.values()}
    assert sorted(filters) == sorted(FILTERS)
    assert filters["OKR: key results"]["jql"].startswith('"OKR Progress" is not EMPTY')
    assert filters["OKR: at risk or off track"]["jql"].startswith(
        '"OKR Status" in ("At risk", "Off track", "Overdue")'
    )
    assert filters[FILTERS[2]]["jql"] == (
        '"OKR Progress" is not EMPTY AND "OKR Objective ID" in ("CO-1", "ENG", "PLAT-O", "MOB-O") '
        'ORDER BY "OKR Status" ASC, "OKR Progress" ASC'
    )
    # shared with every logged-in user: in the filter on Cloud; on Data Center, which creates it with the
    # user's default sharing (private), through POST /filter/{id}/permission
    assert all([p["type"] for p in f["sharePermissions"]] == ["loggedin"] for f in filters.values())

    # the dashboard: made and configured on Cloud, exact steps on Data Center
    kr_filter = filters["OKR: key results"]["id"]
    dashboards = [d for d in sim.store.dashboards.values() if d["name"] == "OKRs 2026-Q4"]
    if sim.flavor == "cloud":
        assert len(dashboards) == 1
        did = dashboards[0]["id"]
        gadgets = sim.store.gadgets[did]
        assert sorted(g["uri"] for g in gadgets) == sorted(  # built-in gadgets, by their spec uri
            [FILTER_RESULTS, FILTER_RESULTS, PIE_CHART, TWO_DIMENSIONAL]
        )
        config = {g["title"]: sim.store.item_properties[f"{did}/{g['id']}"]["config"] for g in gadgets}
        assert config["Key results"]["filterId"] == f"filter-{kr_filter}"
        assert sim.field_id("OKR Progress") in config["Key results"]["columnNames"].split("|")
        assert config["Key results by health"] == {
            "projectOrFilterId": f"filter-{kr_filter}",
            "statType": status_id,
            "refresh": "15",
            "isConfigured": "true",
        }
        # objective × health: a row per objective (the labels field), a column per health
        assert config[OBJECTIVE_GADGET]["filterId"] == f"filter-{kr_filter}"
        assert config[OBJECTIVE_GADGET]["xstattype"] == status_id
        assert config[OBJECTIVE_GADGET]["ystattype"] == sim.field_id("OKR Objective ID")
        assert all(isinstance(v, str) for c in config.values() for v in c.values())
    else:
        assert dashboards == []
        assert 'Create the dashboard "OKRs 2026-Q4"' in out
        assert 'Add gadget "Pie Chart": saved filter "OKR: key results", statistic type: OKR Status.' in out
        assert "x-axis: OKR Status, y-axis: OKR Objective ID, show totals." in out

    if sim.flavor == "datacenter":
        play_dc_admin(sim)
    sim.reset_counters()
    again, out2 = setup(cfg)
    assert writes_in(sim) == {}
    assert again.changes == 0
    assert {a.status for a in again.actions} <= {"exists", "manual"}
    assert "0 things changed" in out2
    assert again.field_ids == report.field_ids
    if sim.flavor == "datacenter":
        assert [a.status for a in again.actions if a.area == "options"] == ["exists", "exists"]
    reads = sum(sim.requests()["counts"].values())
    assert reads <= 30, sim.requests()["counts"]


def test_dry_run_reads_only_and_says_what_it_would_do(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = settings_for(sim, monkeypatch, tmp_path)
    sim.reset_counters()
    report, out = setup(cfg, dry_run=True)
    assert writes_in(sim) == {}
    assert sim.store.field_by_name("OKR Progress") is None and not sim.store.filters
    assert [a.subject for a in report.actions if a.area == "field" and a.status == "would create"] == list(
        WANTED
    )
    assert "--dry-run (nothing changed)" in out
    assert "would create" in out


def test_changed_filter_and_gadget_are_put_back(
    sim_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_cloud
    cfg = settings_for(sim, monkeypatch, tmp_path)
    setup(cfg)
    risk = next(f for f in sim.store.filters.values() if f["name"] == "OKR: at risk or off track")
    risk["jql"] = "project = MOB"
    key = next(k for k in sim.store.item_properties)
    sim.store.item_properties[key]["config"] = {"filterId": "filter-1"}
    sim.reset_counters()
    report, _ = setup(cfg)
    assert writes_in(sim) == {
        "PUT /rest/api/3/filter/{filterId}": 1,
        "PUT /rest/api/3/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}": 1,
    }
    assert [a.subject for a in report.actions if a.status == "updated"] == [
        "OKR: at risk or off track",
        next(a.subject for a in report.actions if a.area == "gadget" and a.status == "updated"),
    ]
    assert risk["jql"].startswith('"OKR Status" in')


@pytest.mark.parametrize(
    ("flavor", "cred"),
    [
        ("cloud", {"OKRSYNC_JIRA__EMAIL": "viewer@example.com", "OKRSYNC_JIRA__API_TOKEN": "viewer-token"}),
        ("datacenter", {"OKRSYNC_JIRA__PAT": "viewer-pat"}),
    ],
)
def test_a_user_without_admin_rights_gets_a_clear_message_and_nothing_is_made(
    sim_factory: Any, tmp_path: Path, flavor: str, cred: dict[str, str]
) -> None:
    sim = sim_factory(flavor)
    env = {**os.environ, **env_for(sim, tmp_path, **cred), "COLUMNS": "200", "NO_COLOR": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "okrsync.cli", "-c", str(DEMO_CONFIG), "setup"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 2
    assert '"Administer Jira" global permission' in out.stderr
    assert "Ask a Jira administrator to run `okrsync setup`" in out.stderr
    assert "nothing was changed" in out.stderr
    assert "Traceback" not in out.stderr
    assert writes_in(sim) == {}
    assert sim.store.field_by_name("OKR Progress") is None


def test_after_setup_a_sync_writes_and_the_filters_find_the_key_results(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = settings_for(sim, monkeypatch, tmp_path)
    setup(cfg)
    if sim.flavor == "datacenter":
        play_dc_admin(sim)
    with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        result = run_sync(cfg, store=store, gateway=gateway, now=NOW)
    assert result.status == "ok", result.as_dict()
    status = sim.issue("MOB-1")["fields"][sim.field_id("OKR Status")]
    assert status["value"] == "Off track"

    filters = {f["name"]: f["jql"] for f in sim.store.filters.values()}
    krs = set(sim.store.search_keys(filters["OKR: key results"], None))
    assert {"MOB-1", "WEB-3", "PLAT-2", "PLAT-4", "DATA-3"} <= krs and "MOB-5" not in krs
    co1 = set(sim.store.search_keys(filters[FILTERS[2]], None))
    assert {"MOB-1", "PLAT-2", "PLAT-4"} <= co1 and not any(k.startswith(("WEB", "DATA")) for k in co1)
    co2 = set(sim.store.search_keys(filters[FILTERS[3]], None))
    assert co2 and all(k.startswith("WEB-") for k in co2)
    risky = sim.store.search_keys(filters["OKR: at risk or off track"], None)
    assert "MOB-1" in risky and "PLAT-4" not in risky


def test_a_site_set_up_before_okr_objective_id_gets_it_and_its_gadget_reconfigured(
    sim_cloud: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What an earlier okrsync setup left: no OKR Objective ID, phrase-search filters, and the
    two-dimensional table as project × health. Setup adds the field, makes the filters exact and
    turns the same gadget into objective × health (no second table)."""
    sim = sim_cloud
    cfg = settings_for(sim, monkeypatch, tmp_path)
    setup(cfg)
    label_field = sim.field_id("OKR Objective ID")
    old_filters = {f.name: f.jql for f in filter_specs(cfg, objective_ids=False)}
    with sim.store.lock:
        sim.store.fields = [f for f in sim.store.fields if f["id"] != label_field]
        for f in sim.store.filters.values():
            f["jql"] = old_filters[f["name"]]
        (did,) = [d["id"] for d in sim.store.dashboards.values() if d["name"] == "OKRs 2026-Q4"]
        table = next(g for g in sim.store.gadgets[did] if g["uri"] == TWO_DIMENSIONAL)
        table["title"] = PROJECT_GADGET
        config = sim.store.item_properties[f"{did}/{table['id']}"]["config"]
        config["ystattype"] = "project"
    assert '"OKR Objective" ~' in old_filters[FILTERS[2]]

    sim.reset_counters()
    report, out = setup(cfg)
    assert writes_in(sim) == {
        "POST /rest/api/3/field": 1,
        "POST /rest/api/3/screens/{screenId}/tabs/{tabId}/fields": 4,  # on each project's screen
        "PUT /rest/api/3/filter/{filterId}": 3,  # the three company objectives' filters
        "PUT /rest/api/3/dashboard/{dashboardId}/items/{itemId}/properties/{propertyKey}": 1,
    }
    new_field = sim.field_id("OKR Objective ID")
    assert sim.store.field(new_field)["schema"]["custom"] == CF + "labels"  # type: ignore[index]
    tables = [g for g in sim.store.gadgets[did] if g["uri"] == TWO_DIMENSIONAL]
    assert [g["id"] for g in tables] == [table["id"]]
    config = sim.store.item_properties[f"{did}/{table['id']}"]["config"]
    assert (config["xstattype"], config["ystattype"]) == (sim.field_id("OKR Status"), new_field)
    assert [(a.subject, a.status) for a in report.actions if a.area == "gadget" and a.status != "exists"] == [
        (PROJECT_GADGET, "updated")
    ]
    assert f'rename "{PROJECT_GADGET}" in Jira' in out
    filters = {f["name"]: f["jql"] for f in sim.store.filters.values()}
    assert all('"OKR Objective ID" in (' in filters[name] for name in FILTERS[2:])

    sim.reset_counters()
    again, _ = setup(cfg)
    assert writes_in(sim) == {} and again.changes == 0


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_renamed_company_objective_renames_its_filter_instead_of_adding_one(
    flavor: str, sim_factory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sim = sim_factory(flavor)
    cfg = settings_for(sim, monkeypatch, tmp_path)
    if flavor == "datacenter":
        setup(cfg)
        play_dc_admin(sim)
    setup(cfg)
    renamed = cfg.model_copy(
        update={
            "objectives": [
                o.model_copy(update={"title": "Customers first"}) if o.id == "CO-1" else o
                for o in cfg.objectives
            ]
        }
    )
    report, _ = setup(renamed)
    actions = {(a.area, a.subject): a.status for a in report.actions if a.area == "filter"}
    assert actions[("filter", "OKR: CO-1 Customers first")] == "updated"
    with JiraGateway(cfg.jira) as gateway:
        co1 = gateway.admin.find_filters("OKR: CO-1 ", prefix=True)
    assert [f["name"] for f in co1] == ["OKR: CO-1 Customers first"]  # one filter, renamed
    again, _ = setup(renamed)
    assert again.changes == 0
