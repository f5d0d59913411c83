"""``okrsync sync --dry-run`` plans exactly what the run then does (issue 12, case 7).

Each test runs a dry run and then the run on the same site, state and ``now``, and compares: the
changes the dry run planned (field edits with their values, properties, comments with their kind
and issue) equal the changes the run applied, as the state store recorded them and as the
simulator's request log counts them; and Jira shows the planned values afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from simkit import SimFactory

from okrsync.core.plan import CommentPost, FieldEdit, Plan, PropertySet
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.domain.hashing import value_hash
from okrsync.domain.keys import ISSUE_PROPERTY
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.apply import identity_of, marker_hash
from okrsync.sync.bulk_properties import MIN_PROPERTIES
from okrsync.sync.engine import SyncReport, run_sync

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # the demo company's period is 2026-10-01 .. 12-31

Write = tuple[str, str, str]  # (issue key, kind, target): what the state store keys applied writes by


class JiraClock:
    """The simulator's clock, set by the test: each change is stamped after the sync before it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def settings_for(sim: JiraSimulator, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    return load_config(DEMO_CONFIG)


def sync(cfg: Settings, store: StateStore, now: datetime, *, dry_run: bool = False) -> SyncReport:
    with JiraGateway(cfg.jira) as gateway:
        report = run_sync(cfg, store=store, gateway=gateway, now=now, dry_run=dry_run)
    assert report.status == "ok", report.as_dict()
    return report


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path


