"""Progress roll-up: action plan → key result → objective → company objective.

Pure: takes an :class:`~okrsync.domain.model.OkrTree`, the policy and the day to score for, and returns a
:class:`ScoredTree`. No I/O and no clock reads. Every number keeps what it was computed from
(:class:`Explanation`), so that a Jira user can see why a KR shows 40 %.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal, TypedDict

from okrsync.core.checkins import confidence_health
from okrsync.core.cycles import kr_period, objective_periods
from okrsync.domain.model import (
    ActionPlan,
    Health,
    KeyResult,
    Measure,
    Objective,
    OkrTree,
    Period,
    StatusCategory,
)

# Health boundaries are compared with this slack so that e.g. 0.5 - 0.4 (= 0.09999999999999998)
# counts as exactly the tolerance 0.1.
EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class RollupPolicy:
    """The parts of the policy the roll-up needs (see ``policy:`` in the configuration)."""

    in_progress_credit: float = 0.0
    tolerance: float = 0.1
    off_track_gap: float = 0.2
    confidence_affects_health: bool = False
    """The worse of progress health and the owner's confidence (:mod:`okrsync.core.checkins`)."""


@dataclass(frozen=True, slots=True)
class Contribution:
    """One input of a weighted mean: a KR or objective, its progress and weight."""

    id: str
    kind: Literal["key_result", "objective", "action_plan"]
    progress: float | None
    weight: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """What a number was computed from, in words and in parts."""

    method: str
    summary: str
    contributions: tuple[Contribution, ...] = ()
    done: int = 0
    in_progress: int = 0
    todo: int = 0
    cancelled: int = 0
    points_done: float = 0.0
    points_total: float = 0.0
    unestimated: tuple[str, ...] = ()
    assumed_points: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "summary": self.summary,
            "contributions": [
                {"id": c.id, "kind": c.kind, "progress": c.progress, "weight": c.weight}
                for c in self.contributions
            ],
            "counts": {
                "done": self.done,
                "in_progress": self.in_progress,
                "todo": self.todo,
                "cancelled": self.cancelled,
            },
            "points": {"done": self.points_done, "total": self.points_total},
            "unestimated": list(self.unestimated),
            "assumed_points": self.assumed_points,
        }


@dataclass(frozen=True, slots=True)
class Score:
    """The scored state of one KR or objective on the day scored."""

    id: str
    kind: Literal["key_result", "objective"]
    progress: float | None
    """0.0–1.0, or ``None`` when there is nothing to measure (no data)."""
    expected: float
    health: Health
    overachievement: float = 0.0
    """How far a metric went beyond its target (0.25 = 25 % beyond); progress stays clamped at 1."""
    score: float | None = None
    """The OKR score on the 0.0–1.0 scale, set once the period has ended."""
    explanation: Explanation = field(default_factory=lambda: Explanation("none", ""))
    warnings: tuple[str, ...] = ()
    source_error: str | None = None
    """A KR whose source failed: why; its progress and health are then its last known ones."""
    stale_since: date | None = None
    """The first day its source failed (``None`` when it is measured, or the store was not asked)."""
    stale: tuple[str, ...] = ()
    """An objective's KRs (its own and below) held at their last known progress."""


@dataclass(frozen=True, slots=True)
class ScoredTree:
    tree: OkrTree
    as_of: date
    key_results: Mapping[str, Score]
    objectives: Mapping[str, Score]
    warnings: tuple[str, ...] = ()

    @property
    def period(self) -> Period:
        return self.tree.period

    def kr(self, kr_id: str) -> Score:
        return self.key_results[kr_id]

    def objective(self, objective_id: str) -> Score:
        return self.objectives[objective_id]


# ---------------------------------------------------------------------------------- action plans


class _Counts(TypedDict):
    done: int
    in_progress: int
    todo: int
    cancelled: int


def action_plan_credit(plan: ActionPlan, in_progress_credit: float) -> float | None:
    """Credit of one action plan: done 1, in progress the policy's credit, to do 0, cancelled None."""
    if plan.cancelled:
        return None
    if plan.status_category == StatusCategory.DONE:
        return 1.0
    if plan.status_category == StatusCategory.IN_PROGRESS:
        return in_progress_credit
    return 0.0


def _counts(plans: Iterable[ActionPlan]) -> tuple[int, int, int, int]:
    done = in_progress = todo = cancelled = 0
    for p in plans:
        if p.cancelled:
            cancelled += 1
        elif p.status_category == StatusCategory.DONE:
            done += 1
        elif p.status_category == StatusCategory.IN_PROGRESS:
            in_progress += 1
        else:
            todo += 1
    return done, in_progress, todo, cancelled


# ---------------------------------------------------------------------------------- key results


