"""Issue 16, Build 3, over the simulator (both dialects): a KR owner checks in inside Jira (the
``OKR Confidence`` select and the ``OKR Check-in`` note on the KR epic, changed as a user: changelog,
``updated``, webhooks). The next sync updates the KR's status comment with the check-in and its
author, lowers the health (Low: Off track), reads one changelog more and nothing else, records the
check-in, and a second run writes nothing. A check-in is movement: the stale reminder waits.

Every day is the demo company's pinned 2026-Q4; the simulator's clock is the test's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from simkit import SimFactory

from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.domain.model import Confidence
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.provision.check import checkins_from_store, run_check
from okrsync.state.store import StateStore
from okrsync.sync.backfill import run_backfill
from okrsync.sync.checkins import stored_checkins
from okrsync.sync.engine import SyncReport, run_sync

KR = "WEB-4"  # Farid Haddad's "Publish a public status page": on track on 2026-10-31
OWNER = "farid.haddad@example.com"
STALE_KR = "MOB-3"  # its stale reminder (no movement since 2026-10-28) is due on 2026-11-11


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 10, 31, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["cloud", "datacenter"])
def site(
    request: pytest.FixtureRequest, sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[JiraSimulator, Settings, Clock]]:
    clock = Clock()
    sim = sim_factory(request.param, okr_fields=True, clock=clock)
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    yield sim, load_config(DEMO_CONFIG), clock


def sync(cfg: Settings, clock: Clock, day: date | None = None) -> SyncReport:
    if day is not None:
        clock.now = datetime.combine(day, time(12), tzinfo=UTC)
    with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        report = run_sync(cfg, store=store, gateway=gateway, now=clock.now)
    assert report.status == "ok", report.as_dict()
    return report


def writes(report: SyncReport) -> int:
    return report.field_edits + report.properties + report.comments_posted + report.comments_updated


def texts(sim: JiraSimulator, key: str) -> list[str]:
    return [" ".join(plain_text(c["body"]).split()) for c in sim.comments(key)]


def field(sim: JiraSimulator, key: str, name: str) -> Any:
    value = sim.issue(key)["fields"].get(sim.field_id(name))
    return value.get("value") if isinstance(value, dict) else value


def check_in(sim: JiraSimulator, clock: Clock, key: str, confidence: str, note: str | None) -> None:
    clock.now += timedelta(hours=1)  # the owner checks in an hour after the sync
    sim.set_fields(key, {"OKR Confidence": {"value": confidence}, "OKR Check-in": note}, by=OWNER)


def searches(sim: JiraSimulator) -> dict[str, int]:
    return {k: v for k, v in sim.requests()["counts"].items() if "/search" in k}


def changelog_reads(sim: JiraSimulator) -> int:
    counts = sim.requests()["counts"]
    if sim.flavor == "cloud":
        return int(counts.get("POST /rest/api/3/changelog/bulkfetch", 0))
    return int(counts.get("GET /rest/api/2/issue/{key}", 0))


def test_a_check_in_updates_the_status_comment_and_health_and_a_second_run_writes_nothing(
    site: tuple[JiraSimulator, Settings, Clock],
) -> None:
    sim, cfg, clock = site
    sync(cfg, clock)
    sim.reset_counters()
    assert writes(sync(cfg, clock)) == 0  # steady
    steady = searches(sim)
    assert field(sim, KR, "OKR Status") == "On track"
    assert texts(sim, KR) == []

    check_in(sim, clock, KR, "Low", "the status page vendor is late")
    sim.reset_counters()
    report = sync(cfg, clock)
    # the values come with the same searches; one read more: the changelog of the one KR epic
    assert searches(sim) == steady
    assert changelog_reads(sim) == 1
    assert field(sim, KR, "OKR Status") == "Off track"  # the worse of On track and Low
    (said,) = texts(sim, KR)
    assert said.startswith("OKR status: On track → Off track (as of 2026-10-31)")
    assert (
        "Owner's check-in by Farid Haddad on 2026-10-31: confidence Low — “the status page vendor is late”."
        in said
    )
    assert "its owner's confidence is Low" in said
    prop = sim.issue(KR)["properties"]["okrsync"]
    assert prop["health"] == "off_track"
    assert prop["checkin"] == {
        "day": "2026-10-31",
        "confidence": "low",
        "note": "the status page vendor is late",
        "author": "Farid Haddad",
    }
    assert report.comments_posted == 1
    with StateStore.open(cfg.sync.state_url) as store:
        (recorded,) = stored_checkins(store)[KR]
    assert (recorded.confidence, recorded.author, recorded.day) == (
        Confidence.LOW,
        "Farid Haddad",
        date(2026, 10, 31),
    )

    sim.reset_counters()
    again = sync(cfg, clock)
    assert writes(again) == 0 and again.planned == 0
    assert changelog_reads(sim) == 0  # nothing changed: no changelog read

    # the owner checks in again (the note only): the one status comment is updated in place
    clock.now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    check_in(sim, clock, KR, "Low", "vendor ships next week")
    updated = sync(cfg, clock)
    assert updated.comments_updated == 1 and updated.comments_posted == 0
    (said,) = texts(sim, KR)
    assert said.startswith("OKR status: Off track (as of 2026-11-02)")
    assert "on 2026-11-02: confidence Low — “vendor ships next week”" in said
    assert writes(sync(cfg, clock)) == 0
    with StateStore.open(cfg.sync.state_url) as store:
        assert [c.note for c in stored_checkins(store)[KR]] == [
            "the status page vendor is late",
            "vendor ships next week",
        ]


def test_a_check_in_resets_the_stale_reminder(site: tuple[JiraSimulator, Settings, Clock]) -> None:
    sim, cfg, clock = site
    sync(cfg, clock)
    sync(cfg, clock, date(2026, 11, 5))
    clock.now = datetime(2026, 11, 5, 9, tzinfo=UTC)
    check_in(sim, clock, STALE_KR, "High", "on track, waiting for the store review")
    checked = sync(cfg, clock)
    assert field(sim, STALE_KR, "OKR Status") != "Off track"  # High lowers nothing

    later = sync(cfg, clock, date(2026, 11, 13))  # without the check-in: stale since 2026-10-28
    assert not any(c.identity.startswith("stale:") for c in later.plan.comments if c.issue_key == STALE_KR)
    assert not any(t.startswith("Check-in reminder") for t in texts(sim, STALE_KR))

    due = sync(cfg, clock, date(2026, 11, 19))  # 14 days after the check-in
    stale = [
        c.identity for c in due.plan.comments if c.issue_key == STALE_KR and c.identity.startswith("stale:")
    ]
    assert stale == ["stale:2026-11-05"]
    assert any("has not moved for 14 days (since 2026-11-05)" in t for t in texts(sim, STALE_KR))
    assert checked.status == "ok"


def test_a_site_without_the_check_in_fields_syncs_as_before(
    site: tuple[JiraSimulator, Settings, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site set up before the check-in fields existed (here: fields named that it lacks): no
    check-ins, no changelog reads, nothing else changes."""
    sim, _, clock = site
    monkeypatch.setenv("OKRSYNC_WRITEBACK__FIELDS__CONFIDENCE", "Not A Field")
    monkeypatch.setenv("OKRSYNC_WRITEBACK__FIELDS__CHECKIN", "Not A Field Either")
    cfg = load_config(DEMO_CONFIG)
    sync(cfg, clock)
    check_in(sim, clock, KR, "Low", "vendor is late")
    sim.reset_counters()
    report = sync(cfg, clock)
    assert changelog_reads(sim) == 0
    assert writes(report) == 0
    assert field(sim, KR, "OKR Status") == "On track"


