"""The daemon's pieces without a process: one cycle at a time, leadership, webhook cycles, readiness, stop."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from daemonkit import DEMO
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from okrsync.daemon import service as daemon_module
from okrsync.daemon.http import create_app
from okrsync.daemon.schedule import sync_trigger
from okrsync.daemon.service import Daemon
from okrsync.daemon.webhooks import Debouncer
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport


@pytest.fixture
def cfg(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", "http://127.0.0.1:9")  # nothing listens: fails at once
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRIES", "0")
    return load_config(DEMO)


@pytest.fixture
def daemon(cfg: Settings, tmp_path: Path) -> Iterator[Daemon]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        d = Daemon(cfg, store=store, gateway=gateway, interval_seconds=60)
        d.identity = daemon_module.Identity("me")  # no Jira here
        yield d
        d.shutdown()


def test_never_two_cycles_at_once(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    active, overlaps, calls = [0], [0], [0]

    def fake_run_sync(cfg: Settings, **kw: Any) -> SyncReport:
        active[0] += 1
        overlaps[0] = max(overlaps[0], active[0])
        time.sleep(0.05)
        calls[0] += 1
        active[0] -= 1
        return SyncReport(run_id=calls[0], mode="incremental")

    monkeypatch.setattr(daemon_module, "run_sync", fake_run_sync)
    threads = [
        threading.Thread(target=daemon.run_cycle, kwargs={"reason": r})
        for r in ("schedule", "webhook", "retry") * 3
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls[0] == 9 and overlaps[0] == 1
    assert daemon.is_leader


def test_a_stopped_daemon_starts_no_cycle_and_passes_stop_to_the_engine(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []

    def fake_run_sync(cfg: Settings, **kw: Any) -> SyncReport:
        daemon.request_stop()  # SIGTERM arrives mid-cycle
        seen.append(kw["stop"]())
        return SyncReport(run_id=1, mode="incremental", status="partial")

    monkeypatch.setattr(daemon_module, "run_sync", fake_run_sync)
    report = daemon.run_cycle()
    assert report is not None and report.status == "partial"
    assert seen == [True]
    assert daemon.run_cycle() is None  # stopping: nothing new starts


def test_a_cycle_that_raises_is_counted_and_retried(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(cfg: Settings, **kw: Any) -> SyncReport:
        raise RuntimeError("the state store went away")

    monkeypatch.setattr(daemon_module, "run_sync", boom)
    daemon.scheduler.start(paused=True)
    assert daemon.run_cycle() is None
    assert daemon.failures == 1
    retry = daemon.scheduler.get_job("retry")
    assert retry is not None and retry.kwargs == {"reason": "retry"}
    assert 'okrsync_sync_errors_total{kind="cycle"} 1.0' in daemon.metrics.render().decode()


def test_a_second_store_on_the_same_sqlite_file_cannot_lead(daemon: Daemon, tmp_path: Path) -> None:
    daemon.start()
    try:
        with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as other:
            other_daemon = Daemon(daemon.cfg, store=other, gateway=daemon.gateway)
            with pytest.raises(Exception, match="Another okrsync process") as err:
                other_daemon.start()
            assert "PostgreSQL" in str(err.value)
    finally:
        daemon.request_stop()


class ManualTimer:
    """Debounce windows that close when the test says so."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def start(self, delay: float, fn: Callable[[], None]) -> ManualTimer:
        self.pending.append(fn)
        return self

    def cancel(self) -> None:
        self.pending.clear()

    def close_windows(self) -> None:
        fns, self.pending = self.pending, []
        for fn in fns:
            fn()