def kr_progress(
    kr: KeyResult, policy: RollupPolicy
) -> tuple[float | None, float, Explanation, tuple[str, ...]]:
    """Progress of one KR by its measure: (progress, overachievement, explanation, warnings)."""
    done, in_progress, todo, cancelled = _counts(kr.action_plans)
    counts = _Counts(done=done, in_progress=in_progress, todo=todo, cancelled=cancelled)
    if kr.measure == Measure.ISSUES:
        return _by_issues(kr, policy, counts)
    if kr.measure == Measure.POINTS:
        return _by_points(kr, policy, counts)
    if kr.measure == Measure.METRIC:
        return _by_metric(kr, counts)
    return _by_manual(kr, counts)


def _by_issues(
    kr: KeyResult, policy: RollupPolicy, counts: _Counts
) -> tuple[float | None, float, Explanation, tuple[str, ...]]:
    credits = [
        c for p in kr.action_plans if (c := action_plan_credit(p, policy.in_progress_credit)) is not None
    ]
    if not credits:
        why = "no action plans" if not kr.action_plans else "every action plan is cancelled"
        return None, 0.0, Explanation("issues", f"nothing to measure: {why}", **counts), (f"{kr.id}: {why}",)
    progress = sum(credits) / len(credits)
    summary = f"{counts['done']} of {len(credits)} issues done"
    if counts["in_progress"] and policy.in_progress_credit:
        summary += f", {counts['in_progress']} in progress at {policy.in_progress_credit:.0%} credit"
    if counts["cancelled"]:
        summary += f" ({counts['cancelled']} cancelled, not counted)"
    return progress, 0.0, Explanation("issues", summary, **counts), ()


def _by_points(
    kr: KeyResult, policy: RollupPolicy, counts: _Counts
) -> tuple[float | None, float, Explanation, tuple[str, ...]]:
    live = [p for p in kr.action_plans if not p.cancelled]
    if not live:
        why = "no action plans" if not kr.action_plans else "every action plan is cancelled"
        return None, 0.0, Explanation("points", f"nothing to measure: {why}", **counts), (f"{kr.id}: {why}",)
    estimates = [p.points for p in live if p.points is not None and p.points >= 0]
    unestimated = tuple(p.key for p in live if p.points is None or p.points < 0)
    warnings: list[str] = []
    assumed: float | None = None
    if unestimated:
        # Unestimated work is not free: count it as the KR's typical (median) estimate.
        assumed = statistics.median(estimates) if estimates else 1.0
        warnings.append(
            f"{kr.id}: {len(unestimated)} unestimated issue(s) counted as {assumed:g} points each "
            f"(the median): {', '.join(unestimated[:10])}{'…' if len(unestimated) > 10 else ''}"
        )
    total = done_points = 0.0
    for p in live:
        pts = p.points if p.points is not None and p.points >= 0 else (assumed or 0.0)
        credit = action_plan_credit(p, policy.in_progress_credit) or 0.0
        total += pts
        done_points += pts * credit
    if total <= 0:
        # every estimate is zero: fall back to counting issues, and say so
        progress, _, _, _ = _by_issues(kr, policy, counts)
        warnings.append(f"{kr.id}: every estimate is 0 points; progress counted by issues instead")
        summary = "all estimates are 0; counted by issues"
        return (
            progress,
            0.0,
            Explanation("points", summary, **counts, unestimated=unestimated),
            tuple(warnings),
        )
    summary = f"{done_points:g} of {total:g} points done"
    if unestimated:
        summary += f" ({len(unestimated)} unestimated counted as {assumed:g})"
    expl = Explanation(
        "points",
        summary,
        **counts,
        points_done=done_points,
        points_total=total,
        unestimated=unestimated,
        assumed_points=assumed,
    )
    return done_points / total, 0.0, expl, tuple(warnings)


def _by_metric(kr: KeyResult, counts: _Counts) -> tuple[float | None, float, Explanation, tuple[str, ...]]:
    m = kr.metric
    if m is None or m.start == m.target:
        return (
            None,
            0.0,
            Explanation("metric", "no usable target", **counts),
            (f"{kr.id}: metric has no target",),
        )
    if m.current is None:
        return (
            None,
            0.0,
            Explanation(
                "metric",
                f"no current value in '{m.field}' (start {m.start:g}, target {m.target:g})",
                **counts,
            ),
            (f"{kr.id}: metric field '{m.field}' has no value",),
        )
    raw = (m.current - m.start) / (m.target - m.start)
    progress = min(1.0, max(0.0, raw))
    over = max(0.0, raw - 1.0)
    direction = "decrease" if m.target < m.start else "increase"
    summary = f"{m.field} at {m.current:g}: {direction} from {m.start:g} towards {m.target:g}"
    if over:
        summary += f" (beyond target by {over:.0%})"
    return progress, over, Explanation("metric", summary, **counts), ()