def open_store(where: Path, name: str) -> StateStore:
    return StateStore.open(f"sqlite:///{where / name}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with open_store(tmp_path, "state.db") as s:
        yield s


def planned_writes(plan: Plan) -> dict[Write, str]:
    """The writes a plan makes, keyed as the state store records them, with their value hashes."""
    out: dict[Write, str] = {}
    for change in plan.changes:
        if isinstance(change, FieldEdit):
            out.update({(change.issue_key, "field", fid): value_hash(v) for fid, v in change.fields.items()})
        elif isinstance(change, PropertySet):
            out[(change.issue_key, "property", change.key)] = change.value_hash
        else:
            out[(change.issue_key, "comment", change.identity)] = change.value_hash
    return out


def applied_by(store: StateStore, report: SyncReport) -> dict[Write, str]:
    return {k: w.value_hash for k, w in store.applied().items() if w.run_id == report.run_id}


def write_requests(sim: JiraSimulator) -> Counter[str]:
    """The simulator's write requests by kind (the API version left out)."""
    kinds: Counter[str] = Counter()
    for route, count in sim.requests()["counts"].items():
        method, _, path = route.partition(" ")
        # the POSTs that only read: searches, and Cloud's comment/list (okrsync's comment properties)
        if method == "GET" or path.endswith(
            ("/search", "/search/jql", "/approximate-count", "/comment/list", "/jql/match")
        ):
            continue
        kinds[f"{method} {path.split('/rest/api/')[-1].split('/', 1)[-1]}"] += count
    return kinds


def expected_requests(plan: Plan, flavor: str) -> Counter[str]:
    """The write requests ``plan`` takes: one per change, and a comment's ``okrsync`` property
    (Cloud sends it with the comment's post or update; Data Center sets it after each); on
    Cloud, many properties in bulk (:mod:`okrsync.sync.bulk_properties`)."""
    kinds: Counter[str] = Counter()
    properties = len(plan.properties)
    if flavor == "cloud" and properties >= MIN_PROPERTIES:
        # in properties/multi batches of 100, each read back with a bulkfetch (a POST too)
        kinds["POST issue/properties/multi"] = kinds["POST issue/bulkfetch"] = -(-properties // 100)
    for change in plan.changes:
        if isinstance(change, FieldEdit):
            kinds["PUT issue/{key}"] += 1
        elif isinstance(change, PropertySet):
            if not kinds["POST issue/properties/multi"]:
                kinds["PUT issue/{key}/properties/{propertyKey}"] += 1
        elif change.existing_id is None:
            kinds["POST issue/{key}/comment"] += 1
            if flavor == "datacenter":
                kinds["PUT comment/{id}/properties/{propertyKey}"] += 1
        else:
            kinds["PUT issue/{key}/comment/{id}"] += 1
            if flavor == "datacenter":
                kinds["PUT comment/{id}/properties/{propertyKey}"] += 1
    return kinds


def shown(value: Any) -> Any:
    """A field value as compared: a select's option by its value."""
    return value.get("value") if isinstance(value, dict) else value


def okrsync_comments(cfg: Settings, key: str) -> list[tuple[str, str]]:
    """(identity, content hash) of each okrsync comment Jira shows on ``key``, in order."""
    with JiraGateway(cfg.jira) as gateway:
        comments = gateway.comments(key, properties=True)
    return [(ident, marker_hash(c)) for c in comments if (ident := identity_of(c)) is not None]


def assert_jira_shows(sim: JiraSimulator, cfg: Settings, plan: Plan) -> None:
    """Every planned value is what Jira shows now; every planned comment is there once."""
    for change in plan.changes:
        issue = sim.issue(change.issue_key)
        if isinstance(change, FieldEdit):
            for fid, value in change.fields.items():
                assert shown(issue["fields"].get(fid)) == shown(value), (change.issue_key, fid)
        elif isinstance(change, PropertySet):
            assert issue["properties"][change.key] == dict(change.value), change.issue_key
        else:
            assert isinstance(change, CommentPost)
            found = [h for ident, h in okrsync_comments(cfg, change.issue_key) if ident == change.identity]
            assert len(found) == 1, (change.issue_key, change.identity, found)
            if sim.flavor == "cloud":  # Data Center keeps the identity in the footer, the hash in the state
                assert found == [change.value_hash], (change.issue_key, change.identity)


def dry_then_run(
    sim: JiraSimulator, cfg: Settings, store: StateStore, now: datetime
) -> tuple[Plan, SyncReport]:
    """The dry run, then the run, on the same site, state and ``now``; checks that the run applied
    exactly the dry run's plan and that Jira shows it. Returns the dry run's plan and the run."""
    sim.reset_counters()
    dry = sync(cfg, store, now, dry_run=True)
    assert dry.plan is not None
    assert write_requests(sim) == Counter(), "a dry run writes nothing"
    run = sync(cfg, store, now)
    assert run.plan is not None
    assert run.plan.changes == dry.plan.changes
    # what the run applied, as the state store recorded it (adopted comments aside: none posted)
    applied = applied_by(store, run)
    adopted = {k for k in applied if k[1] == "comment" and k not in planned_writes(dry.plan)}
    assert {k: v for k, v in applied.items() if k not in adopted} == planned_writes(dry.plan)
    assert write_requests(sim) == expected_requests(dry.plan, sim.flavor)
    new_posts = [c for c in dry.plan.comments if c.existing_id is None]
    updates = [c for c in dry.plan.comments if c.existing_id is not None]
    assert (run.field_edits, run.properties, run.comments_posted, run.comments_updated) == (
        len(dry.plan.field_edits),
        len(dry.plan.properties),
        len(new_posts),
        len(updates),
    )
    assert run.errors == []
    assert_jira_shows(sim, cfg, dry.plan)
    return dry.plan, run


def kinds_of(plan: Plan) -> list[tuple[str, str]]:
    """(issue key, comment kind) of each planned comment: ``stale``, ``celebrate``, ``status`` …"""
    return [(c.issue_key, c.identity.split(":")[0]) for c in plan.comments]


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_on_a_fresh_state_the_dry_run_plans_what_the_first_sync_writes(
    flavor: str, sim_factory: SimFactory, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(flavor, okr_fields=True)
    cfg = settings_for(sim, monkeypatch)
    plan, _run = dry_then_run(sim, cfg, store, NOW)
    # the first sync's writes: every KR epic and action plan, the KRs' properties, and the comments
    # (the done KR's celebration, the check-in reminder of the KR stale since 2026-10-28)
    assert len(plan.field_edits) == 161 and len(plan.properties) == 15
    assert ("PLAT-4", "celebrate") in kinds_of(plan)
    assert ("MOB-3", "stale") in kinds_of(plan)
    assert ("MOB-3", "stale:2026-10-28") in {(c.issue_key, c.identity) for c in plan.comments}
    # and what the dry run said is all there is: a sync right after plans nothing
    assert sync(cfg, store, NOW + timedelta(minutes=5), dry_run=True).planned == 0


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_with_a_new_state_on_a_synced_site_the_dry_run_plans_no_reminder_the_run_would_not_post(
    flavor: str, sim_factory: SimFactory, state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh state on a site okrsync synced before (a lost or new state database): the comments
    it posted then are in Jira. The run adopts them rather than post them twice, so the dry run
    does not plan them either (it used to list each reminder and celebration as a new comment)."""
    sim = sim_factory(flavor, okr_fields=True)
    cfg = settings_for(sim, monkeypatch)
    week_ago = NOW - timedelta(days=7)
    with open_store(state_dir, "old.db") as old:
        before = sync(cfg, old, week_ago)
    assert before.plan is not None
    posted_before = {(c.issue_key, c.identity) for c in before.plan.comments}
    assert {("PLAT-4", "celebrate"), ("MOB-3", "stale:2026-10-28")} <= posted_before

    with open_store(state_dir, "new.db") as fresh:
        plan, _run = dry_then_run(sim, cfg, fresh, NOW)
        planned = {(c.issue_key, c.identity) for c in plan.comments}
        assert not planned & posted_before, "posted a week ago: adopted, not planned again"
        # the store now knows them: the next dry run plans nothing, and reads no comment
        sim.reset_counters()
        assert sync(cfg, fresh, NOW + timedelta(minutes=5), dry_run=True).planned == 0
        assert not [r for r in sim.requests()["counts"] if r.endswith("/comment")]
        recorded = {k[0::2] for k, w in fresh.applied().items() if k[1] == "comment"}
        assert posted_before <= recorded
    # every okrsync comment is in Jira once
    for key in {k for k, _ in posted_before | planned}:
        identities = [ident for ident, _ in okrsync_comments(cfg, key)]
        assert len(identities) == len(set(identities)), (key, identities)


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_after_a_sync_and_a_changed_issue_the_dry_run_plans_what_the_next_sync_writes(
    flavor: str, sim_factory: SimFactory, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    jira_time = JiraClock(NOW - timedelta(minutes=1))  # what Jira stamps its changes with
    sim = sim_factory(flavor, okr_fields=True, clock=jira_time)
    cfg = settings_for(sim, monkeypatch)
    sync(cfg, store, NOW)
    jira_time.at = NOW + timedelta(minutes=30)
    assert sim.issue("DATA-3")["fields"][sim.field_id("OKR Status")]["value"] == "At risk"

    for key in ("DATA-30", "DATA-31"):
        sim.transition(key, "Done", resolution="Done")  # DATA-3: 7 of 10 done, on track
    sim.transition("MOB-7", "Done", resolution="Done")  # MOB-1: 3 of 12 done
    plan, run = dry_then_run(sim, cfg, store, NOW + timedelta(hours=1))
    assert run.mode == "incremental"
    assert {e.issue_key for e in plan.field_edits} == {"DATA-3", "MOB-1"}
    assert {p.issue_key for p in plan.properties} == {"DATA-3", "MOB-1"}
    assert [(c.issue_key, c.identity, c.existing_id) for c in plan.comments] == [("DATA-3", "status", None)]
    assert sim.issue("DATA-3")["fields"][sim.field_id("OKR Progress")] == 70.0

    # the health moves back: the status comment is updated in place, as the dry run says
    jira_time.at = NOW + timedelta(minutes=90)
    for key in ("DATA-30", "DATA-31"):
        sim.transition(key, "In Progress")  # 5 of 10 again: at risk
    plan, run = dry_then_run(sim, cfg, store, NOW + timedelta(hours=2))
    (status,) = plan.comments
    assert (status.issue_key, status.identity) == ("DATA-3", "status") and status.existing_id is not None
    assert run.comments_updated == 1 and run.comments_posted == 0
    assert sim.issue("DATA-3")["fields"][sim.field_id("OKR Status")]["value"] == "At risk"
    assert sim.issue("DATA-3")["properties"][ISSUE_PROPERTY]["progress"] == 50.0
