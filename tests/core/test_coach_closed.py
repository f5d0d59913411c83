"""The coach and a closed OKR period (issue 16): a KR or objective whose period is over has nothing
left to act on (no stale, overdue, due date, check-in or period-ending finding); a KR carried into
the next period is coached there, in its own period; the one-period shorthand never closes. One
table, the day passed in."""

from __future__ import annotations

from datetime import date

import pytest
from test_coach import OBJECTIVES, good_kr

from okrsync.core.coach import CoachPolicy, coach
from okrsync.core.coach_rhythm import RhythmPolicy
from okrsync.core.cycles import closed_nodes
from okrsync.domain.model import ActionPlan, CheckIn, Confidence, Objective, OkrTree, Period

FY = Period("FY27", date(2026, 10, 1), date(2027, 9, 30))
Q4 = Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
Q1 = Period("2027-Q1", date(2027, 1, 1), date(2027, 3, 31))
LOW = Confidence.LOW
BEHIND = (ActionPlan("X-2"), ActionPlan("X-3"))  # 0 %, nothing ever moved


def low_twice(*days: str) -> tuple[CheckIn, ...]:
    return tuple(CheckIn(date.fromisoformat(d), LOW, None, "Ana") for d in days)


def cycles_tree() -> OkrTree:
    objectives = (
        Objective("CO", "company", OBJECTIVES[0].level, owner="ceo", period=FY),
        Objective("T", "team Q4", OBJECTIVES[1].level, owner="lead", aligns_to="CO", period=Q4),
        Objective("T1", "team Q1", OBJECTIVES[1].level, owner="lead", aligns_to="CO", period=Q1),
    )
    krs = (
        # Q4 only: due mid-December, far behind, Low twice
        good_kr(action_plans=BEHIND, periods=(Q4,), checkins=low_twice("2026-12-01", "2026-12-08")),
        # Q4 only, no due date
        good_kr(id="PLAT-4", jira_key="PLAT-4", due=None, action_plans=BEHIND, periods=(Q4,)),
        # carried from Q4 into Q1, no due date
        good_kr(
            id="PLAT-5",
            jira_key="PLAT-5",
            objective_id="T1",
            due=None,
            action_plans=BEHIND,
            periods=(Q4, Q1),
            checkins=low_twice("2026-12-01", "2026-12-08"),
        ),
    )
    return OkrTree(FY, objectives, krs, periods=(FY, Q4, Q1))


POLICY = CoachPolicy(stale_after_days=14, rhythm=RhythmPolicy(7))
PROGRESS = {"stale", "overdue", "no_due_date", "no_checkin", "low_confidence", "period_ending_behind"}


@pytest.mark.parametrize(
    ("as_of", "subject", "expected"),
    [
        # Q4 live: everything the coach says of a KR behind
        (
            date(2026, 12, 20),
            "PLAT-1",
            {"stale", "overdue", "no_checkin", "low_confidence", "period_ending_behind"},
        ),
        (date(2026, 12, 20), "PLAT-4", {"stale", "no_due_date", "no_checkin", "period_ending_behind"}),
        # Q4 over (closed by the first sync after it, or not yet): nothing about progress or rhythm
        (date(2027, 1, 10), "PLAT-1", set()),
        (date(2027, 1, 10), "PLAT-4", set()),
        (date(2027, 1, 10), "T", set()),
        # the carried KR goes on in Q1: stale since Q1 began (not since Q4 did), checked in long ago
        (date(2027, 1, 10), "PLAT-5", {"no_due_date", "no_checkin", "low_confidence"}),
        (date(2027, 1, 20), "PLAT-5", {"no_due_date", "stale", "no_checkin", "low_confidence"}),
        # Q1 over too: the carried KR is closed with it
        (date(2027, 4, 2), "PLAT-5", set()),
    ],
)
def test_a_closed_periods_krs_are_not_coached(as_of: date, subject: str, expected: set[str]) -> None:
    found = {f.code for f in coach(cycles_tree(), as_of, POLICY) if f.subject == subject}
    assert found & PROGRESS == expected


def test_what_its_configuration_lacks_is_still_said() -> None:
    tree = cycles_tree()
    orphan = good_kr(id="PLAT-8", jira_key="PLAT-8", owner=None, periods=(Q4,), action_plans=BEHIND)
    tree = OkrTree(tree.period, tree.objectives, (*tree.key_results, orphan), periods=tree.periods)
    found = {(f.code, f.subject) for f in coach(tree, date(2027, 1, 10), POLICY)}
    assert ("no_owner", "PLAT-8") in found and not {c for c, s in found if s == "PLAT-8"} & PROGRESS


@pytest.mark.parametrize(
    ("as_of", "closed"),
    [
        (date(2026, 12, 31), set()),  # Q4's last day: still open
        (date(2027, 1, 1), {"PLAT-1", "PLAT-4", "T"}),  # the carried KR and FY go on
        (date(2027, 4, 1), {"PLAT-1", "PLAT-4", "PLAT-5", "T", "T1"}),
    ],
)
def test_closed_nodes(as_of: date, closed: set[str]) -> None:
    assert closed_nodes(cycles_tree(), as_of) == closed


def test_the_one_period_shorthand_never_closes_and_stays_overdue() -> None:
    tree = OkrTree(Q4, OBJECTIVES, (good_kr(action_plans=BEHIND),))
    assert closed_nodes(tree, date(2027, 1, 10)) == frozenset()
    assert "overdue" in {f.code for f in coach(tree, date(2027, 1, 10), POLICY)}
