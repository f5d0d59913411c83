"""Closing an OKR period in the core: which periods are due, the final scores, what freezes, the
record's round trip, and what the plan writes to a closed period (once) and to a frozen KR (nothing
else)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

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
from okrsync.core.plan import CommentRecord, IssueNow, WritebackIds, plan_changes
from okrsync.core.plan.closing_writes import ClosingPlan, close_comment
from okrsync.core.rollup import RollupPolicy, roll_up
from okrsync.core.stored_tree import stored_tree_of
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
from okrsync.domain.records import ProgressPoint
from okrsync.jira.markup import to_plain

YEAR = Period("2026", date(2026, 1, 1), date(2026, 12, 31))
Q1 = Period("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
Q2 = Period("2026-Q2", date(2026, 4, 1), date(2026, 6, 30))
DONE, TODO = StatusCategory.DONE, StatusCategory.TODO
IDS = WritebackIds(
    progress="cf_progress", expected="cf_expected", status="cf_status", objective="cf_obj", score="cf_score"
)
POLICY = RollupPolicy()


def kr(key: str, done: int, todo: int, periods: tuple[Period, ...], objective: str = "ENG-1") -> KeyResult:
    plans = [ActionPlan(f"{key}-{i}", status_category=DONE) for i in range(done)]
    plans += [ActionPlan(f"{key}-{done + i}", status_category=TODO) for i in range(todo)]
    return KeyResult(
        key, objective, f"Title {key}", Measure.ISSUES, tuple(plans), jira_key=key, periods=periods
    )


def company(*krs: KeyResult) -> OkrTree:
    objectives = (
        Objective("CO-1", "Company", period=YEAR, jira_key="CO-1"),
        Objective("ENG-1", "Eng Q1", aligns_to="CO-1", period=Q1),
        Objective("ENG-2", "Eng Q2", aligns_to="CO-1", period=Q2),
    )
    return OkrTree(YEAR, objectives, krs, periods=(YEAR, Q1, Q2))


def q1_company() -> OkrTree:
    return company(
        kr("A-1", 3, 1, (Q1,)),  # 75 %
        kr("A-2", 1, 3, (Q1, Q2), objective="CO-1"),  # 25 %, carried into Q2
        kr("A-3", 0, 2, (Q2,), objective="ENG-2"),
    )


@pytest.mark.parametrize(
    ("as_of", "closed", "due"),
    [
        (date(2026, 3, 31), (), []),  # its last day: still open
        (date(2026, 4, 1), (), [Q1]),  # the first cycle after its end
        (date(2026, 4, 1), ("2026-Q1",), []),  # closed once
        (date(2026, 7, 2), (), [Q1, Q2]),  # a sync after a long pause: oldest first
        (date(2027, 1, 1), ("2026-Q1", "2026-Q2"), [YEAR]),
    ],
)
def test_periods_due(as_of: date, closed: tuple[str, ...], due: list[Period]) -> None:
    assert periods_due(q1_company(), closed, as_of) == due


def test_the_one_period_shorthand_never_closes() -> None:
    tree = OkrTree(Q1, (Objective("ENG-1", "Eng"),), (kr("A-1", 1, 1, ()),))
    assert periods_due(tree, (), date(2026, 5, 1)) == []


def test_close_scores_each_kr_in_its_period_and_the_objectives_of_the_period() -> None:
    tree = q1_company()
    scored = roll_up(tree, date(2026, 4, 1))
    close = close_period(scored, Q1, POLICY, {"A-1": 0.25})
    assert set(close.finals) == {"A-1", "A-2", "ENG-1"}  # CO-1 is of the year, A-3 of Q2
    a1, a2, eng1 = close.finals["A-1"], close.finals["A-2"], close.finals["ENG-1"]
    assert (a1.progress, a1.score, a1.health, a1.start_progress) == (0.75, 0.8, Health.OVERDUE, 0.25)
    # the carried KR: scored in Q1 (expected 100 %), though the roll-up has it in Q2 already
    assert (a2.progress, a2.score, a2.health, a2.carried_into) == (
        0.25,
        0.2,
        Health.OVERDUE,
        "2026-Q2",
    )  # round half even, as ever
    assert scored.kr("A-2").score is None and scored.kr("A-2").expected == pytest.approx(1 / 91)
    assert (eng1.progress, eng1.score) == (0.75, 0.8)


def test_frozen_scores_hold_closed_nodes_but_not_a_carried_kr() -> None:
    tree = q1_company()
    close = close_period(roll_up(tree, date(2026, 4, 1)), Q1, POLICY, {})
    frozen = frozen_scores(tree, {"2026-Q1": close})
    assert set(frozen) == {"A-1", "ENG-1"}
    # A-1 moves on in Jira after the close: its numbers stay what they were
    moved = company(kr("A-1", 4, 0, (Q1,)), *q1_company().key_results[1:])
    later = roll_up(moved, date(2026, 4, 20), frozen=frozen)
    assert later.kr("A-1").progress == 0.75 and later.kr("A-1").score == 0.8
    assert later.objective("ENG-1").score == 0.8
    # CO-1 rolls up its live KR, the frozen Q1 objective and the Q2 one
    assert later.objective("CO-1").progress == pytest.approx((0.25 + 0.75 + 0.0) / 3)  # A-2, ENG-1, ENG-2


def test_the_record_round_trips_and_unreadable_entries_are_left_out() -> None:
    tree = q1_company()
    scored = roll_up(tree, date(2026, 4, 1))
    close = close_period(scored, Q1, POLICY, {"A-1": 0.5}, last_day={"A-1": 0.75, "A-2": 0.25})
    close = PeriodClose(
        close.period, close.closed_on, close.finals, closed_tree(stored_tree_of(scored), close)
    )
    stored: dict[str, Any] = {"2026-Q1": close.as_json(), "junk": {"period": "?"}}
    back = closes_of(stored)
    assert list(back) == ["2026-Q1"] and back["2026-Q1"] == close
    doc = back["2026-Q1"].tree
    assert doc is not None and doc["closed"] == {"on": "2026-04-01"}
    assert {k["id"]: k["score"] for k in doc["key_results"]} == {"A-1": 0.8, "A-2": 0.2}


LATE = date(2026, 4, 8)  # a week after Q1's end: the daemon was down across it


@pytest.mark.parametrize(
    ("last_day", "a1", "a2", "eng1", "late"),
    [
        # the last day's history: work done after the end does not count (A-1 is 75 % now)
        (
            {"A-1": 0.5, "A-2": 0.25},
            (0.5, 0.5, Health.OVERDUE),
            (0.25, 0.2, Health.OVERDUE),
            (0.5, 0.5),
            False,
        ),
        # done on its last day: Done, whatever happened after
        ({"A-1": 1.0, "A-2": 0.0}, (1.0, 1.0, Health.DONE), (0.0, 0.0, Health.OVERDUE), (1.0, 1.0), False),
        # nothing measured that day: no score
        (
            {"A-1": None, "A-2": 0.25},
            (None, None, Health.NO_DATA),
            (0.25, 0.2, Health.OVERDUE),
            (None, None),
            False,
        ),
        # no history that day (a new install): the progress now, marked
        ({}, (0.75, 0.8, Health.OVERDUE), (0.25, 0.2, Health.OVERDUE), (0.75, 0.8), True),
        # only A-1 recorded (A-2 new in the config): A-2 from now, and so its objective's roll-up
        ({"A-1": 0.5}, (0.5, 0.5, Health.OVERDUE), (0.25, 0.2, Health.OVERDUE), (0.5, 0.5), True),
    ],
)
def test_the_final_score_is_the_last_days_progress_else_now_and_marked(
    last_day: dict[str, float | None],
    a1: tuple[Any, ...],
    a2: tuple[Any, ...],
    eng1: tuple[Any, ...],
    late: bool,
) -> None:
    close = close_period(roll_up(q1_company(), LATE), Q1, POLICY, {}, last_day=last_day)
    f1, f2, fo = close.finals["A-1"], close.finals["A-2"], close.finals["ENG-1"]
    assert (f1.progress, f1.score, f1.health) == a1
    assert (f2.progress, f2.score, f2.health) == a2 and f2.carried_into == "2026-Q2"
    assert (fo.progress, fo.score) == eng1
    assert f1.scored_on == (Q1.end if "A-1" in last_day else LATE)
    assert fo.late(Q1) is late and (close.scored_late_on() == LATE) is late
    back = closes_of({"q": close.as_json()})["q"]
    assert back == close  # scored_on round-trips
    doc = closed_tree(stored_tree_of(roll_up(q1_company(), LATE)), close)
    assert doc["closed"] == (
        {"on": "2026-04-08", "scored_on": "2026-04-08"} if late else {"on": "2026-04-08"}
    )
    text = to_plain(close_comment(q1_company().key_results[0], close, f1, {}).doc)  # type: ignore[union-attr]
    assert ("Scored on 2026-04-08, after the period ended" in text) is ("A-1" not in last_day)


def test_a_close_recorded_before_scored_on_existed_claims_nothing() -> None:
    close = close_period(roll_up(q1_company(), LATE), Q1, POLICY, {})
    data = close.as_json()
    for f in data["finals"].values():
        del f["scored_on"]
    old = closes_of({"q": data})["q"]
    assert old.scored_late_on() is None and not old.finals["A-1"].late(Q1)


def test_the_last_days_progress_is_the_last_point_of_that_day() -> None:
    end = Q1.end
    points = [
        ProgressPoint(date(2026, 3, 30), "A-1", "key_result", 0.4, 0.9, "at_risk"),
        ProgressPoint(end, "A-1", "key_result", 0.5, 1.0, "at_risk"),
        ProgressPoint(end, "A-1", "key_result", 0.6, 1.0, "at_risk"),  # a later snapshot that day
        ProgressPoint(end, "A-2", "key_result", None, 1.0, "no_data"),
        ProgressPoint(date(2026, 4, 1), "A-3", "key_result", 0.9, 0.0, "on_track"),
    ]
    assert last_day_progress(points, end) == {"A-1": 0.6, "A-2": None}


def test_start_progress_is_the_first_recorded_day_inside_the_period() -> None:
    points = [
        ProgressPoint(date(2025, 12, 30), "A-1", "key_result", 0.1, 0.0, "on_track"),
        ProgressPoint(date(2026, 1, 5), "A-1", "key_result", 0.2, 0.1, "on_track"),
        ProgressPoint(date(2026, 2, 5), "A-1", "key_result", 0.5, 0.4, "on_track"),
    ]
    assert start_progress_of(points, Q1) == {"A-1": 0.2}


def _plan(
    tree: OkrTree, as_of: date, closes: dict[str, PeriodClose], now: dict[str, IssueNow], records: Any
) -> Any:
    frozen = frozen_scores(tree, closes)
    scored = roll_up(tree, as_of, frozen=frozen)
    return plan_changes(scored, IDS, now, records=records, closing=ClosingPlan.of(closes, frozenset(frozen)))


def test_the_plan_writes_a_close_once_and_nothing_else_to_a_frozen_kr() -> None:
    tree = q1_company()
    close = close_period(roll_up(tree, date(2026, 4, 1)), Q1, POLICY, {"A-1": 0.5})
    closes = {"2026-Q1": close}
    plan = _plan(tree, date(2026, 4, 1), closes, {}, {})
    edits = {e.issue_key: e.fields for e in plan.field_edits}
    assert edits["A-1"]["cf_score"] == 0.8 and edits["A-2"]["cf_score"] == 0.2
    assert "A-1-0" not in edits  # a frozen KR's action plans are left as they are
    assert "A-2-0" in edits  # the carried KR's are written as ever
    identities = {(c.issue_key, c.identity) for c in plan.comments}
    assert ("A-1", "close:2026-Q1") in identities and ("A-2", "close:2026-Q1") in identities
    assert not [c for c in plan.comments if c.issue_key == "A-1" and c.identity != "close:2026-Q1"]
    (a1_prop,) = [p for p in plan.properties if p.issue_key == "A-1"]
    assert a1_prop.value["closed"] == {
        "period": "2026-Q1",
        "on": "2026-04-01",
        "score": 0.8,
        "progress": 75.0,
        "health": "overdue",
    }
    text = to_plain(next(c for c in plan.comments if c.issue_key == "A-1").doc)
    assert "scores 0.8 (final status Overdue)" in text and "moved from 50.0 % at the start" in text

    # Jira shows all of it: planned again, nothing for A-1 (and the comment is on record)
    now = {e.issue_key: IssueNow(fields=dict(e.fields)) for e in plan.field_edits}
    for p in plan.properties:
        now[p.issue_key] = IssueNow(
            fields=now.get(p.issue_key, IssueNow()).fields, property=p.value, property_known=True
        )
    records = {
        (c.issue_key, c.identity): CommentRecord(f"c-{c.issue_key}", c.value_hash) for c in plan.comments
    }
    moved = company(kr("A-1", 4, 0, (Q1,)), *tree.key_results[1:])  # its last action plan done
    again = _plan(moved, date(2026, 4, 2), closes, now, records)
    assert not [c for c in again.changes if c.issue_key.startswith("A-1")]


def test_without_an_okr_score_field_the_plan_says_so() -> None:
    tree = q1_company()
    closes = {"2026-Q1": close_period(roll_up(tree, date(2026, 4, 1)), Q1, POLICY, {})}
    frozen = frozen_scores(tree, closes)
    scored = roll_up(tree, date(2026, 4, 1), frozen=frozen)
    ids = WritebackIds(progress="cf_progress", expected="cf_expected", status="cf_status")
    plan = plan_changes(scored, ids, {}, closing=ClosingPlan.of(closes, frozenset(frozen)))
    assert any('no number field "OKR Score"' in w for w in plan.warnings)
