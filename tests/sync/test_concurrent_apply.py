"""The concurrent apply (issue 15, Build 2; okrsync/sync/lanes.py) on the simulator, beside a
sequential twin: requests overlap, one issue's never do, each issue's changes keep their order, and
Jira ends exactly as the sequential apply leaves it, with the same requests.

The crash tests (test_exactly_once.py, test_kill_campaign.py) and the 429 storm of test_sync_e2e.py
run with the default ``jira.max_concurrency`` too, i.e. against the concurrent apply.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from test_bulk_sync import okr_values
from test_bulk_sync import settings as bulk_settings
from test_failing_sources import NOW, settings

from okrsync.domain.config import Settings
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

WRITES = ("edit_issue", "add_comment", "update_comment", "set_issue_property", "set_comment_property")


@dataclass
class Calls:
    """Every write the gateway made: (issue, method, started, ended), and how many overlapped."""

    log: list[tuple[str, str, float, float]] = field(default_factory=list)
    in_flight: int = 0
    most: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    depth: threading.local = field(default_factory=threading.local)
    """A write the gateway makes inside another (Data Center's comment marker) is not a second one."""

    def watch(self, gateway: JiraGateway) -> None:
        for name in WRITES:
            original = getattr(gateway, name)

            def watched(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
                key = str(args[0] if args else kwargs.get("key"))
                outer = getattr(self.depth, "n", 0) == 0
                self.depth.n = getattr(self.depth, "n", 0) + 1
                if outer:
                    with self.lock:
                        self.in_flight += 1
                        self.most = max(self.most, self.in_flight)
                started = time.monotonic()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.depth.n -= 1
                    with self.lock:
                        self.in_flight -= 1 if outer else 0
                        if outer:
                            self.log.append((key, _name, started, time.monotonic()))

            setattr(gateway, name, watched)

    def by_issue(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for key, name, _s, _e in sorted(self.log, key=lambda c: c[2]):
            if name != "set_comment_property":  # keyed by comment id, not by issue
                out.setdefault(key, []).append(name)
        return out

    def overlapping_on_one_issue(self) -> list[str]:
        spans: dict[str, list[tuple[float, float]]] = {}
        for key, name, s, e in self.log:
            if name != "set_comment_property":
                spans.setdefault(key, []).append((s, e))
        bad = []
        for key, intervals in spans.items():
            intervals.sort()
            if any(b[0] < a[1] for a, b in itertools.pairwise(intervals)):
                bad.append(key)
        return bad


def run(cfg: Settings, db: Path, calls: Calls) -> SyncReport:
    with StateStore.open(f"sqlite:///{db}") as store, JiraGateway(cfg.jira) as gateway:
        calls.watch(gateway)
        return run_sync(cfg, store=store, gateway=gateway, now=NOW)


def jira_state(sim: JiraSimulator) -> dict[str, Any]:
    """Every issue's custom field values, properties and comment bodies."""
    with sim.store.lock:
        issues = {
            key: (dict(issue["fields"]), dict(issue["properties"])) for key, issue in sim.store.issues.items()
        }
    return {
        key: (
            {fid: value for fid, value in fields.items() if fid.startswith("customfield_")},
            props,
            sorted(str(c["body"]) for c in sim.comments(key)),
        )
        for key, (fields, props) in issues.items()
    }


def counts(sim: JiraSimulator) -> dict[str, int]:
    return dict(sim.requests()["counts"])


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_a_concurrent_first_sync_leaves_jira_as_the_sequential_one_with_the_same_requests(
    sim_factory: Any, tmp_path: Path, flavor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = {}
    for workers in (1, 4):
        sim = sim_factory(flavor, okr_fields=True)
        sim.set_faults(latency_ms=15)  # requests take long enough to overlap
        monkeypatch.setenv("OKRSYNC_JIRA__MAX_CONCURRENCY", str(workers))
        cfg = settings(sim, tmp_path / f"w{workers}")
        assert cfg.jira.max_concurrency == workers
        calls = Calls()
        report = run(cfg, tmp_path / f"w{workers}.db", calls)
        assert report.status == "ok", [e.as_dict() for e in report.errors]
        results[workers] = (sim, calls, report)
    (seq_sim, seq, seq_report), (con_sim, con, con_report) = results[1], results[4]
    assert seq.most == 1
    assert con.most > 1, "the concurrent apply never had two writes in flight"
    assert con.overlapping_on_one_issue() == []  # never two requests to one issue at once
    assert con.by_issue() == seq.by_issue()  # each issue's writes in the same order
    assert jira_state(con_sim) == jira_state(seq_sim)
    assert counts(con_sim) == counts(seq_sim)
    assert con_report.writes == seq_report.writes and con_report.comments_posted == seq_report.comments_posted


def test_bulk_edits_are_submitted_and_polled_on_the_workers(sim_factory: Any, tmp_path: Path) -> None:
    """Cloud's bulk edits of a first sync (one per KR's action plans) overlap too, and land as
    the sequential ones do."""
    seen = {}
    for workers in (1, 4):
        sim = sim_factory("cloud", dataset="generated", epics=8, issues_per_epic=25, okr_fields=True)
        sim.set_faults(latency_ms=15)
        cfg = bulk_settings(sim, tmp_path / f"w{workers}")
        cfg = cfg.model_copy(update={"jira": cfg.jira.model_copy(update={"max_concurrency": workers})})
        overlap = Calls()

        def hook(gateway: JiraGateway, overlap: Calls = overlap) -> None:
            bulk = gateway.bulk
            for name in ("submit", "poll"):
                original = getattr(bulk, name)

                def watched(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                    with overlap.lock:
                        overlap.in_flight += 1
                        overlap.most = max(overlap.most, overlap.in_flight)
                    try:
                        return _original(*args, **kwargs)
                    finally:
                        with overlap.lock:
                            overlap.in_flight -= 1

                setattr(bulk, name, watched)

        with (
            StateStore.open(f"sqlite:///{tmp_path / f'w{workers}.db'}") as store,
            JiraGateway(cfg.jira) as gw,
        ):
            hook(gw)
            report = run_sync(cfg, store=store, gateway=gw, now=NOW)
        assert report.status == "ok", report.as_dict()
        counted = counts(sim)
        assert counted["POST /rest/api/3/bulk/issues/fields"] == 8
        seen[workers] = (overlap.most, okr_values(sim), counted)
    assert seen[1][0] == 1 and seen[4][0] > 1
    assert seen[4][1:] == seen[1][1:]


def test_after_a_lost_database_the_comment_reads_overlap_and_every_comment_is_adopted(
    sim_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory("cloud", dataset="generated", epics=12, issues_per_epic=5, okr_fields=True)
    cfg = bulk_settings(sim, tmp_path / "cfg")
    first = run(cfg, tmp_path / "first.db", Calls())
    assert first.status == "ok" and first.comments_posted >= 6, first.comments_posted
    before = {key: len(sim.comments(key)) for key in sim.store.issues}
    sim.set_faults(latency_ms=15)
    reads = Calls()

    def watch_reads(gateway: JiraGateway) -> None:
        original = gateway.comments

        def comments(key: str, **kw: Any) -> Any:
            with reads.lock:
                reads.in_flight += 1
                reads.most = max(reads.most, reads.in_flight)
            try:
                return original(key, **kw)
            finally:
                with reads.lock:
                    reads.in_flight -= 1
                    reads.log.append((key, "comments", 0.0, 0.0))

        gateway.comments = comments  # type: ignore[method-assign]

    # a new state database: every okrsync comment in Jira is unknown to it
    with StateStore.open(f"sqlite:///{tmp_path / 'lost.db'}") as store, JiraGateway(cfg.jira) as gateway:
        watch_reads(gateway)
        again = run_sync(cfg, store=store, gateway=gateway, now=NOW)
    assert again.status == "ok", [e.as_dict() for e in again.errors]
    assert again.comments_posted == 0  # adopted, never posted twice
    assert {key: len(sim.comments(key)) for key in sim.store.issues} == before
    assert len(reads.log) >= first.comments_posted and reads.most > 1  # the reads overlapped
