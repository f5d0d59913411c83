"""Domain types of okrsync: periods, objectives, key results, action plans and the alignment tree.

Everything here is a frozen value. The pure core (mappers, roll-up, coach, plan) takes these and
returns these; nothing here does I/O or reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from okrsync.domain import exit_codes


class OkrsyncError(Exception):
    """An error a user can cause and fix. Its message says what to do; no traceback is shown.

    ``exit_code`` is the command's exit code for it (see :mod:`okrsync.domain.exit_codes`).
    """

    exit_code = exit_codes.NEEDS_FIX


def exit_code_of(exc: BaseException) -> int:
    """The exit code a command ends with when ``exc`` stops it: the ``exit_code`` the error names
    (every ``OkrsyncError``, every Jira error), else INTERNAL (a bug)."""
    code = getattr(exc, "exit_code", None)
    return code if isinstance(code, int) else exit_codes.INTERNAL


class Health(StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NOT_STARTED = "not_started"
    NO_DATA = "no_data"
    OVERDUE = "overdue"
    """Past its due date (its own, else the period's last day) and not done."""

    @property
    def label(self) -> str:
        """The human label, also the option value of the Jira select field."""
        return _HEALTH_LABELS[self]


_HEALTH_LABELS = {
    Health.DONE: "Done",
    Health.ON_TRACK: "On track",
    Health.AT_RISK: "At risk",
    Health.OFF_TRACK: "Off track",
    Health.NOT_STARTED: "Not started",
    Health.NO_DATA: "No data",
    Health.OVERDUE: "Overdue",
}


class Confidence(StrEnum):
    """A KR owner's confidence at a check-in (the ``OKR Confidence`` select field on the KR epic)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        """The option value of the Jira select field."""
        return self.value.capitalize()

    @classmethod
    def of(cls, text: str | None) -> Confidence | None:
        """The confidence an option value names (any case), ``None`` for anything else."""
        try:
            return cls(text.strip().lower()) if text else None
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class CheckIn:
    """One check-in of a KR: what its owner set in Jira (confidence and note), when and who."""

    day: date
    confidence: Confidence | None
    note: str | None = None
    author: str | None = None
    """The display name of who changed the fields (from the changelog), ``None`` when unknown."""
    author_id: str | None = None


class StatusCategory(StrEnum):
    """Jira's status categories by their stable key (``new``, ``indeterminate``, ``done``)."""

    TODO = "new"
    IN_PROGRESS = "indeterminate"
    DONE = "done"
    UNKNOWN = "undefined"


class Measure(StrEnum):
    ISSUES = "issues"
    POINTS = "points"
    METRIC = "metric"
    MANUAL = "manual"


class Level(StrEnum):
    COMPANY = "company"
    DEPARTMENT = "department"
    TEAM = "team"


@dataclass(frozen=True, slots=True)
class Period:
    """An OKR period; ``start`` and ``end`` are both days of the period (inclusive)."""

    name: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def elapsed_share(self, as_of: date) -> float:
        """Share of the period that has passed by the end of ``as_of``.

        Before the first day it is 0; the first day counts as one day elapsed (so that a plan for
        the day is already expected), the last day and later give exactly 1.
        """
        if as_of < self.start:
            return 0.0
        if as_of >= self.end:
            return 1.0
        return ((as_of - self.start).days + 1) / self.days

    def as_json(self) -> dict[str, str]:
        """``{"name", "start", "end"}``, the days in ISO form (how stored documents name a period)."""
        return {"name": self.name, "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """One Jira issue that is work towards a key result (a child of the KR's epic)."""

    key: str
    summary: str = ""
    status: str = ""
    status_category: StatusCategory = StatusCategory.TODO
    cancelled: bool = False
    points: float | None = None
    owner: str | None = None
    owner_id: str | None = None
    """Jira's id for the owner: the accountId (Cloud) or user name (Data Center), for mentions."""
    due: date | None = None
    updated: datetime | None = None
    status_changed: datetime | None = None
    resolution: str | None = None
    issue_type: str = ""


@dataclass(frozen=True, slots=True)
class MetricTarget:
    """A metric KR: progress is how far ``current`` has moved from ``start`` towards ``target``."""

    field: str
    start: float
    target: float
    current: float | None = None


@dataclass(frozen=True, slots=True)
class LastKnown:
    """A KR's last measured progress and health (from the state store), kept while its source fails."""

    progress: float | None
    health: Health
    day: date


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """Why a KR's source could not be read this cycle, and since when (the first cycle it failed)."""

    reason: str
    since: date
    last_known: LastKnown | None = None


@dataclass(frozen=True, slots=True)
class BrokenSource:
    """A ``key_results[i]`` source that yielded no KR this cycle: its JQL was rejected, or its epic
    does not exist or cannot be browsed. The mapper reports it; it never silently disappears."""

    index: int
    reason: str
    epic: str | None = None
    """The configured epic (``epic:`` sources)."""
    objective: str | None = None
    """The configured objective (``None`` for ``@parent``: only the last known KRs know theirs)."""
    title: str | None = None
    measure: Measure = Measure.ISSUES
    weight: float = 1.0
    owner: str | None = None
    due: date | None = None

    @property
    def label(self) -> str:
        return f"key_results[{self.index}]"


@dataclass(frozen=True, slots=True)
class KeyResult:
    """A key result: one Jira epic (or a configured id) with its action plans."""

    id: str
    objective_id: str
    title: str
    measure: Measure
    action_plans: tuple[ActionPlan, ...] = ()
    metric: MetricTarget | None = None
    manual_value: float | None = None
    weight: float = 1.0
    owner: str | None = None
    owner_id: str | None = None
    due: date | None = None
    jira_key: str | None = None
    warnings: tuple[str, ...] = ()
    source_error: str | None = None
    """Why this KR could not be measured this cycle (its JQL rejected, its epic gone, its metric or
    manual field missing or empty); the roll-up then holds its last known progress (``failure``)."""
    source_index: int | None = None
    """Which ``key_results[i]`` of the configuration it comes from."""
    failure: SourceFailure | None = None
    """Set with ``source_error`` once the state store was asked (since when, last known progress)."""
    confidence: Confidence | None = None
    """What the KR epic's ``OKR Confidence`` field shows now."""
    checkin_note: str | None = None
    """What the KR epic's ``OKR Check-in`` field shows now."""
    checkins: tuple[CheckIn, ...] = ()
    """The KR's recorded check-ins, oldest first (the state store's, with this cycle's new one)."""
    periods: tuple[Period, ...] = ()
    """Its OKR cycles in order: its own period, then those it is carried into (``carry_over``, or
    the same epic listed again); empty: the tree's period."""

    @property
    def stale(self) -> bool:
        return self.source_error is not None

    @property
    def last_checkin(self) -> CheckIn | None:
        return self.checkins[-1] if self.checkins else None

    def period_on(self, as_of: date, default: Period) -> Period:
        """The period it is scored in on ``as_of``: the first of its periods not ended by then
        (a carried KR moves on once the one before ends), else its last; ``default`` with none."""
        return next(
            (p for p in self.periods if as_of <= p.end), self.periods[-1] if self.periods else default
        )


@dataclass(frozen=True, slots=True)
class Objective:
    id: str
    title: str
    level: Level = Level.TEAM
    owner: str | None = None
    aligns_to: str | None = None
    weight: float = 1.0
    due: date | None = None
    jira_key: str | None = None
    period: Period | None = None
    """Its own period (``period:``); ``None``: the span of its key results' periods."""


@dataclass(frozen=True, slots=True)
class OkrTree:
    """The whole alignment tree of one period: objectives, their KRs and the KRs' action plans."""

    period: Period
    objectives: tuple[Objective, ...]
    key_results: tuple[KeyResult, ...]
    warnings: tuple[str, ...] = ()
    broken_sources: tuple[BrokenSource, ...] = ()
    """Sources that yielded no KR this cycle (:mod:`okrsync.core.stale` keeps their last known KRs)."""
    periods: tuple[Period, ...] = ()
    """The configured OKR cycles (``periods:``); empty or one: ``period`` is the only one."""
    _children: Mapping[str | None, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    _krs: Mapping[str, tuple[KeyResult, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = {o.id for o in self.objectives}
        children: dict[str | None, list[str]] = {}
        for obj in self.objectives:
            parent = obj.aligns_to if obj.aligns_to in ids else None
            children.setdefault(parent, []).append(obj.id)
        krs: dict[str, list[KeyResult]] = {}
        for kr in self.key_results:
            krs.setdefault(kr.objective_id, []).append(kr)
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})
        object.__setattr__(self, "_krs", {k: tuple(v) for k, v in krs.items()})

    def objective(self, objective_id: str) -> Objective:
        for obj in self.objectives:
            if obj.id == objective_id:
                return obj
        raise KeyError(objective_id)

    @property
    def roots(self) -> tuple[str, ...]:
        """Objectives that align to nothing known: normally the company objectives."""
        return self._children.get(None, ())

    def children_of(self, objective_id: str) -> tuple[str, ...]:
        return tuple(c for c in self._children.get(objective_id, ()) if c != objective_id)

    def krs_of(self, objective_id: str) -> tuple[KeyResult, ...]:
        return self._krs.get(objective_id, ())

    def walk(self) -> Iterator[tuple[int, Objective]]:
        """Objectives depth first from the roots, with their depth; each objective once."""
        seen: set[str] = set()
        by_id = {o.id: o for o in self.objectives}

        def visit(oid: str, depth: int) -> Iterator[tuple[int, Objective]]:
            if oid in seen:
                return
            seen.add(oid)
            yield depth, by_id[oid]
            for child in self.children_of(oid):
                yield from visit(child, depth + 1)

        for root in self.roots:
            yield from visit(root, 0)
        # objectives caught in a cycle are reachable from no root; still list them
        for obj in self.objectives:
            yield from visit(obj.id, 0)