def _by_manual(kr: KeyResult, counts: _Counts) -> tuple[float | None, float, Explanation, tuple[str, ...]]:
    if kr.manual_value is None:
        return (
            None,
            0.0,
            Explanation("manual", "no value entered", **counts),
            (f"{kr.id}: no manual progress entered",),
        )
    raw = kr.manual_value / 100.0
    progress = min(1.0, max(0.0, raw))
    return (
        progress,
        max(0.0, raw - 1.0),
        Explanation("manual", f"entered as {kr.manual_value:g} %", **counts),
        (),
    )


# --------------------------------------------------------------------------------------- health


def due_day(due: date | None, period: Period) -> date:
    """The day a KR or objective is due: its own due date, else the period's last day."""
    return due if due is not None else period.end


def is_overdue(due: date | None, period: Period, as_of: date) -> bool:
    """Whether ``as_of`` is past the due day (:func:`due_day`); due today is not overdue yet."""
    return as_of > due_day(due, period)


def health_of(
    progress: float | None,
    expected: float,
    policy: RollupPolicy,
    *,
    started: bool = True,
    overdue: bool = False,
) -> Health:
    """Health from progress against expected progress.

    ``done`` at 100 %; ``no_data`` with nothing to measure; ``overdue`` when past its due day
    (``overdue``, see :func:`is_overdue`) and not done; ``not_started`` when nothing has moved
    yet and that is still within tolerance; otherwise the gap (expected − progress) decides:
    within ``tolerance`` on track, within ``off_track_gap`` at risk, beyond off track. A gap exactly
    at a boundary counts as the better health.
    """
    if progress is None:
        return Health.NO_DATA
    if progress >= 1.0 - EPSILON:
        return Health.DONE
    if overdue:
        return Health.OVERDUE
    gap = expected - progress
    if progress <= EPSILON and not started and gap <= policy.tolerance + EPSILON:
        return Health.NOT_STARTED
    if gap <= policy.tolerance + EPSILON:
        return Health.ON_TRACK
    if gap <= policy.off_track_gap + EPSILON:
        return Health.AT_RISK
    return Health.OFF_TRACK


def final_score(progress: float | None, period: Period, as_of: date) -> float | None:
    """The OKR score (0.0–1.0, one decimal) once the period has ended; ``None`` before."""
    if progress is None or as_of < period.end:
        return None
    return round(min(1.0, max(0.0, progress)), 1)


# -------------------------------------------------------------------------------------- roll-up


def weighted_mean(parts: Sequence[Contribution]) -> float | None:
    """Weighted mean of the parts that have data; ``None`` when none has."""
    measured = [(p.progress, p.weight) for p in parts if p.progress is not None and p.weight > 0]
    if not measured:
        return None
    mean = sum(v * w for v, w in measured) / sum(w for _, w in measured)
    # keep the mean inside [lowest, highest] of its parts despite floating-point rounding
    values = [v for v, _ in measured]
    return min(max(values), max(min(values), mean))


def _held_score(kr: KeyResult, expected: float, period: Period, as_of: date) -> Score:
    """A KR whose source failed: its last known progress and health, marked stale; No data if none."""
    reason = kr.source_error or "its source failed"
    failure = kr.failure
    known = failure.last_known if failure is not None else None
    if known is not None and known.progress is not None:
        summary = (
            f"source failing{f' since {failure.since.isoformat()}' if failure else ''}: {reason}; "
            f"held at its last known progress {known.progress * 100:.1f} % of {known.day.isoformat()}"
        )
        progress, health = known.progress, known.health
        if health not in (Health.DONE, Health.NO_DATA) and is_overdue(kr.due, period, as_of):
            health = Health.OVERDUE  # held numbers, but the due day passed all the same
    else:
        summary = f"source failing: {reason}; no earlier progress known"
        progress, health = None, Health.NO_DATA
    return Score(
        id=kr.id,
        kind="key_result",
        progress=progress,
        expected=expected,
        health=health,
        score=final_score(progress, period, as_of),
        explanation=Explanation("stale", summary),
        warnings=kr.warnings,
        source_error=reason,
        stale_since=failure.since if failure is not None else None,
    )


