"""Closing an OKR period (pure): its final scores, what freezes, and the record the state store
keeps (meta ``closed_periods``).

On the first cycle after a period ends (``as_of`` past its last day) each of its key results and
objectives is scored (0.0–1.0, one decimal, as :func:`~okrsync.core.rollup.final_score`) from
their progress on the period's last day, as the progress history recorded it (a sync that day, or
a backfill; of several points of one node that day the last one: :func:`last_day_progress`), so
that a daemon down across the end does not score a quarter with the next one's work. A KR with no
history that day (a new install) is scored from its progress now, and its final says so
(``scored_on`` after the period's end: the closing comment and the report say "scored on <day>,
after the period ended"); an objective from its KRs' finals. The close is recorded once and never
computed again. From then on:

- a KR whose last period closed, and an objective of a closed period, are *frozen*: their numbers
  are the recorded ones (:func:`frozen_scores`, given to :func:`~okrsync.core.rollup.roll_up`), and
  the plan writes nothing to them but what the close itself shows (``OKR Score``, the property's
  ``closed``, one ``close:<period>`` comment), each once;
- a KR carried into a next period (``carry_over``, or the same epic listed again) goes on as the
  same KR, from where it ended, scored in the next period; its close is recorded all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from okrsync.core.cycles import objective_periods
from okrsync.core.rollup import (
    Explanation,
    RollupPolicy,
    Score,
    ScoredTree,
    final_score,
    health_of,
    is_overdue,
    roll_up,
    score_key_result,
)
from okrsync.domain.model import Health, KeyResult, OkrTree, Period


@dataclass(frozen=True, slots=True)
class FinalScore:
    """A KR's or objective's numbers when its period closed."""

    id: str
    kind: str
    """``key_result`` or ``objective``."""
    progress: float | None
    score: float | None
    health: Health
    start_progress: float | None = None
    """Its progress on the first day of the period okrsync recorded (``None``: none recorded)."""
    carried_into: str | None = None
    """The period a carried KR goes on in."""
    scored_on: date | None = None
    """The day whose progress the score is of: the period's last day (recorded history), or the
    close's day when none was recorded (``None``: a close recorded before okrsync said)."""

    def late(self, period: Period) -> bool:
        """Scored from progress after ``period`` ended (no history on its last day)."""
        return self.scored_on is not None and self.scored_on > period.end


@dataclass(frozen=True, slots=True)
class PeriodClose:
    period: Period
    closed_on: date
    finals: Mapping[str, FinalScore] = field(default_factory=dict)
    tree: Mapping[str, Any] | None = None
    """The stored tree of the period as it closed (``okrsync report --period NAME``)."""

    def scored_late_on(self) -> date | None:
        """The day its late finals were scored on (:meth:`FinalScore.late`); ``None``: none is."""
        late = [f.scored_on for f in self.finals.values() if f.scored_on and f.late(self.period)]
        return max(late) if late else None

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period.as_json(),
            "closed_on": self.closed_on.isoformat(),
            "finals": {
                f.id: {
                    "kind": f.kind,
                    "progress": f.progress,
                    "score": f.score,
                    "health": f.health.value,
                    "start_progress": f.start_progress,
                    "carried_into": f.carried_into,
                    "scored_on": f.scored_on.isoformat() if f.scored_on else None,
                }
                for f in self.finals.values()
            },
            **({"tree": dict(self.tree)} if self.tree is not None else {}),
        }

    @classmethod
    def of_json(cls, data: Mapping[str, Any]) -> PeriodClose:
        p = data["period"]
        return cls(
            Period(str(p["name"]), date.fromisoformat(p["start"]), date.fromisoformat(p["end"])),
            date.fromisoformat(data["closed_on"]),
            {
                node_id: FinalScore(
                    node_id,
                    str(f["kind"]),
                    f.get("progress"),
                    f.get("score"),
                    _health(f.get("health")),
                    f.get("start_progress"),
                    f.get("carried_into"),
                    date.fromisoformat(f["scored_on"]) if f.get("scored_on") else None,
                )
                for node_id, f in (data.get("finals") or {}).items()
            },
            data.get("tree"),
        )


def _health(value: Any) -> Health:
    try:
        return Health(str(value))
    except ValueError:
        return Health.NO_DATA


def closes_of(stored: Any) -> dict[str, PeriodClose]:
    """The recorded closes (meta ``closed_periods``), by period name; anything unreadable is left out."""
    if not isinstance(stored, Mapping):
        return {}
    out: dict[str, PeriodClose] = {}
    for name, data in stored.items():
        try:
            out[str(name)] = PeriodClose.of_json(data)
        except (KeyError, TypeError, ValueError):
            continue
    return out


def periods_due(tree: OkrTree, closed: Iterable[str], as_of: date) -> list[Period]:
    """The configured periods that ended before ``as_of`` and are not closed yet, oldest end first.
    Only with OKR cycles (``periods:`` listing two or more); the one-period shorthand never closes."""
    done = set(closed)
    return sorted((p for p in tree.periods if p.end < as_of and p.name not in done), key=lambda p: p.end)


