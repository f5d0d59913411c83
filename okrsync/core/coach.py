"""The OKR coach: findings about key results and objectives that a good OKR coach would raise.

Pure: takes the tree, its scores and the day, returns findings. Each finding names its subject,
its owner (for grouping) and a fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from okrsync.core.coach_rhythm import RhythmPolicy, in_use, rhythm_findings
from okrsync.core.cycles import closed_nodes, objective_periods
from okrsync.core.rollup import EPSILON, RollupPolicy, ScoredTree, due_day, is_overdue, kr_progress, roll_up
from okrsync.domain.model import KeyResult, Level, Measure, Objective, OkrTree, Period


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    subject: str
    kind: str  # "key_result" | "objective"
    owner: str | None
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class CoachPolicy:
    stale_after_days: int = 14
    max_krs_per_objective: int = 5
    rhythm: RhythmPolicy | None = None
    """The check-in and period-end findings (:mod:`okrsync.core.coach_rhythm`); ``None``: none."""


def last_progress_change(kr: KeyResult) -> date | None:
    """The last day one of the KR's action plans changed status category (its last movement)."""
    days = [_day(p.status_changed) for p in kr.action_plans if p.status_changed is not None]
    return max(days) if days else None


def stale_since(
    kr: KeyResult, period: Period, as_of: date, stale_after_days: int, last_change: date | None = None
) -> date | None:
    """The day a stale KR last moved (or the period's first day), or ``None`` when it is not stale.

    ``last_change`` is the last day the progress history saw the KR's progress change (e.g. a
    metric moving); the last status change of its action plans counts too — whichever is later.
    A KR is stale after ``stale_after_days`` without movement.
    """
    if as_of < period.start:
        return None
    known = [d for d in (last_change, last_progress_change(kr)) if d is not None]
    last = max(known) if known else None
    since = last if last is not None and last >= period.start else period.start
    return since if (as_of - since).days >= stale_after_days else None


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def coach(
    tree: OkrTree,
    as_of: date,
    policy: CoachPolicy | None = None,
    *,
    scored: ScoredTree | None = None,
    last_change: Mapping[str, date] | None = None,
) -> list[Finding]:
    """Every finding for the tree as of ``as_of``, ordered by severity then subject.

    ``last_change`` maps KR ids to the last day their progress changed (from the progress
    history); where it has no entry, the last status change of the KR's action plans is used.
    Each KR and objective is judged in its own period (OKR cycles); one whose period is over
    (:func:`~okrsync.core.cycles.closed_nodes`) has nothing left to act on: no stale, overdue,
    due date or rhythm finding (check-ins, period ending), only what its configuration lacks.
    """
    policy = policy or CoachPolicy()
    findings: list[Finding] = []
    objectives = {o.id: o for o in tree.objectives}
    scores = scored if scored is not None else roll_up(tree, as_of)
    rhythm = in_use(policy.rhythm, tree.key_results) if policy.rhythm is not None else None
    closed = closed_nodes(tree, as_of)
    for kr in tree.key_results:
        owner = kr.owner or _owner_of(objectives.get(kr.objective_id))
        findings.extend(
            _kr_findings(kr, tree, owner, as_of, policy, scored, last_change or {}, kr.id in closed)
        )
        if rhythm is not None and kr.id not in closed:
            findings.extend(_rhythm(kr, scores, tree, owner, as_of, rhythm))
    objective_progress = scores.objectives
    own = objective_periods(tree)
    for obj in tree.objectives:
        findings.extend(_objective_findings(obj, tree, objectives, policy))
        if obj.id in closed:
            continue
        progress = objective_progress[obj.id].progress if obj.id in objective_progress else None
        period = own.get(obj.id, tree.period)
        findings.extend(_overdue(obj.id, "objective", obj.owner, obj.due, progress, period, as_of))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.subject, f.code))


def _rhythm(
    kr: KeyResult, scores: ScoredTree, tree: OkrTree, owner: str | None, as_of: date, policy: RhythmPolicy
) -> list[Finding]:
    out: list[Finding] = []

    def add(code: str, severity: str, message: str, fix: str) -> None:
        out.append(Finding(code, Severity(severity), kr.id, "key_result", owner, message, fix))

    period = kr.period_on(as_of, tree.period)
    rhythm_findings(kr, scores.key_results.get(kr.id), period, as_of, owner, policy, add)
    return out


def _owner_of(obj: Objective | None) -> str | None:
    return obj.owner if obj else None


