"""Syncing against a Cloud search index that lags writes by a few seconds (issue 13).

A webhook cycle runs seconds after the change that fired it, and a cycle may follow okrsync's own
writes within seconds: Cloud's search/jql would show both as they were ("Recent updates might not be
immediately visible"). okrsync reconciles those issues (``reconcileIssues``, at most 50 ids a request,
in the searches it makes anyway) and keeps its own writes over an older copy, so the webhook cycle
sees the change, a cycle right after okrsync's writes writes nothing, and no request is added. Data
Center is consistent and goes on as before. The index's clock is the test's (``index_clock``): its
seconds move only when the test says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from simkit import IndexClock, SimFactory

import okrsync.jira.search as jira_search
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync
from okrsync.sync.reconcile import Reconciliation

LAG = 5.0  # seconds: "The majority of modifications are shown within seconds" (Atlassian)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # MOB-1: 2 of 12 done = 16.7 %
SEARCH = "POST /rest/api/3/search/jql"


@pytest.fixture
def clock() -> IndexClock:
    return IndexClock(1000.0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The ``reconcileIssues`` of every search okrsync sends (empty lists left out)."""
    calls: list[list[int]] = []
    original = jira_search._reconcile_ids

    def spy(ids: Any) -> list[int]:
        out = original(ids)
        if out:
            calls.append(out)
        return out

    monkeypatch.setattr(jira_search, "_reconcile_ids", spy)
    return calls


def never_reconcile(monkeypatch: pytest.MonkeyPatch) -> None:
    """okrsync as it was: no ``reconcileIssues``, every search read from the lagging index."""
    monkeypatch.setattr(jira_search, "_reconcile_ids", lambda ids: [])


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch, path: Path = DEMO_CONFIG) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRY_SECONDS", "20")
    return load_config(path)


def sync(cfg: Settings, store: StateStore, now: datetime, **kw: Any) -> SyncReport:
    with JiraGateway(cfg.jira) as gateway:
        report = run_sync(cfg, store=store, gateway=gateway, now=now, **kw)
    assert report.status == "ok", report.as_dict()
    return report


def field(sim: JiraSimulator, key: str, name: str) -> Any:
    value = sim.issue(key)["fields"].get(sim.field_id(name))
    return value.get("value") if isinstance(value, dict) else value


def writes_in(sim: JiraSimulator) -> dict[str, int]:
    return {
        k: v
        for k, v in sim.requests()["counts"].items()
        if not k.startswith(("GET", SEARCH, "POST /rest/api/2/search", "POST /rest/api/3/jql/match"))
    }


def issue_id(sim: JiraSimulator, key: str) -> int:
    return int(sim.issue(key)["id"])


def webhook_cycle(
    sim: JiraSimulator, cfg: Settings, store: StateStore, clock: IndexClock, lag_passes: bool = False
) -> SyncReport:
    """A first sync; later a user moves MOB-7 to Done, and the webhook cycle runs 2 s after."""
    sync(cfg, store, NOW)
    clock.advance(LAG + 1)  # the first sync's writes are indexed by now
    assert field(sim, "MOB-1", "OKR Progress") == 16.7
    sim.transition("MOB-7", "Done")
    clock.advance(LAG + 1 if lag_passes else 2)
    sim.reset_counters()
    return sync(cfg, store, NOW + timedelta(minutes=5), refresh_keys=["MOB-7"])


# ------------------------------------------------------------------- a webhook seconds later


