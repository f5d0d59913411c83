"""OKR cycles in the configuration (``periods:``): each KR's and objective's period, and every
mistake named with its key and the fix."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from okrsync.domain.config import ConfigError, config_from_mapping


def cycles() -> dict[str, Any]:
    """A company year with two quarters; the company objective spans the year."""
    return {
        "jira": {"url": "https://acme.atlassian.net", "email": "bot@acme.example", "flavor": "cloud"},
        "periods": [
            {"name": "2026", "start": "2026-01-01", "end": "2026-12-31", "level": "year"},
            {"name": "2026-Q1", "start": "2026-01-01", "end": "2026-03-31", "level": "quarter"},
            {"name": "2026-Q2", "start": "2026-04-01", "end": "2026-06-30", "level": "quarter"},
        ],
        "objectives": [
            {"id": "CO-1", "title": "Company", "level": "company", "period": "2026"},
            {"id": "ENG-1", "title": "Eng Q1", "aligns_to": "CO-1", "period": "2026-Q1"},
            {"id": "ENG-3", "title": "Eng", "aligns_to": "CO-1"},
            {"id": "ENG-2", "title": "Eng Q2", "aligns_to": "CO-1", "period": "2026-Q2"},
        ],
        "key_results": [
            {"objective": "ENG-1", "epic": "PLAT-1"},
            {"objective": "ENG-3", "epic": "PLAT-2", "period": "2026-Q1", "carry_over": True},
            {"objective": "ENG-2", "epic": "PLAT-3"},
            {"objective": "CO-1", "epic": "PLAT-4", "period": "2026-Q2"},
        ],
    }


def test_periods_give_each_kr_its_period() -> None:
    cfg = config_from_mapping(cycles())
    assert [p.name for p in cfg.periods] == ["2026", "2026-Q1", "2026-Q2"]
    assert cfg.period.name == "2026"  # the span of them all: the year that holds its quarters
    assert [cfg.kr_period(i).name for i in range(4)] == ["2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2"]
    assert [p.name for p in cfg.kr_periods(1)] == ["2026-Q1", "2026-Q2"]  # carry_over
    assert cfg.objective_period("CO-1") is not None and cfg.objective_period("CO-1").name == "2026"


def test_quarters_without_a_year_span_first_to_last() -> None:
    data = cycles()
    del data["periods"][0]
    data["objectives"][0].pop("period")
    cfg = config_from_mapping(data)
    assert (cfg.period.name, cfg.period.start, cfg.period.end) == (
        "2026-Q1..2026-Q2",
        date(2026, 1, 1),
        date(2026, 6, 30),
    )


def test_the_one_period_shorthand_is_the_only_cycle() -> None:
    data = cycles()
    data["period"] = data.pop("periods")[1]
    for o in data["objectives"]:
        o.pop("period", None)
    for kr in data["key_results"]:
        kr.pop("period", None)
        kr.pop("carry_over", None)
    cfg = config_from_mapping(data)
    assert [p.name for p in cfg.periods] == ["2026-Q1"]
    assert cfg.kr_period(3).name == "2026-Q1"


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    node: Any = data
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if p.isdigit() else node[p]
    last = parts[-1]
    if value is None:
        node.pop(int(last) if last.isdigit() else last)
    else:
        node[int(last) if last.isdigit() else last] = value


CASES = [
    ("a KR in no period", "objectives.1.period", None, ["key_results[0].period: required", "2026-Q1"]),
    (
        "an unknown period",
        "key_results.3.period",
        "2026-Q3",
        ["key_results[3].period", "unknown period '2026-Q3'"],
    ),
    (
        "an objective's unknown period",
        "objectives.2.period",
        "Q2",
        ["objectives[2].period", "did you mean '2026-Q2'"],
    ),
    (
        "overlapping quarters",
        "periods.2.start",
        "2026-03-15",
        ["periods[2] (2026-Q2): overlaps periods[1] (2026-Q1), both of level quarter", "Fix the dates"],
    ),
    (
        "a year without its level overlaps its quarters",
        "periods.0.level",
        "quarter",
        ["periods[1] (2026-Q1): overlaps periods[0] (2026)", "own level"],
    ),
    (
        "a period without KRs",
        "periods.3",
        {"name": "2026-Q3", "start": "2026-07-01", "end": "2026-09-30", "level": "quarter"},
        ["periods[3] (2026-Q3): no objective or key result names it", "or remove it"],
    ),
    (
        "a KR outside its objective's period",
        "key_results.0.period",
        "2026-Q2",
        ["key_results[0].period: 2026-Q2", "outside the period 2026-Q1 of its objective 'ENG-1'"],
    ),
    (
        "carry_over with no next period",
        "key_results.2.carry_over",
        True,
        ["key_results[2].carry_over: no period of level quarter follows 2026-Q2"],
    ),
    (
        "carry_over out of its objective's period",
        "key_results.0.carry_over",
        True,
        ["key_results[0].carry_over: it would carry PLAT-1 into 2026-Q2, outside the period 2026-Q1"],
    ),
    ("a duplicate name", "periods.2.name", "2026-Q1", ["periods[2].name: '2026-Q1' is already used"]),
    ("end before start", "periods.1.end", "2025-12-01", ["periods[1].end: 2025-12-01 is before"]),
    ("a KR due outside its own period", "key_results.2.due", "2026-03-01", ["key_results[2].due", "2026-Q2"]),
]


@pytest.mark.parametrize(("what", "path", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cycle_mistakes_name_the_key_and_the_fix(
    what: str, path: str, value: Any, expected: list[str]
) -> None:
    data = copy.deepcopy(cycles())
    if path == "periods.3":
        data["periods"].append(value)
    else:
        _set(data, path, value)
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    text = str(err.value)
    for part in expected:
        assert part in text, (what, text)


@pytest.mark.parametrize(
    ("kr", "expected"),
    [
        ({"period": "2026-Q2"}, "key_results[0].period: unknown period '2026-Q2'"),
        ({"carry_over": True}, "key_results[0].carry_over: no period of level (none) follows 2026-Q1."),
    ],
)
def test_one_period_still_checks_the_names_and_carry_over(kr: dict[str, Any], expected: str) -> None:
    data = {
        "period": {"name": "2026-Q1", "start": "2026-01-01", "end": "2026-03-31"},
        "objectives": [{"id": "ENG-1", "title": "Eng"}],
        "key_results": [{"objective": "ENG-1", "epic": "PLAT-1", **kr}],
    }
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    assert err.value.problems[0].startswith(expected)


def test_period_and_periods_together_is_one_clear_problem() -> None:
    data = cycles()
    data["period"] = data["periods"][1]
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    assert err.value.problems == [
        "period and periods: both given. Keep periods: (several cycles) and remove period:, "
        "or keep period: (one cycle) and remove periods:."
    ]


def test_neither_period_nor_periods_says_both_ways() -> None:
    data = cycles()
    del data["periods"]
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    assert any(p.startswith("period: required but missing") and "periods:" in p for p in err.value.problems)


def test_a_bad_day_in_periods_names_it_once() -> None:
    data = cycles()
    data["periods"][1]["end"] = "2026-13-01"
    with pytest.raises(ConfigError) as err:
        config_from_mapping(data)
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith("periods[1].end")
