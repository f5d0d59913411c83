"""okrsync backfill over the simulator's demo company (both dialects): history, writes, resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from simkit import SimFactory

from okrsync.data import DEMO_CONFIG
from okrsync.domain import exit_codes
from okrsync.domain.config import PeriodConfig, Settings, load_config
from okrsync.domain.records import ProgressPoint
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim import catalog
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.backfill import CURSOR_KEY, run_backfill
from okrsync.sync.backfill_report import BackfillReport

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # day 57 of 2026-Q4
FIRST = date(2026, 10, 1)


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRY_SECONDS", "20")
    return load_config(DEMO_CONFIG)


def backfill(cfg: Settings, store: StateStore, now: datetime = NOW, **kw: Any) -> BackfillReport:
    with JiraGateway(cfg.jira) as gateway:
        return run_backfill(cfg, store=store, gateway=gateway, now=now, **kw)


def writes_in(sim: JiraSimulator) -> dict[str, int]:
    reads = (
        "GET",
        "POST /rest/api/3/search",
        "POST /rest/api/2/search",
        "POST /rest/api/3/changelog/bulkfetch",
    )
    return {k: v for k, v in sim.requests()["counts"].items() if not k.startswith(reads)}


def field(sim: JiraSimulator, key: str, name: str) -> Any:
    value = sim.issue(key)["fields"].get(sim.field_id(name))
    return value.get("value") if isinstance(value, dict) else value


def by_node(points: list[ProgressPoint]) -> dict[str, dict[date, ProgressPoint]]:
    out: dict[str, dict[date, ProgressPoint]] = {}
    for p in points:
        out.setdefault(p.node_id, {})[p.day] = p
    return out


def pct(p: ProgressPoint) -> float | None:
    return None if p.progress is None else round(p.progress * 100, 1)


def changelog_done_share(sim: JiraSimulator, epic: str, day: date) -> float:
    """The oracle: % of ``epic``'s children done at the end of ``day`` (UTC), straight from the
    simulator's stored changelog; cancelled ones (a "Won't Do" resolution) are not counted."""
    store = sim.store
    link = catalog.EPIC_LINK_FIELD[store.flavor]
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    done = live = 0
    for key, issue in store.issues.items():
        fields = issue["fields"]
        parent = (fields.get("parent") or {}).get("key")
        if epic not in (parent, fields.get(link)) or key == epic:
            continue
        if datetime.fromisoformat(fields["created"].replace("+0000", "+00:00")) >= end:
            continue
        category, resolution = "new", None
        for hist in store.changelog.get(key, []):
            if datetime.fromisoformat(hist["created"].replace("+0000", "+00:00")) >= end:
                break
            for item in hist["items"]:
                if item["field"] == "status":
                    category = catalog.STATUSES[item["toString"]][1]
                if item["field"] == "resolution":
                    resolution = item["toString"]
        if resolution == "Won't Do":
            continue
        live += 1
        done += category == "done"
    return round(100 * done / live, 1)


def cursor(store: StateStore) -> dict[str, Any]:
    value = store.get_meta(CURSOR_KEY)
    assert isinstance(value, dict)
    return value


