"""``okrsync check`` against the simulator: connectivity, permissions, fields, the coach by owner."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from okrsync.cli.check import print_check
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import CheckReport, last_change_from_store, run_check
from okrsync.state.store import StateStore
from okrsync.sync.engine import run_sync

ROOT = Path(__file__).resolve().parents[2]
DEMO = DEMO_CONFIG
AS_OF = date(2026, 11, 26)


def env_for(sim: JiraSimulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "OKRSYNC_JIRA__URL": sim.url,
        "OKRSYNC_JIRA__PAT": "demo-pat",
        "OKRSYNC_JIRA__REQUESTS_PER_SECOND": "1000",
        "OKRSYNC_SYNC__STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
        **extra,
    }


def settings_for(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, path: Path = DEMO, **extra: str
) -> Settings:
    for key, value in env_for(sim, tmp_path, **extra).items():
        monkeypatch.setenv(key, value)
    return load_config(path)


def check(cfg: Settings, **kw: Any) -> tuple[CheckReport, str]:
    with JiraGateway(cfg.jira) as gateway:
        report = run_check(cfg, gateway, as_of=AS_OF, **kw)
    out = io.StringIO()
    print_check(cfg, report, Console(file=out, width=220, no_color=True))
    return report, out.getvalue()


def cli(
    sim: JiraSimulator, tmp_path: Path, config: Path = DEMO, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_for(sim, tmp_path, **extra), "COLUMNS": "220", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "okrsync.cli", "-c", str(config), "check", "--as-of", AS_OF.isoformat()],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_the_demo_company_is_coached_by_owner(
    sim_okr: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = settings_for(sim_okr, monkeypatch, tmp_path)
    sim_okr.reset_counters()
    report, out = check(cfg)
    assert report.problems == [] and report.exit_code == 0
    stale = [f for f in report.findings if f.code == "stale"]
    assert [(f.subject, f.owner) for f in stale] == [("MOB-3", "Deepak Rao")]
    assert "Connected to" in out and "as Demo Admin" in out
    assert "Deepak Rao — 1" in out
    assert "MOB-3 has made no progress since 2026-10-28 (29 days)." in out
    assert "Check in with the owner" in out
    assert "1 finding: 0 errors, 1 warnings, 0 info." in out
    counts = sim_okr.requests()["counts"]
    assert not [k for k in counts if k.startswith(("PUT", "DELETE"))]
    # the health options: Cloud reads the field's contexts, then one context's options
    options = [k for k in counts if "/context" in k or "customFields" in k]
    assert sum(counts[k] for k in options) == (2 if sim_okr.flavor == "cloud" else 1), counts
    assert sum(counts.values()) <= 14, counts


def test_an_error_finding_exits_1_and_each_finding_has_its_fix(
    sim_okr: JiraSimulator, tmp_path: Path
) -> None:
    raw = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    raw["objectives"].append({"id": "SOLO", "title": "An island", "owner": "zoe@example.com"})
    raw["key_results"].append({"objective": "MOB-O", "epic": "MOB-2", "title": "again"})
    path = tmp_path / "okrsync.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = cli(sim_okr, tmp_path, path)
    assert out.returncode == 1, out.stderr
    assert "zoe@example.com — 2" in out.stdout
    assert "SOLO does not align to a company objective." in out.stdout
    assert "Set aligns_to: on SOLO" in out.stdout
    assert "SOLO has no key results and no aligned objectives." in out.stdout
    assert "2 errors" in out.stdout
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("flavor", "cred", "says"),
    [
        (
            "cloud",
            {"OKRSYNC_JIRA__EMAIL": "demo@example.com", "OKRSYNC_JIRA__API_TOKEN": "wrong"},
            "Jira answered 401 to demo@example.com's API token: check OKRSYNC_JIRA__API_TOKEN and jira.email",
        ),
        (
            "datacenter",
            {"OKRSYNC_JIRA__PAT": "wrong"},
            "Jira answered 401 to the personal access token: check OKRSYNC_JIRA__PAT",
        ),
    ],
)
def test_wrong_credentials_give_the_clear_401_message(
    sim_factory: Any, tmp_path: Path, flavor: str, cred: dict[str, str], says: str
) -> None:
    sim = sim_factory(flavor)
    out = cli(sim, tmp_path, **cred)
    assert out.returncode == 2  # needs a person to fix the credential, as in every command
    assert "connection problem:" in out.stdout
    assert says in " ".join(out.stdout.split())
    assert "okrsync cannot run until the problems above are fixed." in out.stdout
    assert "wrong" not in out.stdout  # the secret is never printed
    assert "Traceback" not in out.stderr


def test_unreachable_jira_is_a_connection_problem(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in {
        "OKRSYNC_JIRA__URL": "http://127.0.0.1:9",
        "OKRSYNC_JIRA__MAX_RETRIES": "0",
        "OKRSYNC_JIRA__TIMEOUT_SECONDS": "2",
    }.items():
        monkeypatch.setenv(key, value)
    cfg = load_config(DEMO)
    report, out = check(cfg)
    assert report.exit_code == 3 and not report.coached  # Jira unavailable, as in every command
    text = " ".join(out.split())
    assert "connection problem:" in text
    assert "connection refused by 127.0.0.1:9" in text and "is jira.url (http://127.0.0.1:9) right" in text


def test_missing_fields_point_at_setup_and_the_coach_still_runs(
    sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = settings_for(sim, monkeypatch, tmp_path)
    report, out = check(cfg)
    assert report.exit_code == 1
    missing = [p.message for p in report.problems if p.area == "field"]
    assert missing == [
        f'Jira has no field "{n}".'
        for n in (
            "OKR Progress",
            "OKR Status",
            "OKR Expected",
            "OKR Objective",
            "OKR Key Result",
        )
    ]
    # the objective-id labels field is optional for sync (it only feeds the objective charts)
    # and so are the check-in fields (issue 16): a sync reads them where they exist
    assert [p.message for p in report.warnings if p.area == "field"] == [
        'Jira has no field "OKR Objective ID": dashboards cannot chart by objective.',
        'Jira has no field "OKR Confidence": key result owners cannot check in.',
        'Jira has no field "OKR Check-in": key result owners cannot check in.',
    ]
    assert "run `okrsync setup` (as a Jira admin) to create it" in out
    assert report.coached and report.key_results == 15


def test_a_viewer_lacks_edit_issues_and_is_warned_about_setup(
    sim_okr: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cred = (
        {"OKRSYNC_JIRA__EMAIL": "viewer@example.com", "OKRSYNC_JIRA__API_TOKEN": "viewer-token"}
        if sim_okr.flavor == "cloud"
        else {"OKRSYNC_JIRA__PAT": "viewer-pat"}
    )
    cfg = settings_for(sim_okr, monkeypatch, tmp_path, **cred)
    report, out = check(cfg)
    assert report.exit_code == 1
    perms = [p.message for p in report.problems if p.area == "permission"]
    assert len(perms) == 4 and all("lacks Edit issues in project" in m for m in perms)
    assert "project settings → permissions" in out.casefold()
    assert "`okrsync setup` needs Administer Jira" in out


def test_check_uses_the_progress_history_of_an_existing_store_and_creates_none(
    sim_okr: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from okrsync.domain.records import ProgressPoint

    cfg = settings_for(sim_okr, monkeypatch, tmp_path)
    start = cfg.period.start
    assert last_change_from_store(cfg.sync.state_url, since=start, as_of=AS_OF) is None
    assert not (tmp_path / "state.db").exists()
    with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        assert (
            run_sync(cfg, store=store, gateway=gateway, now=datetime(2026, 11, 26, 9, tzinfo=UTC)).status
            == "ok"
        )
    # the day okrsync started recording is not a movement: like sync, check still sees MOB-3 stale
    assert last_change_from_store(cfg.sync.state_url, since=start, as_of=AS_OF) == {}
    report, out = check(cfg, last_change={})
    assert [f.subject for f in report.findings if f.code == "stale"] == ["MOB-3"]
    # a real movement recorded later (e.g. its metric moved) is what makes it fresh again
    later = date(2026, 11, 27)
    with StateStore.open(cfg.sync.state_url) as store:
        store.record_progress([ProgressPoint(later, "MOB-3", "key_result", 0.5, 0.63, "at_risk")])
    history = last_change_from_store(cfg.sync.state_url, since=start, as_of=later)
    assert history == {"MOB-3": later}
    assert last_change_from_store(cfg.sync.state_url, since=start, as_of=AS_OF) == {}  # not from the future
    report, out = check(cfg, last_change=history)
    assert "with the progress history" in out
    assert not [f for f in report.findings if f.code == "stale"]


def _editor(sim: JiraSimulator) -> dict[str, str]:
    """An account that may edit issues but administers neither Jira nor the projects; its credential."""
    with sim.store.lock:
        sim.store.add_user(
            "editor-1", "editor", "Eddie Editor", "editor@example.com", token="editor-token", pat="editor-pat"
        )
        sim.store.editors.add("editor-1")
    if sim.flavor == "cloud":
        return {"OKRSYNC_JIRA__EMAIL": "editor@example.com", "OKRSYNC_JIRA__API_TOKEN": "editor-token"}
    return {"OKRSYNC_JIRA__PAT": "editor-pat"}


def test_check_says_up_front_whether_okrsync_may_edit_silently(
    sim_okr: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """writeback.notify_users: false (the demo's) needs Administer projects or Administer Jira:
    without it Cloud notifies the watchers anyway (a warning), Data Center refuses the edits (a problem)."""
    sim = sim_okr
    cfg = settings_for(sim, monkeypatch, tmp_path, **_editor(sim))
    assert cfg.writeback.notify_users is False
    sim.reset_counters()
    report, out = check(cfg)
    silent = [p for p in [*report.problems, *report.warnings] if "may not edit silently" in p.message]
    assert len(silent) == 1, [p.message for p in report.problems + report.warnings]
    (finding,) = silent
    assert "MOB" in finding.message and "writeback.notify_users: true" in finding.fix
    assert "Administer projects" in finding.fix
    if sim.flavor == "cloud":
        assert finding in report.warnings and "notifies the issue's watchers" in finding.message
    else:
        assert finding in report.problems and "refuses such an edit (403)" in finding.message
        assert report.exit_code == 1
    assert "may not edit silently" in " ".join(out.split())
    # the permission is asked in the request that asks the others: one per project, one global
    counts = sim.requests()["counts"]
    assert counts[f"GET /rest/api/{'3' if sim.flavor == 'cloud' else '2'}/mypermissions"] == 5


def test_check_is_quiet_about_notifications_when_okrsync_may_edit_silently_or_notifies(
    sim_okr: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    admin = settings_for(sim_okr, monkeypatch, tmp_path)  # the demo admin administers Jira
    assert not [p for p in check(admin)[0].warnings if "silently" in p.message]
    notifying = settings_for(
        sim_okr, monkeypatch, tmp_path, OKRSYNC_WRITEBACK__NOTIFY_USERS="true", **_editor(sim_okr)
    )
    report, _ = check(notifying)
    assert not [p for p in [*report.problems, *report.warnings] if "silently" in p.message]
