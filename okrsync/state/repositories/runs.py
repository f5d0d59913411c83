"""The run log: one record per sync, backfill or setup run."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from okrsync.domain.records import RUN_STATUSES, RUNNING, RunRecord
from okrsync.state import schema as s
from okrsync.state.repositories.base import Repository, utc


class RunLog(Repository):
    """Runs, started and finished, newest first when listed."""

    def start_run(self, mode: str, started_at: datetime) -> int:
        t = s.runs_table
        with self._tx(write=True) as conn:
            result = conn.execute(
                t.insert().values(
                    mode=mode,
                    started_at=utc(started_at),
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
                    ended_at=utc(ended_at),
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

    def note_run_step(self, run_id: int, step: str, at: datetime) -> None:
        """Where a running run is (``read``, ``plan``, ``write``…), so that if its process dies the
        next run can say at which step it stopped. One small update per step."""
        t = s.runs_table
        with self._tx(write=True) as conn:
            conn.execute(
                update(t)
                .where(t.c.run_id == run_id, t.c.status == RUNNING)
                .values(summary={"step": step, "step_at": utc(at).isoformat()})
            )

    def fail_unfinished_runs(self, ended_at: datetime, reason: str = "interrupted") -> int:
        """Mark runs still 'running' (the process died mid-run) as failed; returns how many.

        Each keeps the step it had reached (:meth:`note_run_step`) and when. Call it only while
        holding leadership, or it would end another replica's live run.
        """
        t = s.runs_table
        with self._tx(write=True) as conn:
            rows = conn.execute(select(t.c.run_id, t.c.summary).where(t.c.status == RUNNING)).all()
            for row in rows:
                noted = row.summary if isinstance(row.summary, Mapping) else {}
                summary = {"error": reason, **{k: noted[k] for k in ("step", "step_at") if k in noted}}
                conn.execute(
                    update(t)
                    .where(t.c.run_id == row.run_id, t.c.status == RUNNING)
                    .values(ended_at=utc(ended_at), status="failed", summary=summary)
                )
            return len(rows)

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
