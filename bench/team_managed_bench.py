"""Requests and seconds of setup, check and sync on the demo company (Jira Cloud), with WEB a
company-managed project and with WEB team-managed (issue 13, Build 4).

    python bench/team_managed_bench.py

Each row is a fresh simulator (``okr_fields=False``: setup makes the fields), okrsync's real
``run_setup``, ``run_check`` (as of the demo's pinned 2026-11-26) and two ``run_sync`` cycles (the
first, then an unchanged one) on a SQLite state store. "before" is the sync as okrsync was before
it knew team-managed projects (the detection switched off): Jira refuses each edit there.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import okrsync.sync.engine as engine
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import run_check
from okrsync.provision.setup import run_setup
from okrsync.state.store import StateStore

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _requests(sim: JiraSimulator) -> int:
    return sum(sim.requests()["counts"].values())


def _timed(sim: JiraSimulator, run: Callable[[], Any]) -> tuple[Any, int, float]:
    sim.reset_counters()
    started = time.perf_counter()
    result = run()
    return result, _requests(sim), time.perf_counter() - started


def measure(team_managed: list[str], *, detect: bool = True) -> dict[str, str]:
    detection = engine.team_managed_projects
    if not detect:
        engine.team_managed_projects = lambda *a, **k: frozenset()  # type: ignore[assignment]
    try:
        with JiraSimulator("cloud", team_managed=team_managed) as sim:
            os.environ.update(OKRSYNC_JIRA__URL=sim.url, OKRSYNC_JIRA__REQUESTS_PER_SECOND="1000")
            cfg: Settings = load_config(DEMO_CONFIG)
            row: dict[str, str] = {}
            with JiraGateway(cfg.jira) as gw:
                _, n, s = _timed(sim, lambda: run_setup(cfg, gw))
            row["setup"] = f"{n} req {s:.2f} s"
            with JiraGateway(cfg.jira) as gw:
                report, n, s = _timed(sim, lambda: run_check(cfg, gw, as_of=NOW.date()))
            row["check"] = f"{n} req {s:.2f} s, exit {report.exit_code}"
            with tempfile.TemporaryDirectory() as tmp, StateStore.open(f"sqlite:///{tmp}/state.db") as store:
                for label, now in (("first sync", NOW), ("unchanged sync", NOW.replace(minute=15))):
                    with JiraGateway(cfg.jira) as gw:
                        sync = engine.run_sync(cfg, store=store, gateway=gw, now=now)
                    row[label] = (
                        f"{sync.requests} req {sync.seconds:.2f} s, {sync.field_edits} edits, "
                        f"{sync.status}, {len(sync.errors)} errors, {len(sync.warnings)} warnings"
                    )
            return row
    finally:
        engine.team_managed_projects = detection


def main() -> None:
    logging.getLogger("okrsync").setLevel(logging.CRITICAL)  # "before" logs each refused edit
    cases = [
        ("WEB company-managed", measure([])),
        ("WEB team-managed", measure(["WEB"])),
        ("WEB team-managed, before", measure(["WEB"], detect=False)),
    ]
    for name, row in cases:
        print(name)
        for key, value in row.items():
            print(f"  {key:15} {value}")


if __name__ == "__main__":
    main()
