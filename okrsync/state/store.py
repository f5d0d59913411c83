"""The state store: what okrsync remembers between sync cycles (SQLAlchemy Core, no ORM).

A SQLite file by default, PostgreSQL by URL. Every method runs in its own short transaction
(`engine.begin()`), so one store may be shared by a scheduler thread and a web thread. The schema
is created and upgraded on `open` (see `okrsync.state.schema`).

Leadership (`try_acquire_leader`): on PostgreSQL a session-level advisory lock held on a dedicated
connection, so of several replicas exactly one runs the sync; on SQLite an exclusive `flock` on
`<db file>.lock`, so a second daemon on the same file refuses to start. Both are released by
`release_leader`, `close`, or the death of the process (the OS drops the file lock, the server
drops the session's advisory locks).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar

from sqlalchemy import (
    URL,
    ColumnElement,
    Connection,
    Engine,
    Table,
    and_,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from okrsync.state import schema as s
from okrsync.state.errors import StateStoreError
from okrsync.state.models import (
    RUN_STATUSES,
    RUNNING,
    AppliedWrite,
    MirrorIssue,
    ProgressPoint,
    RunRecord,
)

CHUNK: Final = 500
"""Rows per upsert statement and keys per IN (...) list."""

DEFAULT_LEADER: Final = "okrsync"
_FULL_RECONCILE_SCOPE: Final = "__full_reconcile__"
_PING_KEY: Final = "__ping__"
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_URL_HELP: Final = (
    "Set sync.state_url in the config file (or the environment variable OKRSYNC_SYNC__STATE_URL) "
    "to a SQLite file such as sqlite:///okrsync.db (relative) or sqlite:////var/lib/okrsync/okrsync.db "
    "(absolute), or to PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname."
)

T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _mask(raw: str) -> str:
    """Hide a password in a URL that SQLAlchemy could not even parse."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)


POSTGRES_EXTRA_HINT = (
    "The PostgreSQL driver is not installed: install okrsync with its postgres extra "
    "(pip install 'okrsync[postgres]', or pip install -e '.[postgres]' in a checkout)."
)


def _driver_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    message = " ".join(lines[:3]) or type(orig).__name__
    message = message if message.endswith((".", "?", "!")) else f"{message}."
    if isinstance(orig, ImportError) and "psycopg" in message:
        return f"{message} {POSTGRES_EXTRA_HINT}"
    return message


_UNREACHABLE = (
    "connection refused",
    "timeout expired",
    "timed out",
    "failed to resolve host",
    "could not translate host name",
    "no route to host",
    "network is unreachable",
    "connection reset",
    "server closed the connection",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
)


def _may_pass(exc: DBAPIError) -> bool:
    """Whether a failure to connect may pass by itself: the server is not reachable (yet), as
    opposed to a refused login, a missing database or role, or a missing privilege."""
    text = str(getattr(exc, "orig", None) or exc).casefold()
    return isinstance(exc, OperationalError) and any(marker in text for marker in _UNREACHABLE)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got naive {at!r}")
    return at.astimezone(UTC)


class _FileLock:
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


