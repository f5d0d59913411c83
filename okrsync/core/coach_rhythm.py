"""The coach's findings on the OKR rhythm (pure): the weekly check-in and the end of a period.

* ``no_checkin``: a KR whose owner has not checked in (``OKR Confidence``) for ``checkin_days``,
  once the company checks in at all (some KR of the tree has a check-in: before that, every KR
  would have one such finding and the coach would say nothing else);
* ``low_confidence``: its owner said Low at the last two check-ins in a row;
* ``confidence_mismatch``: the numbers and the owner disagree: on track by progress while the
  owner says Low (what do the numbers miss?), or off track by progress while the owner says High
  (are the action plans up to date?);
* ``period_ending_behind``: the KR's period ends within ``ending_days`` and the KR is far behind
  (off track by progress: further behind expected than ``off_track_gap``).

Progress health here is the numbers' own (:func:`~okrsync.core.rollup.health_of`), never lowered by
the confidence (``policy.confidence_affects_health`` would make every Low look off track).
Time is passed in (``as_of``); done KRs and KRs without data raise none of these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from okrsync.core.rollup import EPSILON, RollupPolicy, Score, health_of
from okrsync.domain.model import Confidence, Health, KeyResult, Period


@dataclass(frozen=True, slots=True)
class RhythmPolicy:
    checkin_days: int | None = 7
    """Days without a check-in before ``no_checkin``; ``None``: the site has no check-in fields."""
    ending_days: int = 14
    """How close to its period's end a KR far behind is a ``period_ending_behind`` finding."""
    tolerance: float = 0.1
    off_track_gap: float = 0.2


Add = Callable[[str, str, str, str], None]
"""add(code, severity, message, fix): how the coach collects a KR's finding."""


def in_use(policy: RhythmPolicy, krs: Sequence[KeyResult]) -> RhythmPolicy:
    """``policy`` for a tree of ``krs``: without ``no_checkin`` while no KR was ever checked in."""
    if policy.checkin_days is None or any(kr.checkins or kr.confidence for kr in krs):
        return policy
    return replace(policy, checkin_days=None)


def rhythm_findings(
    kr: KeyResult,
    score: Score | None,
    period: Period,
    as_of: date,
    owner: str | None,
    policy: RhythmPolicy,
    add: Add,
) -> None:
    """The rhythm findings of one KR, through ``add`` (severities ``warning`` and ``info``)."""
    progress = score.progress if score is not None else None
    if score is None or progress is None or progress >= 1.0 - EPSILON or kr.stale:
        return
    who = owner or "Its owner"
    key = kr.jira_key or kr.id
    _no_checkin(kr, period, as_of, who, key, policy, add)
    checkins = kr.checkins
    if len(checkins) >= 2 and all(c.confidence == Confidence.LOW for c in checkins[-2:]):
        days = " and ".join(c.day.isoformat() for c in checkins[-2:])
        add(
            "low_confidence",
            "warning",
            f"{kr.id}: its owner said Low at the last two check-ins ({days}).",
            f"{who}: talk it through with the team this week: re-plan, get help, or lower the target.",
        )
    numbers = health_of(progress, score.expected, RollupPolicy(0.0, policy.tolerance, policy.off_track_gap))
    confidence = kr.last_checkin.confidence if kr.last_checkin is not None else kr.confidence
    if numbers == Health.ON_TRACK and confidence == Confidence.LOW:
        add(
            "confidence_mismatch",
            "info",
            f"{kr.id} is on track by its numbers ({_pct(progress)} of {_pct(score.expected)} expected), "
            "but its owner's confidence is Low.",
            f"{who}: say what the numbers miss in the check-in note, and add it as action plans under {key}.",
        )
    elif numbers == Health.OFF_TRACK and confidence == Confidence.HIGH:
        add(
            "confidence_mismatch",
            "info",
            f"{kr.id} is off track by its numbers ({_pct(progress)} of {_pct(score.expected)} expected), "
            "but its owner's confidence is High.",
            f"{who}: bring the action plans under {key} up to date, or say in the check-in why it will land.",
        )
    left = (period.end - as_of).days
    if 0 <= left < policy.ending_days and numbers == Health.OFF_TRACK:
        add(
            "period_ending_behind",
            "warning",
            f"{period.name} ends in {left} day{'s' if left != 1 else ''} ({period.end}) and {kr.id} is far "
            f"behind: {_pct(progress)} of {_pct(score.expected)} expected.",
            f"{who}: decide now: a last push on what is left, re-scope it, or carry it over to the next "
            "period (carry_over: true).",
        )


def _no_checkin(
    kr: KeyResult, period: Period, as_of: date, who: str, key: str, policy: RhythmPolicy, add: Add
) -> None:
    if policy.checkin_days is None or not period.contains(as_of) or kr.jira_key is None:
        return
    last = kr.last_checkin
    if last is None and kr.confidence is not None:
        return  # set before okrsync recorded check-ins: its day is unknown (okrsync backfill knows it)
    since = last.day if last is not None else period.start
    idle = (as_of - since).days
    if idle < policy.checkin_days:
        return
    when = f"since {since}" if last is not None else "since the period began"
    add(
        "no_checkin",
        "warning",
        f"{kr.id} has had no check-in {when} ({idle} days).",
        f"{who}: check in on {key}: set OKR Confidence (High, Medium, Low) and say why in OKR Check-in.",
    )


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %"
