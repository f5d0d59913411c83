"""Issue 17, Build 1: the weekly digest arrives at a Slack-style webhook (Mattermost's incoming
webhook, ``mmost://``, at a local HTTP receiver) and a local SMTP server, with the right content,
once per slot: across a daemon restart, with a failing channel retried on the next tick without
holding up the other, and (PostgreSQL) with two replicas.

The demo company's pinned 2026-Q4 over the simulator: a sync on Monday 2026-11-16, Carla Diaz's
MOB-4 finished during the week (its last three action plans Done on 2026-11-20, after the demo
data's last change to them), the digest slot Monday 2026-11-23 09:00 Europe/Berlin (08:00 UTC),
the daemon's cycle at 08:30 UTC.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from daemonkit import pg_schema
from digestkit import Mailbox, WebhookReceiver, parts, smtp_server, webhook_receiver
from prometheus_client import generate_latest
from simkit import SimFactory

from okrsync.core.digest_render import Message
from okrsync.daemon.digest_job import run_digest
from okrsync.daemon.service import Daemon
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, load_config
from okrsync.domain.config_digest import Channel
from okrsync.jira.gateway import JiraGateway
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore
from okrsync.sync.digest import send_digest
from okrsync.sync.engine import run_sync

SLOT = "2026-11-23T08:00:00+00:00"
FINISHED = ("MOB-41", "MOB-42", "MOB-43")  # MOB-4's open action plans


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 16, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def configure(monkeypatch: pytest.MonkeyPatch, sim: JiraSimulator, state_url: str, urls: str) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", sim.url)
    monkeypatch.setenv("OKRSYNC_JIRA__PAT", "demo-pat")
    monkeypatch.setenv("OKRSYNC_JIRA__REQUESTS_PER_SECOND", "1000")
    monkeypatch.setenv("OKRSYNC_SYNC__STATE_URL", state_url)
    monkeypatch.setenv("OKRSYNC_DIGEST__CRON", "0 9 * * MON")
    monkeypatch.setenv("OKRSYNC_DIGEST__TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("OKRSYNC_DIGEST__RETRY_SECONDS", "0.01")
    monkeypatch.setenv("OKRSYNC_DIGEST__URLS", urls)
    return load_config(DEMO_CONFIG)


def first_week(cfg: Settings, sim: JiraSimulator, clock: Clock) -> None:
    """The sync of Monday 2026-11-16, then MOB-4's last action plans are done during the week."""
    with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        assert run_sync(cfg, store=store, gateway=gateway, now=clock.now).status == "ok"
    clock.now = datetime(2026, 11, 20, 15, tzinfo=UTC)
    for key in FINISHED:
        sim.transition(key, "Done", resolution="Done")
    clock.now = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


