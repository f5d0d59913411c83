"""A KR source that fails stays visible: held at its last known progress, its objective unmoved.

Issue 12, case 1: a KR whose JQL Jira rejects, or whose epic is gone, used to vanish from the tree
while the run said "ok" (an objective moved from 64.0 % to 58.9 %); case 2: one missing metric field
stopped the whole sync with the advice to run setup, which creates no metric fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from okrsync.cli import app as cli_app
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
Edit = Callable[[list[dict[str, Any]]], None]


def _index(krs: list[dict[str, Any]], **match: str) -> int:
    return next(i for i, kr in enumerate(krs) if all(kr.get(k) == v for k, v in match.items()))


def write_config(sim: JiraSimulator, tmp_path: Path, edit: Edit | None = None) -> Path:
    data = yaml.safe_load(DEMO_CONFIG.read_text())
    email, token = sim.credentials
    auth = {"pat": "demo-pat"} if sim.flavor == "datacenter" else {"email": email, "api_token": token}
    data["jira"] = {"url": sim.url, **auth, "requests_per_second": 1000}
    data["sync"] = {"state_url": f"sqlite:///{tmp_path / 'state.db'}"}
    if edit is not None:
        edit(data["key_results"])
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "okrsync.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def settings(sim: JiraSimulator, tmp_path: Path, edit: Edit | None = None) -> Settings:
    return load_config(write_config(sim, tmp_path, edit))


def sync(cfg: Settings, store: StateStore, now: datetime, **kw: Any) -> SyncReport:
    with JiraGateway(cfg.jira) as gateway:
        return run_sync(cfg, store=store, gateway=gateway, now=now, **kw)


def field(sim: JiraSimulator, key: str, name: str) -> Any:
    value = sim.issue(key)["fields"].get(sim.field_id(name))
    return value.get("value") if isinstance(value, dict) else value


def source_errors(report: SyncReport) -> list[str]:
    return [f"{e.issue_key}: {e.reason}" for e in report.errors if e.kind == "source"]


def failing_comments(sim: JiraSimulator, key: str) -> list[str]:
    return [str(c["body"]) for c in sim.comments(key) if "OKR source failing" in str(c["body"])]


def plans_of(report: SyncReport, kr_id: str) -> list[str]:
    assert report.scored is not None
    return [p.key for kr in report.scored.tree.key_results if kr.id == kr_id for p in kr.action_plans]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def break_jql(krs: list[dict[str, Any]]) -> None:
    i = _index(krs, objective="DATA-O", jql="project = DATA AND issuetype = Epic AND labels = kr-quality")
    krs[i]["jql"] += " AND"  # a syntax error


def test_a_jql_source_that_breaks_holds_its_kr_and_its_objective_does_not_move(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    sim = sim_okr
    good = settings(sim, tmp_path)
    first = sync(good, store, NOW)
    assert first.status == "ok" and first.scored is not None
    before_kr, before_obj = first.scored.kr("DATA-3"), first.scored.objective("DATA-O")
    before_company = {o: s.progress for o, s in first.scored.objectives.items()}
    jira_before = {n: field(sim, "DATA-3", n) for n in ("OKR Progress", "OKR Status")}
    assert jira_before["OKR Progress"] is not None

    broken = settings(sim, tmp_path / "broken", break_jql)
    second = sync(broken, store, NOW + DAY)
    assert second.status == "partial" and second.exit_code == 1
    (error,) = source_errors(second)
    assert error.startswith("DATA-3: key_results[") and "Jira rejected its JQL" in error
    assert f"since {(NOW + DAY).date()}" in error
    assert second.scored is not None
    held = second.scored.kr("DATA-3")
    assert held.progress == before_kr.progress and held.health == before_kr.health
    assert held.stale_since == (NOW + DAY).date() and held.source_error
    # the objective and every other one keep their numbers: nothing jumps because a source broke
    assert second.scored.objective("DATA-O").progress == before_obj.progress
    assert {o: s.progress for o, s in second.scored.objectives.items()} == before_company
    assert "DATA-3" in second.scored.objective("DATA-O").explanation.summary
    # Jira: the numbers stay, the property says stale, one comment says why; its children keep theirs
    assert {n: field(sim, "DATA-3", n) for n in jira_before} == jira_before
    prop = sim.store.issues["DATA-3"]["properties"]["okrsync"]
    assert prop["stale_since"] == (NOW + DAY).date().isoformat() and "JQL" in prop["source_error"]
    assert len(failing_comments(sim, "DATA-3")) == 1
    children = plans_of(first, "DATA-3")
    assert children and all(field(sim, k, "OKR Key Result") for k in children)

    third = sync(broken, store, NOW + 2 * DAY)  # still broken: said once, since the first day
    assert third.status == "partial" and len(failing_comments(sim, "DATA-3")) == 1
    assert third.scored is not None and third.scored.kr("DATA-3").stale_since == (NOW + DAY).date()
    assert third.scored.objective("DATA-O").progress == before_obj.progress

    fixed = sync(good, store, NOW + 3 * DAY)
    assert fixed.status == "ok", fixed.as_dict()
    assert fixed.scored is not None and fixed.scored.kr("DATA-3").source_error is None
    assert "stale_since" not in sim.store.issues["DATA-3"]["properties"]["okrsync"]


def test_an_epic_that_disappears_is_held_and_its_action_plans_keep_their_values(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    sim = sim_okr
    cfg = settings(sim, tmp_path)
    first = sync(cfg, store, NOW)
    assert first.status == "ok" and first.scored is not None
    objective = first.scored.tree.objective(
        next(k.objective_id for k in first.scored.tree.key_results if k.id == "MOB-2")
    )
    before = first.scored.objective(objective.id).progress
    children = plans_of(first, "MOB-2")
    labelled = {k: field(sim, k, "OKR Key Result") for k in children}
    assert children and all(labelled.values())

    sim.set_faults(forbidden_issues=["MOB-2"])  # okrsync's account can no longer browse it
    second = sync(cfg, store, NOW + DAY)
    assert second.status == "partial"
    (error,) = source_errors(second)
    assert error.startswith("MOB-2: key_results[") and "not found in Jira" in error
    assert second.scored is not None
    assert second.scored.kr("MOB-2").progress == first.scored.kr("MOB-2").progress
    assert second.scored.objective(objective.id).progress == before
    assert {k: field(sim, k, "OKR Key Result") for k in children} == labelled  # nothing cleared
    assert second.key_results == first.key_results


def test_a_missing_metric_field_fails_its_kr_only_with_the_right_advice(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    sim = sim_okr

    def missing_metric(krs: list[dict[str, Any]]) -> None:
        krs[_index(krs, epic="PLAT-2")]["metric"]["field"] = "OKR Latency p95"

    cfg = settings(sim, tmp_path, missing_metric)
    report = sync(cfg, store, NOW)
    assert report.status == "partial" and report.exit_code == 1, report.as_dict()
    assert report.key_results == 15  # every KR: the metric one with no data, the others measured
    (error,) = source_errors(report)
    assert "'OKR Latency p95' does not exist in Jira" in error and "setup does not create metric" in error
    assert report.scored is not None and report.scored.kr("PLAT-2").health.value == "no_data"
    assert all(field(sim, k, "OKR Progress") is not None for k in ("PLAT-3", "MOB-1", "DATA-3"))
    assert field(sim, "PLAT-2", "OKR Progress") is None  # nothing measured, nothing written


def test_an_emptied_metric_holds_its_last_value(
    sim_okr: JiraSimulator, store: StateStore, tmp_path: Path
) -> None:
    sim = sim_okr
    cfg = settings(sim, tmp_path)
    first = sync(cfg, store, NOW)
    assert first.scored is not None and first.scored.kr("PLAT-2").progress is not None
    sim.set_fields("PLAT-2", {"OKR Current": None})
    second = sync(cfg, store, NOW + DAY)
    assert second.status == "partial"
    (error,) = source_errors(second)
    assert "'OKR Current' is empty on PLAT-2" in error
    assert second.scored is not None
    assert second.scored.kr("PLAT-2").progress == first.scored.kr("PLAT-2").progress
    assert second.scored.objective("PLAT-O").progress == first.scored.objective("PLAT-O").progress


def test_check_reports_a_failing_source_as_an_error_once(sim_okr: JiraSimulator, tmp_path: Path) -> None:
    path = write_config(sim_okr, tmp_path, break_jql)
    result = CliRunner().invoke(
        cli_app.app, ["check", "--config", str(path), "--as-of", NOW.date().isoformat()]
    )
    assert result.exit_code == 1, result.output
    assert result.output.count("Jira rejected its JQL") == 1, result.output
    assert "1 problem to fix" in result.output


def test_every_report_format_and_the_status_page_show_the_failing_source(
    sim_cloud: JiraSimulator, tmp_path: Path
) -> None:
    from okrsync.core.stored_tree import META_KEY
    from okrsync.daemon.status_page import tree_html

    path = write_config(sim_cloud, tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli_app.app, ["setup", "--config", str(path)]).exit_code in (0, 1)
    good = load_config(path)
    with StateStore.open(good.sync.state_url) as store:
        assert sync(good, store, NOW).status == "ok"
        broken = load_config(write_config(sim_cloud, tmp_path, break_jql))
        assert sync(broken, store, NOW + DAY).status == "partial"
        snapshot = store.get_meta(META_KEY)
    since = f"stale since {(NOW + DAY).date()}"
    for fmt in ("tree", "markdown", "html", "csv", "json"):
        target = tmp_path / f"report.{fmt}"
        out = runner.invoke(
            cli_app.app, ["report", "--config", str(path), "--format", fmt, "-o", str(target)]
        )
        assert out.exit_code == 0, out.output
        text = " ".join(target.read_text(encoding="utf-8").split())
        assert ("2026-11-27" in text and "JQL" in text) if fmt in ("csv", "json") else since in text, fmt
    assert since in tree_html(snapshot)
