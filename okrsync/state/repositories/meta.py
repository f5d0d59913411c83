"""Named JSON values (the last scored tree, the KR epics found, a backfill cursor; okrsync.domain.keys)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from okrsync.state import schema as s
from okrsync.state.repositories.base import Repository


class MetaValues(Repository):
    """JSON values by key."""

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