@pytest.fixture
def sim_cloud(sim_factory: SimFactory) -> JiraSimulator:
    """The Cloud dialect with okrsync's fields (as ``okrsync setup`` leaves it)."""
    return sim_factory("cloud", okr_fields=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def test_backfill_rebuilds_history_from_the_changelog_and_a_second_one_writes_nothing(
    sim_okr: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_okr
    cfg = settings_for(sim, monkeypatch)
    sim.reset_counters()
    first = backfill(cfg, store)
    assert first.status == "ok", first.as_dict()
    assert (first.days_total, first.days_recorded, first.key_results, first.objectives) == (57, 57, 15, 8)
    counts = sim.requests()["counts"]
    if sim.flavor == "cloud":
        assert counts["POST /rest/api/3/changelog/bulkfetch"] == 1  # 161 issues, one request
        assert counts["GET /rest/api/3/status"] == 1
    else:  # whole changelogs came with the searches
        assert counts["GET /rest/api/2/status"] == 1
        assert not any("changelog" in k for k in counts)
    assert not any(
        k.startswith("GET /rest/api/") and "/issue/{key}" in k and "comment" not in k for k in counts
    )

    history = by_node(store.history())
    assert len(history) == 15 + 8
    for node, days in history.items():
        assert min(days) == FIRST, node
        assert max(days) == NOW.date(), node
        assert len(days) == 57, node
    # issue-counted KRs on hand-checked days: exactly what the changelog implies
    for epic in ("MOB-1", "MOB-3", "DATA-1", "DATA-3", "PLAT-3", "PLAT-4"):
        for day in (date(2026, 10, 10), date(2026, 10, 25), date(2026, 11, 10), date(2026, 11, 20)):
            assert pct(history[epic][day]) == changelog_done_share(sim, epic, day), (epic, day)
    # the metric KR: "OKR Current" 800 -> 640 on 10-21 -> 520 on 11-15 (start 800, target 300)
    assert [pct(history["PLAT-2"][date(2026, 10, d)]) for d in (1, 20, 21)] == [0.0, 0.0, 32.0]
    assert pct(history["PLAT-2"][date(2026, 11, 14)]) == 32.0
    assert pct(history["PLAT-2"][date(2026, 11, 15)]) == 56.0
    assert history["PLAT-2"][date(2026, 10, 1)].source == "backfill"
    # today: the sync's own row (kept by every later backfill), the values Jira shows
    assert history["MOB-1"][NOW.date()].source == "sync"
    assert pct(history["MOB-1"][NOW.date()]) == 16.7 == field(sim, "MOB-1", "OKR Progress")
    assert pct(history["WEB-3"][NOW.date()]) == 34.8 == field(sim, "WEB-3", "OKR Progress")
    assert field(sim, "MOB-5", "OKR Key Result").startswith("MOB-1: ")
    assert first.field_edits == 161 and first.properties == 15
    assert len(sim.comments("PLAT-4")) == 1  # the done KR's one celebration

    sim.reset_counters()
    second = backfill(cfg, store, NOW.replace(minute=30))
    assert second.status == "ok", second.as_dict()
    assert second.writes == 0
    assert writes_in(sim) == {}
    assert by_node(store.history()) == history
    assert len(sim.comments("PLAT-4")) == 1
    assert cursor(store)["phase"] == "done"


def test_dry_run_records_and_writes_nothing(
    sim_cloud: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = settings_for(sim_cloud, monkeypatch)
    sim_cloud.reset_counters()
    report = backfill(cfg, store, dry_run=True)
    assert report.status == "ok"
    assert report.days_recorded == 57 and report.points == 57 * 23
    assert report.planned > 150
    assert store.history() == []
    assert store.get_meta(CURSOR_KEY) is None
    assert writes_in(sim_cloud) == {}


def test_since_rebuilds_only_from_that_day(
    sim_cloud: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = settings_for(sim_cloud, monkeypatch)
    report = backfill(cfg, store, since=date(2026, 11, 1))
    assert report.status == "ok" and report.days_total == 26
    days = {p.day for p in store.history(["MOB-1"])}
    assert min(days) == date(2026, 11, 1) and len(days) == 26


def _history_of_a_whole_backfill(sim_factory: SimFactory, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> Any:
    sim = sim_factory("cloud", okr_fields=True)
    cfg = settings_for(sim, monkeypatch)
    with StateStore.open(f"sqlite:///{tmp / 'whole.db'}") as whole:
        assert backfill(cfg, whole).status == "ok"
        return [(p.node_id, p.day, p.progress, p.health, p.source) for p in whole.history()]


def _stop_after(calls: int) -> Callable[[], bool]:
    seen = [0]

    def stop() -> bool:
        seen[0] += 1
        return seen[0] > calls

    return stop


def test_a_stopped_backfill_resumes_where_it_stopped(
    sim_factory: SimFactory, store: StateStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    expected = _history_of_a_whole_backfill(sim_factory, monkeypatch, tmp_path)
    sim = sim_factory("cloud", okr_fields=True)
    cfg = settings_for(sim, monkeypatch)
    stopped = backfill(cfg, store, stop=_stop_after(1))  # after the second week of days
    assert stopped.status == "partial" and stopped.exit_code == 1
    assert stopped.days_recorded == 14
    assert cursor(store)["history_through"] == "2026-10-14"
    assert writes_in(sim) == {}

    resumed = backfill(cfg, store, resume=True)
    assert resumed.status == "ok", resumed.as_dict()
    assert resumed.resumed and resumed.days_skipped == 14 and resumed.days_recorded == 43
    assert [(p.node_id, p.day, p.progress, p.health, p.source) for p in store.history()] == expected
    assert resumed.field_edits == 161


def test_a_crash_mid_history_resumes_and_a_crash_mid_writes_does_not_read_again(
    sim_factory: SimFactory, store: StateStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    expected = _history_of_a_whole_backfill(sim_factory, monkeypatch, tmp_path)
    sim = sim_factory("cloud", okr_fields=True)
    cfg = settings_for(sim, monkeypatch)

    def crash_on_day_10(stage: str, done: int, total: int) -> None:
        if stage == "history" and done == 10:
            raise RuntimeError("simulated crash")

    crashed = backfill(cfg, store, on_progress=crash_on_day_10)
    assert crashed.status == "failed" and crashed.exit_code == exit_codes.INTERNAL  # not a user's error
    assert crashed.failure == "simulated crash"
    assert cursor(store)["history_through"] == "2026-10-07"

    # the history finishes; the writes stop after 40 changes
    writes = [0]

    def stop_in_writes() -> bool:
        return writes[0] >= 40

    def count(stage: str, done: int, total: int) -> None:
        if stage == "write":
            writes[0] = done

    part = backfill(cfg, store, resume=True, stop=stop_in_writes, on_progress=count)
    assert part.status == "partial", part.as_dict()
    assert part.days_skipped == 7 and part.days_recorded == 50
    assert cursor(store)["phase"] == "writes"
    assert [(p.node_id, p.day, p.progress, p.health, p.source) for p in store.history()] == expected

    sim.reset_counters()
    rest = backfill(cfg, store, resume=True)
    assert rest.status == "ok", rest.as_dict()
    assert rest.days_recorded == 0 and rest.days_skipped == 57
    counts = sim.requests()["counts"]
    assert "POST /rest/api/3/changelog/bulkfetch" not in counts  # the history was done: not read again
    # every issue edited once over the two runs, nothing twice
    assert part.field_edits + rest.field_edits == 161
    assert cursor(store)["phase"] == "done"


def test_a_past_period_is_scored_at_its_end_without_celebrations(
    sim_okr: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_okr
    cfg = settings_for(sim, monkeypatch)
    later = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)  # the configured 2026-Q4 is over
    report = backfill(cfg, store, later)
    assert report.status == "ok", report.as_dict()
    assert report.past and report.days_total == 92
    assert field(sim, "MOB-1", "OKR Progress") == 16.7
    assert field(sim, "MOB-1", "OKR Expected") == 100.0
    assert field(sim, "PLAT-4", "OKR Status") == "Done"
    assert sim.issue("PLAT-4")["properties"]["okrsync"]["score"] == 1.0
    # as of its last day: a KR due before it and not done is Overdue (and scored); one due that day is not
    assert sim.issue("MOB-1")["fields"]["duedate"] < "2026-12-31" == sim.issue("MOB-2")["fields"]["duedate"]
    assert field(sim, "MOB-1", "OKR Status") == "Overdue"
    assert sim.issue("MOB-1")["properties"]["okrsync"]["score"] == 0.2
    assert field(sim, "MOB-2", "OKR Status") == "Off track"
    assert sim.comments("PLAT-4") == [] and sim.comments("MOB-3") == []  # no late celebrations or reminders
    assert sim.comments("MOB-1") == []  # no reminder to close a KR of a period long over
    assert store.mirror_keys() == set() and store.get_meta("last_tree") is None  # the live sync's state
    assert max(p.day for p in store.history()) == date(2026, 12, 31)

    sim.reset_counters()
    again = backfill(cfg, store, later)
    assert again.writes == 0 and writes_in(sim) == {}


def test_a_past_quarter_of_a_running_configuration_gets_history_only(
    sim_cloud: JiraSimulator, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = settings_for(sim_cloud, monkeypatch)
    q3 = PeriodConfig(name="2026-Q3", start=date(2026, 7, 1), end=date(2026, 9, 30))
    sim_cloud.reset_counters()
    report = backfill(cfg, store, period=q3)
    assert report.status == "ok"
    assert report.writes == 0 and writes_in(sim_cloud) == {}
    assert report.left_alone > 0
    assert any("keep showing it" in w for w in report.warnings)
    mob1 = store.history(["MOB-1"])
    # the epic was created in the last days of September: no KR row before it, no data until its
    # first issue was created, then nothing done yet
    assert mob1 and min(p.day for p in mob1) >= date(2026, 9, 20)
    assert mob1[0].progress is None and mob1[-1].progress == 0.0
    assert {p.progress for p in mob1} == {None, 0.0}
    assert {p.day for p in store.history(["CO-1"])} == {
        date(2026, 7, 1) + timedelta(days=n) for n in range(92)
    }


def test_the_command_line(sim_cloud: JiraSimulator, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OKRSYNC_JIRA__URL": sim_cloud.url,
        "OKRSYNC_JIRA__REQUESTS_PER_SECOND": "1000",
        "OKRSYNC_SYNC__STATE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [
            sys.executable,
            "-m",
            "okrsync.cli",
            "-c",
            str(DEMO_CONFIG),
            "backfill",
            *args,
        ]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)

    bad = run("--period", "last quarter")
    assert bad.returncode == 2
    assert "is not a period. Use YYYY-Qn" in bad.stderr and "Traceback" not in bad.stderr
    bad = run("--since", "2026-10-99")
    assert bad.returncode == 2 and "Use YYYY-MM-DD" in bad.stderr
    # the command reads the real clock: a period long past works on any day
    dry = run("--dry-run", "--period", "2020-Q1")
    assert dry.returncode == 0, dry.stderr
    assert "okrsync backfill 2020-Q1 (past period)" in dry.stdout and "dry run" in dry.stdout
    out = run("--json", "--period", "2020-01-01..2020-03-31")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["period"] == "2020-01-01..2020-03-31" and summary["days"] == 91  # a leap year
    assert summary["past_period"] is True and summary["field_edits"] == 0
    assert summary["requests"] > 0 and summary["status"] == "ok"
