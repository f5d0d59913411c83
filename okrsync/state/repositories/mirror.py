"""The mirror of fetched issues (a compact record of each, see :mod:`okrsync.domain.mirror_record`)
and the fetch watermarks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, select

from okrsync.domain.mirror_record import RecordSharing, compact_issue
from okrsync.domain.records import MirrorIssue
from okrsync.state import schema as s
from okrsync.state.repositories.base import Repository, chunks, utc

FULL_RECONCILE_SCOPE: Final = "__full_reconcile__"
LOAD_BATCH: Final = 1000
"""Rows a full load of the mirror fetches at a time."""


def _as_is(record: Mapping[str, Any]) -> Mapping[str, Any]:
    return record


class IssueMirror(Repository):
    """Issues as last fetched, by key, and until when each fetch scope is known."""

    def upsert_issues(self, issues: Iterable[MirrorIssue], *, compacted: bool = False) -> int:
        """Insert or replace mirrored issues, each as its compact record (``raw`` may be the issue as
        Jira returned it; with ``compacted`` every ``raw`` already is a record, as the fetch and this
        store hand them out, and is stored as it is); returns how many distinct issues were written."""
        by_key = {i.key: i for i in issues}
        record = _as_is if compacted else compact_issue
        dump = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
        # serialized a chunk at a time: at 100,000 issues the rows of every record at once were
        # ~100 MiB of JSON text beside the records themselves (bench/README.md)
        with self._tx(write=True) as conn:
            for chunk in chunks(list(by_key.values())):
                rows = [
                    {
                        "key": i.key,
                        "issue_id": i.issue_id,
                        "updated": i.updated,
                        "epic_key": i.epic_key,
                        "record": dump(record(i.raw)),
                    }
                    for i in chunk
                ]
                self._upsert(conn, s.issues_table, rows, ["key"])
        return len(by_key)

    def issues(self, keys: Iterable[str] | None = None) -> dict[str, MirrorIssue]:
        """The mirrored issues (all, or those of ``keys``), ``raw`` their compact records; equal
        values of different records are one shared object (:class:`RecordSharing`): each record's own
        dict and its ``fields`` and ``properties`` dicts may be changed, the values in them only
        replaced, never changed in place."""
        t = s.issues_table
        result: dict[str, MirrorIssue] = {}
        sharing = RecordSharing()
        decode = json.JSONDecoder().decode
        with self._tx() as conn:
            if keys is None:
                # streamed (a server-side cursor on PostgreSQL): the JSON texts of a big mirror are
                # never all in memory beside the records made of them
                batches: Iterable[Any] = [conn.execution_options(yield_per=LOAD_BATCH).execute(select(t))]
            else:
                wanted = list(dict.fromkeys(keys))
                batches = (conn.execute(select(t).where(t.c.key.in_(chunk))) for chunk in chunks(wanted))
            for batch in batches:
                for row in batch:
                    result[row.key] = MirrorIssue(
                        key=row.key,
                        issue_id=row.issue_id,
                        updated=row.updated,
                        epic_key=row.epic_key,
                        raw=sharing.share(decode(row.record)),
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
            for chunk in chunks(wanted):
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
            self._upsert(conn, s.watermarks_table, [{"scope": scope, "at": utc(at)}], ["scope"])

    def clear_watermark(self, scope: str = "default") -> bool:
        """Forget a watermark (the next fetch of that scope is a full one)."""
        t = s.watermarks_table
        with self._tx(write=True) as conn:
            return bool(conn.execute(delete(t).where(t.c.scope == scope)).rowcount)

    def last_full_reconcile(self) -> datetime | None:
        return self.watermark(FULL_RECONCILE_SCOPE)

    def set_last_full_reconcile(self, at: datetime) -> None:
        self.set_watermark(FULL_RECONCILE_SCOPE, at)
