"""Grouping a plan's field edits into bulk edits (issue 15, Build 1): pure, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from okrsync.core.plan import FieldEdit
from okrsync.core.plan.bulk import MAX_ISSUES, group_bulk_edits

KR_A = {"customfield_1": "MOB-1: Ship the app", "customfield_2": ["MOB-O"]}
KR_B = {"customfield_1": "WEB-1: New site", "customfield_2": ["WEB-O"]}


def edits(prefix: str, n: int, fields: dict[str, Any]) -> list[FieldEdit]:
    return [FieldEdit(f"{prefix}-{i}", dict(fields), {}) for i in range(1, n + 1)]


def text_only(fid: str) -> bool:
    return fid != "customfield_9"  # customfield_9: a select list, no bulk input for okrsync's values


CASES: list[tuple[str, list[FieldEdit], dict[str, Any], list[int], int]] = [
    # (case, edits, grouping kwargs, sizes of the bulk edits, edits left per issue)
    ("one KR's action plans: one bulk edit", edits("MOB", 25, KR_A), {}, [25], 0),
    ("two KRs: one bulk edit each", edits("MOB", 20, KR_A) + edits("WEB", 30, KR_B), {}, [20, 30], 0),
    ("a group below the minimum stays per issue", edits("MOB", 19, KR_A), {}, [], 19),
    ("the minimum is a parameter", edits("MOB", 3, KR_A), {"min_issues": 3}, [3], 0),
    (
        "values differ in one field: two groups",
        edits("MOB", 20, KR_A) + edits("MOC", 20, {**KR_A, "customfield_2": []}),
        {},
        [20, 20],
        0,
    ),
    (
        "the same values in another key order: one group",
        edits("MOB", 10, KR_A) + edits("MOC", 10, dict(reversed(list(KR_A.items())))),
        {},
        [20],
        0,
    ),
    (
        "a field without bulk input: per issue",
        edits("MOB", 30, {**KR_A, "customfield_9": {"value": "On track"}}),
        {},
        [],
        30,
    ),
    ("cut at 1000 issues", edits("MOB", 2010, KR_A), {}, [1000, 1000], 10),
    (
        "cut at max_issues, the last cut large enough",
        edits("MOB", 25, KR_A),
        {"max_issues": 10, "min_issues": 5},
        [10, 10, 5],
        0,
    ),
    (
        "more fields than a bulk edit takes: per issue",
        edits("MOB", 30, {f"customfield_{i}": 1 for i in range(10, 13)}),
        {"max_fields": 2},
        [],
        30,
    ),
    ("an empty edit is left alone", edits("MOB", 30, {}), {}, [], 30),
]


@pytest.mark.parametrize(("case", "given", "kwargs", "sizes", "left"), CASES, ids=[c[0] for c in CASES])
def test_grouping(
    case: str, given: list[FieldEdit], kwargs: dict[str, Any], sizes: list[int], left: int
) -> None:
    bulks, singles = group_bulk_edits(given, text_only, **kwargs)
    assert [len(b.edits) for b in bulks] == sizes
    assert len(singles) == left
    # every edit exactly once, each bulk edit's issues all get its values
    assert len({e.issue_key for b in bulks for e in b.edits} | {e.issue_key for e in singles}) == len(given)
    for bulk in bulks:
        assert all(dict(e.fields) == dict(bulk.fields) for e in bulk.edits)


def test_the_edits_left_keep_the_plans_order() -> None:
    given = edits("A", 2, KR_A) + edits("B", 25, KR_B) + edits("C", 1, KR_A)
    bulks, singles = group_bulk_edits(given, text_only)
    assert [b.issue_keys[0] for b in bulks] == ["B-1"]
    assert [e.issue_key for e in singles] == ["A-1", "A-2", "C-1"]


def test_the_limit_is_jiras() -> None:
    # "A single request can accommodate a maximum of 1000 issues (including subtasks) and 200 fields"
    assert MAX_ISSUES == 1000
