"""Single writer: one leader per database (SQLite file lock, PostgreSQL advisory lock)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import sqlalchemy as sa
from statekit import Backend, pg_admin

from okrsync.state import StateStore, StateStoreError
from okrsync.state.schema import _lock_key

_SECOND_PROCESS = """
import sys
from okrsync.state import StateStore
url, schema = sys.argv[1], (sys.argv[2] or None)
with StateStore.open(url, schema=schema) as store:
    print("leader" if store.try_acquire_leader() else "refused", store.leader_holder() or "")
"""


def _second_process(backend: Backend) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _SECOND_PROCESS, backend.url, backend.schema or ""],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_second_store_is_refused_until_the_first_releases(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    assert not first.holds_leader()
    assert first.try_acquire_leader()
    assert first.try_acquire_leader()  # idempotent while held
    assert first.holds_leader()
    assert not second.try_acquire_leader()
    assert not second.holds_leader()

    first.release_leader()
    assert not first.holds_leader()
    assert second.try_acquire_leader()
    assert not first.try_acquire_leader()
    first.release_leader()  # releasing what one does not hold is a no-op
    assert not first.try_acquire_leader()

    second.close()  # closing releases
    assert first.try_acquire_leader()


def test_a_second_process_is_refused(backend: Backend) -> None:
    leader = backend.open()
    assert leader.try_acquire_leader()
    answer = _second_process(backend)
    assert answer.startswith("refused")
    if backend.name == "sqlite":
        assert f"pid={os.getpid()}" in answer  # who holds it, for the error message
    leader.release_leader()
    assert _second_process(backend).startswith("leader")


def test_leadership_names_are_independent(backend: Backend) -> None:
    a, b = backend.open(), backend.open()
    assert a.try_acquire_leader("okrsync")
    if backend.name == "postgres":
        assert b.try_acquire_leader("backfill")
    with pytest.raises(ValueError, match="already leads"):
        a.try_acquire_leader("backfill")


def test_closed_store_cannot_lead(backend: Backend) -> None:
    store = backend.open()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.try_acquire_leader()


@pytest.mark.postgres
def test_postgres_leader_whose_session_dies_loses_leadership(pg_backend: Backend) -> None:
    backend = pg_backend
    first, second = backend.open(), backend.open()
    assert first.try_acquire_leader()
    key = _lock_key(f"okrsync-leader:test.{backend.schema}:okrsync")
    admin = pg_admin()
    try:
        with admin.begin() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = :hi AND objid = :lo AND objsubid = 1"
                ),
                {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF},
            ).all()
    finally:
        admin.dispose()
    assert len(killed) == 1
    # The server drops the dead session's lock once the backend has exited (asynchronously).
    deadline = time.monotonic() + 10
    while not second.try_acquire_leader():
        assert time.monotonic() < deadline, "the killed session's advisory lock was never released"
        time.sleep(0.05)
    assert not first.holds_leader()  # and the old leader notices
    assert first.ping()  # the store itself still works (pre-ping replaces dead connections)
    assert not first.try_acquire_leader()


@pytest.mark.postgres
def test_postgres_leadership_is_per_schema(pg_backend: Backend) -> None:
    backend = pg_backend
    other = Backend("postgres", backend.url, schema=f"okrsync_test_{uuid.uuid4().hex[:12]}")
    try:
        assert backend.open().try_acquire_leader()
        assert other.open().try_acquire_leader()
    finally:
        for store in other.opened:
            store.close()
        admin = pg_admin()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{other.schema}" CASCADE'))
        admin.dispose()


def test_require_leader_explains_who_holds_it(backend: Backend) -> None:
    first, second = backend.open(), backend.open()
    first.require_leader()
    with pytest.raises(StateStoreError) as caught:
        second.require_leader()
    message = str(caught.value)
    assert "Another okrsync" in message
    if backend.name == "sqlite":
        assert f"pid={os.getpid()}" in message
        assert "OKRSYNC_SYNC__STATE_URL" in message
    first.close()
    second.require_leader()
    assert second.holds_leader()


@pytest.mark.postgres
def test_postgres_schema_from_url_options(pg_backend: Backend) -> None:
    """search_path given in the URL (no schema=): tables land there, the lock is scoped to it."""
    assert pg_backend.schema is not None
    admin = pg_admin()
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{pg_backend.schema}"'))
    admin.dispose()
    url = f"{pg_backend.url}?options=-csearch_path%3D{pg_backend.schema}"
    store = StateStore.open(url)
    try:
        store.set_meta("where", "here")
        again = pg_backend.open()  # schema= form, same schema
        assert again.get_meta("where") == "here"
        assert store.try_acquire_leader()
        assert not again.try_acquire_leader()
    finally:
        store.close()
