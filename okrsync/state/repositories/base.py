"""What every repository stands on: one short transaction per method, dialect-aware upserts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from okrsync.state.engine import Dialect

CHUNK: Final = 500
"""Rows per upsert statement and keys per IN (...) list."""

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got naive {at!r}")
    return at.astimezone(UTC)


class Repository:
    """Base of the repositories; the store provides the transactions (:meth:`_tx`)."""

    dialect: Dialect
    url_for_display: str

    def _tx(self, write: bool = False) -> contextlib.AbstractContextManager[Connection]:
        raise NotImplementedError

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
        for chunk in chunks(rows):
            conn.execute(stmt, list(chunk))