def test_a_webhook_cycle_seconds_after_a_change_sees_it(
    sim_factory: SimFactory,
    store: StateStore,
    clock: IndexClock,
    sent: list[list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_factory("cloud", okr_fields=True, index_lag_seconds=LAG, index_clock=clock)
    cfg = settings_for(sim, monkeypatch)
    report = webhook_cycle(sim, cfg, store, clock)
    assert field(sim, "MOB-1", "OKR Progress") == 25.0  # 3 of 12: MOB-7 counted done
    assert report.field_edits >= 1
    assert sent and all(len(ids) <= 50 for ids in sent)
    # the scope's search: the webhook's issue first, then what okrsync wrote in the last minutes
    assert sent[-1][0] == issue_id(sim, "MOB-7")


def test_without_reconcile_issues_the_webhook_cycle_sees_the_old_values(
    sim_factory: SimFactory, store: StateStore, clock: IndexClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    never_reconcile(monkeypatch)
    sim = sim_factory("cloud", okr_fields=True, index_lag_seconds=LAG, index_clock=clock)
    cfg = settings_for(sim, monkeypatch)
    webhook_cycle(sim, cfg, store, clock)
    assert field(sim, "MOB-1", "OKR Progress") == 16.7  # MOB-7 read "In Review" from the index
    assert store.issues(["MOB-7"])["MOB-7"].raw["fields"]["status"]["name"] == "In Review"


def test_the_webhook_cycle_costs_what_it_costs_on_a_consistent_site(
    sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same requests, one by one, as on a site whose search sees every write at once."""
    counts = {}
    for lag in (0.0, LAG):
        clock = IndexClock()
        sim = sim_factory("cloud", okr_fields=True, index_lag_seconds=lag, index_clock=clock)
        cfg = settings_for(sim, monkeypatch)
        with StateStore.open(f"sqlite:///{tmp_path / f'lag-{lag}.db'}") as store:
            report = webhook_cycle(sim, cfg, store, clock)
        assert field(sim, "MOB-1", "OKR Progress") == 25.0
        counts[lag] = (sim.requests()["counts"], report.requests)
    assert counts[LAG] == counts[0.0]


# ------------------------------------------------------------- read after okrsync's own writes


def own_writes_then_a_cycle(
    sim: JiraSimulator, cfg: Settings, store: StateStore, clock: IndexClock
) -> tuple[SyncReport, SyncReport]:
    """MOB-7 is done and indexed; a cycle writes MOB-1's new progress; another follows 1 s later."""
    sync(cfg, store, NOW)
    sim.transition("MOB-7", "Done")
    clock.advance(LAG + 1)  # the first sync's writes and the user's change are indexed
    writing = sync(cfg, store, NOW + timedelta(minutes=1))
    assert writing.field_edits == 1 and field(sim, "MOB-1", "OKR Progress") == 25.0
    clock.advance(1)
    sim.reset_counters()
    return writing, sync(cfg, store, NOW + timedelta(minutes=1, seconds=10))


def test_a_cycle_right_after_okrsyncs_own_writes_writes_nothing(
    sim_factory: SimFactory,
    store: StateStore,
    clock: IndexClock,
    sent: list[list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_factory("cloud", okr_fields=True, index_lag_seconds=LAG, index_clock=clock)
    cfg = settings_for(sim, monkeypatch)
    _writing, after = own_writes_then_a_cycle(sim, cfg, store, clock)
    assert after.writes == 0, after.as_dict()
    assert writes_in(sim) == {}
    assert issue_id(sim, "MOB-1") in sent[-1]  # the issue okrsync wrote a second ago
    clock.advance(LAG)  # and once the index has caught up: nothing either, no flapping
    assert sync(cfg, store, NOW + timedelta(minutes=2)).writes == 0


def test_reading_the_index_as_it_is_okrsync_writes_its_own_writes_again(
    sim_factory: SimFactory, store: StateStore, clock: IndexClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    never_reconcile(monkeypatch)
    monkeypatch.setattr(Reconciliation, "is_stale", lambda self, raw, kept: False)  # nor keeps its copy
    sim = sim_factory("cloud", okr_fields=True, index_lag_seconds=LAG, index_clock=clock)
    cfg = settings_for(sim, monkeypatch)
    _writing, after = own_writes_then_a_cycle(sim, cfg, store, clock)
    # the index still showed MOB-1 at 16.7 % and its old property: both written once more
    assert (after.field_edits, after.properties) == (1, 1)
    assert writes_in(sim) == {
        "PUT /rest/api/3/issue/{key}": 1,
        "PUT /rest/api/3/issue/{key}/properties/{propertyKey}": 1,
    }


@pytest.mark.parametrize("keep_copy", [True, False], ids=["kept over the index's", "index read as is"])
def test_more_own_writes_than_one_search_reconciles_are_not_written_again(
    keep_copy: bool,
    sim_factory: SimFactory,
    store: StateStore,
    clock: IndexClock,
    sent: list[list[int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two objectives renamed: their 84 issues rewritten; 50 reconciled, the rest kept as written
    (the mirror's copy over the index's older one; without that, the 34 would be written again)."""
    sim = sim_factory("cloud", okr_fields=True, index_lag_seconds=LAG, index_clock=clock)
    cfg = settings_for(sim, monkeypatch)
    sync(cfg, store, NOW)
    clock.advance(LAG + 1)
    data = yaml.safe_load(DEMO_CONFIG.read_text())
    for objective in data["objectives"]:
        if objective["id"] in ("MOB-O", "PLAT-O"):
            objective["title"] += " (renamed)"
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(yaml.safe_dump(data, sort_keys=False))
    cfg = settings_for(sim, monkeypatch, renamed)
    writing = sync(cfg, store, NOW + timedelta(minutes=1))
    assert writing.field_edits == 84
    clock.advance(1)
    sim.reset_counters()
    sent.clear()
    if not keep_copy:
        monkeypatch.setattr(Reconciliation, "is_stale", lambda self, raw, kept: False)
    after = sync(cfg, store, NOW + timedelta(minutes=1, seconds=10))
    assert sent and max(len(ids) for ids in sent) == 50  # the scope's search: 50 of them
    if not keep_copy:
        assert after.field_edits == writing.field_edits - 50
        return
    assert after.writes == 0, after.as_dict()
    assert writes_in(sim) == {}
    assert field(sim, "MOB-5", "OKR Objective") == "MOB-O: A mobile app customers rave about (renamed)"


# --------------------------------------------------------------------------------- Data Center


@pytest.mark.parametrize("scenario", ["webhook", "own writes"])
def test_data_center_is_consistent_and_sends_nothing_new(
    scenario: str,
    sim_factory: SimFactory,
    tmp_path: Path,
    sent: list[list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counts = {}
    for lag in (0.0, LAG):
        clock = IndexClock()
        sim = sim_factory("datacenter", okr_fields=True, index_lag_seconds=lag, index_clock=clock)
        cfg = settings_for(sim, monkeypatch)
        with StateStore.open(f"sqlite:///{tmp_path / f'{scenario}-{lag}.db'}") as store:
            if scenario == "webhook":
                webhook_cycle(sim, cfg, store, clock)
                assert field(sim, "MOB-1", "OKR Progress") == 25.0
            else:
                _writing, after = own_writes_then_a_cycle(sim, cfg, store, clock)
                assert after.writes == 0
        counts[lag] = sim.requests()["counts"]
    assert counts[LAG] == counts[0.0]
    assert sent == []  # no reconcileIssues on Data Center
