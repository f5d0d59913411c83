"""Named JSON values (the last scored tree, the KR epics found, a backfill cursor; okrsync.domain.keys)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

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

    def claim_meta(self, key: str, value: Any) -> bool:
        """Store ``value`` under ``key`` only if the key is new: whether this call stored it.

        Atomic across processes and replicas (the key is the primary key: of two inserts, one
        fails), so a claim is taken once, e.g. one digest round of a (slot, audience, channel).
        """
        try:
            with self._tx(write=True) as conn:
                conn.execute(insert(s.meta_table).values(key=key, value=value))
        except IntegrityError:
            return False
        return True

    def meta_with_prefix(self, prefix: str) -> dict[str, Any]:
        """Every value whose key starts with ``prefix`` (taken literally), by key."""
        t = s.meta_table
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self._tx() as conn:
            rows = conn.execute(select(t.c.key, t.c.value).where(t.c.key.like(f"{escaped}%", escape="\\")))
            return {str(row.key): row.value for row in rows}