class StateStore:
    """What okrsync remembers between sync cycles. Open with `StateStore.open(url)`."""

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
        self.dialect: Literal["sqlite", "postgresql"] = (
            "sqlite" if engine.dialect.name == "sqlite" else "postgresql"
        )
        self.sqlite_path = sqlite_path
        self.in_memory = in_memory
        self._lock_scope = lock_scope
        # One shared connection (in-memory SQLite): serialize whole transactions across threads.
        self._guard: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if in_memory else contextlib.nullcontext()
        )
        self._leader_mutex = threading.Lock()
        self._leader_name: str | None = None
        self._leader_conn: Connection | None = None
        self._leader_key: int | None = None
        self._file_lock = _FileLock(Path(f"{sqlite_path}.lock")) if sqlite_path is not None else None
        self._closed = False

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def open(cls, url: str, *, schema: str | None = None) -> StateStore:
        """Open the store at `url`, creating or upgrading its schema.

        `schema` (PostgreSQL only) puts okrsync's tables in that schema (created if missing), via the
        connection's search_path; a `?options=-csearch_path%3D...` in the URL works too.
        """
        parsed = _parse_url(url)
        display = parsed.render_as_string(hide_password=True)
        backend = parsed.get_backend_name()
        if schema is not None:
            if backend != "postgresql":
                raise ValueError("schema= is only supported for PostgreSQL state stores")
            if not _SCHEMA_NAME.match(schema):
                raise ValueError(f"invalid PostgreSQL schema name {schema!r}")
        sqlite_path: Path | None = None
        in_memory = False
        try:
            if backend == "sqlite":
                engine, sqlite_path, in_memory = _sqlite_engine(parsed, display)
            else:
                engine = _postgres_engine(parsed, schema)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise StateStoreError(
                f"Cannot use the state store {display}: {_driver_message(exc)} {_URL_HELP}"
            ) from exc
        try:
            lock_scope = str(sqlite_path or ":memory:")
            if backend == "postgresql":
                with engine.begin() as conn:
                    if schema is not None and not _pg_schema_exists(conn, schema):
                        # Only when missing: CREATE SCHEMA needs a privilege a plain user may lack.
                        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                    current = conn.execute(text("SELECT current_database(), current_schema()")).one()
                    if current[1] is None:
                        raise StateStoreError(
                            f"The state store {display} has no schema to create tables in (the "
                            "search_path names no existing schema). Create the schema, or fix the "
                            f"search_path option. {_URL_HELP}"
                        )
                    lock_scope = f"{current[0]}.{current[1]}"
            store = cls(
                engine,
                url_for_display=display,
                sqlite_path=sqlite_path,
                in_memory=in_memory,
                lock_scope=lock_scope,
            )
            s.migrate(store._write_engine, where=display)
        except StateStoreError:
            engine.dispose()
            raise
        except DBAPIError as exc:
            engine.dispose()
            raise StateStoreError(
                f"Cannot open the state store {display}: {_driver_message(exc)} "
                f"Check that the database server is running and reachable and that the user may "
                f"create tables there. {_URL_HELP}",
                transient=backend == "postgresql" and _may_pass(exc),
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
                f"The state store {self.url_for_display} failed: {_driver_message(exc)} Check that "
                "the database is reachable and writable (disk space, permissions, server running)."
            ) from exc

    def schema_version(self) -> int:
        with self._tx() as conn:
            return s.current_version(conn)

    # ------------------------------------------------------------------ upserts

    def _upsert(
        self,
        conn: Connection,
        table: Table,
        rows: Sequence[Mapping[str, Any]],
        keys: Sequence[str],
        where: ColumnElement[bool] | None = None,
    ) -> None:
        if not rows:
            return
        update_cols = [c for c in rows[0] if c not in keys]
        if self.dialect == "sqlite":
            lite = sqlite.insert(table)
            stmt: Any = lite.on_conflict_do_update(
                index_elements=list(keys), set_={c: lite.excluded[c] for c in update_cols}, where=where
            )
        else:
            pg = postgresql.insert(table)
            stmt = pg.on_conflict_do_update(
                index_elements=list(keys), set_={c: pg.excluded[c] for c in update_cols}, where=where
            )
        for chunk in _chunks(rows):
            conn.execute(stmt, list(chunk))

    # ------------------------------------------------------------------ mirror of fetched issues

    def upsert_issues(self, issues: Iterable[MirrorIssue]) -> int:
        """Insert or replace mirrored issues; returns how many distinct issues were written."""
        by_key = {i.key: i for i in issues}
        rows = [
            {"key": i.key, "issue_id": i.issue_id, "updated": i.updated, "epic_key": i.epic_key, "raw": i.raw}
            for i in by_key.values()
        ]
        with self._tx(write=True) as conn:
            self._upsert(conn, s.issues_table, rows, ["key"])
        return len(rows)

    def issues(self, keys: Iterable[str] | None = None) -> dict[str, MirrorIssue]:
        t = s.issues_table
        result: dict[str, MirrorIssue] = {}
        with self._tx() as conn:
            if keys is None:
                batches: Iterable[Any] = [conn.execute(select(t))]
            else:
                wanted = list(dict.fromkeys(keys))
                batches = (conn.execute(select(t).where(t.c.key.in_(chunk))) for chunk in _chunks(wanted))
            for batch in batches:
                for row in batch:
                    result[row.key] = MirrorIssue(
                        key=row.key,
                        issue_id=row.issue_id,
                        updated=row.updated,
                        epic_key=row.epic_key,
                        raw=row.raw,
                    )
        return result

    def mirror_keys(self) -> set[str]:
        with self._tx() as conn:
            return set(conn.execute(select(s.issues_table.c.key)).scalars())

    def delete_issues(self, keys: Iterable[str]) -> int:
        t = s.issues_table
        wanted = list(dict.fromkeys(keys))
        deleted = 0
        with self._tx(write=True) as conn:
            for chunk in _chunks(wanted):
                deleted += conn.execute(delete(t).where(t.c.key.in_(chunk))).rowcount
        return deleted

    # ------------------------------------------------------------------ watermarks

    def watermark(self, scope: str = "default") -> datetime | None:
        t = s.watermarks_table
        with self._tx() as conn:
            at: datetime | None = conn.execute(select(t.c.at).where(t.c.scope == scope)).scalar()
        return at

    def set_watermark(self, scope: str, at: datetime) -> None:
        with self._tx(write=True) as conn:
            self._upsert(conn, s.watermarks_table, [{"scope": scope, "at": _utc(at)}], ["scope"])

    def clear_watermark(self, scope: str = "default") -> bool:
        """Forget a watermark (the next fetch of that scope is a full one)."""
        t = s.watermarks_table
        with self._tx(write=True) as conn:
            return bool(conn.execute(delete(t).where(t.c.scope == scope)).rowcount)

    def last_full_reconcile(self) -> datetime | None:
        return self.watermark(_FULL_RECONCILE_SCOPE)

    def set_last_full_reconcile(self, at: datetime) -> None:
        self.set_watermark(_FULL_RECONCILE_SCOPE, at)

    # ------------------------------------------------------------------ applied writes

    def applied(self, issue_keys: Iterable[str] | None = None) -> dict[tuple[str, str, str], AppliedWrite]:
        t = s.applied_table
        result: dict[tuple[str, str, str], AppliedWrite] = {}
        with self._tx() as conn:
            if issue_keys is None:
                batches: Iterable[Any] = [conn.execute(select(t))]
            else:
                wanted = list(dict.fromkeys(issue_keys))
                batches = (
                    conn.execute(select(t).where(t.c.issue_key.in_(chunk))) for chunk in _chunks(wanted)
                )
            for batch in batches:
                for row in batch:
                    write = AppliedWrite(
                        issue_key=row.issue_key,
                        kind=row.kind,
                        target=row.target,
                        value_hash=row.value_hash,
                        comment_id=row.comment_id,
                        run_id=row.run_id,
                        applied_at=row.applied_at,
                    )
                    result[write.identity] = write
        return result

    def record_applied(self, writes: Iterable[AppliedWrite]) -> None:
        """Record applied writes (upsert on (issue_key, kind, target); the last one given wins)."""
        by_identity = {w.identity: w for w in writes}
        rows = [
            {
                "issue_key": w.issue_key,
                "kind": w.kind,
                "target": w.target,
                "value_hash": w.value_hash,
                "comment_id": w.comment_id,
                "run_id": w.run_id,
                "applied_at": _utc(w.applied_at),
            }
            for w in by_identity.values()
        ]
        with self._tx(write=True) as conn:
            self._upsert(conn, s.applied_table, rows, ["issue_key", "kind", "target"])

    def forget_applied(self, issue_key: str, kind: str | None = None, target: str | None = None) -> int:
        t = s.applied_table
        cond = [t.c.issue_key == issue_key]
        if kind is not None:
            cond.append(t.c.kind == kind)
        if target is not None:
            cond.append(t.c.target == target)
        with self._tx(write=True) as conn:
            return conn.execute(delete(t).where(and_(*cond))).rowcount

    # ------------------------------------------------------------------ progress history

    def record_progress(self, points: Iterable[ProgressPoint], *, preserve_sync: bool = False) -> None:
        """Upsert one row per (day, node_id).

        `preserve_sync=True` (for backfill) leaves rows that a sync recorded untouched, so rebuilt
        history never overwrites what was observed live.
        """
        by_id = {(p.node_id, p.day): p for p in points}
        rows = [
            {
                "node_id": p.node_id,
                "day": p.day,
                "kind": p.kind,
                "progress": p.progress,
                "expected": p.expected,
                "health": p.health,
                "source": p.source,
            }
            for p in by_id.values()
        ]
        t = s.progress_table
        where = (t.c.source != "sync") if preserve_sync else None
        with self._tx(write=True) as conn:
            self._upsert(conn, t, rows, ["node_id", "day"], where=where)

    def _node_filter(
        self, node_ids: Iterable[str] | None, since: date | None = None, until: date | None = None
    ) -> list[list[ColumnElement[bool]]]:
        t = s.progress_table
        base: list[ColumnElement[bool]] = []
        if since is not None:
            base.append(t.c.day >= since)
        if until is not None:
            base.append(t.c.day <= until)
        if node_ids is None:
            return [base]
        wanted = list(dict.fromkeys(node_ids))
        return [[*base, t.c.node_id.in_(chunk)] for chunk in _chunks(wanted)]

    def history(
        self, node_ids: Iterable[str] | None = None, *, since: date | None = None, until: date | None = None
    ) -> list[ProgressPoint]:
        """Progress points, ordered by node, then day; `since`/`until` are inclusive."""
        t = s.progress_table
        filters = self._node_filter(node_ids, since, until)
        points: list[ProgressPoint] = []
        with self._tx() as conn:
            for cond in filters:
                query = select(t).where(and_(true(), *cond)).order_by(t.c.node_id, t.c.day)
                points.extend(
                    ProgressPoint(
                        day=row.day,
                        node_id=row.node_id,
                        kind=row.kind,
                        progress=row.progress,
                        expected=row.expected,
                        health=row.health,
                        source=row.source,
                    )
                    for row in conn.execute(query)
                )
        points.sort(key=lambda p: (p.node_id, p.day))
        return points

    def delete_history(
        self,
        node_ids: Iterable[str] | None = None,
        *,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> int:
        """Delete history rows (e.g. before a backfill rebuilds them); returns how many."""
        t = s.progress_table
        filters = self._node_filter(node_ids, since, until)
        deleted = 0
        with self._tx(write=True) as conn:
            for cond in filters:
                extra = [t.c.source == source] if source is not None else []
                deleted += conn.execute(delete(t).where(and_(true(), *cond, *extra))).rowcount
        return deleted

    def last_change_day(self, node_ids: Iterable[str] | None = None) -> dict[str, date]:
        """Per node: the last recorded day whose progress differs from the previous recorded day.

        A node whose progress never changed gets its first recorded day. Days without a record are
        skipped (compared with the last recorded day before them). None (no data) counts as a value.
        """
        t = s.progress_table
        filters = self._node_filter(node_ids)
        result: dict[str, date] = {}
        with self._tx() as conn:
            for cond in filters:
                sub = (
                    select(
                        t.c.node_id,
                        t.c.day,
                        t.c.progress,
                        func.lag(t.c.progress).over(partition_by=t.c.node_id, order_by=t.c.day).label("prev"),
                        func.row_number().over(partition_by=t.c.node_id, order_by=t.c.day).label("rn"),
                    )
                    .where(and_(true(), *cond))
                    .subquery()
                )
                query = (
                    select(sub.c.node_id, func.max(sub.c.day).label("day"))
                    .where(or_(sub.c.rn == 1, sub.c.progress.is_distinct_from(sub.c.prev)))
                    .group_by(sub.c.node_id)
                )
                for row in conn.execute(query):
                    result[row.node_id] = _as_date(row.day)
        return result

    # ------------------------------------------------------------------ runs

    def start_run(self, mode: str, started_at: datetime) -> int:
        t = s.runs_table
        with self._tx(write=True) as conn:
            result = conn.execute(
                t.insert().values(
                    mode=mode,
                    started_at=_utc(started_at),
                    status=RUNNING,
                    requests=0,
                    writes=0,
                    comments=0,
                    errors=0,
                    warnings=0,
                    summary={},
                )
            )
            pk = result.inserted_primary_key
            assert pk is not None
            return int(pk[0])

    def finish_run(
        self,
        run_id: int,
        *,
        ended_at: datetime,
        status: str,
        requests: int,
        writes: int,
        comments: int,
        errors: int,
        warnings: int,
        summary: Mapping[str, Any],
    ) -> None:
        if status not in RUN_STATUSES:
            raise ValueError(f"run status must be one of {sorted(RUN_STATUSES)}, got {status!r}")
        t = s.runs_table
        with self._tx(write=True) as conn:
            count = conn.execute(
                update(t)
                .where(t.c.run_id == run_id)
                .values(
                    ended_at=_utc(ended_at),
                    status=status,
                    requests=requests,
                    writes=writes,
                    comments=comments,
                    errors=errors,
                    warnings=warnings,
                    summary=dict(summary),
                )
            ).rowcount
        if count != 1:
            raise KeyError(f"no run with id {run_id} in {self.url_for_display}")

    def fail_unfinished_runs(self, ended_at: datetime, reason: str = "interrupted") -> int:
        """Mark runs still 'running' (the process died mid-run) as failed; returns how many.

        Call it only while holding leadership, or it would end another replica's live run.
        """
        t = s.runs_table
        with self._tx(write=True) as conn:
            return conn.execute(
                update(t)
                .where(t.c.status == RUNNING)
                .values(ended_at=_utc(ended_at), status="failed", summary={"error": reason})
            ).rowcount

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The newest `limit` runs, newest first."""
        t = s.runs_table
        with self._tx() as conn:
            rows = conn.execute(select(t).order_by(t.c.run_id.desc()).limit(limit)).all()
        return [_run_record(row) for row in rows]

    def run(self, run_id: int) -> RunRecord | None:
        t = s.runs_table
        with self._tx() as conn:
            row = conn.execute(select(t).where(t.c.run_id == run_id)).first()
        return _run_record(row) if row is not None else None

    def last_run(self, *, status: str | None = None) -> RunRecord | None:
        """The newest run, or the newest with this status ("ok", "partial", "failed", "running")."""
        t = s.runs_table
        query = select(t).order_by(t.c.run_id.desc()).limit(1)
        if status is not None:
            query = query.where(t.c.status == status)
        with self._tx() as conn:
            row = conn.execute(query).first()
        return _run_record(row) if row is not None else None

    # ------------------------------------------------------------------ key/value

    def get_meta(self, key: str) -> Any | None:
        t = s.meta_table
        with self._tx() as conn:
            return conn.execute(select(t.c.value).where(t.c.key == key)).scalar()

    def set_meta(self, key: str, value: Any) -> None:
        with self._tx(write=True) as conn:
            self._upsert(conn, s.meta_table, [{"key": key, "value": value}], ["key"])

    def delete_meta(self, key: str) -> bool:
        t = s.meta_table
        with self._tx(write=True) as conn:
            return bool(conn.execute(delete(t).where(t.c.key == key)).rowcount)

    # ------------------------------------------------------------------ leadership

    def try_acquire_leader(self, name: str = DEFAULT_LEADER) -> bool:
        """Become the single writer for `name`; False if another process (or store) is it.

        Idempotent while held. A store holds at most one leadership name at a time.
        """
        with self._leader_mutex:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed")
            if self._leader_name is not None:
                if self._leader_name != name:
                    raise ValueError(f"this store already leads {self._leader_name!r}")
                return True
            if self.dialect == "postgresql":
                acquired = self._acquire_pg(name)
            elif self._file_lock is not None:
                acquired = self._file_lock.try_acquire()
            else:
                acquired = True  # in-memory: nobody else can see this database
            if acquired:
                self._leader_name = name
            return acquired

    def _acquire_pg(self, name: str) -> bool:
        key = s._lock_key(f"okrsync-leader:{self._lock_scope}:{name}")
        try:
            # AUTOCOMMIT: the lock is session-level; no transaction stays open for hours.
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except OperationalError as exc:
            raise StateStoreError(
                f"The state store {self.url_for_display} is unreachable: {_driver_message(exc)}"
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
        self._leader_conn, self._leader_key = conn, key
        return True

    def holds_leader(self) -> bool:
        """Whether this store still holds leadership (on PostgreSQL: its lock connection is alive)."""
        with self._leader_mutex:
            if self._leader_name is None:
                return False
            if self._leader_conn is None:
                return True
            try:
                self._leader_conn.execute(text("SELECT 1"))
            except DBAPIError:
                self._drop_leader_conn(unlock=False)
                self._leader_name = None
                return False
            return True

    def leader_holder(self) -> str | None:
        """For messages: who holds the SQLite leader lock ("pid=... host=..."), if known."""
        return self._file_lock.holder() if self._file_lock is not None else None

    def require_leader(self, name: str = DEFAULT_LEADER) -> None:
        """Acquire leadership or raise a `StateStoreError` that says who holds it and what to do.

        For a process that must not run beside another (a second daemon on one SQLite file).
        PostgreSQL replicas should rather poll `try_acquire_leader` and stand by.
        """
        if self.try_acquire_leader(name):
            return
        holder = self.leader_holder()
        who = f" ({holder})" if holder else ""
        if self.dialect == "sqlite":
            raise StateStoreError(
                f"Another okrsync process{who} is already running on the state store "
                f"{self.url_for_display} (lock file {self.sqlite_path}.lock). Stop it first; to run "
                "several replicas, use PostgreSQL: set sync.state_url (env OKRSYNC_SYNC__STATE_URL) "
                "to postgresql+psycopg://user:password@host:5432/dbname."
            )
        raise StateStoreError(
            f"Another okrsync replica is the leader ({name!r}) on the state store {self.url_for_display}. "
            "Stop it first, or let this one stand by until it stops."
        )

    def _drop_leader_conn(self, *, unlock: bool) -> None:
        conn, key = self._leader_conn, self._leader_key
        self._leader_conn = self._leader_key = None
        if conn is None:
            return
        try:
            if unlock:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        except DBAPIError:
            conn.invalidate()  # the session (and with it the lock) is gone anyway
        finally:
            conn.close()

    def release_leader(self) -> None:
        with self._leader_mutex:
            if self._leader_name is None:
                return
            self._leader_name = None
            if self._leader_conn is not None:
                self._drop_leader_conn(unlock=True)
            if self._file_lock is not None:
                self._file_lock.release()

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


# ---------------------------------------------------------------------- helpers


def _as_date(value: date | str) -> date:
    if isinstance(value, str):  # SQLite may hand back an aggregate's raw text
        return date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.date()
    return value


def _run_record(row: Any) -> RunRecord:
    return RunRecord(
        run_id=int(row.run_id),
        mode=row.mode,
        started_at=row.started_at,
        ended_at=row.ended_at,
        status=row.status,
        requests=row.requests,
        writes=row.writes,
        comments=row.comments,
        errors=row.errors,
        warnings=row.warnings,
        summary=row.summary or {},
    )


def _parse_url(url: str) -> URL:
    raw = (url or "").strip()
    if not raw:
        raise StateStoreError(f"The state store URL is empty. {_URL_HELP}")
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise StateStoreError(
            f"The state store URL {_mask(raw)!r} is not a database URL. {_URL_HELP}"
        ) from exc
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend in ("postgres", "postgresql"):
        if parsed.drivername in ("postgres", "postgresql"):
            return parsed.set(drivername="postgresql+psycopg")
        if driver != "psycopg":
            raise StateStoreError(
                f"The state store URL {parsed.render_as_string(hide_password=True)!r} asks for the "
                f"{driver} driver; okrsync uses psycopg 3: write postgresql+psycopg://... {_URL_HELP}"
            )
        return parsed
    if backend == "sqlite":
        if driver not in ("pysqlite", ""):
            raise StateStoreError(
                f"The state store URL {parsed.render_as_string(hide_password=True)!r} asks for the "
                f"{driver} driver; write sqlite:///path/to/okrsync.db. {_URL_HELP}"
            )
        return parsed
    raise StateStoreError(
        f"The state store URL {parsed.render_as_string(hide_password=True)!r} names the database "
        f"{backend!r}; okrsync supports SQLite and PostgreSQL. {_URL_HELP}"
    )


def _sqlite_engine(url: URL, display: str) -> tuple[Engine, Path | None, bool]:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    path: Path | None = None
    if in_memory:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        path = Path(database).expanduser().absolute()
        if not path.parent.is_dir():
            raise StateStoreError(
                f"Cannot create the state store {display}: the directory {path.parent} does not exist. "
                f"Create the directory, or change the path. {_URL_HELP}"
            )
        if path.is_dir():
            raise StateStoreError(f"The state store {display} points at a directory, not a file. {_URL_HELP}")
        engine = create_engine(
            url.set(database=str(path)), connect_args={"check_same_thread": False, "timeout": 30}
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's BEGIN (below) start transactions, so DDL is transactional too.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front: no deadlock-prone upgrade from a read lock.
        write = conn.get_execution_options().get("okrsync_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine, path, in_memory


def _pg_schema_exists(conn: Connection, schema: str) -> bool:
    found = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).first()
    return found is not None


def _postgres_engine(url: URL, schema: str | None) -> Engine:
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = 10
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    if schema is not None:
        setter: Callable[[DBAPIConnection, ConnectionPoolEntry], None]

        def setter(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry) -> None:
            autocommit = dbapi_conn.autocommit
            dbapi_conn.autocommit = True
            cursor = dbapi_conn.cursor()
            cursor.execute(f'SET search_path TO "{schema}"')
            cursor.close()
            dbapi_conn.autocommit = autocommit

        event.listen(engine, "connect", setter, insert=True)
    return engine
