"""The daemon's pieces without a process: backoff, schedule, one cycle at a time, leadership, stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from daemonkit import DEMO

from okrsync import daemon as daemon_module
from okrsync.config import ConfigError, Settings, load_config
from okrsync.daemon import Daemon, backoff_delay, cron_trigger, sync_trigger
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(0, 0.0), (1, 30.0), (2, 60.0), (3, 120.0), (5, 480.0), (6, 900.0), (60, 900.0)],
)
def test_backoff_doubles_up_to_one_interval(failures: int, expected: float) -> None:
    assert backoff_delay(failures, first=30, cap=900) == expected


@pytest.fixture
def cfg(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", "http://127.0.0.1:9")  # nothing listens: fails at once
    monkeypatch.setenv("OKRSYNC_JIRA__MAX_RETRIES", "0")
    return load_config(DEMO)


@pytest.mark.parametrize(
    ("sync", "seconds", "kind", "text"),
    [
        ({"interval_minutes": 15}, None, IntervalTrigger, "interval[0:15:00]"),
        ({"cron": "*/10 7-19 * * 1-5"}, None, CronTrigger, "day_of_week='mon,tue,wed,thu,fri', hour='7-19'"),
        ({"cron": "*/10 7-19 * * 1-5"}, 2.0, IntervalTrigger, "interval[0:00:02]"),  # tests only
    ],
)
def test_sync_trigger(
    cfg: Settings, sync: dict[str, Any], seconds: float | None, kind: type, text: str
) -> None:
    trigger = sync_trigger(cfg.model_copy(update={"sync": cfg.sync.model_copy(update=sync)}), seconds)
    assert isinstance(trigger, kind)
    assert text in str(trigger)


SAT = datetime(2026, 11, 28, 12, 0)  # a Saturday


@pytest.mark.parametrize(
    ("cron", "days"),
    [
        ("0 9 * * 1-5", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),  # cron's Monday is 1
        ("0 9 * * 0", ["Sunday"]),
        ("0 9 * * 7", ["Sunday"]),
        ("0 9 * * mon,wed", ["Monday", "Wednesday"]),
        ("0 9 * * */3", ["Sunday", "Wednesday", "Saturday"]),
        ("0 9 * * 5-6", ["Friday", "Saturday"]),
    ],
)
def test_cron_weekdays_mean_what_they_mean_in_cron(cron: str, days: list[str]) -> None:
    trigger = cron_trigger(cron)
    tz = trigger.timezone
    at, seen = SAT.replace(tzinfo=tz), []
    for _ in range(7):
        at = trigger.get_next_fire_time(None, at + timedelta(minutes=1))
        assert at.hour == 9 and at.minute == 0
        seen.append(at.strftime("%A"))
    assert set(seen) == set(days)


def test_a_bad_cron_is_a_config_error(cfg: Settings) -> None:
    bad = cfg.model_copy(update={"sync": cfg.sync.model_copy(update={"cron": "every monday"})})
    with pytest.raises(ConfigError, match=r"sync\.cron: 'every monday' is not a cron expression"):
        sync_trigger(bad)


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
