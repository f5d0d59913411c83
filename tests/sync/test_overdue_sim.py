"""Issue 12, case 4, over the simulator (both dialects): a KR due 2026-11-27 at 75 % on 2026-12-01
used to show On track, and the coach said nothing. It is Overdue in Jira's status field, in the
report and the coach (naming its owner), and its owner gets one check-in reminder.

Every day is the demo company's, pinned: the due day is read from the KR's epic, the syncs run
days after it.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from okrsync.cli import app as cli_app
from okrsync.cli import main
from okrsync.cli.run_summary import health_counts
from okrsync.daemon.metrics import Metrics
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import run_check
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

KR = "WEB-4"  # "Publish a public status page", Farid Haddad's, due on day 57 of the period
OWNER = "Farid Haddad"


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, state_url: str) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRY_SECONDS", "20")
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", state_url)
    return load_config(DEMO_CONFIG)


def sync(cfg: Settings, now: datetime) -> SyncReport:
    with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        return run_sync(cfg, store=store, gateway=gateway, now=now)


def field(sim: JiraSimulator, key: str, name: str) -> Any:
    value = sim.issue(key)["fields"].get(sim.field_id(name))
    return value.get("value") if isinstance(value, dict) else value


OWNER_IDS = {"712020:fa71d000-0000-4000-8000-000000000016", "fhaddad"}  # accountId, DC user name


def mentioned(body: Any) -> set[str]:
    """Who a comment body mentions: ADF mention ids, ``[~accountid:id]`` or ``[~name]`` in wiki markup."""
    if isinstance(body, str):
        return {m.removeprefix("accountid:") for m in re.findall(r"\[~([^\]]+)\]", body)}
    found: set[str] = set()
    stack = [body]
    while stack:
        node = stack.pop()
        if node.get("type") == "mention":
            found.add(node["attrs"]["id"])
        stack.extend(node.get("content") or [])
    return found


def texts(sim: JiraSimulator, key: str) -> list[str]:
    return [" ".join(plain_text(c["body"]).split()) for c in sim.comments(key)]


def okrsync(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """The command line in-process, printing 250 columns wide: (exit code, stdout)."""
    monkeypatch.setattr(sys, "argv", ["okrsync", "--config", str(DEMO_CONFIG), *args])
    monkeypatch.setattr(cli_app, "console", Console(width=250, no_color=True, highlight=False))
    with pytest.raises(SystemExit) as exit_info:
        main()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().out


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def test_a_kr_past_its_due_day_at_75_percent_is_overdue_in_jira_the_report_and_the_coach(
    sim_okr: JiraSimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = sim_okr
    cfg = settings_for(sim, monkeypatch, f"sqlite:///{tmp_path / 'state.db'}")
    due = date.fromisoformat(sim.issue(KR)["fields"]["duedate"])
    assert due == cfg.period.start + timedelta(days=57)  # 2026-11-27 in the pinned period
    sim.transition("WEB-41", "Done", resolution="Done")  # 6 of its 8 action plans done: 75 %

    # on its due day it is on track (75 % against 63.0 % expected): due today is not late yet
    on_the_day = sync(cfg, at_noon(due))
    assert on_the_day.status == "ok", on_the_day.as_dict()
    assert (field(sim, KR, "OKR Progress"), field(sim, KR, "OKR Status")) == (75.0, "On track")
    assert texts(sim, KR) == []

    # four days later (the issue's 2026-12-01): Overdue, though ahead of the expected 67.4 %
    later = due + timedelta(days=4)
    report = sync(cfg, at_noon(later))
    assert report.status == "ok", report.as_dict()
    assert field(sim, KR, "OKR Progress") == 75.0
    assert (
        field(sim, KR, "OKR Expected") == 67.4 == round(cfg.period.to_period().elapsed_share(later) * 100, 1)
    )
    assert field(sim, KR, "OKR Status") == "Overdue"
    assert sim.issue(KR)["properties"]["okrsync"]["health"] == "overdue"
    assert report.health["overdue"] == 1  # the only KR past its due day and not done
    assert ", off track 4, overdue 1" in health_counts(report.health)  # the sync's summary line
    metrics = Metrics()
    metrics.set_health(report.health)
    assert 'okrsync_key_results{health="overdue"} 1.0' in metrics.render().decode()
    assert field(sim, "PLAT-4", "OKR Status") == "Done"  # due before too, but done
    assert field(sim, "MOB-1", "OKR Status") == "Off track"  # due later
    # the status comment says it, and the owner gets one reminder to close or re-plan it
    comments = texts(sim, KR)
    assert len(comments) == 2, comments
    status, reminder = comments
    assert "OKR status: On track → Overdue" in status
    assert reminder.startswith("Check-in reminder: @")
    assert f", {KR}: Publish a public status page was due {due} and is not done" in reminder
    (who,) = mentioned(sim.comments(KR)[1]["body"])
    assert who in OWNER_IDS  # its owner, notified
    assert f"is not done: 75 % on {later}, 4 days overdue" in reminder
    assert "Please close it" in reminder and "re-plan it" in reminder
    assert "WEB-42" in reminder and "WEB-43" in reminder  # what is still open

    # the next day: still Overdue, and no second reminder (other KRs' health moves with expected)
    next_day = sync(cfg, at_noon(later + timedelta(days=1)))
    assert next_day.status == "ok", next_day.as_dict()
    assert field(sim, KR, "OKR Status") == "Overdue" and len(sim.comments(KR)) == 2
    assert next_day.plan is not None and not [c for c in next_day.plan.comments if c.issue_key == KR]

    # the report shows it
    code, out = okrsync(monkeypatch, capsys, "report")
    assert code == 0
    line = next(ln for ln in out.splitlines() if f"KR {KR} " in ln)
    assert "75.0%" in line and f"Overdue  @{OWNER}" in line
    code, out = okrsync(monkeypatch, capsys, "report", "--format", "markdown")
    assert code == 0
    row = next(ln for ln in out.splitlines() if ln.startswith(f"| **{KR}**"))
    assert f"| {OWNER} |" in row and "| 75.0 % |" in row and "| Overdue |" in row

    # the coach names its owner
    with JiraGateway(cfg.jira) as gateway:
        checked = run_check(cfg, gateway, as_of=later)
    (finding,) = [f for f in checked.findings if f.code == "overdue"]
    assert (finding.subject, finding.kind, finding.owner) == (KR, "key_result", OWNER)
    assert (
        finding.message
        == f"{KR} was due {due} and is not done: 75 % on {later}, 4 days overdue. Owner: {OWNER}."
    )
    code, out = okrsync(monkeypatch, capsys, "check", "--as-of", later.isoformat())
    folded = " ".join(out.split())
    assert f"{OWNER} — " in folded and f"{KR} was due {due} and is not done" in folded
