"""Several replicas on one PostgreSQL: exactly one syncs; kill it and another takes over."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from daemonkit import LIVE, PG_URL, DaemonProcess, env_for, start_daemon, wait_for
from simkit import SimFactory

from okrsync.state.store import StateStore

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
INTERVAL = 1.0
DB_PASSWORD = "pg-Secr3t-6b1f"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema, named in the URL as a real deployment would (search_path option)."""
    schema = f"okrsync_daemon_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc.orig}", pytrace=False)
    try:
        # a password in the URL as in production (trust auth here ignores it): it must never be logged
        url = sa.make_url(PG_URL)
        url = url.set(password=DB_PASSWORD) if url.password is None else url
        yield f"{url.render_as_string(hide_password=False)}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def events(d: DaemonProcess, event: str) -> list[dict[str, object]]:
    out = []
    for line in d.log().splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            if rec.get("event") == event:
                out.append(rec)
    return out


def test_exactly_one_replica_syncs_and_a_follower_takes_over(
    sim_factory: SimFactory, tmp_path: Path, pg_url: str
) -> None:
    sim = sim_factory("cloud", okr_fields=True, demo_start=LIVE.start)
    env = env_for(sim, pg_url)
    args = ("--interval-seconds", str(INTERVAL), "--log-format", "json")
    a = start_daemon(env, tmp_path / "a.log", *args)
    b: DaemonProcess | None = None
    try:
        a.wait_ready()
        wait_for("A's first two cycles", lambda: len(events(a, "cycle")) >= 2, timeout=20)
        b = start_daemon(env, tmp_path / "b.log", *args)
        b.wait_ready()
        time.sleep(3 * INTERVAL)  # B ticks three times as a follower
        assert events(b, "cycle") == [] and events(b, "leader") == []
        assert len(events(a, "leader")) == 1
        with StateStore.open(pg_url) as store:
            run_ids = {r.run_id for r in store.runs(500) if not r.running}
        # A logs a cycle once its run is recorded: wait for the lines of the runs the store has
        wait_for(
            "every run to be A's (its cycle lines)",
            lambda: run_ids <= {c["run_id"] for c in events(a, "cycle")},
            timeout=10,
        )
        assert "okrsync_leader 1.0" in a.get("/metrics").text
        assert "okrsync_leader 0.0" in b.get("/metrics").text
        assert f"leader: pid {a.pid}" in b.get("/").text  # the follower's page names the leader
        assert b.get("/readyz").status_code == 200  # a follower serves; A's syncs are recent

        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        killed = time.monotonic()
        wait_for("B to become the leader", lambda: events(b, "leader"), timeout=10)
        took_over = time.monotonic() - killed
        wait_for("B's first cycle", lambda: events(b, "cycle"), timeout=10)
        assert took_over <= INTERVAL + 1.0, f"takeover took {took_over:.2f} s"
        print(f"takeover after SIGKILL of the leader: {took_over:.2f} s (interval {INTERVAL} s)")
        first = events(b, "cycle")[0]
        assert first["status"] == "ok" and first["pid"] == b.pid
        assert "okrsync_leader 1.0" in b.get("/metrics").text
        assert b.stop() == 0
        for d in (a, b):
            assert DB_PASSWORD not in d.log() and "demo-pat" not in d.log()
        with StateStore.open(pg_url) as store:
            assert not [r for r in store.runs(500) if r.running]
            assert store.try_acquire_leader()  # B released the lock on its way out
    finally:
        for d in (a, b):
            if d is not None and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait(10)


def test_a_follower_takes_over_within_seconds_at_a_60_s_interval(
    sim_factory: SimFactory, tmp_path: Path, pg_url: str
) -> None:
    """The follower tries the lock every daemon.leader_check_seconds (default 5), not at its next
    sync tick a minute away, and syncs as soon as it leads."""
    sim = sim_factory("cloud", okr_fields=True, demo_start=LIVE.start)
    env = env_for(sim, pg_url)  # daemon.leader_check_seconds: the default
    args = ("--interval-seconds", "60", "--log-format", "json")
    a = start_daemon(env, tmp_path / "a.log", *args)
    b: DaemonProcess | None = None
    try:
        a.wait_ready()
        wait_for("A's first cycle", lambda: events(a, "cycle"), timeout=30)
        b = start_daemon(env, tmp_path / "b.log", *args)
        b.wait_ready()  # B tried the lock before it listened: a follower
        assert events(b, "leader") == [] and "okrsync_leader 0.0" in b.get("/metrics").text

        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        killed = time.monotonic()
        wait_for("B to become the leader", lambda: events(b, "leader"), timeout=15)
        took_over = time.monotonic() - killed
        wait_for("B's first cycle", lambda: events(b, "cycle"), timeout=15)
        synced = time.monotonic() - killed
        print(
            f"takeover at a 60 s interval: leader after {took_over:.2f} s, first cycle done after {synced:.2f} s"
        )
        assert took_over < 10, f"takeover took {took_over:.2f} s"
        assert synced < 10, f"the new leader's first cycle ended {synced:.2f} s after the kill"
        (first,) = events(b, "cycle")
        assert (first["reason"], first["status"], first["pid"]) == ("takeover", "ok", b.pid)
        assert "okrsync_leader 1.0" in b.get("/metrics").text
        assert b.stop() == 0
        with StateStore.open(pg_url) as store:
            assert not [r for r in store.runs(500) if r.running]  # A's killed run was marked failed
    finally:
        for d in (a, b):
            if d is not None and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait(10)
