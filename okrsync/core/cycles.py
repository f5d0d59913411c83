"""OKR cycles (pure): which period a key result or objective is scored in on a day, and which
period is active. ``as_of`` is passed in; nothing here reads the clock.

- A KR's period on a day: the first of its periods (its own, then those it is carried into) that
  has not ended by then, else its last (:meth:`~okrsync.domain.model.KeyResult.period_on`).
- An objective's period: its own (``period:``), else the span of the periods of every KR under it
  (its own and its aligned objectives'), else the tree's period.
- The active period: the shortest configured period that contains the day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from okrsync.domain.model import KeyResult, Objective, OkrTree, Period


def kr_period(kr: KeyResult, tree: OkrTree, as_of: date) -> Period:
    return kr.period_on(as_of, tree.period)


def span(periods: Iterable[Period], default: Period) -> Period:
    """The one of ``periods`` that contains all the others, else FIRST..LAST; ``default`` if none."""
    listed = list(periods)
    if not listed:
        return default
    for p in listed:
        if all(p.start <= o.start and o.end <= p.end for o in listed):
            return p
    first = min(listed, key=lambda p: p.start)
    last = max(listed, key=lambda p: p.end)
    return Period(f"{first.name}..{last.name}", first.start, last.end)


def objective_periods(tree: OkrTree) -> dict[str, Period]:
    """Every objective's period (see the module's docstring)."""
    out: dict[str, Period] = {}
    if len(tree.periods) <= 1:
        return {o.id: o.period or tree.period for o in tree.objectives}
    below: dict[str, list[Period]] = {}

    def collect(obj_id: str, seen: frozenset[str]) -> list[Period]:
        if obj_id in below:
            return below[obj_id]
        found = [p for kr in tree.krs_of(obj_id) for p in kr.periods]
        for child in tree.children_of(obj_id):
            if child not in seen:
                found.extend(collect(child, seen | {child}))
        below[obj_id] = found
        return found

    for obj in tree.objectives:
        out[obj.id] = obj.period or span(collect(obj.id, frozenset({obj.id})), tree.period)
    return out


def active_period(periods: Sequence[Period], as_of: date) -> Period | None:
    """The shortest of ``periods`` that contains ``as_of`` (a quarter rather than its year)."""
    containing = [p for p in periods if p.contains(as_of)]
    return min(containing, key=lambda p: p.days) if containing else None


def in_period(kr: KeyResult, period: Period) -> bool:
    """Whether ``kr`` belongs to ``period`` (one of its own periods; with none, the tree's)."""
    return period in kr.periods if kr.periods else True


def objective_in_period(obj: Objective, own: Period, period: Period) -> bool:
    return own == period or (obj.period is None and period.start <= own.start and own.end <= period.end)


def closed_nodes(tree: OkrTree, as_of: date) -> frozenset[str]:
    """The KRs and objectives whose period is over on ``as_of`` (OKR cycles only: the one-period
    shorthand never closes): a KR whose last period ended (a carried KR goes on in the next one),
    an objective whose own period ended. Their close is the first sync's after the end
    (:mod:`okrsync.core.closing`); what is over is not coached or reported as live, closed yet or
    not."""
    if not tree.periods:
        return frozenset()
    krs = {kr.id for kr in tree.key_results if kr.periods and kr.periods[-1].end < as_of}
    objectives = {oid for oid, p in objective_periods(tree).items() if p.end < as_of}
    return frozenset(krs | objectives)
