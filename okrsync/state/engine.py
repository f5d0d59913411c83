"""State store URLs and engines: parsing and normalising a URL, the URL to show (no password),
what a URL names without connecting, creating the SQLite or PostgreSQL engine, and what a
driver's error says.

The only module outside the repositories that knows SQLAlchemy's URL and engine types; faces and
orchestration ask it (``describe_url``, ``DriverError``) instead of parsing URLs themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from okrsync.domain import encoded_json
from okrsync.state.errors import StateStoreError

DriverError = SQLAlchemyError
"""What the database layer raises beyond :class:`StateStoreError` (for callers that must not fail)."""

URL_HELP: Final = (
    "Set sync.state_url in the config file (or the environment variable OKRSYNC_SYNC__STATE_URL) "
    "to a SQLite file such as sqlite:///okrsync.db (relative) or sqlite:////var/lib/okrsync/okrsync.db "
    "(absolute), or to PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname."
)
POSTGRES_EXTRA_HINT = (
    "The PostgreSQL driver is not installed: install okrsync with its postgres extra "
    "(pip install 'okrsync[postgres]', or pip install -e '.[postgres]' in a checkout)."
)
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
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

Dialect = Literal["sqlite", "postgresql"]


# ---------------------------------------------------------------------- what a URL names


@dataclass(frozen=True, slots=True)
class UrlFacts:
    """What a state URL names, read without connecting (see :func:`describe_url`)."""

    backend: str
    """``sqlite``, ``postgresql``, or whatever else the URL names."""
    in_memory: bool
    """A SQLite database in memory, which keeps nothing between runs."""
    sqlite_file: Path | None
    """The SQLite file the store would use (``~`` expanded, absolute); None if not a SQLite file."""
    password: str | None


def describe_url(url: str) -> UrlFacts | None:
    """What ``url`` names, or None when it is no database URL at all (opening it says why)."""
    try:
        parsed = make_url((url or "").strip())
    except ArgumentError:
        return None
    backend = parsed.get_backend_name()
    in_memory = backend == "sqlite" and _sqlite_in_memory(parsed)
    sqlite_file = None
    if backend == "sqlite" and not in_memory:
        sqlite_file = Path(parsed.database or "").expanduser().absolute()
    password = str(parsed.password) if parsed.password else None
    return UrlFacts(backend=backend, in_memory=in_memory, sqlite_file=sqlite_file, password=password)


def mask_password(raw: str) -> str:
    """Hide a password in a URL that SQLAlchemy could not even parse."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)


def _sqlite_in_memory(url: URL) -> bool:
    return (url.database or "") in ("", ":memory:") or url.query.get("mode") == "memory"


# ---------------------------------------------------------------------- driver errors


