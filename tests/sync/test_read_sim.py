"""Reading the demo company's OKR tree from the simulator: right tree, minimum requests."""

from __future__ import annotations

import math
from datetime import date

import pytest

from okrsync.core.rollup import RollupPolicy, roll_up
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.domain.model import Health
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.sync.read import read_tree

DEMO = DEMO_CONFIG


def demo_config(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    if sim.flavor == "datacenter":
        monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    return load_config(DEMO)


def test_reading_the_demo_tree_costs_the_minimum(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = demo_config(sim, monkeypatch)
    sim.reset_counters()
    with JiraGateway(cfg.jira) as gateway:
        result = read_tree(gateway, cfg)
    log = sim.requests()
    counts = log["counts"]
    searches = sum(n for k, n in counts.items() if "search" in k)
    in_scope = len(result.issues)
    page = 100 if sim.flavor == "cloud" else 1000
    jql_sources = sum(1 for k in cfg.key_results if k.jql)
    # the minimum: serverInfo + fields + one search per JQL source + ⌈issues ÷ page⌉
    minimum = 2 + jql_sources + math.ceil(in_scope / page)
    assert sum(counts.values()) <= minimum + 1, counts
    assert searches <= jql_sources + math.ceil(in_scope / page) + 1
    assert not any("/issue/" in k for k in counts), "no per-issue GETs"
    assert gateway.stats.snapshot()["requests"] == sum(counts.values())

    tree = result.tree
    assert len(tree.key_results) >= 15
    scored = roll_up(
        tree,
        date(2026, 11, 20),
        RollupPolicy(cfg.policy.in_progress_credit, cfg.policy.tolerance, cfg.policy.off_track),
    )
    health = {k: scored.kr(k).health for k in scored.key_results}
    assert health["PLAT-4"] == Health.DONE
    assert health["MOB-1"] in (Health.AT_RISK, Health.OFF_TRACK)
    assert health["DATA-2"] in (Health.AT_RISK, Health.OFF_TRACK)
    assert scored.kr("PLAT-2").explanation.method == "metric"
    assert scored.kr("WEB-3").explanation.unestimated
    assert all(scored.kr(k.id).progress is not None for k in tree.key_results)
    assert scored.objective("CO-1").progress is not None
