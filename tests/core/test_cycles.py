"""OKR cycles in the core: each KR scored in its own period, a carried KR moving on at the boundary,
objectives over the span of their KRs, and one period's view of the stored tree."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from test_mappers import epic, ids_for, issue, parent

from okrsync.core.cycles import active_period, objective_periods, span
from okrsync.core.mappers.tree import RawTree, build_tree
from okrsync.core.rollup import roll_up
from okrsync.core.stored_tree import stored_tree_of
from okrsync.domain.config import Settings, config_from_mapping
from okrsync.domain.model import KeyResult, Period
from okrsync.report.period_view import UnknownPeriodError, period_doc

YEAR = Period("2026", date(2026, 1, 1), date(2026, 12, 31))
Q1 = Period("2026-Q1", date(2026, 1, 1), date(2026, 3, 31))
Q2 = Period("2026-Q2", date(2026, 4, 1), date(2026, 6, 30))


def two_quarters(**kr_overrides: Any) -> Settings:
    """A company objective over the year; Eng (over its KRs' quarters) and Eng Q2."""
    return config_from_mapping(
        {
            "periods": [
                {"name": "2026", "start": "2026-01-01", "end": "2026-12-31", "level": "year"},
                {"name": "2026-Q1", "start": "2026-01-01", "end": "2026-03-31", "level": "quarter"},
                {"name": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30", "level": "quarter"},
            ],
            "objectives": [
                {"id": "CO-1", "title": "Company", "level": "company", "period": "2026"},
                {"id": "ENG-1", "title": "Eng", "aligns_to": "CO-1"},
                {"id": "ENG-2", "title": "Eng Q2", "aligns_to": "CO-1", "period": "2026-Q2"},
            ],
            "key_results": [
                {"objective": "ENG-1", "epic": "PLAT-1", "period": "2026-Q1"},
                {"objective": "ENG-1", "epic": "PLAT-2", "period": "2026-Q1", **kr_overrides},
                {"objective": "ENG-2", "epic": "PLAT-3"},
            ],
        }
    )


def snapshot(*, plat2_again: bool = False) -> RawTree:
    def child(key: str, epic_key: str, cat: str) -> dict[str, Any]:
        return issue(key, cat, parent=parent(epic_key))

    epics = [[epic("PLAT-1")], [epic("PLAT-2")], [epic("PLAT-3")]]
    if plat2_again:
        epics.append([epic("PLAT-2")])
    return RawTree(
        kr_epics=epics,
        children=[
            child("PLAT-10", "PLAT-1", "done"),
            child("PLAT-11", "PLAT-1", "done"),
            child("PLAT-20", "PLAT-2", "done"),
            child("PLAT-21", "PLAT-2", "new"),
            child("PLAT-22", "PLAT-2", "new"),
            child("PLAT-23", "PLAT-2", "new"),
            child("PLAT-30", "PLAT-3", "new"),
        ],
    )


def _kr(tree_krs: tuple[KeyResult, ...], kr_id: str) -> KeyResult:
    return next(kr for kr in tree_krs if kr.id == kr_id)


@pytest.mark.parametrize(
    ("as_of", "kr", "period", "expected"),
    [
        # a KR's expected progress runs over its own period (Q1: 90 days, Q2: 91)
        (date(2026, 2, 14), "PLAT-1", Q1, 45 / 90),
        (date(2026, 2, 14), "PLAT-3", Q2, 0.0),  # its period has not begun
        (date(2026, 3, 31), "PLAT-2", Q1, 1.0),  # the carried KR on its first period's last day
        (date(2026, 4, 1), "PLAT-2", Q2, 1 / 91),  # ... and the day after: the next period's first
        (date(2026, 4, 1), "PLAT-1", Q1, 1.0),  # a KR that is not carried stays in its period
        (date(2026, 5, 16), "PLAT-3", Q2, 46 / 91),
    ],
)
def test_each_kr_is_scored_in_its_own_period(as_of: date, kr: str, period: Period, expected: float) -> None:
    cfg = two_quarters(carry_over=True)
    tree = build_tree(cfg, snapshot(), ids_for(cfg, "cloud"), as_of=as_of)
    found = _kr(tree.key_results, kr)
    assert found.period_on(as_of, tree.period) == period
    assert roll_up(tree, as_of).kr(kr).expected == pytest.approx(expected)


def test_a_carried_kr_keeps_its_id_and_its_progress() -> None:
    cfg = two_quarters(carry_over=True)
    tree = build_tree(cfg, snapshot(), ids_for(cfg, "cloud"), as_of=date(2026, 4, 2))
    plat2 = _kr(tree.key_results, "PLAT-2")
    assert plat2.periods == (Q1, Q2)
    scored = roll_up(tree, date(2026, 4, 2))
    assert scored.kr("PLAT-2").progress == pytest.approx(0.25)  # where it ended: 1 of 4 done
    assert scored.kr("PLAT-2").score is None  # scored in Q2 now: no final score yet


@pytest.mark.parametrize(
    ("as_of", "objective", "kr_of"),
    [
        (date(2026, 3, 1), "ENG-1", "ENG-1"),
        (date(2026, 4, 2), "ENG-1", "ENG-1"),
        (date(2026, 4, 2), "ENG-2", "ENG-2"),
    ],
)
def test_the_same_epic_listed_again_is_one_kr_under_the_period_of_the_day(
    as_of: date, objective: str, kr_of: str
) -> None:
    cfg = two_quarters()
    data = cfg.model_dump(mode="json", exclude={"period"})
    data["key_results"].append({"objective": "ENG-2", "epic": "PLAT-2"})
    cfg = config_from_mapping(data)
    tree = build_tree(cfg, snapshot(plat2_again=True), ids_for(cfg, "cloud"), as_of=as_of)
    plat2 = [kr for kr in tree.key_results if kr.id == "PLAT-2"]
    assert len(plat2) == 1 and plat2[0].periods == (Q1, Q2)
    expected_objective = "ENG-1" if as_of <= Q1.end else "ENG-2"
    assert plat2[0].objective_id == expected_objective
    assert not [w for w in tree.warnings if "PLAT-2" in w]  # a carry-over, not a duplicate


def test_objectives_take_their_own_period_or_the_span_of_their_krs() -> None:
    cfg = two_quarters(carry_over=True)  # ENG-1: its KRs' periods, Q1 and (carried) Q2
    tree = build_tree(cfg, snapshot(), ids_for(cfg, "cloud"), as_of=date(2026, 2, 1))
    periods = objective_periods(tree)
    assert periods["CO-1"] == YEAR
    assert periods["ENG-2"] == Q2
    assert periods["ENG-1"] == Period("2026-Q1..2026-Q2", Q1.start, Q2.end)
    scored = roll_up(tree, date(2026, 7, 1))
    assert scored.objective("ENG-2").score is not None  # Q2 has ended
    assert scored.objective("CO-1").score is None  # the year goes on


@pytest.mark.parametrize(
    ("day", "active"),
    [(date(2026, 2, 1), Q1), (date(2026, 4, 1), Q2), (date(2026, 8, 1), YEAR), (date(2027, 1, 1), None)],
)
def test_the_active_period_is_the_shortest_that_holds_the_day(day: date, active: Period | None) -> None:
    assert active_period((YEAR, Q1, Q2), day) == active


def test_span() -> None:
    assert span([Q1, YEAR, Q2], Q1) == YEAR
    assert span([], Q1) == Q1
    assert span([Q2, Q1], YEAR) == Period("2026-Q1..2026-Q2", Q1.start, Q2.end)


def test_report_period_views_cut_the_stored_tree() -> None:
    cfg = two_quarters(carry_over=True)
    tree = build_tree(cfg, snapshot(), ids_for(cfg, "cloud"), as_of=date(2026, 2, 1))
    doc = stored_tree_of(roll_up(tree, date(2026, 2, 1)))
    q2 = period_doc(doc, "2026-Q2", {})
    assert q2["period"]["name"] == "2026-Q2"
    assert [kr["id"] for kr in q2["key_results"]] == ["PLAT-2", "PLAT-3"]
    # ENG-1 holds the carried KR; ENG-2 is of Q2; CO-1 is what they align to
    assert [o["id"] for o in q2["objectives"]] == ["CO-1", "ENG-1", "ENG-2"]
    q1 = period_doc(doc, "2026-Q1", {})
    assert [kr["id"] for kr in q1["key_results"]] == ["PLAT-1", "PLAT-2"]
    closed = {"2026-Q1": {**q1, "closed": {"on": "2026-04-01"}}}
    assert period_doc(doc, "2026-Q1", closed)["closed"] == {"on": "2026-04-01"}
    with pytest.raises(UnknownPeriodError, match="Use one of: 2026, 2026-Q1, 2026-Q2"):
        period_doc(doc, "2026-Q3", {})
    assert doc["kr_periods"]["PLAT-2"] == ["2026-Q1", "2026-Q2"]
    assert doc["active_period"] == "2026-Q1"  # the shortest period holding the day scored