def test_backfill_rebuilds_the_check_in_history_from_the_changelogs(
    site: tuple[JiraSimulator, Settings, Clock],
) -> None:
    """Check-ins made while no okrsync ran (or with a lost state database): the backfill reads them
    from the changelogs, each with its day and author; the same person's edits of one day are one."""
    sim, cfg, clock = site
    clock.now = datetime(2026, 10, 20, 9, tzinfo=UTC)
    sim.set_fields(KR, {"OKR Confidence": {"value": "High"}}, by=OWNER)
    clock.now = datetime(2026, 10, 20, 9, 1, tzinfo=UTC)
    sim.set_fields(KR, {"OKR Check-in": "on plan"}, by=OWNER)
    clock.now = datetime(2026, 10, 27, 9, tzinfo=UTC)
    sim.set_fields(
        KR, {"OKR Confidence": {"value": "Low"}, "OKR Check-in": "vendor late"}, by="alice.chen@example.com"
    )
    clock.now = datetime(2026, 10, 31, 12, tzinfo=UTC)
    with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        report = run_backfill(cfg, store=store, gateway=gateway, now=clock.now, clock=clock)
        history = stored_checkins(store)
    assert report.status == "ok", report.as_dict()
    assert report.checkins == 2
    assert [(c.day, c.confidence, c.note, c.author) for c in history[KR]] == [
        (date(2026, 10, 20), Confidence.HIGH, "on plan", "Farid Haddad"),
        (date(2026, 10, 27), Confidence.LOW, "vendor late", "Alice Chen"),
    ]
    # the backfill's own sync cycle announces the latest check-in, and the next cycle writes nothing
    (said,) = texts(sim, KR)
    assert "Owner's check-in by Alice Chen on 2026-10-27: confidence Low — “vendor late”." in said
    assert writes(sync(cfg, clock)) == 0


def test_the_coach_reads_the_rhythm_from_the_recorded_check_ins(
    site: tuple[JiraSimulator, Settings, Clock],
) -> None:
    """Issue 16, Build 4: ``okrsync check`` with the state store: Low twice in a row, and, once the
    company checks in, every KR without a check-in for ``policy.checkin_days``."""
    sim, cfg, clock = site
    sync(cfg, clock)
    check_in(sim, clock, KR, "Low", "vendor late")
    sync(cfg, clock)
    clock.now = datetime(2026, 11, 3, 9, tzinfo=UTC)
    check_in(sim, clock, KR, "Low", "still late")
    sync(cfg, clock)
    with JiraGateway(cfg.jira) as gateway:
        report = run_check(
            cfg, gateway, as_of=date(2026, 11, 8), checkins=checkins_from_store(cfg.sync.state_url)
        )
    by_kr = {(f.code, f.subject): f for f in report.findings}
    assert by_kr[("low_confidence", KR)].message == (
        f"{KR}: its owner said Low at the last two check-ins (2026-10-31 and 2026-11-03)."
    )
    assert by_kr[("low_confidence", KR)].owner == "Farid Haddad"
    assert ("no_checkin", KR) not in by_kr  # 5 days ago
    assert (
        by_kr[("no_checkin", STALE_KR)].message
        == "MOB-3 has had no check-in since the period began (38 days)."
    )
