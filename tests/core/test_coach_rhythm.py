"""The coach's rhythm findings (issue 16, Build 4): no check-in for ``checkin_days``, Low twice in
a row, numbers and owner disagreeing, a period about to end with KRs far behind. One table, the
day passed in."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from corekit import Q4
from test_coach import OBJECTIVES, RECENT, good_kr

from okrsync.core.coach import CoachPolicy, Severity, coach
from okrsync.core.coach_rhythm import RhythmPolicy
from okrsync.domain.model import ActionPlan, CheckIn, Confidence, OkrTree, StatusCategory

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW
RHYTHM = {"no_checkin", "low_confidence", "confidence_mismatch", "period_ending_behind"}
NOV_20 = date(2026, 11, 20)  # expected 55 %: the good KR (50 %) is on track
BEHIND = (ActionPlan("PLAT-2", status_changed=RECENT), ActionPlan("PLAT-3"))  # 0 %: off track
DONE = (ActionPlan("PLAT-2", status_category=StatusCategory.DONE, status_changed=RECENT),)


def ci(day: str, confidence: Confidence | None, note: str | None = None) -> CheckIn:
    return CheckIn(date.fromisoformat(day), confidence, note, "Ana", "acc-ana")


CHECKED_IN = good_kr(id="PLAT-9", jira_key="PLAT-9", checkins=(CheckIn(date(2026, 10, 5), H),))
"""Another KR of the tree, checked in: the company checks in (``no_checkin`` applies)."""

CASES: list[tuple[str, date, dict[str, Any], int | None, set[str]]] = [
    ("never checked in", NOV_20, {}, 7, {"no_checkin"}),
    ("checked in 5 days ago", NOV_20, {"checkins": (ci("2026-11-15", H),)}, 7, set()),
    ("checked in 7 days ago", NOV_20, {"checkins": (ci("2026-11-13", H),)}, 7, {"no_checkin"}),
    ("a longer rhythm", NOV_20, {"checkins": (ci("2026-11-13", H),)}, 14, set()),
    ("the site has no check-in fields", NOV_20, {}, None, set()),
    ("a confidence set before okrsync recorded it", NOV_20, {"confidence": M}, 7, set()),
    ("first day of the period", date(2026, 10, 1), {}, 7, set()),
    (
        "Low twice in a row, on track by the numbers",
        NOV_20,
        {"checkins": (ci("2026-11-12", L), ci("2026-11-19", L))},
        7,
        {"low_confidence", "confidence_mismatch"},
    ),
    ("Low, then Medium", NOV_20, {"checkins": (ci("2026-11-12", L), ci("2026-11-19", M))}, 7, set()),
    ("Low once, on track", NOV_20, {"checkins": (ci("2026-11-19", L),)}, 7, {"confidence_mismatch"}),
    (
        "High while off track",
        NOV_20,
        {"checkins": (ci("2026-11-19", H),), "action_plans": BEHIND},
        7,
        {"confidence_mismatch"},
    ),
    (
        "Low while off track: they agree",
        NOV_20,
        {"checkins": (ci("2026-11-19", L),), "action_plans": BEHIND},
        7,
        set(),
    ),
    (
        "11 days left, far behind",
        date(2026, 12, 20),
        {"checkins": (ci("2026-12-18", L),), "action_plans": BEHIND},
        7,
        {"period_ending_behind"},
    ),
    (
        "21 days left, far behind",
        date(2026, 12, 10),
        {"checkins": (ci("2026-12-08", L),), "action_plans": BEHIND},
        7,
        set(),
    ),
    (
        "the last day, far behind",
        date(2026, 12, 31),
        {"checkins": (ci("2026-12-30", L),), "action_plans": BEHIND},
        7,
        {"period_ending_behind"},
    ),
    ("done: nothing to coach", date(2026, 12, 20), {"action_plans": DONE}, 7, set()),
]


@pytest.mark.parametrize(("case", "as_of", "kr", "days", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rhythm_findings(
    case: str, as_of: date, kr: dict[str, Any], days: int | None, expected: set[str]
) -> None:
    tree = OkrTree(Q4, OBJECTIVES, (good_kr(**kr), CHECKED_IN))
    findings = coach(tree, as_of, CoachPolicy(rhythm=RhythmPolicy(days)))
    found = [f for f in findings if f.code in RHYTHM and f.subject == "PLAT-1"]
    assert {f.code for f in found} == expected, case
    assert all(f.subject == "PLAT-1" and f.owner == "ana" and f.fix for f in found)


def test_the_rhythm_findings_say_what_and_whom() -> None:
    kr = good_kr(checkins=(ci("2026-12-08", L), ci("2026-12-15", L)), action_plans=BEHIND)
    tree = OkrTree(Q4, OBJECTIVES, (kr,))
    by_code = {f.code: f for f in coach(tree, date(2026, 12, 24), CoachPolicy(rhythm=RhythmPolicy(7)))}
    assert by_code["no_checkin"].message == "PLAT-1 has had no check-in since 2026-12-15 (9 days)."
    assert by_code["low_confidence"].message == (
        "PLAT-1: its owner said Low at the last two check-ins (2026-12-08 and 2026-12-15)."
    )
    assert by_code["period_ending_behind"].message == (
        "2026-Q4 ends in 7 days (2026-12-31) and PLAT-1 is far behind: 0 % of 92 % expected."
    )
    assert by_code["period_ending_behind"].severity == Severity.WARNING
    assert "carry_over: true" in by_code["period_ending_behind"].fix
    assert by_code["no_checkin"].fix.startswith("ana: check in on PLAT-1: set OKR Confidence")


def test_no_check_in_findings_until_someone_checks_in() -> None:
    tree = OkrTree(Q4, OBJECTIVES, (good_kr(), good_kr(id="PLAT-9", jira_key="PLAT-9")))
    assert coach(tree, NOV_20, CoachPolicy(rhythm=RhythmPolicy(7))) == []
    checked = good_kr(id="PLAT-9", jira_key="PLAT-9", checkins=(ci("2026-11-18", H),))
    tree = OkrTree(Q4, OBJECTIVES, (good_kr(), checked))
    found = coach(tree, NOV_20, CoachPolicy(rhythm=RhythmPolicy(7)))
    assert [(f.code, f.subject) for f in found] == [("no_checkin", "PLAT-1")]


def test_without_a_rhythm_policy_the_coach_says_what_it_said() -> None:
    tree = OkrTree(Q4, OBJECTIVES, (good_kr(checkins=(ci("2026-11-12", L), ci("2026-11-19", L))),))
    assert coach(tree, NOV_20) == []
