"""The coach: each finding appears exactly when it should, with an owner and a fix."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from corekit import Q4

from okrsync.core.coach import CoachPolicy, Severity, coach, last_progress_change
from okrsync.core.rollup import roll_up
from okrsync.domain.model import (
    ActionPlan,
    KeyResult,
    Level,
    Measure,
    MetricTarget,
    Objective,
    OkrTree,
    StatusCategory,
)

AS_OF = date(2026, 11, 20)
RECENT = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def good_kr(**kw: object) -> KeyResult:
    fields: dict[str, object] = {
        "id": "PLAT-1",
        "objective_id": "T",
        "title": "t",
        "measure": Measure.ISSUES,
        "action_plans": (
            ActionPlan("PLAT-2", status_category=StatusCategory.DONE, status_changed=RECENT),
            ActionPlan("PLAT-3"),
        ),
        "owner": "ana",
        "due": date(2026, 12, 15),
        "jira_key": "PLAT-1",
    }
    fields.update(kw)
    return KeyResult(**fields)  # type: ignore[arg-type]


OBJECTIVES = (
    Objective("CO", "company", Level.COMPANY, owner="ceo"),
    Objective("T", "team", Level.TEAM, owner="lead", aligns_to="CO"),
)


def codes(tree: OkrTree, **kw: object) -> set[tuple[str, str]]:
    return {(f.code, f.subject) for f in coach(tree, AS_OF, **kw)}  # type: ignore[arg-type]


def test_a_good_tree_has_no_findings() -> None:
    tree = OkrTree(Q4, OBJECTIVES, (good_kr(),))
    assert coach(tree, AS_OF) == []


CASES = [
    ("no owner", {"owner": None}, "no_owner"),
    ("no due date", {"due": None}, "no_due_date"),
    ("due outside period", {"due": date(2027, 2, 1)}, "due_outside_period"),
    ("empty epic", {"action_plans": ()}, "not_measurable"),
    ("all cancelled", {"action_plans": (ActionPlan("X", cancelled=True),)}, "not_measurable"),
    (
        "metric without target",
        {"measure": Measure.METRIC, "metric": MetricTarget("m", 3, 3, 1)},
        "not_measurable",
    ),
    ("unaligned", {"objective_id": "LONE"}, "unaligned"),
    (
        "stale",
        {
            "action_plans": (
                ActionPlan(
                    "A",
                    status_category=StatusCategory.DONE,
                    status_changed=datetime(2026, 10, 20, tzinfo=UTC),
                ),
                ActionPlan("B"),
            )
        },
        "stale",
    ),
    ("never moved", {"action_plans": (ActionPlan("A"),)}, "stale"),
]


@pytest.mark.parametrize(("changes", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_kr_findings(changes: dict[str, object], code: str) -> None:
    objectives = (*OBJECTIVES, Objective("LONE", "lonely", owner="x"))
    tree = OkrTree(Q4, objectives, (good_kr(**changes),))
    findings = [f for f in coach(tree, AS_OF) if f.subject == "PLAT-1"]
    assert [f.code for f in findings] == [code]
    assert findings[0].fix
    assert findings[0].owner in ("ana", "lead")


def test_stale_boundary_and_history_override() -> None:
    changed = datetime(2026, 11, 6, tzinfo=UTC)  # 14 days before AS_OF
    tree = OkrTree(
        Q4,
        OBJECTIVES,
        (
            good_kr(
                action_plans=(
                    ActionPlan("A", status_category=StatusCategory.DONE, status_changed=changed),
                    ActionPlan("B"),
                )
            ),
        ),
    )
    assert ("stale", "PLAT-1") in codes(tree)
    assert ("stale", "PLAT-1") not in codes(tree, policy=CoachPolicy(stale_after_days=15))
    # the progress history knows of a later change (e.g. a metric moved)
    assert ("stale", "PLAT-1") not in codes(tree, last_change={"PLAT-1": date(2026, 11, 19)})


def test_done_kr_is_never_stale() -> None:
    old = datetime(2026, 10, 2, tzinfo=UTC)
    k = good_kr(action_plans=(ActionPlan("A", status_category=StatusCategory.DONE, status_changed=old),))
    tree = OkrTree(Q4, OBJECTIVES, (k,))
    assert ("stale", "PLAT-1") not in codes(tree)
    assert ("stale", "PLAT-1") not in codes(tree, scored=roll_up(tree, AS_OF))
    unfinished = OkrTree(Q4, OBJECTIVES, (good_kr(action_plans=(*k.action_plans, ActionPlan("B"))),))
    assert ("stale", "PLAT-1") in codes(unfinished, scored=roll_up(unfinished, AS_OF))
    assert last_progress_change(k) == date(2026, 10, 2)


def test_objective_findings() -> None:
    krs = tuple(good_kr(id=f"K{i}") for i in range(6))
    objectives = (
        *OBJECTIVES,
        Objective("EMPTY", "nothing", aligns_to="CO"),
        Objective("ORPHAN", "o", owner="z"),
    )
    found = {(f.code, f.subject, f.severity) for f in coach(OkrTree(Q4, objectives, krs), AS_OF)}
    assert ("too_many_krs", "T", Severity.WARNING) in found
    assert ("not_measurable", "EMPTY", Severity.ERROR) in found
    assert ("no_owner", "EMPTY", Severity.WARNING) in found
    assert ("unaligned", "ORPHAN", Severity.ERROR) in found
    assert not any(f[1] == "CO" for f in found)
    # errors first
    ordered = coach(OkrTree(Q4, objectives, krs), AS_OF)
    assert ordered[0].severity == Severity.ERROR


def test_deep_alignment_reaches_company() -> None:
    objectives = (
        Objective("CO", "c", Level.COMPANY, owner="a"),
        Objective("DEP", "d", Level.DEPARTMENT, owner="b", aligns_to="CO"),
        Objective("T", "t", owner="c", aligns_to="DEP"),
    )
    assert coach(OkrTree(Q4, objectives, (good_kr(),)), AS_OF) == []


def test_cycle_is_unaligned_not_a_hang() -> None:
    objectives = (
        Objective("A", "a", owner="x", aligns_to="B"),
        Objective("B", "b", owner="y", aligns_to="A"),
    )
    found = codes(OkrTree(Q4, objectives, (good_kr(objective_id="A"),)))
    assert ("unaligned", "A") in found
    assert ("unaligned", "PLAT-1") in found


# ------------------------------------------------------------------------------------------ overdue

OVERDUE_CASES = [
    # name, changes to the good KR, as of, whether the coach says it is overdue
    ("due today", {"due": AS_OF}, AS_OF, False),
    ("due yesterday, not done", {"due": date(2026, 11, 19)}, AS_OF, True),
    (
        "due yesterday, done",
        {"due": date(2026, 11, 19), "action_plans": (ActionPlan("A", status_category=StatusCategory.DONE),)},
        AS_OF,
        False,
    ),
    ("due yesterday, nothing to measure", {"due": date(2026, 11, 19), "action_plans": ()}, AS_OF, False),
    ("no due: the period's last day", {"due": None}, Q4.end, False),
    ("no due: after the period", {"due": None}, date(2027, 1, 4), True),
]


@pytest.mark.parametrize(
    ("changes", "as_of", "overdue"), [c[1:] for c in OVERDUE_CASES], ids=[c[0] for c in OVERDUE_CASES]
)
def test_an_overdue_kr_is_a_finding_naming_its_owner(
    changes: dict[str, object], as_of: date, overdue: bool
) -> None:
    tree = OkrTree(Q4, OBJECTIVES, (good_kr(**changes),))
    for scored in (None, roll_up(tree, as_of)):
        found = [
            f for f in coach(tree, as_of, scored=scored) if (f.code, f.kind) == ("overdue", "key_result")
        ]
        assert [f.subject for f in found] == (["PLAT-1"] if overdue else [])
        if overdue:
            (f,) = found
            assert f.severity == Severity.WARNING and f.owner == "ana"
            assert "is not done: 50 %" in f.message and "Owner: ana." in f.message
            assert f.fix.startswith("ana: close the key result PLAT-1") and "re-plan" in f.fix


def test_the_overdue_finding_of_a_kr_without_owner_names_the_objectives_owner() -> None:
    tree = OkrTree(Q4, OBJECTIVES, (good_kr(owner=None, due=date(2026, 11, 16)),))
    (f,) = [f for f in coach(tree, AS_OF) if f.code == "overdue"]
    assert f.owner == "lead"
    assert (
        f.message
        == "PLAT-1 was due 2026-11-16 and is not done: 50 % on 2026-11-20, 4 days overdue. Owner: lead."
    )


def test_an_overdue_objective_is_a_finding_naming_its_owner() -> None:
    objectives = (
        OBJECTIVES[0],
        Objective("T", "team", Level.TEAM, owner="lead", aligns_to="CO", due=date(2026, 11, 19)),
    )
    tree = OkrTree(Q4, objectives, (good_kr(),))  # its KR is due later: only the objective is late
    found = [(f.subject, f.kind, f.owner) for f in coach(tree, AS_OF) if f.code == "overdue"]
    assert found == [("T", "objective", "lead")]
    # past the period's end, the company objective (no due date) is overdue too
    late = [(f.subject, f.owner) for f in coach(tree, date(2027, 1, 2)) if f.code == "overdue"]
    assert late == [("CO", "ceo"), ("PLAT-1", "ana"), ("T", "lead")]
