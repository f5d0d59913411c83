"""The writes okrsync applied to Jira, one per (issue, kind, target), with the hash of the value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, select

from okrsync.domain.records import AppliedWrite
from okrsync.state import schema as s
from okrsync.state.repositories.base import Repository, chunks, utc


class AppliedWrites(Repository):
    """What okrsync last wrote where, so that a write is neither repeated nor lost."""

    def applied(
        self, issue_keys: Iterable[str] | None = None, *, kinds: Iterable[str] | None = None
    ) -> dict[tuple[str, str, str], AppliedWrite]:
        """The applied writes (of ``issue_keys``, of ``kinds``: both default to all). A cycle asks
        for the comment and property rows only: at 100,000 issues the field rows are 300,000 of
        them, which it never reads (bench/README.md, the 100,000-issue profile)."""
        t = s.applied_table
        result: dict[tuple[str, str, str], AppliedWrite] = {}
        query = select(t) if kinds is None else select(t).where(t.c.kind.in_(sorted(set(kinds))))
        with self._tx() as conn:
            if issue_keys is None:
                batches: Iterable[Any] = [conn.execute(query)]
            else:
                wanted = list(dict.fromkeys(issue_keys))
                batches = (conn.execute(query.where(t.c.issue_key.in_(chunk))) for chunk in chunks(wanted))
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
                "applied_at": utc(w.applied_at),
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
