"""End to end over the simulator: a real sync (two KRs of the demo company) against Jira's rate
limits. At a 2/s site limit the adaptive pacer keeps the refused share well under a tenth, with
no request sent before a Retry-After has passed; a per-issue limit slows only the issues it names."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KRS = ("PLAT-2", "PLAT-4")  # a metric KR and a done one: field edits, properties and comments


def small_config(sim: JiraSimulator, tmp_path: Path, **jira: Any) -> Settings:
    data = yaml.safe_load(Path(DEMO_CONFIG).read_text(encoding="utf-8"))
    data["key_results"] = [kr for kr in data["key_results"] if kr.get("epic") in KRS]
    data["jira"] = {
        "url": sim.url,
        "flavor": sim.flavor,
        **({"email": "demo@example.com", "api_token": "demo-token"} if sim.flavor == "cloud" else {}),
        **({"pat": "demo-pat"} if sim.flavor == "datacenter" else {}),
        "requests_per_second": 20,  # the demo configuration's pace, ten times the site's limit
        **jira,
    }
    data["sync"]["state_url"] = f"sqlite:///{tmp_path / 'state.db'}"
    path = tmp_path / "okrsync.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_config(path)


def sync(cfg: Settings) -> tuple[SyncReport, dict[str, Any]]:
    with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        report = run_sync(cfg, store=store, gateway=gateway, now=NOW)
        return report, gateway.stats.snapshot()


@pytest.mark.slow
def test_a_2_per_second_site_limit_refuses_few_requests(sim_okr: JiraSimulator, tmp_path: Path) -> None:
    sim = sim_okr
    cfg = small_config(sim, tmp_path)
    sim.set_faults(rate_limit_per_second=2)
    report, stats = sync(cfg)
    assert report.status == "ok", report.as_dict()["errors"]
    log = sim.requests()
    statuses = [entry["status"] for entry in log["log"]]
    refused = statuses.count(429)
    assert len(statuses) == stats["requests"] >= 25  # every request counted, on both sides
    assert refused / len(statuses) < 0.1, f"{refused} of {len(statuses)} refused"
    assert log["retry_after_violations"] == []
    assert stats["pacing_rate"] <= 2.0  # it learned the site's pace
    assert sim.comments("PLAT-4")  # the writes all landed


@pytest.mark.slow
def test_a_per_issue_limit_slows_only_its_issues(sim_factory: Any, tmp_path: Path) -> None:
    # one write per issue a second: each KR epic's property write comes right after its field edit
    sim = sim_factory("cloud", "demo", okr_fields=True, faults={"per_issue_writes": [[1, 1.0]]})
    cfg = small_config(sim, tmp_path)
    report, stats = sync(cfg)
    assert report.status == "ok", report.as_dict()["errors"]
    log = sim.requests()
    refusals = [entry for entry in log["log"] if entry["status"] == 429]
    assert refusals, "the per-issue limit was never reached"
    assert {entry["path"].split("/")[5] for entry in refusals} <= set(KRS)  # writes to the KR epics only
    assert stats["rate_limited"] == {"jira-per-issue-on-write": len(refusals)}
    assert log["retry_after_violations"] == []
    assert stats["pacing_rate"] == pytest.approx(20.0)  # nothing else slowed down
