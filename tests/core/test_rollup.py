"""Roll-up: table-driven tests of every measure, weights, health boundaries and period edges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from corekit import Q4
from hypothesis import given, settings
from hypothesis import strategies as st

from okrsync.core.rollup import (
    Contribution,
    RollupPolicy,
    due_day,
    health_of,
    is_overdue,
    kr_progress,
    roll_up,
    weighted_mean,
)
from okrsync.domain.model import (
    ActionPlan,
    Health,
    KeyResult,
    Level,
    Measure,
    MetricTarget,
    Objective,
    OkrTree,
    StatusCategory,
)

DONE, DOING, TODO = StatusCategory.DONE, StatusCategory.IN_PROGRESS, StatusCategory.TODO


def ap(
    key: str, cat: StatusCategory = TODO, points: float | None = None, cancelled: bool = False
) -> ActionPlan:
    return ActionPlan(key=key, status_category=cat, points=points, cancelled=cancelled)


def kr(
    plans: list[ActionPlan] | tuple[ActionPlan, ...] = (), measure: Measure = Measure.ISSUES, **kw: object
) -> KeyResult:
    return KeyResult(
        id=str(kw.pop("id", "KR-1")),
        objective_id=str(kw.pop("objective_id", "O")),
        title="t",
        measure=measure,
        action_plans=tuple(plans),
        **kw,
    )  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ measures

ISSUES_CASES = [
    # (plans, in_progress_credit, expected progress)
    ([ap("A", DONE), ap("B"), ap("C"), ap("D")], 0.0, 0.25),
    ([ap("A", DONE), ap("B", DOING)], 0.0, 0.5),
    ([ap("A", DONE), ap("B", DOING)], 0.5, 0.75),
    ([ap("A", DONE), ap("B", cancelled=True)], 0.0, 1.0),  # cancelled left out of the denominator
    ([ap("A", DONE, cancelled=True), ap("B")], 0.0, 0.0),  # a cancelled done issue gives no credit either
    ([ap("A", StatusCategory.UNKNOWN)], 0.0, 0.0),  # unknown category counts as not done
    ([ap("A", DONE), ap("B", DONE)], 0.0, 1.0),
]


@pytest.mark.parametrize(("plans", "credit", "expected"), ISSUES_CASES)
def test_issues_measure(plans: list[ActionPlan], credit: float, expected: float) -> None:
    progress, over, _, _ = kr_progress(kr(plans), RollupPolicy(in_progress_credit=credit))
    assert progress == pytest.approx(expected)
    assert over == 0


@pytest.mark.parametrize(
    "plans",
    [[], [ap("A", cancelled=True), ap("B", DONE, cancelled=True)]],
    ids=["empty epic", "all cancelled"],
)
@pytest.mark.parametrize("measure", [Measure.ISSUES, Measure.POINTS])
def test_empty_kr_has_no_data(plans: list[ActionPlan], measure: Measure) -> None:
    progress, _, expl, warnings = kr_progress(kr(plans, measure), RollupPolicy())
    assert progress is None
    assert "nothing to measure" in expl.summary
    assert warnings


POINTS_CASES = [
    # (plans, credit, progress, unestimated keys, assumed points)
    ([ap("A", DONE, 3), ap("B", TODO, 5)], 0.0, 3 / 8, (), None),
    ([ap("A", DONE, 3), ap("B", DOING, 5)], 0.5, (3 + 2.5) / 8, (), None),
    (
        [ap("A", DONE, 2), ap("B", TODO, 8), ap("C", TODO, 4), ap("D", DONE)],
        0.0,
        (2 + 4) / (2 + 8 + 4 + 4),
        ("D",),
        4,
    ),
    (
        [ap("A", DONE, 1), ap("B", TODO, 2), ap("C", TODO)],
        0.0,
        (1) / (1 + 2 + 1.5),
        ("C",),
        1.5,
    ),  # even count median
    ([ap("A", DONE), ap("B")], 0.0, 0.5, ("A", "B"), 1.0),  # nothing estimated: each counts 1
    ([ap("A", DONE, 5), ap("B", TODO, 5, cancelled=True)], 0.0, 1.0, (), None),
    ([ap("A", DONE, 0), ap("B", TODO, 0)], 0.0, 0.5, (), None),  # all zero: counted by issues
]


@pytest.mark.parametrize(("plans", "credit", "expected", "unestimated", "assumed"), POINTS_CASES)
def test_points_measure(
    plans: list[ActionPlan],
    credit: float,
    expected: float,
    unestimated: tuple[str, ...],
    assumed: float | None,
) -> None:
    progress, _, expl, warnings = kr_progress(
        kr(plans, Measure.POINTS), RollupPolicy(in_progress_credit=credit)
    )
    assert progress == pytest.approx(expected)
    assert expl.unestimated == unestimated
    assert expl.assumed_points == assumed
    if unestimated:
        assert any("unestimated" in w for w in warnings)  # flagged


METRIC_CASES = [
    # start, target, current, progress, overachievement
    (0, 100, 40, 0.4, 0.0),
    (800, 200, 500, 0.5, 0.0),  # decreasing target
    (800, 200, 200, 1.0, 0.0),
    (800, 200, 50, 1.0, 0.25),  # beyond a decreasing target: clamped, kept separately
    (800, 200, 900, 0.0, 0.0),  # moved the wrong way: clamped at 0
    (10, 20, 30, 1.0, 1.0),
    (10, 20, 10, 0.0, 0.0),
]


@pytest.mark.parametrize(("start", "target", "current", "expected", "over"), METRIC_CASES)
def test_metric_measure(start: float, target: float, current: float, expected: float, over: float) -> None:
    k = kr(measure=Measure.METRIC, metric=MetricTarget("OKR Current", start, target, current))
    progress, overachievement, expl, _ = kr_progress(k, RollupPolicy())
    assert progress == pytest.approx(expected)
    assert overachievement == pytest.approx(over)
    assert expl.method == "metric"


def test_metric_without_current_value_has_no_data() -> None:
    k = kr(measure=Measure.METRIC, metric=MetricTarget("OKR Current", 0, 10, None))
    progress, _, _, warnings = kr_progress(k, RollupPolicy())
    assert progress is None
    assert "OKR Current" in warnings[0]


@pytest.mark.parametrize(
    ("value", "expected", "over"),
    [(40, 0.4, 0.0), (0, 0.0, 0.0), (130, 1.0, 0.3), (-5, 0.0, 0.0), (None, None, 0.0)],
)
def test_manual_measure(value: float | None, expected: float | None, over: float) -> None:
    progress, overachievement, _, _ = kr_progress(
        kr(measure=Measure.MANUAL, manual_value=value), RollupPolicy()
    )
    assert progress == (pytest.approx(expected) if expected is not None else None)
    assert overachievement == pytest.approx(over)


# --------------------------------------------------------------------------------------- health

HEALTH_CASES = [
    # progress, expected, started, tolerance, health
    (None, 0.5, True, 0.1, Health.NO_DATA),
    (1.0, 0.5, True, 0.1, Health.DONE),
    (0.5, 0.5, True, 0.1, Health.ON_TRACK),
    (0.4, 0.5, True, 0.1, Health.ON_TRACK),  # exactly at the tolerance: on track
    (0.3999, 0.5, True, 0.1, Health.AT_RISK),  # just beyond
    (0.3, 0.5, True, 0.1, Health.AT_RISK),  # exactly at 2 × tolerance: at risk
    (0.2999, 0.5, True, 0.1, Health.OFF_TRACK),
    (0.9, 0.5, True, 0.1, Health.ON_TRACK),  # ahead
    (0.0, 0.05, False, 0.1, Health.NOT_STARTED),
    (0.0, 0.1, False, 0.1, Health.NOT_STARTED),  # boundary
    (0.0, 0.15, False, 0.1, Health.AT_RISK),  # too late to be merely not started
    (0.0, 0.5, False, 0.1, Health.OFF_TRACK),
    (0.0, 0.05, True, 0.1, Health.ON_TRACK),  # work started, nothing done yet
    (0.0, 0.0, True, 0.0, Health.ON_TRACK),
]


@pytest.mark.parametrize(("progress", "expected", "started", "tolerance", "health"), HEALTH_CASES)
def test_health_boundaries(
    progress: float | None, expected: float, started: bool, tolerance: float, health: Health
) -> None:
    policy = RollupPolicy(tolerance=tolerance, off_track_gap=2 * tolerance)
    assert health_of(progress, expected, policy, started=started) == health


# -------------------------------------------------------------------------------------- overdue

TODAY = date(2026, 12, 1)  # the pinned day of the tables (day 62 of Q4)
YESTERDAY, TOMORROW = date(2026, 11, 30), date(2026, 12, 2)
HALF = [ap("A", DONE), ap("B", DONE), ap("C"), ap("D")]  # 50 %, nearly on track on any day

OVERDUE_CASES = [
    # name, the KR's due, its action plans, as of, health
    ("due today: not overdue yet", TODAY, HALF, TODAY, Health.AT_RISK),
    ("due tomorrow", TOMORROW, HALF, TODAY, Health.AT_RISK),
    ("due yesterday and not done", YESTERDAY, HALF, TODAY, Health.OVERDUE),
    ("due yesterday, ahead of expected", YESTERDAY, [ap("A", DONE)] * 3 + [ap("B")], TODAY, Health.OVERDUE),
    ("due yesterday and done", YESTERDAY, [ap("A", DONE), ap("B", DONE)], TODAY, Health.DONE),
    ("due yesterday, nothing moved", YESTERDAY, [ap("A"), ap("B")], TODAY, Health.OVERDUE),
    ("due yesterday, nothing to measure", YESTERDAY, [], TODAY, Health.NO_DATA),
    ("due long ago", date(2026, 10, 15), HALF, TODAY, Health.OVERDUE),
    ("no due: the period's last day is not overdue", None, HALF, Q4.end, Health.OFF_TRACK),
    ("no due: the day after the period", None, HALF, Q4.end + timedelta(days=1), Health.OVERDUE),
    ("no due: mid-period", None, HALF, TODAY, Health.AT_RISK),
]


@pytest.mark.parametrize(
    ("due", "plans", "as_of", "health"), [c[1:] for c in OVERDUE_CASES], ids=[c[0] for c in OVERDUE_CASES]
)
def test_a_kr_past_its_due_day_and_not_done_is_overdue(
    due: date | None, plans: list[ActionPlan], as_of: date, health: Health
) -> None:
    tree = OkrTree(Q4, (Objective("O", "o", Level.COMPANY),), (kr(plans, objective_id="O", due=due),))
    scored = roll_up(tree, as_of)
    assert scored.kr("KR-1").health == health


OBJECTIVE_DUE_CASES = [
    # name, the objective's due, its KRs (due, plans), as of, the objective's health, the KRs' healths
    (
        "objective due yesterday, its KR later",
        YESTERDAY,
        [(TOMORROW, HALF)],
        TODAY,
        Health.OVERDUE,
        [Health.AT_RISK],
    ),
    ("objective due today", TODAY, [(TOMORROW, HALF)], TODAY, Health.AT_RISK, [Health.AT_RISK]),
    (
        "objective with no due: the period's end",
        None,
        [(YESTERDAY, HALF)],
        TODAY,
        Health.AT_RISK,
        [Health.OVERDUE],
    ),
    (
        "objective past the period's end",
        None,
        [(None, HALF)],
        Q4.end + timedelta(days=1),
        Health.OVERDUE,
        [Health.OVERDUE],
    ),
    (
        "objective due yesterday, every KR done",
        YESTERDAY,
        [(YESTERDAY, [ap("A", DONE)])],
        TODAY,
        Health.DONE,
        [Health.DONE],
    ),
    (
        "objective due yesterday, 100 % of what is measured but a KR without data",
        YESTERDAY,
        [(None, [ap("A", DONE)]), (None, [])],
        TODAY,
        Health.OVERDUE,
        [Health.DONE, Health.NO_DATA],
    ),
]


@pytest.mark.parametrize(
    ("due", "krs", "as_of", "health", "kr_healths"),
    [c[1:] for c in OBJECTIVE_DUE_CASES],
    ids=[c[0] for c in OBJECTIVE_DUE_CASES],
)
def test_an_objective_past_its_due_day_and_not_done_is_overdue(
    due: date | None,
    krs: list[tuple[date | None, list[ActionPlan]]],
    as_of: date,
    health: Health,
    kr_healths: list[Health],
) -> None:
    tree = OkrTree(
        Q4,
        (Objective("CO", "c", Level.COMPANY), Objective("O", "o", aligns_to="CO", due=due)),
        tuple(kr(plans, id=f"KR-{i}", objective_id="O", due=d) for i, (d, plans) in enumerate(krs)),
    )
    scored = roll_up(tree, as_of)
    assert scored.objective("O").health == health
    assert [scored.kr(f"KR-{i}").health for i in range(len(krs))] == kr_healths


@pytest.mark.parametrize(
    ("due", "as_of", "overdue"),
    [
        (TODAY, TODAY, False),
        (YESTERDAY, TODAY, True),
        (TOMORROW, TODAY, False),
        (None, Q4.end, False),
        (None, Q4.end + timedelta(days=1), True),
        (date(2026, 9, 1), Q4.start, True),  # due before the period (the coach flags that too)
    ],
)
def test_is_overdue_and_due_day(due: date | None, as_of: date, overdue: bool) -> None:
    assert is_overdue(due, Q4, as_of) is overdue
    assert due_day(due, Q4) == (due or Q4.end)


@pytest.mark.parametrize(
    ("progress", "overdue", "health"),
    [
        (0.5, True, Health.OVERDUE),
        (0.0, True, Health.OVERDUE),
        (1.0, True, Health.DONE),
        (None, True, Health.NO_DATA),
        (0.5, False, Health.ON_TRACK),
    ],
)
def test_health_of_an_overdue_item(progress: float | None, overdue: bool, health: Health) -> None:
    assert health_of(progress, 0.5, RollupPolicy(), started=False, overdue=overdue) == health
    assert (Health.OVERDUE.value, Health.OVERDUE.label) == ("overdue", "Overdue")  # the Jira option


# --------------------------------------------------------------------------------------- period


@pytest.mark.parametrize(
    ("day", "share"),
    [
        (date(2026, 9, 30), 0.0),
        (date(2026, 10, 1), 1 / 92),  # the first day counts as one day elapsed
        (date(2026, 11, 15), 46 / 92),
        (date(2026, 12, 30), 91 / 92),
        (date(2026, 12, 31), 1.0),  # the last day: all of it
        (date(2027, 1, 15), 1.0),
    ],
)
def test_expected_progress_over_the_period(day: date, share: float) -> None:
    assert Q4.elapsed_share(day) == pytest.approx(share)


def test_score_only_at_period_end() -> None:
    tree = OkrTree(
        Q4,
        (Objective("CO", "c", Level.COMPANY),),
        (kr([ap("A", DONE), ap("B"), ap("C")], objective_id="CO"),),
    )
    assert roll_up(tree, date(2026, 12, 30)).kr("KR-1").score is None
    last = roll_up(tree, date(2026, 12, 31))
    assert last.kr("KR-1").score == 0.3
    assert last.objective("CO").score == 0.3
    assert last.kr("KR-1").expected == 1.0
    first = roll_up(tree, date(2026, 10, 1))
    assert first.kr("KR-1").expected == pytest.approx(1 / 92)
    assert first.kr("KR-1").health == Health.ON_TRACK


# ------------------------------------------------------------------------------ objectives, tree


def deep_tree() -> OkrTree:
    """company ← department ← two teams; weights on KRs and objectives."""
    objectives = (
        Objective("CO", "Company", Level.COMPANY),
        Objective("DEP", "Department", Level.DEPARTMENT, aligns_to="CO", weight=1),
        Objective("T1", "Team 1", aligns_to="DEP", weight=3),
        Objective("T2", "Team 2", aligns_to="DEP", weight=1),
    )
    krs = (
        kr([ap("A", DONE), ap("B", DONE), ap("C"), ap("D")], id="T1-a", objective_id="T1", weight=1),  # 0.5
        kr([ap("E", DONE)], id="T1-b", objective_id="T1", weight=3),  # 1.0
        kr([ap("F"), ap("G")], id="T2-a", objective_id="T2"),  # 0.0
        kr([], id="T2-empty", objective_id="T2"),  # no data: left out of the mean
        kr(
            measure=Measure.METRIC,
            metric=MetricTarget("m", 100, 0, 40),
            id="CO-m",
            objective_id="CO",
            weight=1,
        ),  # 0.6
    )
    return OkrTree(Q4, objectives, krs)


def test_deep_alignment_with_weights() -> None:
    scored = roll_up(deep_tree(), date(2026, 11, 15))
    t1 = (0.5 * 1 + 1.0 * 3) / 4  # 0.875
    assert scored.objective("T1").progress == pytest.approx(t1)
    assert scored.objective("T2").progress == pytest.approx(0.0)
    dep = (t1 * 3 + 0.0 * 1) / 4
    assert scored.objective("DEP").progress == pytest.approx(dep)
    co = (0.6 * 1 + dep * 1) / 2
    assert scored.objective("CO").progress == pytest.approx(co)
    # explainable: every contribution with its weight
    parts = {c.id: (c.progress, c.weight) for c in scored.objective("T2").explanation.contributions}
    assert parts == {"T2-a": (0.0, 1.0), "T2-empty": (None, 1.0)}
    assert "1 of 2" in scored.objective("T2").explanation.summary
    assert scored.kr("T2-empty").health == Health.NO_DATA


def test_objective_without_anything_has_no_data() -> None:
    tree = OkrTree(Q4, (Objective("CO", "c", Level.COMPANY),), ())
    s = roll_up(tree, date(2026, 11, 1)).objective("CO")
    assert s.progress is None
    assert s.health == Health.NO_DATA
    assert s.warnings


def test_cycle_in_tree_does_not_crash() -> None:
    objectives = (Objective("A", "a", aligns_to="B"), Objective("B", "b", aligns_to="A"))
    krs = (kr([ap("X", DONE)], id="K", objective_id="A"),)
    scored = roll_up(OkrTree(Q4, objectives, krs), date(2026, 11, 1))
    assert scored.objective("A").progress == 1.0
    assert any("cycle" in w for w in scored.warnings)


def test_weighted_mean_ignores_missing_data() -> None:
    assert weighted_mean([]) is None
    assert weighted_mean([Contribution("a", "key_result", None, 1)]) is None
    assert weighted_mean(
        [Contribution("a", "key_result", 0.2, 1), Contribution("b", "key_result", 0.8, 3)]
    ) == pytest.approx(0.65)


# ------------------------------------------------------------------------------------ properties

plan_st = st.builds(
    ActionPlan,
    key=st.text("ABCXYZ", min_size=1, max_size=4),
    status_category=st.sampled_from(list(StatusCategory)),
    cancelled=st.booleans(),
    points=st.one_of(st.none(), st.floats(min_value=0, max_value=100, allow_nan=False)),
)
measure_st = st.sampled_from([Measure.ISSUES, Measure.POINTS])


@st.composite
def trees(draw: st.DrawFn) -> OkrTree:
    n_obj = draw(st.integers(1, 6))
    objectives = [Objective("O0", "root", Level.COMPANY)]
    for i in range(1, n_obj):
        parent = f"O{draw(st.integers(0, i - 1))}"
        objectives.append(Objective(f"O{i}", "o", aligns_to=parent, weight=draw(st.floats(0.1, 5))))
    krs = []
    for j in range(draw(st.integers(0, 10))):
        measure = draw(st.sampled_from(list(Measure)))
        krs.append(
            KeyResult(
                id=f"K{j}",
                objective_id=f"O{draw(st.integers(0, n_obj - 1))}",
                title="k",
                measure=measure,
                action_plans=tuple(draw(st.lists(plan_st, max_size=8))),
                metric=MetricTarget(
                    "m",
                    draw(st.floats(-1e6, 1e6)),
                    draw(st.floats(-1e6, 1e6)),
                    draw(st.one_of(st.none(), st.floats(-1e7, 1e7))),
                ),
                manual_value=draw(st.one_of(st.none(), st.floats(-500, 500))),
                weight=draw(st.floats(0.1, 5)),
            )
        )
    return OkrTree(Q4, tuple(objectives), tuple(krs))


@settings(max_examples=300, deadline=None)
@given(tree=trees(), credit=st.floats(0, 1), day=st.dates(date(2026, 9, 1), date(2027, 2, 1)))
def test_progress_always_in_unit_interval_and_objective_between_children(
    tree: OkrTree, credit: float, day: date
) -> None:
    scored = roll_up(tree, day, RollupPolicy(in_progress_credit=credit))
    for score in [*scored.key_results.values(), *scored.objectives.values()]:
        assert score.progress is None or 0.0 <= score.progress <= 1.0
        assert 0.0 <= score.expected <= 1.0
        assert score.overachievement >= 0
    for oid, score in scored.objectives.items():
        children = [c.progress for c in score.explanation.contributions if c.progress is not None]
        if children:
            assert score.progress is not None
            assert min(children) <= score.progress <= max(children)
        else:
            assert score.progress is None, oid