def daemon_cycle(cfg: Settings, clock: Clock, state_url: str | None = None) -> Daemon:
    """One daemon process's life: start, one scheduled cycle, stop."""
    with StateStore.open(state_url or cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
        daemon = Daemon(cfg, store=store, gateway=gateway, clock=clock, interval_seconds=3600)
        try:
            daemon.leadership.claim_at_start()
            report = daemon.run_cycle(reason="digest")
            assert report is not None and report.status == "ok"
        finally:
            daemon.shutdown()
    return daemon


@pytest.fixture
def site(sim_factory: SimFactory) -> tuple[JiraSimulator, Clock]:
    clock = Clock()
    return sim_factory("cloud", okr_fields=True, clock=clock), clock


@pytest.fixture
def endpoints() -> Iterator[tuple[WebhookReceiver, Mailbox]]:
    with webhook_receiver() as hook, smtp_server() as mail:
        yield hook, mail


def test_the_digest_arrives_at_the_webhook_and_by_email_once_across_a_restart(
    site: tuple[JiraSimulator, Clock],
    endpoints: tuple[WebhookReceiver, Mailbox],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, clock = site
    hook, mail = endpoints
    cfg = configure(monkeypatch, sim, f"sqlite:///{tmp_path / 'state.db'}", f"{hook.url()} {mail.url()}")
    first_week(cfg, sim, clock)

    first = daemon_cycle(cfg, clock)
    assert first.digests.last_run is not None and first.digests.last_run.slot == SLOT
    assert [d.status for d in first.digests.last_run.outcome.deliveries] == ["sent", "sent"]
    assert len(hook.posts) == 1 and len(mail.mails) == 1

    chat = hook.posts[0]
    assert chat["path"] == "/hooks/okr-digest"
    text = chat["text"]
    assert "OKR digest: 2026-Q4, week to 2026-11-23" in text
    # every objective with progress and health
    for objective in (
        "CO-1 Delight customers",
        "PLAT-O Run a platform",
        "MOB-O A mobile app",
        "DATA-O Trusted",
    ):
        assert objective in text
    # what moved since the last digest (the sync a week before), the celebration, with links into Jira
    browse = f"{sim.url}/browse/MOB-4"
    assert (
        f"- [MOB-4 Launch the in-app onboarding checklist]({browse}): 62 % → 100 % (+38 pts) · Carla Diaz"
        in text
    )
    achieved = text.split("**Achieved 🎉**")[1].split("**Needs attention**")[0]
    assert f"[MOB-4 Launch the in-app onboarding checklist]({browse}): reached 100 % · Carla Diaz" in achieved
    # what is at risk, and who owns it
    attention = text.split("**Needs attention**")[1]
    assert (
        f"[MOB-1 Ship offline mode on iOS and Android]({sim.url}/browse/MOB-1): Off track: 17 % of expected 59 %"
        in attention
    )
    assert "owner Carla Diaz" in attention and "owner Hugo Laurent" in attention
    assert "MOB-4" not in attention
    # the alignment coverage the first sync counted (issue 17, Build 3)
    assert "**Alignment**\n- Alignment coverage 2026-Q4: " in text

    email = mail.mails[0]
    assert email["Subject"] == "OKR digest: 2026-Q4, week to 2026-11-23"
    assert email["To"] == "okr-team@example.com"
    body = parts(email)
    assert f'<a href="{browse}"><b>MOB-4</b> Launch the in-app onboarding checklist</a>' in body["html"]
    assert "<h2>Achieved 🎉</h2>" in body["html"]
    assert "MOB-4 Launch the in-app onboarding checklist" in body["plain"] and "Carla Diaz" in body["plain"]

    # a restarted daemon on the same store: the slot's digest is sent, nothing goes out again
    clock.now = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
    second = daemon_cycle(cfg, clock)
    assert second.digests.last_run is not None
    assert [d.status for d in second.digests.last_run.outcome.deliveries] == ["already_sent"] * 2
    assert len(hook.posts) == 1 and len(mail.mails) == 1

    # the next Monday's slot goes out, and counts movement from the last digest
    clock.now = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)
    daemon_cycle(cfg, clock)
    assert len(hook.posts) == 2 and len(mail.mails) == 2
    week2 = hook.posts[1]["text"]
    assert "week to 2026-11-30" in week2 and "Moved since 2026-11-23" in week2
    assert "(+38 pts)" not in week2


def test_a_failing_channel_is_retried_on_the_next_tick_and_never_blocks_the_other(
    site: tuple[JiraSimulator, Clock],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, clock = site
    # the webhook refuses its first 4 posts: 3 attempts of the first tick fail, the next tick's 2nd lands
    with webhook_receiver(fail_first=4) as hook, smtp_server() as mail:
        cfg = configure(monkeypatch, sim, f"sqlite:///{tmp_path / 'state.db'}", f"{hook.url()},{mail.url()}")
        first_week(cfg, sim, clock)
        with StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
            daemon = Daemon(cfg, store=store, gateway=gateway, clock=clock, interval_seconds=3600)
            try:
                daemon.leadership.claim_at_start()
                daemon.run_cycle(reason="digest")
                run = daemon.digests.last_run
                assert run is not None
                failed, sent = run.outcome.deliveries
                assert (failed.status, failed.attempts, sent.status) == ("failed", 3, "sent")
                assert "mmost" in (failed.error or "") and hook.url() not in (failed.error or "")
                assert hook.posts == [] and len(mail.mails) == 1
                metrics = generate_latest(daemon.metrics.registry).decode()
                assert (
                    'okrsync_digest_deliveries_total{channel="digest.urls#1 (mmost)",status="failed"} 1.0'
                    in metrics
                )

                clock.now += timedelta(minutes=15)
                daemon.run_cycle(reason="schedule")  # the next tick
                run = daemon.digests.last_run
                assert [(d.status, d.attempts) for d in run.outcome.deliveries] == [
                    ("sent", 2),
                    ("already_sent", 0),
                ]
                assert len(hook.posts) == 1 and len(mail.mails) == 1
                assert "MOB-4" in hook.posts[0]["text"]
            finally:
                daemon.shutdown()


# ---------------------------------------------------------------------------------- replicas


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema("okrsync_digest") as url:
        yield url


@pytest.mark.postgres
def test_two_replicas_send_each_slot_once(
    site: tuple[JiraSimulator, Clock],
    endpoints: tuple[WebhookReceiver, Mailbox],
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, clock = site
    hook, mail = endpoints
    cfg = configure(monkeypatch, sim, pg_url, f"{hook.url()} {mail.url()}")
    first_week(cfg, sim, clock)
    with (
        StateStore.open(pg_url) as store_a,
        StateStore.open(pg_url) as store_b,
        JiraGateway(cfg.jira) as gateway_a,
        JiraGateway(cfg.jira) as gateway_b,
    ):
        a = Daemon(cfg, store=store_a, gateway=gateway_a, clock=clock, interval_seconds=3600)
        b = Daemon(cfg, store=store_b, gateway=gateway_b, clock=clock, interval_seconds=3600)
        try:
            results: dict[str, Any] = {}
            threads = [
                threading.Thread(target=lambda n=n, d=d: results.__setitem__(n, d.run_cycle(reason="digest")))
                for n, d in (("a", a), ("b", b))
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            leaders = [d for d in (a, b) if d.is_leader]
            assert len(leaders) == 1 and sum(r is not None for r in results.values()) == 1
            assert len(hook.posts) == 1 and len(mail.mails) == 1

            # the leader dies; the follower takes over within the slot and sends nothing again
            leader, follower = (a, b) if a.is_leader else (b, a)
            leader.shutdown()
            clock.now += timedelta(minutes=5)
            assert follower.run_cycle(reason="takeover") is not None and follower.is_leader
            assert follower.digests.last_run is not None
            assert {d.status for d in follower.digests.last_run.outcome.deliveries} == {"already_sent"}
            assert len(hook.posts) == 1 and len(mail.mails) == 1
        finally:
            a.shutdown()
            b.shutdown()


@pytest.mark.postgres
def test_two_processes_racing_for_one_slot_send_it_once(
    site: tuple[JiraSimulator, Clock], pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without leadership (okrsync digest beside a daemon): the claim in the store decides."""
    sim, clock = site
    cfg = configure(monkeypatch, sim, pg_url, "json://127.0.0.1:9/a json://127.0.0.1:9/b")
    first_week(cfg, sim, clock)
    sent: list[tuple[str, str]] = []
    lock = threading.Lock()

    def slow_send(channel: Channel, message: Message) -> None:
        time.sleep(0.05)
        with lock:
            sent.append((channel.label, message.audience))

    with StateStore.open(pg_url) as store_a, StateStore.open(pg_url) as store_b:
        with JiraGateway(cfg.jira) as gateway:
            run_sync(cfg, store=store_a, gateway=gateway, now=clock.now)
        barrier = threading.Barrier(2)

        def race(store: StateStore) -> None:
            barrier.wait()
            run_digest(cfg, store, slot=SLOT, clock=clock, send=slow_send)

        threads = [threading.Thread(target=race, args=(s,)) for s in (store_a, store_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(sent) == [("digest.urls#1 (json)", "company"), ("digest.urls#2 (json)", "company")]
        again = send_digest(cfg.digest, store_b, [], [], slot=SLOT, now=clock, send=slow_send)
        assert again.deliveries == []
