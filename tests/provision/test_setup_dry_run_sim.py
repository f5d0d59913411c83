"""``okrsync setup --dry-run`` plans exactly what the run then does (issue 12, case 7), on both
dialects: on a new site, on one set up before and changed since, and on one set up already.

Each test runs the dry run and then the run on the same site and compares their actions item by
item (what, name, action, detail), then checks that Jira shows what the run said it did.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_setup_sim import play_dc_admin

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.admin import JiraAdmin
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.setup import Action, SetupReport, run_setup
from okrsync.provision.specs import HEALTH_OPTIONS, TWO_DIMENSIONAL

PLANNED = {"would create": "created", "would update": "updated"}
OKR_FIELDS = [
    "OKR Progress",
    "OKR Expected",
    "OKR Status",
    "OKR Objective",
    "OKR Key Result",
    "OKR Objective ID",
    "OKR Confidence",
    "OKR Check-in",
    "OKR Score",
]


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    return load_config(DEMO_CONFIG)


def setup(cfg: Settings, *, dry_run: bool = False) -> SetupReport:
    with JiraGateway(cfg.jira) as gateway:
        return run_setup(cfg, gateway, dry_run=dry_run)


def writes_in(sim: JiraSimulator) -> dict[str, int]:
    return {k: v for k, v in sim.requests()["counts"].items() if not k.startswith("GET ")}


def as_planned(action: Action) -> tuple[str, str, str, str]:
    return action.area, action.subject, PLANNED.get(action.status, action.status), action.detail


def as_done(action: Action, sim: JiraSimulator) -> tuple[str, str, str, str]:
    """The run's action as a dry run can say it: a dashboard it created carries the id Jira gave it
    (``id 10001, shared with …``), which no dry run can know."""
    detail = action.detail
    if (action.area, action.status) == ("dashboard", "created"):
        (did,) = [d["id"] for d in sim.store.dashboards.values() if d["name"] == action.subject]
        assert detail.startswith(f"id {did}, "), detail
        detail = detail.removeprefix(f"id {did}, ")
    return action.area, action.subject, action.status, detail


def dry_then_run(sim: JiraSimulator, cfg: Settings) -> tuple[SetupReport, SetupReport]:
    """The dry run, then the run, on the same site; their actions and manual steps item by item."""
    sim.reset_counters()
    dry = setup(cfg, dry_run=True)
    assert writes_in(sim) == {}, "a dry run writes nothing"
    run = setup(cfg)
    assert [as_done(a, sim) for a in run.actions] == [as_planned(a) for a in dry.actions]
    assert run.manual == dry.manual
    assert run.changes == dry.changes
    return dry, run


def on_screens(sim: JiraSimulator, names: list[str]) -> dict[str, list[str]]:
    """Per project: which of ``names`` an edit can set (on its screen)."""
    ids = {sim.field_id(n): n for n in names}
    hidden = sim.store.off_screen
    return {
        p: [n for fid, n in ids.items() if fid not in hidden.get(p, []) and n not in hidden.get(p, [])]
        for p in ("PLAT", "MOB", "WEB", "DATA")
    }


def test_on_a_new_site_the_dry_run_lists_what_setup_then_does(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = settings_for(sim, monkeypatch, tmp_path)
    dry, run = dry_then_run(sim, cfg)
    statuses = {(a.area, a.subject): a.status for a in dry.actions}
    assert all(statuses[("field", n)] == "would create" for n in OKR_FIELDS)
    if sim.flavor == "cloud":
        # a field made over REST is on no screen: setup puts it on each project's screen
        screens = [a for a in run.actions if a.area == "screen"]
        assert len(screens) == 4 and all(a.status == "updated" for a in screens)
        assert all(a.detail == "added " + ", ".join(OKR_FIELDS) for a in screens)
        assert on_screens(sim, OKR_FIELDS) == dict.fromkeys(("PLAT", "MOB", "WEB", "DATA"), OKR_FIELDS)
    else:
        assert statuses[("screen", "PLAT, MOB, WEB, DATA")] == "manual"
        assert on_screens(sim, OKR_FIELDS) == {p: [] for p in ("PLAT", "MOB", "WEB", "DATA")}
    assert [a.subject for a in run.actions if a.area == "field"] == OKR_FIELDS
    assert all(sim.store.field_by_name(n) is not None for n in OKR_FIELDS)

    # the site as set up: the dry run and the run find nothing to do, and the run writes nothing
    if sim.flavor == "datacenter":
        play_dc_admin(sim)
    dry, run = dry_then_run(sim, cfg)
    assert dry.changes == 0 and {a.status for a in dry.actions} <= {"exists", "manual"}
    assert writes_in(sim) == {}


def test_on_a_site_changed_since_setup_the_dry_run_lists_each_repair_setup_then_makes(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Set up before, then: OKR Objective ID gone (a site set up before it existed), a filter's
    JQL edited, a field taken off one project's screen and a gadget's configuration lost (Cloud)."""
    cfg = settings_for(sim, monkeypatch, tmp_path)
    setup(cfg)
    if sim.flavor == "datacenter":
        play_dc_admin(sim)
    with sim.store.lock:
        label_field = sim.field_id("OKR Objective ID")
        sim.store.fields = [f for f in sim.store.fields if f["id"] != label_field]
        risk = next(f for f in sim.store.filters.values() if f["name"] == "OKR: at risk or off track")
        risk["jql"] = "project = MOB"
        if sim.flavor == "cloud":
            sim.store.off_screen["WEB"] = [sim.field_id("OKR Expected")]
            (did,) = [d["id"] for d in sim.store.dashboards.values() if d["name"] == "OKRs 2026-Q4"]
            table = next(g for g in sim.store.gadgets[did] if g["uri"] == TWO_DIMENSIONAL)
            sim.store.item_properties[f"{did}/{table['id']}"]["config"] = {"filterId": "filter-1"}

    _dry, run = dry_then_run(sim, cfg)
    changed = [(a.area, a.subject, a.detail) for a in run.actions if a.status in ("created", "updated")]
    assert ("field", "OKR Objective ID", "Labels, searchable") in changed
    assert ("filter", "OKR: at risk or off track") in {(a, s) for a, s, _ in changed}
    if sim.flavor == "cloud":
        assert (
            "screen",
            "WEB: Scrum Default Issue Screen",
            "added OKR Expected, OKR Objective ID",
        ) in changed
        assert ("screen", "MOB: Scrum Default Issue Screen", "added OKR Objective ID") in changed
        assert ("gadget", "Health by objective", "configuration") in changed
        assert on_screens(sim, OKR_FIELDS) == dict.fromkeys(("PLAT", "MOB", "WEB", "DATA"), OKR_FIELDS)
    assert risk["jql"].startswith('"OKR Status" in (')
    assert sim.store.field_by_name("OKR Objective ID") is not None

    sim.reset_counters()
    if sim.flavor == "datacenter":
        sim.put_on_screens()  # the manual step for the new field
    again = setup(cfg, dry_run=True)
    assert again.changes == 0