def score_key_result(
    kr: KeyResult, expected: float, policy: RollupPolicy, period: Period, as_of: date
) -> Score:
    if kr.source_error is not None:
        return _held_score(kr, expected, period, as_of)
    progress, over, expl, warnings = kr_progress(kr, policy)
    started = any(
        not p.cancelled and p.status_category in (StatusCategory.IN_PROGRESS, StatusCategory.DONE)
        for p in kr.action_plans
    ) or (kr.measure in (Measure.METRIC, Measure.MANUAL) and bool(progress))
    health = health_of(progress, expected, policy, started=started, overdue=is_overdue(kr.due, period, as_of))
    if policy.confidence_affects_health and kr.confidence is not None:
        lowered = confidence_health(health, kr.confidence)
        if lowered != health:
            expl = replace(
                expl,
                summary=f"{expl.summary}; {lowered.label}: its owner's confidence is {kr.confidence.label}",
            )
            health = lowered
    return Score(
        id=kr.id,
        kind="key_result",
        progress=progress,
        expected=expected,
        health=health,
        overachievement=over,
        score=final_score(progress, period, as_of),
        explanation=expl,
        warnings=(*kr.warnings, *warnings),
    )


def roll_up(
    tree: OkrTree,
    as_of: date,
    policy: RollupPolicy | None = None,
    *,
    frozen: Mapping[str, Score] | None = None,
) -> ScoredTree:
    """Score every KR and objective of ``tree`` as of the end of day ``as_of``; ``frozen``: the
    scores of closed KRs and objectives, kept as recorded (:mod:`okrsync.core.closing`)."""
    policy = policy or RollupPolicy()
    held = frozen or {}
    kr_scores: dict[str, Score] = {}
    for kr in tree.key_results:
        if kr.id in held:
            kr_scores[kr.id] = held[kr.id]
            continue
        own = kr_period(kr, tree, as_of)  # each KR by its own period (OKR cycles)
        kr_scores[kr.id] = score_key_result(kr, own.elapsed_share(as_of), policy, own, as_of)
    periods = objective_periods(tree)
    warnings: list[str] = list(tree.warnings)

    by_id = {o.id: o for o in tree.objectives}
    obj_scores: dict[str, Score] = {}
    visiting: set[str] = set()

    def score_objective(obj: Objective) -> Score:
        if obj.id in obj_scores:
            return obj_scores[obj.id]
        if obj.id in held:
            obj_scores[obj.id] = held[obj.id]
            return held[obj.id]
        period = periods[obj.id]
        expected = period.elapsed_share(as_of)
        if obj.id in visiting:
            # a cycle the configuration check did not see (e.g. objectives kept in Jira)
            warnings.append(f"{obj.id}: alignment cycle; its progress is not rolled up through the cycle")
            return Score(obj.id, "objective", None, expected, Health.NO_DATA)
        visiting.add(obj.id)
        parts: list[Contribution] = []
        stale: list[str] = []
        started = False
        for kr in tree.krs_of(obj.id):
            s = kr_scores[kr.id]
            parts.append(Contribution(kr.id, "key_result", s.progress, kr.weight))
            started = started or s.health not in (Health.NOT_STARTED, Health.NO_DATA)
            if s.source_error is not None:
                stale.append(kr.id)
        for child_id in tree.children_of(obj.id):
            child = score_objective(by_id[child_id])
            if child_id in visiting:
                continue
            parts.append(Contribution(child_id, "objective", child.progress, by_id[child_id].weight))
            started = started or child.health not in (Health.NOT_STARTED, Health.NO_DATA)
            stale.extend(k for k in child.stale if k not in stale)
        visiting.discard(obj.id)
        progress = weighted_mean(parts)
        measured = [p for p in parts if p.progress is not None]
        if not parts:
            summary = "no key results and no aligned objectives"
        else:
            summary = (
                f"weighted mean of {len(measured)} of {len(parts)} part(s)"
                if len(measured) != len(parts)
                else f"weighted mean of {len(parts)} part(s)"
            )
        if stale:
            summary += f"; held at last known progress (source failing): {', '.join(stale)}"
        overdue = is_overdue(obj.due, period, as_of)
        health = health_of(progress, expected, policy, started=started, overdue=overdue)
        if health == Health.DONE and any(p.progress is None or p.progress < 1.0 - EPSILON for p in parts):
            # 100 % of what can be measured, but a part has no data yet: not done
            health = Health.OVERDUE if overdue else Health.ON_TRACK
        score = Score(
            id=obj.id,
            kind="objective",
            progress=progress,
            expected=expected,
            health=health,
            score=final_score(progress, period, as_of),
            explanation=Explanation("weighted_mean", summary, contributions=tuple(parts)),
            warnings=() if parts else (f"{obj.id}: has no key results and no aligned objectives",),
            stale=tuple(stale),
        )
        obj_scores[obj.id] = score
        return score

    for obj in tree.objectives:
        score_objective(obj)
    return ScoredTree(tree, as_of, kr_scores, obj_scores, tuple(warnings))
