"""The daemon keeps one gateway across cycles (issue 15, Build 3): serverInfo, the field list and
``myself`` are read once, not every cycle; the field list is read again on a full reconcile and
after a cycle that found a field unknown (here: "OKR Objective ID", which ``okrsync setup`` adds
while the daemon runs)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from okrsync.daemon.service import Daemon
from okrsync.daemon.site_facts import says_fields_changed
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.apply import ApplyError
from okrsync.sync.engine import SyncReport

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the demo company's period, as in test_sync_e2e
FACTS = ("GET /rest/api/2/serverInfo", "GET /rest/api/{v}/field", "GET /rest/api/{v}/myself")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in [k for k in os.environ if k.upper().startswith("OKRSYNC_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRY_SECONDS", "20")
    return load_config(DEMO_CONFIG)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def daemon(
    sim_okr: JiraSimulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: Clock
) -> Iterator[Daemon]:
    cfg = settings_for(sim_okr, monkeypatch)
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        d = Daemon(cfg, store=store, gateway=gateway, interval_seconds=900, clock=clock)
        yield d
        d.shutdown()


def facts_read(sim: JiraSimulator) -> dict[str, int]:
    """serverInfo, field list and myself requests, by the simulator's count (any API version)."""
    counts: dict[str, int] = {}
    for endpoint, n in sim.requests()["counts"].items():
        method, _, path = endpoint.partition(" ")
        for name in FACTS:
            want_method, _, want = name.partition(" ")
            head, _, tail = want.partition("{v}")
            if (
                method == want_method
                and path.startswith(head)
                and path.endswith(tail)
                and len(path) <= len(want) + 2
            ):
                counts[name] = counts.get(name, 0) + n
    return counts


def cycle(daemon: Daemon, clock: Clock, *, full: bool = False) -> SyncReport:
    report = daemon.run_cycle(full=full)
    assert report is not None and report.status == "ok", report.as_dict() if report else None
    clock.now += timedelta(minutes=15)
    return report


def test_three_cycles_read_serverinfo_fields_and_myself_once(
    daemon: Daemon, sim_okr: JiraSimulator, clock: Clock
) -> None:
    sim_okr.reset_counters()
    reports = [cycle(daemon, clock) for _ in range(3)]
    assert facts_read(sim_okr) == dict.fromkeys(FACTS, 1)
    assert reports[0].field_edits > 0 and reports[2].planned == 0

    sim_okr.reset_counters()
    cycle(daemon, clock, full=True)  # a full reconcile reads the field list again, nothing else
    assert facts_read(sim_okr) == {"GET /rest/api/{v}/field": 1}
    assert daemon.site_facts.refreshes == 1


def test_a_field_setup_adds_while_the_daemon_runs_is_seen_at_the_next_cycle(
    daemon: Daemon, sim_okr: JiraSimulator, clock: Clock
) -> None:
    sim = sim_okr
    label_field = sim.field_id("OKR Objective ID")
    with sim.store.lock:  # the site as okrsync setup left it before the field existed
        sim.store.fields = [f for f in sim.store.fields if f["id"] != label_field]
    first = cycle(daemon, clock)
    assert any("run okrsync setup to add OKR Objective ID" in w for w in first.warnings)
    assert daemon.site_facts.stale

    with sim.store.lock:  # okrsync setup, run again, creates it
        sim.store.create_field(
            {"name": "OKR Objective ID", "type": "com.atlassian.jira.plugin.system.customfieldtypes:labels"},
            sim.store.users[next(iter(sim.store.admins))],
        )
    sim.reset_counters()
    second = cycle(daemon, clock)
    assert not any("OKR Objective ID" in w for w in second.warnings)
    assert facts_read(sim) == {"GET /rest/api/{v}/field": 1}
    value = sim.issue("MOB-1")["fields"].get(sim.field_id("OKR Objective ID"))
    assert value == ["MOB-O"]
    assert not daemon.site_facts.stale

    sim.reset_counters()
    cycle(daemon, clock)  # nothing unknown any more: no field list read
    assert facts_read(sim) == {}


def _report(**kw: Any) -> SyncReport:
    return SyncReport(run_id=1, mode="incremental", **kw)


@pytest.mark.parametrize(
    ("report", "changed"),
    [
        (_report(), False),
        (_report(warnings=["1 stale KR"]), False),
        (
            _report(
                errors=[
                    ApplyError(
                        "PLAT-1",
                        "field",
                        "Field 'customfield_10050' cannot be set. It is not on the appropriate screen, or unknown.",
                        400,
                    )
                ]
            ),
            True,
        ),
        (_report(errors=[ApplyError("PLAT-1", "comment", "or unknown", 400)]), False),
        (_report(failure='Jira has no field "OKR Progress": run okrsync setup.'), True),
        (_report(warnings=["run okrsync setup to add OKR Objective ID"]), True),
    ],
    ids=["clean", "other-warning", "jira-unknown-field", "comment-error", "missing-field", "setup-warning"],
)
def test_which_reports_make_the_daemon_read_the_fields_again(report: SyncReport, changed: bool) -> None:
    assert says_fields_changed(report) is changed
