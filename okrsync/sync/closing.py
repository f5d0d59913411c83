"""Closing OKR periods in a sync cycle: the recorded closes (meta ``closed_periods``), the periods
due to close now (the first cycle after their end), the roll-up with what they froze, and the
record of a new close, written before the apply so that a crash never scores a period twice
(:mod:`okrsync.core.closing`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from okrsync.core.closing import (
    PeriodClose,
    close_period,
    closes_of,
    frozen_scores,
    last_day_progress,
    periods_due,
    start_progress_of,
)
from okrsync.core.period_tree import closed_tree
from okrsync.core.plan.closing_writes import ClosingPlan
from okrsync.core.rollup import RollupPolicy, ScoredTree, roll_up
from okrsync.core.stored_tree import stored_tree_of
from okrsync.domain.keys import META_CLOSED_PERIODS
from okrsync.domain.model import OkrTree
from okrsync.state.store import StateStore


@dataclass(frozen=True, slots=True)
class CycleCloses:
    closes: dict[str, PeriodClose] = field(default_factory=dict)
    new: tuple[str, ...] = ()
    """The periods this cycle closed."""
    frozen: frozenset[str] = frozenset()

    def plan(self) -> ClosingPlan:
        return ClosingPlan.of(self.closes, self.frozen)


def score_with_closes(
    store: StateStore, tree: OkrTree, as_of: date, policy: RollupPolicy
) -> tuple[ScoredTree, CycleCloses]:
    """The scored tree, closed KRs and objectives held at their final numbers; the periods that
    ended before ``as_of`` closed (in memory: :func:`record_closes` keeps them)."""
    closes = closes_of(store.get_meta(META_CLOSED_PERIODS)) if tree.periods else {}
    frozen = frozen_scores(tree, closes)
    scored = roll_up(tree, as_of, policy, frozen=frozen)
    new: list[str] = []
    for period in periods_due(tree, closes, as_of):
        points = store.history(since=period.start, until=period.end)
        starts = start_progress_of(points, period)
        ends = last_day_progress(points, period.end)  # the last day's, not the progress now
        close = close_period(scored, period, policy, starts, last_day=ends)
        closes[period.name] = close
        frozen = frozen_scores(tree, closes)
        scored = roll_up(tree, as_of, policy, frozen=frozen)
        closes[period.name] = replace(close, tree=closed_tree(stored_tree_of(scored), close))
        new.append(period.name)
    return scored, CycleCloses(closes, tuple(new), frozenset(frozen))


def record_closes(store: StateStore, cycle: CycleCloses) -> None:
    """Keep the closes this cycle made (each period once; later cycles read them back)."""
    if cycle.new:
        store.set_meta(META_CLOSED_PERIODS, {name: c.as_json() for name, c in cycle.closes.items()})
