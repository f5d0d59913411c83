"""A site set up before the Overdue health existed: ``okrsync setup`` adds the option (Cloud) or
names it as the one manual step (Data Center), and the next run finds it there."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests
from rich.console import Console

from okrsync.cli.setup import print_setup
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.domain.model import Health
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim import catalog
from okrsync.jira_sim.datasets.common import DEMO_ACCOUNT
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.setup import Action, SetupReport, run_setup
from okrsync.provision.specs import HEALTH_OPTIONS

BEFORE = ["Done", "On track", "At risk", "Off track", "Not started", "No data"]  # the options until Overdue


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    return load_config(DEMO_CONFIG)


def setup(cfg: Settings) -> tuple[SetupReport, str]:
    with JiraGateway(cfg.jira) as gateway:
        report = run_setup(cfg, gateway)
    out = io.StringIO()
    print_setup(report, Console(file=out, width=200, no_color=True))
    return report, " ".join(out.getvalue().split())


def status_options(sim: JiraSimulator) -> list[str]:
    return [str(o["value"]) for o in sim.store.field_options[sim.field_id("OKR Status")]]


def option_actions(report: SetupReport) -> list[Action]:
    return [a for a in report.actions if (a.area, a.subject) == ("options", "OKR Status")]


def test_setup_adds_the_overdue_option_to_a_site_set_up_before_it(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert (*BEFORE, "Overdue") == HEALTH_OPTIONS and Health.OVERDUE.label == "Overdue"
    with sim.store.lock:  # the select an earlier okrsync setup made (or an admin, on Data Center)
        fdef = sim.store.create_field(
            {"name": "OKR Status", "type": catalog.SELECT, "description": "Health (okrsync)"},
            sim.store.users[DEMO_ACCOUNT],
        )
        sim.store.add_field_options(str(fdef["id"]), BEFORE)
    cfg = settings_for(sim, monkeypatch, tmp_path)

    report, out = setup(cfg)
    if sim.flavor == "cloud":
        assert option_actions(report) == [Action("options", "OKR Status", "created", "Overdue")]
        assert status_options(sim) == [*BEFORE, "Overdue"]  # added after the others, as a new site has them
    else:
        assert [a.status for a in option_actions(report)] == ["manual"]
        assert 'Add the health options to "OKR Status"' in out
        assert 'Add each option, in this order, exactly as written: "Overdue".' in out
        assert status_options(sim) == BEFORE
        # the admin adds it in the UI, as the step says
        requests.post(
            f"{sim.url}/_sim/field-options", json={"field": "OKR Status", "options": ["Overdue"]}, timeout=10
        ).raise_for_status()

    again, _ = setup(cfg)
    assert [a.status for a in option_actions(again)] == ["exists"]
    assert status_options(sim) == list(HEALTH_OPTIONS)
