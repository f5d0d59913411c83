"""Alignment coverage on the demo company (both dialects) against a hand count of the simulator's
own issues (read from its store, not through okrsync), and the count requests counted."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from okrsync.core.coverage import Coverage
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.domain.keys import META_COVERAGE
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    return load_config(DEMO_CONFIG)


def sync(cfg: Settings, store: StateStore, now: datetime = NOW, full: bool = False) -> SyncReport:
    with JiraGateway(cfg.jira) as gateway:
        return run_sync(cfg, store=store, gateway=gateway, now=now, full=full)


START, END = date(2026, 10, 1), date(2026, 12, 31)
OKR_PROJECTS = ("DATA", "MOB", "PLAT", "WEB")  # the projects of the demo's KR epics


def _resolved_on(issue: dict[str, Any]) -> date | None:
    raw = issue["fields"].get("resolutiondate")
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).date() if raw else None


def hand_count(sim: JiraSimulator) -> tuple[dict[str, tuple[int, int]], Counter[str]]:
    """Per project (resolved in the period, not epics; of them with OKR Key Result set), and the
    unaligned ones by epic: straight from the simulator's store."""
    kr_field = sim.field_id("OKR Key Result")
    epic_link = sim.field_id("Epic Link")
    counts: dict[str, tuple[int, int]] = {}
    by_epic: Counter[str] = Counter()
    for key, issue in sim.store.issues.items():
        project = key.split("-")[0]
        fields = issue["fields"]
        day = _resolved_on(issue)
        if project not in OKR_PROJECTS or fields["issuetype"]["name"] == "Epic":
            continue
        if day is None or not (START <= day <= NOW.date()):
            continue
        aligned = bool(fields.get(kr_field))
        r, a = counts.get(project, (0, 0))
        counts[project] = (r + 1, a + int(aligned))
        if not aligned:
            epic = fields.get(epic_link) or (fields.get("parent") or {}).get("key")
            if epic:
                by_epic[str(epic)] += 1
    return counts, by_epic


