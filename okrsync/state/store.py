"""The state store: what okrsync remembers between sync cycles (SQLAlchemy Core, no ORM).

A SQLite file by default, PostgreSQL by URL (:mod:`okrsync.state.engine`). Every method runs in its
own short transaction (``engine.begin()``), so one store may be shared by a scheduler thread and a
web thread. The schema is created and upgraded on ``open`` (see :mod:`okrsync.state.schema`). The
store is its repositories (:mod:`okrsync.state.repositories`) on one engine, plus leadership
(:mod:`okrsync.state.leader`): of several processes on one store, one writes.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError, OperationalError

from okrsync.state import schema as s
from okrsync.state.engine import URL_HELP, Dialect, driver_message, may_pass, open_engine, postgres_lock_scope
from okrsync.state.errors import StateStoreError
from okrsync.state.leader import DEFAULT_LEADER, Leadership
from okrsync.state.repositories import AppliedWrites, IssueMirror, MetaValues, ProgressHistory, RunLog

_PING_KEY: Final = "__ping__"


class StateStore(IssueMirror, AppliedWrites, ProgressHistory, RunLog, MetaValues):
    """What okrsync remembers between sync cycles. Open with ``StateStore.open(url)``."""

    def __init__(
        self,
        engine: Engine,
        *,
        url_for_display: str,
        sqlite_path: Path | None,
        in_memory: bool,
        lock_scope: str,
    ) -> None:
        self._engine = engine
        self._write_engine = engine.execution_options(okrsync_write=True)
        self.url_for_display = url_for_display
        self.dialect: Dialect = "sqlite" if engine.dialect.name == "sqlite" else "postgresql"
        self.sqlite_path = sqlite_path
        self.in_memory = in_memory
        # One shared connection (in-memory SQLite): serialize whole transactions across threads.
        self._guard: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if in_memory else contextlib.nullcontext()
        )
        self._leadership = Leadership(
            engine,
            dialect=self.dialect,
            lock_scope=lock_scope,
            sqlite_path=sqlite_path,
            url_for_display=url_for_display,
        )
        self._closed = False

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def open(cls, url: str, *, schema: str | None = None) -> StateStore:
        """Open the store at ``url``, creating or upgrading its schema.

        ``schema`` (PostgreSQL only) puts okrsync's tables in that schema (created if missing), via the
        connection's search_path; a ``?options=-csearch_path%3D...`` in the URL works too.
        """
        opened = open_engine(url, schema=schema)
        engine, display = opened.engine, opened.display
        try:
            lock_scope = str(opened.sqlite_path or ":memory:")
            if opened.dialect == "postgresql":
                with engine.begin() as conn:
                    lock_scope = postgres_lock_scope(conn, schema, display)
            store = cls(
                engine,
                url_for_display=display,
                sqlite_path=opened.sqlite_path,
                in_memory=opened.in_memory,
                lock_scope=lock_scope,
            )
            s.migrate(store._write_engine, where=display)
        except StateStoreError:
            engine.dispose()
            raise
        except DBAPIError as exc:
            engine.dispose()
            raise StateStoreError(
                f"Cannot open the state store {display}: {driver_message(exc)} "
                f"Check that the database server is running and reachable and that the user may "
                f"create tables there. {URL_HELP}",
                transient=opened.dialect == "postgresql" and may_pass(exc),
            ) from exc
        return store

    def close(self) -> None:
        if self._closed:
            return
        self.release_leader()
        self._closed = True
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateStore({self.url_for_display!r})"

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tests and tools; the product talks through the methods)."""
        return self._engine

    @contextlib.contextmanager
    def _tx(self, write: bool = False) -> Iterator[Connection]:
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        engine = self._write_engine if write else self._engine
        try:
            with self._guard, engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StateStoreError(
                f"The state store {self.url_for_display} failed: {driver_message(exc)} Check that "
                "the database is reachable and writable (disk space, permissions, server running)."
            ) from exc

    def schema_version(self) -> int:
        with self._tx() as conn:
            return s.current_version(conn)

    # ------------------------------------------------------------------ leadership

    def try_acquire_leader(self, name: str = DEFAULT_LEADER) -> bool:
        """Become the single writer for ``name``; False if another process (or store) is it.

        Idempotent while held. A store holds at most one leadership name at a time.
        """
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        return self._leadership.try_acquire(name)

    def holds_leader(self) -> bool:
        """Whether this store still holds leadership (on PostgreSQL: its lock connection is alive)."""
        return self._leadership.holds()

    def leader_holder(self) -> str | None:
        """For messages: who holds the SQLite leader lock ("pid=... host=..."), if known."""
        return self._leadership.holder()

    def require_leader(self, name: str = DEFAULT_LEADER) -> None:
        """Acquire leadership or raise a :class:`StateStoreError` that says who holds it and what to do.

        For a process that must not run beside another (a second daemon on one SQLite file).
        PostgreSQL replicas should rather poll :meth:`try_acquire_leader` and stand by.
        """
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        self._leadership.require(name)

    def release_leader(self) -> None:
        self._leadership.release()

    def end_interrupted_runs(self, now: datetime) -> int:
        """Mark runs left ``running`` by a process that died as failed (with the step they reached),
        if no other process leads this store: while held, or taken for the moment, leadership proves
        that no live run can be among them. Returns how many it ended (0 when another leads)."""
        held = self.holds_leader()
        if not held and not self.try_acquire_leader():
            return 0
        try:
            return self.fail_unfinished_runs(now, "interrupted: the process running it stopped")
        finally:
            if not held:
                self.release_leader()

    # ------------------------------------------------------------------ health

    def ping(self) -> bool:
        """The store is reachable and writable: a write in a transaction that is rolled back."""
        if self._closed:
            return False
        try:
            with self._guard, self._write_engine.connect() as conn:
                tx = conn.begin()
                try:
                    self._upsert(conn, s.meta_table, [{"key": _PING_KEY, "value": os.getpid()}], ["key"])
                finally:
                    tx.rollback()
        except DBAPIError:
            return False
        return True

    def stats(self) -> dict[str, int]:
        """Row counts, for status pages and reports."""
        tables = {
            "issues": s.issues_table,
            "applied": s.applied_table,
            "progress": s.progress_table,
            "runs": s.runs_table,
        }
        with self._tx() as conn:
            return {
                name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
                for name, t in tables.items()
            }