def driver_message(exc: BaseException) -> str:
    """The first lines of what the driver said, as a sentence (naming the extra it may lack)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    message = " ".join(lines[:3]) or type(orig).__name__
    message = message if message.endswith((".", "?", "!")) else f"{message}."
    if isinstance(orig, ImportError) and "psycopg" in message:
        return f"{message} {POSTGRES_EXTRA_HINT}"
    return message


def may_pass(exc: DBAPIError) -> bool:
    """Whether a failure to connect may pass by itself: the server is not reachable (yet), as
    opposed to a refused login, a missing database or role, or a missing privilege."""
    message = str(getattr(exc, "orig", None) or exc).casefold()
    return isinstance(exc, OperationalError) and any(marker in message for marker in _UNREACHABLE)


# ---------------------------------------------------------------------- engines


@dataclass(frozen=True, slots=True)
class OpenedEngine:
    """An engine for a state URL, and what the store needs to know about it."""

    engine: Engine
    display: str
    """The URL without its password."""
    dialect: Dialect
    sqlite_path: Path | None
    in_memory: bool


def open_engine(url: str, *, schema: str | None = None) -> OpenedEngine:
    """The engine for ``url`` (no connection made yet); a :class:`StateStoreError` for a URL
    okrsync cannot use or a driver that is not installed. ``schema``: PostgreSQL only."""
    parsed = parse_url(url)
    display = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if schema is not None:
        if backend != "postgresql":
            raise ValueError("schema= is only supported for PostgreSQL state stores")
        if not _SCHEMA_NAME.match(schema):
            raise ValueError(f"invalid PostgreSQL schema name {schema!r}")
    try:
        if backend == "sqlite":
            engine, sqlite_path, in_memory = _sqlite_engine(parsed, display)
            return OpenedEngine(engine, display, "sqlite", sqlite_path, in_memory)
        return OpenedEngine(_postgres_engine(parsed, schema), display, "postgresql", None, False)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StateStoreError(
            f"Cannot use the state store {display}: {driver_message(exc)} {URL_HELP}"
        ) from exc


def postgres_lock_scope(conn: Connection, schema: str | None, display: str) -> str:
    """``database.schema`` of a PostgreSQL store (creating ``schema`` when it is missing)."""
    if schema is not None and not _pg_schema_exists(conn, schema):
        # Only when missing: CREATE SCHEMA needs a privilege a plain user may lack.
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    current = conn.execute(text("SELECT current_database(), current_schema()")).one()
    if current[1] is None:
        raise StateStoreError(
            f"The state store {display} has no schema to create tables in (the "
            "search_path names no existing schema). Create the schema, or fix the "
            f"search_path option. {URL_HELP}"
        )
    return f"{current[0]}.{current[1]}"


def parse_url(url: str) -> URL:
    """The URL okrsync opens: SQLite (pysqlite) or PostgreSQL (psycopg 3, named if left out)."""
    raw = (url or "").strip()
    if not raw:
        raise StateStoreError(f"The state store URL is empty. {URL_HELP}")
    try:
        parsed = make_url(raw)
    except ArgumentError as exc:
        raise StateStoreError(
            f"The state store URL {mask_password(raw)!r} is not a database URL. {URL_HELP}"
        ) from exc
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend in ("postgres", "postgresql"):
        if parsed.drivername in ("postgres", "postgresql"):
            return parsed.set(drivername="postgresql+psycopg")
        if driver != "psycopg":
            raise StateStoreError(
                f"The state store URL {parsed.render_as_string(hide_password=True)!r} asks for the "
                f"{driver} driver; okrsync uses psycopg 3: write postgresql+psycopg://... {URL_HELP}"
            )
        return parsed
    if backend == "sqlite":
        if driver not in ("pysqlite", ""):
            raise StateStoreError(
                f"The state store URL {parsed.render_as_string(hide_password=True)!r} asks for the "
                f"{driver} driver; write sqlite:///path/to/okrsync.db. {URL_HELP}"
            )
        return parsed
    raise StateStoreError(
        f"The state store URL {parsed.render_as_string(hide_password=True)!r} names the database "
        f"{backend!r}; okrsync supports SQLite and PostgreSQL. {URL_HELP}"
    )


def _sqlite_engine(url: URL, display: str) -> tuple[Engine, Path | None, bool]:
    database = url.database or ""
    in_memory = _sqlite_in_memory(url)
    path: Path | None = None
    if in_memory:
        engine = create_engine(
            url,
            poolclass=StaticPool,
            connect_args={"check_same_thread": False},
            json_serializer=encoded_json.dumps,
        )
    else:
        path = Path(database).expanduser().absolute()
        if not path.parent.is_dir():
            raise StateStoreError(
                f"Cannot create the state store {display}: the directory {path.parent} does not exist. "
                f"Create the directory, or change the path. {URL_HELP}"
            )
        if path.is_dir():
            raise StateStoreError(f"The state store {display} points at a directory, not a file. {URL_HELP}")
        engine = create_engine(
            url.set(database=str(path)),
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=encoded_json.dumps,
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
    engine = create_engine(
        url, pool_pre_ping=True, connect_args=connect_args, json_serializer=encoded_json.dumps
    )
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