def test_webhook_windows_during_a_slow_cycle_queue_one_cycle_with_their_union(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    running, release = threading.Event(), threading.Event()
    cycles: list[tuple[str, ...]] = []

    def slow_run_sync(cfg: Settings, **kw: Any) -> SyncReport:
        cycles.append(tuple(kw["refresh_keys"]))
        if len(cycles) == 1:
            running.set()
            assert release.wait(10)  # a cycle far longer than the debounce window
        return SyncReport(run_id=len(cycles), mode="incremental")

    monkeypatch.setattr(daemon_module, "run_sync", slow_run_sync)
    timer = ManualTimer()
    daemon.webhooks.debouncer = Debouncer(0.5, daemon.webhooks.window_closed, timer.start)

    def window(i: int) -> None:
        daemon.webhooks.debouncer.add_refresh([f"ISS-{i}"])
        daemon.webhooks.debouncer.add({f"KR-{i}"})
        timer.close_windows()

    caplog.set_level(logging.INFO, logger="okrsync.daemon.service")
    daemon.scheduler.start()
    window(0)
    assert running.wait(10)
    for i in range(1, 13):  # 12 windows while the first cycle runs
        window(i)
    release.set()
    wait_until(lambda: len(cycles) == 2)
    window(13)  # after the backlog: a cycle of its own
    wait_until(lambda: len(cycles) == 3)
    daemon.scheduler.shutdown(wait=True)

    merged = [r.__dict__["merged"] for r in caplog.records if r.__dict__.get("event") == "webhook_sync"]
    assert merged == [False, False] + [True] * 11 + [False]  # only 3 cycles were ever queued
    assert cycles == [("ISS-0",), tuple(sorted(f"ISS-{i}" for i in range(1, 13))), ("ISS-13",)]
    affected = [r.__dict__["affected_krs"] for r in caplog.records if r.__dict__.get("event") == "cycle"]
    assert affected == [["KR-0"], sorted(f"KR-{i}" for i in range(1, 13)), ["KR-13"]]
    assert {r.__dict__["reason"] for r in caplog.records if r.__dict__.get("event") == "cycle"} == {"webhook"}


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


FRI_EVENING = datetime(2026, 11, 27, 19, 45, 30)  # a Friday; the 19:45 cycle finished
WED_MORNING = datetime(2026, 11, 25, 10, 0, 30)  # a Wednesday; the 10:00 cycle finished


@pytest.mark.parametrize(
    ("cron", "last_success", "now", "ready"),
    [
        ("*/15 7-19 * * 1-5", FRI_EVENING, datetime(2026, 11, 27, 22, 0), True),  # a weekday evening
        ("*/15 7-19 * * 1-5", FRI_EVENING, datetime(2026, 11, 29, 12, 0), True),  # Sunday
        ("*/15 7-19 * * 1-5", FRI_EVENING, datetime(2026, 11, 30, 7, 31), True),  # Monday's 07:00 is due
        ("*/15 7-19 * * 1-5", FRI_EVENING, datetime(2026, 11, 30, 7, 32), False),  # missed (+31 min grace)
        ("*/15 7-19 * * 1-5", WED_MORNING, datetime(2026, 11, 25, 10, 20), True),
        ("*/15 7-19 * * 1-5", WED_MORNING, datetime(2026, 11, 25, 11, 0), False),  # 10:15 missed
        ("0 6 * * *", WED_MORNING, datetime(2026, 11, 26, 5, 0), True),  # daily: a day without one
        ("0 6 * * *", WED_MORNING, datetime(2026, 11, 26, 7, 0), False),
        (None, FRI_EVENING, datetime(2026, 11, 27, 20, 30), True),  # every 15 min: 3 intervals + 60 s
        (None, FRI_EVENING, datetime(2026, 11, 27, 22, 0), False),
    ],
)
def test_readyz_with_a_cron_is_late_only_after_a_missed_fire_time(
    cfg: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cron: str | None,
    last_success: datetime,
    now: datetime,
    ready: bool,
) -> None:
    sync = cfg.sync.model_copy(update={"cron": cron, "interval_minutes": 15})
    cfg = cfg.model_copy(update={"sync": sync})
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        tz = sync_trigger(cfg).timezone if cron else UTC  # cron fires in the local time zone
        clock = [last_success.replace(tzinfo=tz) - timedelta(hours=1)]
        d = Daemon(cfg, store=store, gateway=gateway, clock=lambda: clock[0])
        monkeypatch.setattr(d, "jira_reachable", lambda: True)
        run_id = store.start_run("incremental", last_success.replace(tzinfo=tz) - timedelta(seconds=20))
        store.finish_run(
            run_id,
            ended_at=last_success.replace(tzinfo=tz),
            status="ok",
            requests=3,
            writes=0,
            comments=0,
            errors=0,
            warnings=0,
            summary={},
        )
        clock[0] = now.replace(tzinfo=tz)
        with TestClient(create_app(d)) as client:
            answer = client.get("/readyz")
        assert answer.json()["checks"]["last_sync"]["ok"] is ready, answer.json()
        assert answer.status_code == (200 if ready else 503)
        assert d.backoff_cap == 15 * 60  # a failed cycle is retried within one interval_minutes


def test_a_follower_exports_the_leaders_last_success(daemon: Daemon, tmp_path: Path) -> None:
    ended = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    for status, end in (("ok", ended), ("failed", ended + timedelta(minutes=15))):
        run_id = daemon.store.start_run("incremental", end - timedelta(seconds=20))
        daemon.store.finish_run(
            run_id,
            ended_at=end,
            status=status,
            requests=1,
            writes=0,
            comments=0,
            errors=0,
            warnings=0,
            summary={},
        )
    assert daemon.store.try_acquire_leader()  # this daemon's store leads
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as other:
        follower = Daemon(daemon.cfg, store=other, gateway=daemon.gateway, interval_seconds=60)
        assert follower.run_cycle() is None and not follower.is_leader
        text = follower.metrics.render().decode()
    (gauge,) = (
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "okrsync_last_success_timestamp_seconds"
    )
    assert gauge == ended.timestamp()  # the leader's last success, not the failure after it, not 0
