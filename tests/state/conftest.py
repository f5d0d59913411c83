"""Fixtures: every state-store test runs on a SQLite file and on PostgreSQL (own schema per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from statekit import Backend, make_backend

from okrsync.state import StateStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    with make_backend(request.param, tmp_path) as b:
        yield b


@pytest.fixture
def pg_backend(tmp_path: Path) -> Iterator[Backend]:
    """For the few PostgreSQL-only behaviours (mark the test `postgres`)."""
    with make_backend("postgres", tmp_path) as b:
        yield b


@pytest.fixture
def store(backend: Backend) -> StateStore:
    return backend.open()
