"""Helpers for the state-store tests: where a test store lives (SQLite file or PostgreSQL schema)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from okrsync.state import StateStore

PG_URL = os.environ.get("OKRSYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass
class Backend:
    """Where a test's state store lives; `open()` opens another store on the same database."""

    name: str
    url: str
    schema: str | None = None
    opened: list[StateStore] = field(default_factory=list)

    def open(self) -> StateStore:
        store = StateStore.open(self.url, schema=self.schema)
        self.opened.append(store)
        return store

    def engine(self) -> sa.Engine:
        """A plain engine on the same database (and schema), for poking at it behind the store."""
        if self.schema is None:
            return sa.create_engine(self.url)
        return sa.create_engine(self.url, connect_args={"options": f"-csearch_path={self.schema}"})


_pg_checked: list[str] = []


def pg_admin() -> sa.Engine:
    engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 5})
    if not _pg_checked:
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            engine.dispose()
            pytest.fail(
                f"PostgreSQL is not reachable at {PG_URL} ({str(exc.orig).strip().splitlines()[0]}). "
                "The state-store tests need it (CI provides it): start PostgreSQL on 127.0.0.1:5432 with "
                "trust auth and a database 'test', or set OKRSYNC_TEST_PG_URL. "
                "Run only the SQLite cases with: pytest -m 'not postgres'.",
                pytrace=False,
            )
        _pg_checked.append("ok")
    return engine


@contextlib.contextmanager
def make_backend(kind: str, tmp_path: Path) -> Iterator[Backend]:
    """A fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        b = Backend("sqlite", f"sqlite:///{tmp_path / 'state.db'}")
        try:
            yield b
        finally:
            for store in b.opened:
                store.close()
        return
    admin = pg_admin()
    b = Backend("postgres", PG_URL, schema=f"okrsync_test_{uuid.uuid4().hex[:12]}")
    try:
        yield b
    finally:
        for store in b.opened:
            store.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{b.schema}" CASCADE'))
        admin.dispose()
