"""Requests and seconds of setup, setup again, check, sync, sync again and backfill on the demo
company, both dialects, with the requests of the operations issue 13 changed (filters, gadgets,
permissions, comment properties, bulk changelogs) and the contract deviations the simulator saw.

    .venv/bin/python bench/documented_ops_bench.py
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import run_check
from okrsync.provision.setup import run_setup
from okrsync.provision.specs import HEALTH_OPTIONS
from okrsync.state.store import StateStore
from okrsync.sync.backfill import run_backfill
from okrsync.sync.engine import run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SHOWN = ("comment", "filter", "gadget", "permission", "bulkfetch")


def step(sim: JiraSimulator, cfg: Settings, name: str, run: Callable[[JiraGateway], Any]) -> Any:
    sim.reset_counters()
    began = time.monotonic()
    with JiraGateway(cfg.jira) as gateway:
        out = run(gateway)
    counts = sim.requests()["counts"]
    shown = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()) if any(s in k for s in SHOWN))
    took = time.monotonic() - began
    print(f"{sim.flavor:10} {name:12} {sum(counts.values()):4} requests {took:5.2f} s   {shown}")
    return out


def bench(flavor: str) -> None:
    with JiraSimulator(flavor) as sim:  # type: ignore[arg-type]
        tmp = Path(tempfile.mkdtemp())
        os.environ.update(
            {
                "OKRSYNC_JIRA__URL": sim.url,
                "OKRSYNC_JIRA__PAT": "demo-pat",
                "OKRSYNC_JIRA__REQUESTS_PER_SECOND": "1000",
                "OKRSYNC_SYNC__STATE_URL": f"sqlite:///{tmp / 'state.db'}",
            }
        )
        cfg = load_config(DEMO_CONFIG)
        step(sim, cfg, "setup", lambda gw: run_setup(cfg, gw))
        if flavor == "datacenter":  # the admin's manual steps
            options = {"field": "OKR Status", "options": list(HEALTH_OPTIONS)}
            requests.post(f"{sim.url}/_sim/field-options", json=options, timeout=10).raise_for_status()
            sim.put_on_screens()
        step(sim, cfg, "setup again", lambda gw: run_setup(cfg, gw))
        step(sim, cfg, "check", lambda gw: run_check(cfg, gw, as_of=NOW.date()))
        with StateStore.open(cfg.sync.state_url) as store:
            step(sim, cfg, "sync", lambda gw: run_sync(cfg, store=store, gateway=gw, now=NOW))
            step(sim, cfg, "sync again", lambda gw: run_sync(cfg, store=store, gateway=gw, now=NOW))
        with StateStore.open(f"sqlite:///{tmp / 'backfill.db'}") as store:
            step(sim, cfg, "backfill", lambda gw: run_backfill(cfg, store=store, gateway=gw, now=NOW))
        deviations = sim.deviations()
        print(f"{flavor:10} deviations from Jira's contract: {len(deviations)}")
        for dev in deviations[:10]:
            print("    ", dev["method"], dev["path"], "; ".join(dev["reasons"]))


if __name__ == "__main__":
    for dialect in ("cloud", "datacenter"):
        bench(dialect)
