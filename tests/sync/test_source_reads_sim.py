"""KR sources given by JQL read incrementally (okrsync.sync.source_reads), on the simulator.

The demo's ``key_results[14]`` is ``project = DATA AND issuetype = Epic AND labels = kr-quality``
(DATA-3). Here DATA-2 is not configured as an epic of its own, so a label can make it join that
source and leave it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_failing_sources import settings

from okrsync.domain.config import Settings
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync
from okrsync.sync.source_reads import is_stable

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SOURCE = "labels = kr-quality"


def without_data_2(krs: list[dict[str, Any]]) -> None:
    krs[:] = [kr for kr in krs if kr.get("epic") != "DATA-2"]


class Clock:
    """The simulator's clock, set to each run's ``now``: Jira's ``updated`` and okrsync's watermark
    on one time line (the incremental searches compare them)."""

    def __init__(self) -> None:
        self.at = NOW

    def __call__(self) -> datetime:
        return self.at


CLOCK = Clock()


@pytest.fixture(params=["cloud", "datacenter"])
def sim_okr(request: pytest.FixtureRequest, sim_factory: Any) -> JiraSimulator:
    CLOCK.at = NOW
    return sim_factory(request.param, okr_fields=True, clock=CLOCK)


def sync(cfg: Settings, db: Path, now: datetime, jqls: list[str], **kw: Any) -> SyncReport:
    CLOCK.at = now
    with StateStore.open(f"sqlite:///{db}") as store, JiraGateway(cfg.jira) as gateway:
        search = gateway.search

        def noting(jql: str, fields: Sequence[str], **kwargs: Any) -> Any:
            jqls.append(jql)
            return search(jql, fields, **kwargs)

        gateway.search = noting  # type: ignore[method-assign]
        return run_sync(cfg, store=store, gateway=gateway, now=now, **kw)


def source_searches(jqls: list[str]) -> list[str]:
    return [j for j in jqls if SOURCE in j]


def asked(sim: JiraSimulator, jqls: list[str]) -> int:
    """The requests that read the source: its searches, and Cloud's jql/match (which the
    simulator's counters show; the counters are reset with ``jqls``)."""
    matches = sum(n for k, n in sim.requests()["counts"].items() if "jql/match" in k)
    return len(source_searches(jqls)) + matches


def reset(sim: JiraSimulator, jqls: list[str]) -> None:
    jqls.clear()
    sim.reset_counters()


def kr_epics(report: SyncReport) -> set[str]:
    assert report.scored is not None
    return {kr.jira_key for kr in report.scored.tree.key_results if kr.jira_key}


def test_a_stable_source_costs_one_search_a_cycle_and_sees_epics_join_and_leave(
    sim_okr: JiraSimulator, tmp_path: Path
) -> None:
    sim = sim_okr
    cfg = settings(sim, tmp_path, without_data_2)
    db = tmp_path / "state.db"
    jqls: list[str] = []
    first = sync(cfg, db, NOW, jqls)
    assert first.status == "ok" and "DATA-3" in kr_epics(first) and "DATA-2" not in kr_epics(first)
    assert [j for j in source_searches(jqls) if "updated >=" in j] == []  # the first: whole

    # the cycle after the first sees DATA-3 changed (okrsync wrote it): asks the source about it
    # (Cloud: one jql/match for every source; Data Center: one search a source)
    reset(sim, jqls)
    after = sync(cfg, db, NOW + timedelta(minutes=15), jqls)
    assert after.status == "ok" and kr_epics(after) == kr_epics(first)
    assert asked(sim, jqls) == 2, source_searches(jqls)
    reset(sim, jqls)
    steady = sync(cfg, db, NOW + timedelta(minutes=30), jqls)
    assert steady.status == "ok" and kr_epics(steady) == kr_epics(first)
    (only,) = source_searches(jqls)  # then one search a cycle, an incremental one
    assert "updated >=" in only and '"DATA-3"' in only

    sim.set_fields("DATA-2", {"labels": ["kr-quality"]})  # DATA-2 joins the source
    reset(sim, jqls)
    joined = sync(cfg, db, NOW + timedelta(minutes=45), jqls)
    assert joined.status == "ok" and kr_epics(joined) == kr_epics(first) | {"DATA-2"}, joined.as_dict()
    # the changed epics, then the source asked which of them it matches
    assert asked(sim, jqls) == 2, source_searches(jqls)

    jqls.clear()
    sync(cfg, db, NOW + timedelta(minutes=60), jqls)  # the cycle after the writes to DATA-2
    reset(sim, jqls)
    again = sync(cfg, db, NOW + timedelta(minutes=75), jqls)
    assert kr_epics(again) == kr_epics(joined) and asked(sim, jqls) == 1, source_searches(jqls)

    sim.set_fields("DATA-2", {"labels": []})  # and leaves it
    left = sync(cfg, db, NOW + timedelta(minutes=90), jqls)
    assert left.status == "ok" and "DATA-2" not in kr_epics(left) and "DATA-3" in kr_epics(left)


def test_a_source_whose_jql_changed_or_is_not_stable_is_searched_whole(
    sim_okr: JiraSimulator, tmp_path: Path
) -> None:
    sim = sim_okr
    db = tmp_path / "state.db"
    jqls: list[str] = []
    assert sync(settings(sim, tmp_path), db, NOW, jqls).status == "ok"

    def volatile(krs: list[dict[str, Any]]) -> None:
        krs[-1]["jql"] = "project = DATA AND issuetype = Epic AND labels = kr-quality AND created <= now()"

    cfg = settings(sim, tmp_path / "v", volatile)
    for minutes in (15, 30):  # its JQL changed, then it calls a function: whole both times
        jqls.clear()
        report = sync(cfg, db, NOW + timedelta(minutes=minutes), jqls)
        assert report.status == "ok" and "DATA-3" in kr_epics(report)
        (only,) = source_searches(jqls)
        assert "updated >=" not in only, only


def test_a_full_reconcile_searches_every_source_whole(sim_okr: JiraSimulator, tmp_path: Path) -> None:
    sim = sim_okr
    cfg = settings(sim, tmp_path)
    db = tmp_path / "state.db"
    jqls: list[str] = []
    assert sync(cfg, db, NOW, jqls).status == "ok"
    jqls.clear()
    assert sync(cfg, db, NOW + timedelta(minutes=15), jqls, full=True).status == "ok"
    (only,) = source_searches(jqls)
    assert "updated >=" not in only


@pytest.mark.parametrize(
    ("jql", "stable"),
    [
        ("project = DATA AND issuetype = Epic AND labels = kr-quality", True),
        ('project = "DATA" AND summary ~ "now()" ORDER BY created DESC', True),  # text, not a call
        ("project = DATA AND duedate >= 2026-01-01", True),
        ('project = DATA AND labels in ("okr", "q4")', True),
        # a quoted value that reads as a duration may be one: searched whole (the safe side)
        ('project = DATA AND labels in ("okr", "2w")', False),
        ("project = DATA AND created >= -7d", False),
        ('project = DATA AND duedate <= "2w"', False),
        ("project = DATA AND assignee = currentUser()", False),
        ("sprint in openSprints() AND issuetype = Epic", False),
        ("project = DATA AND updated >= startOfWeek()", False),
        ('issue in linkedIssues("DATA-1")', False),
    ],
)
def test_which_jql_is_stable(jql: str, stable: bool) -> None:
    assert is_stable(jql) is stable