def _kr_findings(
    kr: KeyResult,
    tree: OkrTree,
    owner: str | None,
    as_of: date,
    policy: CoachPolicy,
    scored: ScoredTree | None,
    last_change: Mapping[str, date],
    closed: bool = False,
) -> list[Finding]:
    out: list[Finding] = []
    period = tree.period
    own = kr.period_on(as_of, tree.period)  # the one it is scored in (OKR cycles)

    def add(code: str, severity: Severity, message: str, fix: str) -> None:
        out.append(Finding(code, severity, kr.id, "key_result", owner, message, fix))

    if kr.measure == Measure.METRIC and (kr.metric is None or kr.metric.start == kr.metric.target):
        add(
            "not_measurable",
            Severity.ERROR,
            f"{kr.id} has no target to measure against.",
            "Set metric.start and metric.target in the configuration.",
        )
    elif kr.measure in (Measure.ISSUES, Measure.POINTS) and not [
        p for p in kr.action_plans if not p.cancelled
    ]:
        add(
            "not_measurable",
            Severity.ERROR,
            f"{kr.id} has no action plans, so its progress cannot be measured.",
            f"Add the issues that deliver {kr.id} as children of its epic.",
        )
    if kr.owner is None:
        add(
            "no_owner",
            Severity.WARNING,
            f"{kr.id} has no owner.",
            f"Assign the epic {kr.jira_key or kr.id} to the person accountable for it.",
        )
    if closed:
        pass  # its period is over: its due date no longer matters
    elif kr.due is None:
        add(
            "no_due_date",
            Severity.WARNING,
            f"{kr.id} has no due date.",
            f"Set a due date on {kr.jira_key or kr.id} inside {period.name} ({period.start}..{period.end}).",
        )
    elif not period.contains(kr.due):
        add(
            "due_outside_period",
            Severity.WARNING,
            f"{kr.id} is due {kr.due}, outside {period.name}.",
            f"Move the due date into {period.start}..{period.end}, or move the KR to its own period.",
        )
    if not _reaches_company(kr.objective_id, tree):
        add(
            "unaligned",
            Severity.ERROR,
            f"{kr.id} does not align to a company objective.",
            f"Align objective {kr.objective_id} (or one above it) to a company-level objective.",
        )
    if scored is not None and kr.id in scored.key_results:
        progress = scored.kr(kr.id).progress
    else:
        progress = kr_progress(kr, RollupPolicy())[0]
    if closed:
        return out
    measurable = not any(f.code == "not_measurable" for f in out)
    since = stale_since(kr, own, as_of, policy.stale_after_days, last_change.get(kr.id))
    if measurable and progress != 1.0 and since is not None:
        idle = (as_of - since).days
        when = "since the period began" if since == own.start else f"since {since}"
        add(
            "stale",
            Severity.WARNING,
            f"{kr.id} has made no progress {when} ({idle} days).",
            "Check in with the owner: update the action plans, or re-plan the KR.",
        )
    out.extend(_overdue(kr.id, "key_result", owner, kr.due, progress, own, as_of, kr.jira_key))
    return out


def _overdue(
    subject: str,
    kind: str,
    owner: str | None,
    due: date | None,
    progress: float | None,
    period: Period,
    as_of: date,
    jira_key: str | None = None,
) -> list[Finding]:
    """The ``overdue`` finding of a KR or objective past its due day (its own, else the period's
    last day) and not done, naming its owner; none without data (nothing measured to judge)."""
    if progress is None or progress >= 1.0 - EPSILON or not is_overdue(due, period, as_of):
        return []
    day = due_day(due, period)
    when = f"{day}" if due is not None else f"{day}, the end of {period.name}"
    late = (as_of - day).days
    who = owner or "no one (it has no owner)"
    noun = "key result" if kind == "key_result" else "objective"
    return [
        Finding(
            "overdue",
            Severity.WARNING,
            subject,
            kind,
            owner,
            f"{subject} was due {when} and is not done: {progress * 100:.0f} % on {as_of}, "
            f"{late} day{'s' if late != 1 else ''} overdue. Owner: {who}.",
            f"{owner or 'Its owner'}: close the {noun} {jira_key or subject} (finish or cancel what is "
            "left) or re-plan it (a new due date, or move it to the next period).",
        )
    ]


def _objective_findings(
    obj: Objective, tree: OkrTree, objectives: Mapping[str, Objective], policy: CoachPolicy
) -> list[Finding]:
    out: list[Finding] = []

    def add(code: str, severity: Severity, message: str, fix: str) -> None:
        out.append(Finding(code, severity, obj.id, "objective", obj.owner, message, fix))

    krs = tree.krs_of(obj.id)
    if len(krs) > policy.max_krs_per_objective:
        add(
            "too_many_krs",
            Severity.WARNING,
            f"{obj.id} has {len(krs)} key results (more than {policy.max_krs_per_objective}).",
            "Focus: keep the 3–5 key results that matter most, move the rest to action plans.",
        )
    if not krs and not tree.children_of(obj.id):
        add(
            "not_measurable",
            Severity.ERROR,
            f"{obj.id} has no key results and no aligned objectives.",
            f"Add key results with objective: {obj.id}, or align team objectives to it.",
        )
    if obj.owner is None:
        add("no_owner", Severity.WARNING, f"{obj.id} has no owner.", f"Set owner: on objective {obj.id}.")
    if obj.level != Level.COMPANY and not _reaches_company(obj.id, tree):
        add(
            "unaligned",
            Severity.ERROR,
            f"{obj.id} does not align to a company objective.",
            f"Set aligns_to: on {obj.id} to the company (or department) objective it serves.",
        )
    return out


def _reaches_company(objective_id: str, tree: OkrTree) -> bool:
    by_id = {o.id: o for o in tree.objectives}
    seen: set[str] = set()
    node = by_id.get(objective_id)
    while node is not None and node.id not in seen:
        if node.level == Level.COMPANY:
            return True
        seen.add(node.id)
        node = by_id.get(node.aligns_to) if node.aligns_to else None
    return False
