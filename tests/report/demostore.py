"""The demo company synced into a SQLite store on four days (the report tests' store; a module of its
own, not the conftest, so that test modules import it by a name no other test directory uses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from okrsync.core.rollup import ScoredTree
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

__all__ = ["DEMO_CONFIG", "PLAT2_CURRENT", "ROOT", "SYNC_DAYS", "DemoStore", "build_demo_store"]

ROOT = Path(__file__).resolve().parents[2]
SYNC_DAYS = (date(2026, 10, 15), date(2026, 11, 1), date(2026, 11, 15), date(2026, 11, 26))
PLAT2_CURRENT = (760, 680, 600, 520)  # p95 ms, from 800 towards 300: 8, 24, 40, 56 %


@dataclass(frozen=True)
class DemoStore:
    path: Path
    url: str
    reports: tuple[SyncReport, ...]

    @property
    def scored(self) -> ScoredTree:
        scored = self.reports[-1].scored
        assert scored is not None
        return scored


def build_demo_store(db: Path) -> DemoStore:
    """The demo company as okrsync saw it on four days: work done between syncs, rising progress.

    Before the first sync three quarters of the done action plans are reopened; before each later
    sync another quarter is done again, and the metric KR PLAT-2 improves, so that the last sync
    sees the demo dataset as it ships (MOB-1 16.7 %, PLAT-2 56.0 %, ...).
    """
    url = f"sqlite:///{db}"
    reports: list[SyncReport] = []
    with JiraSimulator("cloud", okr_fields=True) as sim, pytest.MonkeyPatch.context() as mp:
        mp.setenv("OKRSYNC_JIRA__URL", sim.url)
        mp.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
        mp.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
        mp.setenv("OKRSYNC_SYNC__STATE_URL", url)
        cfg = load_config(DEMO_CONFIG)
        done = sorted(
            key
            for key, issue in sim.store.issues.items()
            if issue["fields"]["status"]["name"] == "Done" and issue["fields"]["issuetype"]["name"] != "Epic"
        )
        groups = [done[i :: len(SYNC_DAYS)] for i in range(len(SYNC_DAYS))]
        for group in groups[1:]:
            for key in group:
                sim.transition(key, "In Progress")
        with StateStore.open(url) as store, JiraGateway(cfg.jira) as gateway:
            for n, day in enumerate(SYNC_DAYS):
                for key in groups[n] if n else ():
                    sim.transition(key, "Done", resolution="Done")
                sim.set_fields("PLAT-2", {"OKR Current": PLAT2_CURRENT[n]})
                report = run_sync(
                    cfg, store=store, gateway=gateway, now=datetime.combine(day, time(12), UTC), full=True
                )
                assert report.status == "ok", report.as_dict()
                reports.append(report)
    return DemoStore(db, url, tuple(reports))