def test_a_status_field_without_a_context_the_dry_run_plans_the_context_and_its_options(
    sim_factory: Callable[..., JiraSimulator], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Cloud: an OKR Status select whose context an admin deleted. The dry run lists the two steps
    the run takes: the global context, then the health options in it."""
    sim = sim_factory("cloud", okr_fields=True)
    cfg = settings_for(sim, monkeypatch, tmp_path)
    status = sim.field_id("OKR Status")
    with sim.store.lock:
        sim.store.field_options[status] = []
    made: list[str] = []
    real_contexts = JiraAdmin.field_contexts

    def contexts(self: JiraAdmin, field_id: str) -> list[dict[str, Any]]:
        return real_contexts(self, field_id) if field_id != status or made else []

    def create_context(self: JiraAdmin, field_id: str, name: str, *, description: str = "") -> dict[str, Any]:
        made.append(name)  # the simulator keeps every field's context: hand out the one it has
        return real_contexts(self, field_id)[0]

    monkeypatch.setattr(JiraAdmin, "field_contexts", contexts)
    monkeypatch.setattr(JiraAdmin, "create_field_context", create_context)
    _dry, run = dry_then_run(sim, cfg)
    assert [(a.subject, a.status, a.detail) for a in run.actions if a.area == "options"] == [
        ("OKR Status context", "created", "global, any issue type"),
        ("OKR Status", "created", ", ".join(HEALTH_OPTIONS)),
        ("OKR Confidence", "exists", "High, Medium, Low"),
    ]
    assert made == ["Default Configuration Scheme for OKR Status"]
    assert [o["value"] for o in sim.store.field_options[status]] == list(HEALTH_OPTIONS)
