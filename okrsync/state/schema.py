"""Tables of the state store, their version and the migration path.

The schema is created and upgraded by okrsync itself. The table `okrsync_schema_version` holds one
row per applied version; the current version is the largest. `migrate(engine)` applies the ordered
steps (each a function from version n to n + 1) in one transaction, so a failed upgrade leaves the
database as it was (DDL is transactional on PostgreSQL, and on SQLite with the store's engine,
which emits BEGIN itself). A database newer than the code is refused with a `StateStoreError`.

Adding a version: freeze nothing here that exists (`_v1_metadata` must keep creating exactly the
version 1 tables, because a new database replays every step), write `_vN_to_vN1(conn)` with the
ALTER/CREATE statements, append `Migration(N, "...", _vN_to_vN1)` to MIGRATIONS, bump
SCHEMA_VERSION and update `metadata` (the tables as the current code uses them).

Version 2 (issue 15, "a mirror that scales"): the mirror keeps a compact record per issue
(:mod:`okrsync.domain.mirror_record`) in `okrsync_mirror.record` (JSON text) instead of the raw
JSON in `okrsync_issues.raw`; `_v1_to_v2` compacts every version 1 row into the new table, in
batches, and drops the old one.

All table names start with `okrsync_`, so the store can share a database (or a PostgreSQL schema)
with other applications.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Dialect,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    text,
)
from sqlalchemy.types import TypeDecorator

from okrsync.domain.mirror_record import compact_issue
from okrsync.state.errors import StateStoreError

SCHEMA_VERSION: Final = 2
"""The schema version this code reads and writes."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC.

    Naive datetimes are refused (they are ambiguous). SQLite keeps no offset and returns naive
    values: they are UTC by construction, so UTC is reattached. PostgreSQL (`timestamptz`) returns
    aware values, converted to UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a timezone-aware datetime is required, got naive {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _version_table(md: MetaData) -> Table:
    return Table(
        "okrsync_schema_version",
        md,
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("applied_at", UTCDateTime, nullable=False),
        Column("description", String(200), nullable=False),
    )


def _v1_metadata() -> MetaData:
    """The version 1 tables, exactly as version 1 created them (never edit: migrations replay it)."""
    md = MetaData()
    Table(
        "okrsync_issues",
        md,
        Column("key", String(100), primary_key=True),
        Column("issue_id", String(100), nullable=False),
        Column("updated", UTCDateTime, nullable=True),
        Column("epic_key", String(100), nullable=True),
        Column("raw", JSON, nullable=False),
        Index("ix_okrsync_issues_epic_key", "epic_key"),
        Index("ix_okrsync_issues_updated", "updated"),
    )
    Table(
        "okrsync_watermarks",
        md,
        Column("scope", String(200), primary_key=True),
        Column("at", UTCDateTime, nullable=False),
    )
    Table(
        "okrsync_applied",
        md,
        Column("issue_key", String(100), primary_key=True),
        Column("kind", String(20), primary_key=True),
        Column("target", String(255), primary_key=True),
        Column("value_hash", String(128), nullable=False),
        Column("comment_id", String(100), nullable=True),
        Column("run_id", Integer, nullable=True),
        Column("applied_at", UTCDateTime, nullable=False),
    )
    Table(
        "okrsync_progress",
        md,
        # (node_id, day) rather than (day, node_id): history is read per node, ordered by day.
        Column("node_id", String(255), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("kind", String(20), nullable=False),
        Column("progress", Float, nullable=True),
        Column("expected", Float, nullable=False),
        Column("health", String(40), nullable=False),
        Column("source", String(20), nullable=False),
        Index("ix_okrsync_progress_day", "day"),
    )
    Table(
        "okrsync_runs",
        md,
        Column("run_id", Integer, primary_key=True, autoincrement=True),
        Column("mode", String(40), nullable=False),
        Column("started_at", UTCDateTime, nullable=False),
        Column("ended_at", UTCDateTime, nullable=True),
        Column("status", String(20), nullable=False),
        Column("requests", Integer, nullable=False, default=0),
        Column("writes", Integer, nullable=False, default=0),
        Column("comments", Integer, nullable=False, default=0),
        Column("errors", Integer, nullable=False, default=0),
        Column("warnings", Integer, nullable=False, default=0),
        Column("summary", JSON, nullable=True),
        Index("ix_okrsync_runs_status", "status"),
    )
    Table(
        "okrsync_meta",
        md,
        Column("key", String(200), primary_key=True),
        Column("value", JSON, nullable=True),
    )
    return md


def _mirror_table(md: MetaData) -> Table:
    """Version 2's mirror: the compact record of each issue (``record``, JSON text written and read
    by :mod:`okrsync.state.repositories.mirror`), with the columns a cycle selects by."""
    return Table(
        "okrsync_mirror",
        md,
        Column("key", String(100), primary_key=True),
        Column("issue_id", String(100), nullable=False),
        Column("updated", UTCDateTime, nullable=True),
        Column("epic_key", String(100), nullable=True),
        Column("record", Text, nullable=False),
        Index("ix_okrsync_mirror_epic_key", "epic_key"),
        Index("ix_okrsync_mirror_updated", "updated"),
    )


def _current_metadata() -> MetaData:
    """The tables as version SCHEMA_VERSION has them."""
    md = MetaData()
    for table in _v1_metadata().tables.values():
        if table.name != "okrsync_issues":
            table.to_metadata(md)
    _mirror_table(md)
    return md


# The tables as the current code uses them (version SCHEMA_VERSION).
metadata: Final = _current_metadata()
schema_version_table: Final = _version_table(metadata)
issues_table: Final = metadata.tables["okrsync_mirror"]
watermarks_table: Final = metadata.tables["okrsync_watermarks"]
applied_table: Final = metadata.tables["okrsync_applied"]
progress_table: Final = metadata.tables["okrsync_progress"]
runs_table: Final = metadata.tables["okrsync_runs"]
meta_table: Final = metadata.tables["okrsync_meta"]


@dataclass(frozen=True)
class Migration:
    """One step: `apply(conn)` upgrades a database at `from_version` to `from_version + 1`."""

    from_version: int
    description: str
    apply: Callable[[Connection], None]


def _create_v1(conn: Connection) -> None:
    _v1_metadata().create_all(conn, checkfirst=False)


V2_BATCH: Final = 1000
"""Rows compacted per statement by the version 2 step (a large mirror is never loaded whole)."""


def _v1_to_v2(conn: Connection) -> None:
    """The mirror's raw JSON → compact records (``okrsync_issues`` → ``okrsync_mirror``)."""
    md = MetaData()
    old = _v1_metadata().tables["okrsync_issues"].to_metadata(md)
    new = _mirror_table(md)
    new.create(conn, checkfirst=False)
    last: str | None = None
    while True:
        query = select(old).order_by(old.c.key).limit(V2_BATCH)
        if last is not None:
            query = query.where(old.c.key > last)
        rows = conn.execute(query).all()
        if not rows:
            break
        conn.execute(
            new.insert(),
            [
                {
                    "key": row.key,
                    "issue_id": row.issue_id,
                    "updated": row.updated,
                    "epic_key": row.epic_key,
                    "record": json.dumps(
                        compact_issue(row.raw if isinstance(row.raw, dict) else {}),
                        separators=(",", ":"),
                        ensure_ascii=False,
                    ),
                }
                for row in rows
            ],
        )
        last = rows[-1].key
    old.drop(conn)


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(0, "create the version 1 tables", _create_v1),
    Migration(1, "the mirror keeps compact records (okrsync_issues -> okrsync_mirror)", _v1_to_v2),
)


def _lock_key(label: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    digest = hashlib.sha256(label.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def current_version(conn: Connection) -> int:
    """The schema version of the database behind `conn`; 0 for a database okrsync never touched."""
    version_table = _version_table(MetaData())
    if not conn.dialect.has_table(conn, version_table.name):
        return 0
    found = conn.execute(select(func.max(version_table.c.version))).scalar()
    return int(found or 0)


def newer_database_error(found: int, supported: int, where: str) -> StateStoreError:
    return StateStoreError(
        f"The state store {where} has schema version {found}, but this okrsync only knows versions "
        f"up to {supported}: a newer okrsync has upgraded it. Upgrade okrsync "
        "(pip install -U okrsync, or the newer Docker image) on this machine, or point sync.state_url "
        "(env OKRSYNC_SYNC__STATE_URL) at another database."
    )


def migrate(
    engine: Engine,
    migrations: Sequence[Migration] = MIGRATIONS,
    target: int | None = None,
    *,
    now: Callable[[], datetime] | None = None,
    where: str = "",
) -> int:
    """Bring the database to `target` (default: the last migration's result); return the version.

    Runs in one transaction. On PostgreSQL a transaction-level advisory lock serializes replicas
    that start at the same time; on SQLite the write transaction does the same.
    """
    steps = sorted(migrations, key=lambda m: m.from_version)
    for i, step in enumerate(steps):
        if step.from_version != i:
            raise ValueError(f"migration steps must go 0, 1, 2, ...; step {i} starts at {step.from_version}")
    goal = len(steps) if target is None else target
    if goal > len(steps):
        raise ValueError(f"no migration path to version {goal}; the last step reaches {len(steps)}")
    clock = now or (lambda: datetime.now(UTC))

    def run(conn: Connection) -> int:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:k)"),
                {"k": _lock_key(f"okrsync-migrate:{conn.execute(text('SELECT current_schema()')).scalar()}")},
            )
        version_table = _version_table(MetaData())
        version_table.create(conn, checkfirst=True)
        version = current_version(conn)
        if version > goal:
            raise newer_database_error(version, goal, where)
        for step in steps[version:goal]:
            step.apply(conn)
            conn.execute(
                version_table.insert().values(
                    version=step.from_version + 1, applied_at=clock(), description=step.description
                )
            )
            version = step.from_version + 1
        return version

    with engine.begin() as conn:
        return run(conn)
