"""The daemon keeps time only with its injected clock: cycles, schedule run dates, readiness probes,
metrics, the status page and webhook dedupe all follow it, whatever day the process clock shows."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from daemonkit import DEMO, SECRET
from pydantic import SecretStr
from starlette.testclient import TestClient

from okrsync.daemon import service as daemon_module
from okrsync.daemon.http import create_app
from okrsync.daemon.readiness import JIRA_PROBE_SECONDS
from okrsync.daemon.service import Daemon
from okrsync.daemon.webhook_checks import sign
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport

# Years away from any day these tests run on (the suite also runs with the process clock moved).
FAR = datetime(2033, 3, 14, 9, 26, 53, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def cfg(monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in [k for k in os.environ if k.upper().startswith("OKRSYNC_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("OKRSYNC_JIRA__URL", "http://127.0.0.1:9")  # never reached here
    return load_config(DEMO)


@pytest.fixture
def clock() -> Clock:
    return Clock(FAR)


@pytest.fixture
def daemon(cfg: Settings, tmp_path: Path, clock: Clock) -> Iterator[Daemon]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        d = Daemon(cfg, store=store, gateway=gateway, interval_seconds=60, clock=clock)
        d.identity = daemon_module.Identity("me")  # no Jira here
        yield d
        d.shutdown()


def ok_run_sync(cfg: Settings, **kw: Any) -> SyncReport:
    return SyncReport(run_id=1, mode="incremental", status="ok", health={"on_track": 2})


def test_the_first_cycle_and_a_retry_are_scheduled_on_the_daemons_clock(daemon: Daemon) -> None:
    assert daemon.started_at == FAR
    daemon.start()  # the first cycle "now": in 2033, so this scheduler never fires it here
    job = daemon.scheduler.get_job("sync")
    assert job is not None and job.next_run_time == FAR
    daemon._failed("schedule")
    retry = daemon.scheduler.get_job("retry")
    assert retry is not None
    assert retry.next_run_time == FAR + timedelta(seconds=daemon.cfg.daemon.retry_seconds)
    leader = daemon.store.get_meta(daemon_module.LEADER_META)
    assert isinstance(leader, dict) and leader["since"] == FAR.isoformat()


def test_a_cycle_runs_at_the_daemons_now_and_metrics_use_it(
    daemon: Daemon, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[datetime] = []

    def run_sync(cfg: Settings, **kw: Any) -> SyncReport:
        seen.append(kw["now"])
        assert kw["clock"]() == clock.now
        return ok_run_sync(cfg, **kw)

    monkeypatch.setattr(daemon_module, "run_sync", run_sync)
    clock.advance(90)
    assert daemon.run_cycle() is not None
    assert seen == [FAR + timedelta(seconds=90)]
    assert daemon.last_success_at == FAR + timedelta(seconds=90)
    metrics = daemon.metrics.render().decode()
    stamp = (FAR + timedelta(seconds=90)).timestamp()
    assert f"okrsync_last_success_timestamp_seconds {stamp:.9e}" in metrics


def test_the_jira_probe_cache_follows_the_daemons_clock(
    daemon: Daemon, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[datetime] = []

    class Probe:
        def __enter__(self) -> Probe:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def myself(self) -> dict[str, Any]:
            probes.append(clock.now)
            return {"accountId": "me"}

    monkeypatch.setattr(daemon.jira_probe, "gateway_factory", Probe)
    assert daemon.jira_reachable() and daemon.jira_reachable()
    assert len(probes) == 1  # cached
    clock.advance(JIRA_PROBE_SECONDS + 1)
    assert daemon.jira_reachable()
    assert probes == [FAR, FAR + timedelta(seconds=JIRA_PROBE_SECONDS + 1)]


def test_readiness_and_the_status_page_use_the_daemons_clock(
    daemon: Daemon, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daemon, "jira_reachable", lambda: True)
    run_id = daemon.store.start_run("incremental", FAR - timedelta(seconds=20))
    daemon.store.finish_run(
        run_id,
        ended_at=FAR,
        status="ok",
        requests=3,
        writes=0,
        comments=0,
        errors=0,
        warnings=0,
        summary={},
    )
    clock.advance(30)
    with TestClient(create_app(daemon)) as client:
        ready = client.get("/readyz").json()
        page = client.get("/").text
    assert ready["ready"] is True
    assert ready["checks"]["last_sync"]["age_seconds"] == 30.0  # measured on the daemon's clock
    assert "page rendered 2033-03-14 09:27:23 UTC" in page
    clock.advance(daemon.max_sync_age.total_seconds())
    with TestClient(create_app(daemon)) as client:
        assert client.get("/readyz").status_code == 503  # late, on the daemon's clock


def test_webhook_redeliveries_are_remembered_on_the_daemons_clock(daemon: Daemon, clock: Clock) -> None:
    seen = daemon.receiver.seen
    assert seen.check_and_add("delivery-1") is False
    clock.advance(daemon.cfg.webhook.dedupe_minutes * 60 - 1)
    assert seen.check_and_add("delivery-1") is True  # a redelivery within the window
    clock.advance(2)
    assert seen.check_and_add("delivery-1") is False  # the window has passed


def test_webhook_event_age_is_judged_on_the_daemons_clock(
    cfg: Settings, tmp_path: Path, clock: Clock
) -> None:
    """An event's timestamp is compared with the daemon's clock; a body is remembered as long as
    its timestamp lets it in (here webhook.dedupe_minutes 5 < webhook.max_age_minutes 30)."""
    cfg = cfg.model_copy(
        update={
            "webhook": cfg.webhook.model_copy(
                update={"secret": SecretStr(SECRET), "dedupe_minutes": 5, "max_age_minutes": 30}
            )
        }
    )
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        d = Daemon(cfg, store=store, gateway=gateway, interval_seconds=60, clock=clock)
        try:
            receiver = d.receiver
            event = {"webhookEvent": "jira:issue_updated", "issue": {"key": "DATA-9", "fields": {}}}
            body = json.dumps({**event, "timestamp": int(FAR.timestamp() * 1000)}).encode()
            assert receiver.seen.ttl == 30 * 60
            signed = {"x-hub-signature": sign(SECRET, body)}
            assert receiver.receive(signed, body).outcome == "ignored"  # no KR: but a delivery seen
            clock.advance(29 * 60)  # past the dedupe minutes, within the age: still a duplicate
            assert receiver.receive(signed, body).outcome == "duplicate"
            clock.advance(2 * 60)
            out = receiver.receive(signed, body)
            assert (out.status, out.outcome) == (400, "too_old")
            assert "31 min old" in out.message
        finally:
            d.shutdown()
