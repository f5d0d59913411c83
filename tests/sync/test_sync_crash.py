"""Crash safety: a sync killed mid-apply (a real SIGKILL) converges on restart, comments exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from simkit import live_demo

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import run_sync

ROOT = Path(__file__).resolve().parents[2]
COMMENTED = ("PLAT-4", "MOB-3")  # the celebration and the check-in reminder of the demo company
# the syncs run in subprocesses on the real clock: the demo company is built around today
LIVE = live_demo()


def env_for(sim: JiraSimulator, db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OKRSYNC_JIRA__URL": sim.url,
        "OKRSYNC_JIRA__PAT": "demo-pat",
        "OKRSYNC_JIRA__REQUESTS_PER_SECOND": "1000",
        "OKRSYNC_SYNC__STATE_URL": f"sqlite:///{db}",
        **LIVE.env,
    }


def start_sync(sim: JiraSimulator, db: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "okrsync.cli", "-c", str(DEMO_CONFIG), "sync", "--json"],
        env=env_for(sim, db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )


def kill_when(
    proc: subprocess.Popen[bytes], sim: JiraSimulator, ready: Callable[[dict[str, int]], bool]
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if ready(sim.requests()["counts"]):
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            return
        if proc.poll() is not None:
            pytest.fail("the sync finished before it could be killed")
        time.sleep(0.005)
    proc.kill()
    pytest.fail("the kill point was never reached")


def resync(sim: JiraSimulator, db: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in env_for(sim, db).items():
        if key.startswith("OKRSYNC_"):
            monkeypatch.setenv(key, value)
    cfg = load_config(DEMO_CONFIG)
    with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        return run_sync(cfg, store=store, gateway=gateway, now=datetime.now(UTC))


def assert_converged(sim: JiraSimulator, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = resync(sim, db, monkeypatch)
    assert report.status == "ok", report.as_dict()
    for key in COMMENTED:
        bodies = [plain_text(c["body"]) for c in sim.comments(key)]
        assert len(bodies) == 1, (key, bodies)
    progress = sim.field_id("OKR Progress")
    for key in (
        "PLAT-2",
        "PLAT-3",
        "PLAT-4",
        "PLAT-5",
        "MOB-1",
        "MOB-2",
        "MOB-3",
        "MOB-4",
        "WEB-1",
        "WEB-2",
        "WEB-3",
        "WEB-4",
        "DATA-1",
        "DATA-2",
        "DATA-3",
    ):
        assert sim.issue(key)["fields"].get(progress) is not None, key
    assert sim.issue("MOB-16")["fields"].get(sim.field_id("OKR Key Result"), "").startswith("MOB-1: ")
    # and once converged, nothing more to do
    again = resync(sim, db, monkeypatch)
    assert again.writes == 0, again.as_dict()


def puts(counts: dict[str, int]) -> int:
    return sum(n for k, n in counts.items() if k.startswith("PUT /rest/api/") and k.endswith("/issue/{key}"))


def comment_posts(counts: dict[str, int]) -> int:
    return sum(n for k, n in counts.items() if k.startswith("POST") and k.endswith("/comment"))


@pytest.mark.slow
@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
@pytest.mark.parametrize(
    "kill_point",
    [
        pytest.param(lambda c: puts(c) >= 60, id="mid-fields"),
        pytest.param(lambda c: comment_posts(c) >= 1, id="after-first-comment"),
    ],
)
def test_killed_mid_apply_converges(
    flavor: str,
    kill_point: Callable[[dict[str, int]], bool],
    sim_factory: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_factory(flavor, okr_fields=True, demo_start=LIVE.start)
    sim.set_faults(latency_ms=15)
    db = tmp_path / "state.db"
    kill_when(start_sync(sim, db), sim, kill_point)
    sim.clear_faults()
    assert_converged(sim, db, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_lost_state_database_posts_no_duplicate(
    flavor: str, sim_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(flavor, okr_fields=True, demo_start=LIVE.start)
    db = tmp_path / "state.db"
    first = resync(sim, db, monkeypatch)
    assert first.comments_posted == 2
    db.unlink()
    for extra in tmp_path.glob("state.db*"):
        extra.unlink()
    assert_converged(sim, db, monkeypatch)
