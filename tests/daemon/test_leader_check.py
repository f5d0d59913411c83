"""The leader check's own tick (``daemon.leader_check_seconds``): a follower takes the lock when it
is free and syncs at once, whatever the sync interval; a leader that lost its lock stands by."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from daemonkit import DEMO, pg_schema, wait_for

from okrsync.daemon import service as daemon_module
from okrsync.daemon.service import Daemon
from okrsync.domain.config import Settings, load_config
from okrsync.jira.gateway import JiraGateway
from okrsync.state.errors import StateStoreError
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport

CHECK = 0.2  # daemon.leader_check_seconds in these tests (the default is 5)


@pytest.fixture
def cfg(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OKRSYNC_JIRA__URL", "http://127.0.0.1:9")  # never reached: run_sync is faked
    monkeypatch.setenv("OKRSYNC_DAEMON__LEADER_CHECK_SECONDS", str(CHECK))
    return load_config(DEMO)


class Cycles:
    """A fake run_sync that records when each cycle ran and for which reason the daemon logged it."""

    def __init__(self) -> None:
        self.at: list[float] = []
        self.reasons: list[str] = []
        self.lock = threading.Lock()

    def run_sync(self, cfg: Settings, **kw: Any) -> SyncReport:
        with self.lock:
            self.at.append(time.monotonic())
            return SyncReport(run_id=len(self.at), mode="incremental", status="ok")

    def log_cycle(self, reason: str, report: SyncReport, affected: frozenset[str]) -> None:
        with self.lock:
            self.reasons.append(reason)


@pytest.fixture
def cycles(monkeypatch: pytest.MonkeyPatch) -> Cycles:
    c = Cycles()
    monkeypatch.setattr(daemon_module, "run_sync", c.run_sync)
    monkeypatch.setattr(daemon_module, "log_cycle", c.log_cycle)
    return c


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema("okrsync_leader") as url:
        yield url


def leader_gauge(d: Daemon) -> str:
    return next(ln for ln in d.metrics.render().decode().splitlines() if ln.startswith("okrsync_leader "))


@pytest.mark.postgres
def test_a_follower_takes_over_on_its_own_tick_and_syncs_at_once(
    cfg: Settings, cycles: Cycles, pg_url: str
) -> None:
    with (
        StateStore.open(pg_url) as other,
        StateStore.open(pg_url) as store,
        JiraGateway(cfg.jira) as gateway,
    ):
        assert other.try_acquire_leader()  # another replica leads
        d = Daemon(cfg, store=store, gateway=gateway, interval_seconds=3600)  # the next tick: in an hour
        d.start()
        try:
            job = d.scheduler.get_job("leader-check")
            assert job is not None and job.trigger.interval.total_seconds() == CHECK
            time.sleep(3 * CHECK)  # three checks as a follower
            assert not d.is_leader and cycles.at == [] and leader_gauge(d) == "okrsync_leader 0.0"
            other.release_leader()  # the leader's session ends
            released = time.monotonic()
            wait_for("the follower's first cycle", lambda: cycles.at, timeout=5)
            took = cycles.at[0] - released
            assert took < CHECK + 1.0, f"the cycle started {took:.2f} s after the lock was free"
            assert cycles.reasons == ["takeover"]
            assert d.is_leader and leader_gauge(d) == "okrsync_leader 1.0"
            assert not other.try_acquire_leader()  # and it holds the lock now
        finally:
            d.shutdown()


@pytest.mark.postgres
def test_a_leader_whose_lock_is_gone_stands_by_at_the_next_check(
    cfg: Settings, cycles: Cycles, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlalchemy as sa

    with (
        StateStore.open(pg_url) as other,
        StateStore.open(pg_url) as store,
        JiraGateway(cfg.jira) as gateway,
    ):
        d = Daemon(cfg, store=store, gateway=gateway, interval_seconds=3600)
        d.scheduler.start(paused=True)  # the test ticks the check itself
        try:
            assert d.check_leadership() and d.is_leader
            # the server ends the lock's session (a failover, an idle-session killer)
            lock_conn = store._leadership._conn
            assert lock_conn is not None
            pid = lock_conn.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
            with other._engine.connect() as conn:
                conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            # pg_terminate_backend only signals the backend: the lock is free once it has exited
            deadline = time.monotonic() + 10
            while not other.try_acquire_leader():  # another replica takes the free lock first
                assert time.monotonic() < deadline, "the terminated session kept its lock"
                time.sleep(0.05)
            caplog.set_level(logging.INFO, logger="okrsync.daemon.service")
            assert d.check_leadership() is False
            assert not d.is_leader and leader_gauge(d) == "okrsync_leader 0.0"
            assert [r.__dict__["event"] for r in caplog.records] == ["leader_lost"]
            other.release_leader()
            assert d.check_leadership() is True  # free again: this one leads, and syncs at once
            takeover = d.scheduler.get_job("takeover")
            assert takeover is not None and takeover.kwargs == {"reason": "takeover"}
        finally:
            d.shutdown()


@pytest.fixture
def sqlite_daemon(cfg: Settings, tmp_path: Path) -> Iterator[Daemon]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store, JiraGateway(cfg.jira) as gateway:
        d = Daemon(cfg, store=store, gateway=gateway, interval_seconds=60)
        yield d
        d.shutdown()


def test_sqlite_has_no_leader_check(sqlite_daemon: Daemon, cycles: Cycles) -> None:
    """One daemon a SQLite file: it took the file lock at start, or it did not start."""
    sqlite_daemon.start()
    assert sqlite_daemon.scheduler.get_job("leader-check") is None
    assert sqlite_daemon.scheduler.get_job("sync") is not None


def test_the_check_leaves_leadership_to_a_cycle_under_way(
    sqlite_daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int] = []
    leadership = sqlite_daemon.leadership

    def ensure() -> bool:
        asked.append(1)
        leadership.is_leader = True
        return True

    monkeypatch.setattr(leadership, "ensure", ensure)
    sqlite_daemon.scheduler.start(paused=True)
    with sqlite_daemon._cycle_lock:  # a cycle runs (it checks leadership itself)
        assert sqlite_daemon.check_leadership() is False  # not the leader yet, and not asked
    assert asked == [] and sqlite_daemon.scheduler.get_job("takeover") is None
    assert sqlite_daemon.check_leadership() is True and asked == [1]
    assert sqlite_daemon.scheduler.get_job("takeover") is not None  # it just took over: a cycle now
    sqlite_daemon.scheduler.remove_job("takeover")
    assert sqlite_daemon.check_leadership() is True and asked == [1, 1]
    assert sqlite_daemon.scheduler.get_job("takeover") is None  # it led already: no extra cycle


def test_an_unreachable_database_is_one_warning_not_one_per_tick(
    sqlite_daemon: Daemon, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    down = [True]

    def ensure() -> bool:
        if down[0]:
            raise StateStoreError("The state store postgresql://db/okrsync is unreachable: refused")
        return False

    monkeypatch.setattr(sqlite_daemon.leadership, "ensure", ensure)
    caplog.set_level(logging.INFO, logger="okrsync.daemon.service")
    for _ in range(5):
        assert sqlite_daemon.check_leadership() is False
    warnings = [r for r in caplog.records if r.__dict__.get("event") == "leader_error"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()
    down[0] = False
    assert sqlite_daemon.check_leadership() is False
    down[0] = True
    sqlite_daemon.check_leadership()  # a new outage: warned again
    assert len([r for r in caplog.records if r.__dict__.get("event") == "leader_error"]) == 2