def _in(kr: KeyResult, period: Period) -> bool:
    return period in kr.periods


def close_period(
    scored: ScoredTree,
    period: Period,
    policy: RollupPolicy,
    start_progress: Mapping[str, float | None],
    *,
    last_day: Mapping[str, float | None] | None = None,
    tree_doc: Mapping[str, Any] | None = None,
) -> PeriodClose:
    """The close of ``period`` from ``scored`` (a cycle after its end): each of its KRs scored in it,
    each objective whose period it is rolled up from them.

    ``last_day``: each node's recorded progress on the period's last day
    (:func:`last_day_progress`); a KR in it is scored from that, one not in it from ``scored``
    (its progress now, marked by ``scored_on``)."""
    tree, as_of = scored.tree, scored.as_of
    recorded = last_day or {}
    finals: dict[str, FinalScore] = {}
    held: dict[str, Score] = {}
    for kr in tree.key_results:
        if not _in(kr, period):
            continue
        if kr.id in recorded:
            progress = recorded[kr.id]
            health = health_of(progress, 1.0, policy, overdue=is_overdue(kr.due, period, as_of))
            s = Score(kr.id, "key_result", progress, 1.0, health, score=final_score(progress, period, as_of))
            scored_on = period.end
        else:
            s = scored.kr(kr.id)
            if kr.periods[-1] != period:  # carried: its numbers in the period that ended
                s = score_key_result(kr, 1.0, policy, period, as_of)
            scored_on = as_of
        held[kr.id] = s
        later = [p for p in kr.periods if p.start > period.end]
        finals[kr.id] = FinalScore(
            kr.id,
            "key_result",
            s.progress,
            s.score,
            s.health,
            start_progress.get(kr.id),
            later[0].name if later else None,
            scored_on,
        )
    own = objective_periods(tree)
    if any(kr_id in recorded for kr_id in held):  # objectives rolled up from the KRs' finals
        others = {k: v for k, v in scored.objectives.items() if own.get(k) != period}
        scored = roll_up(tree, as_of, policy, frozen={**scored.key_results, **others, **held})
    late = any(f.late(period) for f in finals.values())
    for obj in tree.objectives:
        if own.get(obj.id) == period:
            s = scored.objective(obj.id)
            finals[obj.id] = FinalScore(
                obj.id,
                "objective",
                s.progress,
                s.score,
                s.health,
                start_progress.get(obj.id),
                scored_on=as_of if late else period.end,
            )
    return PeriodClose(period, as_of, finals, tree_doc)


def frozen_scores(tree: OkrTree, closes: Mapping[str, PeriodClose]) -> dict[str, Score]:
    """The scores that stay as recorded: each KR whose last period closed, each objective of a
    closed period; their expected is 100 % (their period is over)."""
    frozen: dict[str, Score] = {}
    for close in closes.values():
        for f in close.finals.values():
            if f.carried_into is not None:
                continue
            summary = f"closed with {close.period.name} on {close.closed_on.isoformat()}: score {f.score}"
            if f.late(close.period) and f.scored_on is not None:
                summary += f" (scored on {f.scored_on.isoformat()}, after the period ended)"
            frozen[f.id] = Score(
                f.id,
                "key_result" if f.kind == "key_result" else "objective",
                f.progress,
                1.0,
                f.health,
                score=f.score,
                explanation=Explanation("closed", summary),
            )
    ids = {kr.id for kr in tree.key_results} | {o.id for o in tree.objectives}
    return {k: v for k, v in frozen.items() if k in ids}


def shown_closes(closes: Mapping[str, PeriodClose]) -> dict[str, tuple[PeriodClose, FinalScore]]:
    """Node id → its latest close (the score ``OKR Score`` and the property show)."""
    out: dict[str, tuple[PeriodClose, FinalScore]] = {}
    for close in sorted(closes.values(), key=lambda c: c.period.end):
        for f in close.finals.values():
            out[f.id] = (close, f)
    return out


def last_day_progress(points: Iterable[Any], day: date) -> dict[str, float | None]:
    """Each node's recorded progress on ``day`` (history points: ``node_id``, ``day``,
    ``progress``). Of several points of one node that day the last one given counts: the store
    keeps one a day (a sync's replaces the day's earlier one, a backfill never replaces a sync's),
    and a day's last snapshot is its end."""
    return {p.node_id: p.progress for p in points if p.day == day}


def start_progress_of(points: Iterable[Any], period: Period) -> dict[str, float | None]:
    """Each node's first recorded progress inside ``period`` (history points: ``node_id``, ``day``,
    ``progress``)."""
    first: dict[str, tuple[date, float | None]] = {}
    for p in points:
        if period.contains(p.day) and (p.node_id not in first or p.day < first[p.node_id][0]):
            first[p.node_id] = (p.day, p.progress)
    return {k: v for k, (_day, v) in first.items()}
