"""Leadership: which process is the single writer of a state store.

On PostgreSQL a session-level advisory lock held on a dedicated connection, so of several replicas
exactly one runs the sync; on SQLite an exclusive ``flock`` on ``<db file>.lock``, so a second
daemon on the same file refuses to start; an in-memory database has no other process to fear.
Released by :meth:`Leadership.release` or the death of the process (the OS drops the file lock,
the server drops the session's advisory locks).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from okrsync.state import schema as s
from okrsync.state.engine import Dialect, driver_message
from okrsync.state.errors import StateStoreError

DEFAULT_LEADER: Final = "okrsync"


class FileLock:
    """An exclusive, non-blocking OS lock on a file, held while this object holds the descriptor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateStoreError(
                f"Cannot create the lock file {self.path} of the state store ({exc.strerror or exc}). "
                "Let this user write to its directory, or change sync.state_url."
            ) from None
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"pid={os.getpid()} host={socket.gethostname()}\n".encode())
            os.lseek(fd, 0, os.SEEK_SET)
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                with contextlib.suppress(OSError):
                    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def holder(self) -> str | None:
        try:
            content = self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return content or None


class Leadership:
    """The single-writer lock of one state store (see the module docstring).

    ``lock_scope`` tells stores apart on one PostgreSQL server (``database.schema``).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        dialect: Dialect,
        lock_scope: str,
        sqlite_path: Path | None,
        url_for_display: str,
    ) -> None:
        self._engine = engine
        self._dialect = dialect
        self._lock_scope = lock_scope
        self._sqlite_path = sqlite_path
        self._display = url_for_display
        self._mutex = threading.Lock()
        self._name: str | None = None
        self._conn: Connection | None = None
        self._key: int | None = None
        self._file_lock = FileLock(Path(f"{sqlite_path}.lock")) if sqlite_path is not None else None

    def try_acquire(self, name: str = DEFAULT_LEADER) -> bool:
        """Become the single writer for ``name``; False if another process (or store) is it.

        Idempotent while held. A store holds at most one leadership name at a time.
        """
        with self._mutex:
            if self._name is not None:
                if self._name != name:
                    raise ValueError(f"this store already leads {self._name!r}")
                return True
            if self._dialect == "postgresql":
                acquired = self._acquire_pg(name)
            elif self._file_lock is not None:
                acquired = self._file_lock.try_acquire()
            else:
                acquired = True  # in-memory: nobody else can see this database
            if acquired:
                self._name = name
            return acquired

    def _acquire_pg(self, name: str) -> bool:
        key = s._lock_key(f"okrsync-leader:{self._lock_scope}:{name}")
        try:
            # AUTOCOMMIT: the lock is session-level; no transaction stays open for hours.
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except OperationalError as exc:
            raise StateStoreError(
                f"The state store {self._display} is unreachable: {driver_message(exc)}"
            ) from exc
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        except DBAPIError:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn, self._key = conn, key
        return True

    def holds(self) -> bool:
        """Whether this store still holds leadership (on PostgreSQL: its lock connection is alive)."""
        with self._mutex:
            if self._name is None:
                return False
            if self._conn is None:
                return True
            try:
                self._conn.execute(text("SELECT 1"))
            except DBAPIError:
                self._drop_conn(unlock=False)
                self._name = None
                return False
            return True

    def holder(self) -> str | None:
        """For messages: who holds the SQLite leader lock ("pid=... host=..."), if known."""
        return self._file_lock.holder() if self._file_lock is not None else None

    def require(self, name: str = DEFAULT_LEADER) -> None:
        """Acquire leadership or raise a :class:`StateStoreError` that says who holds it and what to do.

        For a process that must not run beside another (a second daemon on one SQLite file).
        PostgreSQL replicas should rather poll :meth:`try_acquire` and stand by.
        """
        if self.try_acquire(name):
            return
        holder = self.holder()
        who = f" ({holder})" if holder else ""
        if self._dialect == "sqlite":
            raise StateStoreError(
                f"Another okrsync process{who} is already running on the state store "
                f"{self._display} (lock file {self._sqlite_path}.lock). Stop it first; to run "
                "several replicas, use PostgreSQL: set sync.state_url (env OKRSYNC_SYNC__STATE_URL) "
                "to postgresql+psycopg://user:password@host:5432/dbname."
            )
        raise StateStoreError(
            f"Another okrsync replica is the leader ({name!r}) on the state store {self._display}. "
            "Stop it first, or let this one stand by until it stops."
        )

    def _drop_conn(self, *, unlock: bool) -> None:
        conn, key = self._conn, self._key
        self._conn = self._key = None
        if conn is None:
            return
        try:
            if unlock:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        except DBAPIError:
            conn.invalidate()  # the session (and with it the lock) is gone anyway
        finally:
            conn.close()

    def release(self) -> None:
        with self._mutex:
            if self._name is None:
                return
            self._name = None
            if self._conn is not None:
                self._drop_conn(unlock=True)
            if self._file_lock is not None:
                self._file_lock.release()
