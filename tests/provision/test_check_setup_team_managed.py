"""``okrsync check`` and ``okrsync setup`` on a Cloud site where WEB is a team-managed project.

Both say which key results live there, what okrsync writes there (its ``okrsync`` property and its
comments, no field) and what an admin can do, once, as a warning (check, exit 0) or a manual step
(setup); neither adds a request to find it: check reads the style in the issues' ``project`` field
it reads anyway, setup in the project list it reads for the screens (now only the configured
projects). Data Center has no team-managed projects.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from simkit import SimFactory

from okrsync.data import DEMO_CONFIG
from okrsync.domain import exit_codes
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import CheckReport, run_check
from okrsync.provision.setup import SetupReport, run_setup

AS_OF = date(2026, 11, 26)
WEB_KRS = "WEB-1, WEB-2, WEB-3, WEB-4"


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    return load_config(DEMO_CONFIG)


def check(sim: JiraSimulator, cfg: Settings) -> tuple[CheckReport, dict[str, int]]:
    sim.reset_counters()
    with JiraGateway(cfg.jira) as gateway:
        report = run_check(cfg, gateway, as_of=AS_OF)
    return report, dict(sim.requests()["counts"])


def setup(sim: JiraSimulator, cfg: Settings, *, dry_run: bool) -> tuple[SetupReport, dict[str, int]]:
    sim.reset_counters()
    with JiraGateway(cfg.jira) as gateway:
        report = run_setup(cfg, gateway, dry_run=dry_run)
    return report, dict(sim.requests()["counts"])


def project_warnings(report: CheckReport) -> list[Any]:
    return [w for w in report.warnings if w.area == "project"]


def test_check_names_the_key_results_there_what_okrsync_writes_and_what_to_do(
    sim_factory: SimFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    classic = sim_factory("cloud", okr_fields=True)
    _, classic_requests = check(classic, settings_for(classic, monkeypatch, tmp_path))
    sim = sim_factory("cloud", okr_fields=True, team_managed=["WEB"])
    report, requests = check(sim, settings_for(sim, monkeypatch, tmp_path))

    assert report.exit_code == exit_codes.OK  # a known limitation, said once: not a problem
    assert report.problems == [] and report.team_managed == ("WEB",)
    (warning,) = project_warnings(report)
    assert warning.message.startswith(
        f"WEB is a team-managed project; the key results {WEB_KRS} live there (4 KR epics, 39 action plans). "
        "Jira takes no global custom field on the issues of a team-managed project, so okrsync writes its "
        "`okrsync` issue property and its comments there, not the OKR fields."
    )
    assert "okrsync's filters and the OKR dashboard select by the OKR fields" in warning.message
    assert "move these epics and their issues to a company-managed project" in warning.fix
    assert "{{issue.properties.okrsync.progress}}" in warning.fix
    assert "JQL cannot search the property" in warning.fix
    # found in the issues check reads anyway: not one request more, no project list
    assert requests == classic_requests
    assert "GET /rest/api/3/project/search" not in requests


def test_check_on_a_site_without_team_managed_projects_says_nothing_of_them(
    sim_okr: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report, requests = check(sim_okr, settings_for(sim_okr, monkeypatch, tmp_path))
    assert report.team_managed == () and project_warnings(report) == []
    assert not any(k.startswith("GET /rest/api/3/project") for k in requests)


def test_setup_makes_it_a_manual_step_and_puts_no_field_on_a_screen_there(
    sim_factory: SimFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    classic = sim_factory("cloud")
    _, classic_requests = setup(classic, settings_for(classic, monkeypatch, tmp_path), dry_run=False)
    sim = sim_factory("cloud", team_managed=["WEB"])
    cfg = settings_for(sim, monkeypatch, tmp_path)
    dry, dry_requests = setup(sim, cfg, dry_run=True)
    run, requests = setup(sim, cfg, dry_run=False)

    for report in (dry, run):
        (action,) = [a for a in report.actions if a.area == "project"]
        assert (action.subject, action.status) == ("WEB", "manual")
        step = next(m for m in report.manual if m.title == action.detail)
        assert step.title == (
            "WEB is a team-managed project: okrsync writes its property and comments there, no field"
        )
        assert step.steps[0].startswith(f"The key results {WEB_KRS} live in WEB.")
        assert any("company-managed project" in line for line in step.steps)
        # a team-managed project has no screens: nothing added there
        assert not [a for a in report.actions if a.area == "screen" and a.subject.startswith("WEB:")]
    assert [a.area for a in dry.actions] == [a.area for a in run.actions]
    # the project list setup reads for the screens (only the configured projects), nothing more
    for counts in (dry_requests, requests):
        assert counts["GET /rest/api/3/project/search"] == 1
    (listed,) = [e for e in sim.requests()["log"] if e["path"] == "/rest/api/3/project/search"]
    assert parse_qs(listed["query"])["keys"] == ["PLAT", "MOB", "WEB", "DATA"]
    # the only difference from a company-managed WEB: WEB's screen, which a team-managed project
    # has not (its tab and its fields read, eight fields added)
    screen_calls = (
        "GET /rest/api/3/screens/{screenId}/tabs",
        "GET /rest/api/3/screens/{screenId}/tabs/{tabId}/fields",
    )
    fewer = {
        k: classic_requests[k] - requests.get(k, 0)
        for k in classic_requests
        if classic_requests[k] != requests.get(k, 0)
    }
    assert fewer == {
        **dict.fromkeys(screen_calls, 1),
        "POST /rest/api/3/screens/{screenId}/tabs/{tabId}/fields": 9,
    }

    again, _ = setup(sim, cfg, dry_run=False)
    assert again.changes == 0
    assert [m.title for m in again.manual] == [step.title]


def test_setup_and_check_on_data_center_know_no_team_managed_projects(
    sim_datacenter: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = settings_for(sim_datacenter, monkeypatch, tmp_path)
    report, _ = setup(sim_datacenter, cfg, dry_run=True)
    assert not [a for a in report.actions if a.area == "project"]
    checked, _ = check(sim_datacenter, cfg)
    assert checked.team_managed == () and project_warnings(checked) == []
