"""Progress history: one point per KR or objective and day, from syncs and backfills."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true

from okrsync.domain.records import ProgressPoint
from okrsync.state import schema as s
from okrsync.state.repositories.base import Repository, chunks


class ProgressHistory(Repository):
    """Progress points by node and day; what a backfill rebuilds never overwrites what a sync saw."""

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
        return [[*base, t.c.node_id.in_(chunk)] for chunk in chunks(wanted)]

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


def _as_date(value: date | str) -> date:
    if isinstance(value, str):  # SQLite may hand back an aggregate's raw text
        return date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.date()
    return value
