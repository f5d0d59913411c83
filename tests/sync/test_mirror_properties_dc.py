"""Data Center's searches return no issue properties: the mirror keeps the ``okrsync`` property of
each KR epic as okrsync last wrote it (issue 15, "a mirror that scales"), also when a later search
re-reads the epic, so a steady cycle reads no property (before: one ``GET`` per KR epic re-read
since okrsync wrote it, every cycle, 132 at 10,200 issues)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from simkit import SimFactory

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.domain.keys import ISSUE_PROPERTY
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the demo company's period, as in test_sync_e2e
PROPERTY_READ = "GET /rest/api/2/issue/{key}/properties/{propertyKey}"


@pytest.fixture
def dc(sim_factory: SimFactory) -> JiraSimulator:
    return sim_factory("datacenter", okr_fields=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRY_SECONDS", "20")
    return load_config(DEMO_CONFIG)


def sync(cfg: Settings, store: StateStore, now: datetime) -> SyncReport:
    with JiraGateway(cfg.jira) as gateway:
        report = run_sync(cfg, store=store, gateway=gateway, now=now, clock=lambda: now)
    assert report.status == "ok", report.as_dict()
    return report


def property_reads(sim: JiraSimulator) -> int:
    return int(sim.requests()["counts"].get(PROPERTY_READ, 0))


def test_re_read_kr_epics_keep_their_property_in_the_mirror(
    dc: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = settings_for(dc, monkeypatch)
    first = sync(cfg, store, NOW)
    assert first.properties > 0
    written = {k for k, m in store.issues().items() if ISSUE_PROPERTY in (m.raw.get("properties") or {})}
    assert len(written) == first.properties
    reads = []
    for n in range(1, 4):  # the first of these re-reads the epics okrsync just wrote
        dc.reset_counters()
        report = sync(cfg, store, NOW + timedelta(minutes=15 * n))
        assert report.planned == 0
        reads.append(property_reads(dc))
    assert reads == [0, 0, 0]
    kept = {k for k, m in store.issues().items() if ISSUE_PROPERTY in (m.raw.get("properties") or {})}
    assert kept == written