def add_unaligned_work(sim: JiraSimulator) -> None:
    """Two epics no KR names (Tech debt in WEB, Upgrades in MOB), with issues resolved in the period
    moved under them from KR epics (3 and 1): work done that serves no key result."""
    st = sim.store
    epic_link = sim.field_id("Epic Link")
    moved = {"WEB": 3, "MOB": 1}
    for project, n in moved.items():
        with st.lock:
            epic = copy.deepcopy(st.issues[f"{project}-2"])
            epic.pop("id"), epic.pop("key")
            epic["fields"]["summary"] = f"{project} unaligned epic"
            epic = st.insert_issue(epic)
        done = [
            k
            for k, i in sorted(st.issues.items())
            if k.startswith(f"{project}-")
            and i["fields"]["issuetype"]["name"] != "Epic"
            and (d := _resolved_on(i)) is not None
            and START <= d <= NOW.date()
        ][:n]
        for key in done:  # the demo's issues name their epic both ways on Cloud
            sim.set_fields(key, {epic_link: epic["key"]})
            if st.flavor == "cloud":
                sim.set_fields(key, {"parent": {"key": epic["key"]}})


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def test_coverage_matches_a_hand_count(
    sim_okr: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_okr
    add_unaligned_work(sim)
    cfg = settings_for(sim, monkeypatch)
    first = sync(cfg, store)
    assert first.status == "ok", first.errors
    coverage = Coverage.of_json(store.get_meta(META_COVERAGE))
    assert coverage is not None
    counts, by_epic = hand_count(sim)
    assert {p.project: (p.resolved, p.aligned) for p in coverage.projects} == counts
    assert coverage.resolved == sum(r for r, _ in counts.values())
    assert coverage.aligned == sum(a for _, a in counts.values())
    assert 0 < coverage.aligned < coverage.resolved  # the demo has work outside every KR
    top = sorted(by_epic.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert [(e.key, e.issues) for e in coverage.unaligned_epics] == top

    # the requests: two counts per OKR project and one search
    counted = "POST /rest/api/3/search/approximate-count" if sim.store.flavor == "cloud" else None
    assert coverage.requests == 2 * len(OKR_PROJECTS) + 1  # the demo: 9 (the search is one page)

    # a steady cycle: not counted again
    sim.reset_counters()
    again = sync(cfg, store, now=NOW + timedelta(minutes=15))
    assert again.status == "ok"
    log = sim.requests()["counts"]
    if counted:
        assert counted not in log
    assert Coverage.of_json(store.get_meta(META_COVERAGE)) == coverage

    # the next full reconcile: counted again, with the cheapest operation
    sim.reset_counters()
    sync(cfg, store, now=NOW + timedelta(hours=1), full=True)
    log = sim.requests()["counts"]
    if counted:
        assert log[counted] == 2 * len(counts)
    later = Coverage.of_json(store.get_meta(META_COVERAGE))
    assert later is not None and later.computed_at != coverage.computed_at
    assert later.projects == coverage.projects
    assert later.computed_at == (NOW + timedelta(hours=1)).isoformat()


def test_coverage_in_metrics_and_the_report(
    sim_okr: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from okrsync.cli.report import load_report_data, render
    from okrsync.daemon.metrics import Metrics

    sim = sim_okr
    add_unaligned_work(sim)
    report = sync(settings_for(sim, monkeypatch), store)
    coverage = report.coverage
    assert coverage is not None and coverage.share is not None
    metrics = Metrics()
    metrics.observe_cycle(report, finished_at=0.0)
    text = metrics.render().decode()
    assert f'okrsync_alignment_coverage_ratio{{project=""}} {coverage.share}' in text
    web = next(p for p in coverage.projects if p.project == "WEB")
    assert f'okrsync_alignment_coverage_ratio{{project="WEB"}} {web.share}' in text
    data = load_report_data(store)
    md = render("markdown", data)
    assert f"({coverage.aligned} of {coverage.resolved} issues resolved serve a key result)" in md
    assert f"  WEB: {web.share * 100:.1f} % ({web.aligned} of {web.resolved})" in md
    top = coverage.unaligned_epics[0]
    assert (top.key.split("-")[0], top.issues) == ("WEB", 3)
    assert f"    {top.key}: 3" in render("tree", data)
    page = render("html", data)
    assert page.index("The OKR process") < page.index("</body>")


class _FailingCounts:
    """A gateway whose counts Jira refuses."""

    class stats:
        @staticmethod
        def snapshot() -> dict[str, int]:
            return {"requests": 0}

    def count(self, jql: str) -> int:
        from okrsync.jira.errors import JiraError

        raise JiraError("Jira answered 503")


def test_a_failed_count_keeps_the_last_coverage(tmp_path: Path) -> None:
    from okrsync.domain.model import ActionPlan, KeyResult, Measure, Objective, OkrTree, Period
    from okrsync.sync.coverage import record_coverage

    period = Period("2026-Q4", START, END)
    tree = OkrTree(
        period,
        (Objective("O", "o"),),
        (KeyResult("WEB-1", "O", "k", Measure.ISSUES, (ActionPlan("WEB-2"),), jira_key="WEB-1"),),
    )
    kept = Coverage(period, "2026-11-25T12:00:00+00:00", requests=9)
    with StateStore.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.set_meta(META_COVERAGE, kept.as_json())
        got, warnings = record_coverage(
            store,
            _FailingCounts(),  # type: ignore[arg-type]
            tree,
            NOW,
            full=True,
            key_result_field="customfield_1",
            epic_link_field=None,
        )
        assert got == kept and Coverage.of_json(store.get_meta(META_COVERAGE)) == kept
    assert warnings == ["alignment coverage not counted this cycle (the last one stays): Jira answered 503"]
