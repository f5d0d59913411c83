"""The minimum: reads by pages, writes per issue or (Cloud) by bulk edits and properties/multi."""

from __future__ import annotations

import pytest
from syncbench.minimum import (
    bulk_edit_parts,
    bulk_edit_requests,
    min_reads,
    min_writes,
    properties_requests,
    value_groups,
)


@pytest.mark.parametrize(
    ("group", "requests"),
    [(0, 0), (1, 1), (19, 19), (20, 2), (50, 2), (1000, 2), (1001, 3), (1019, 21), (1020, 4), (2500, 6)],
)
def test_bulk_edit_requests(group: int, requests: int) -> None:
    assert bulk_edit_requests(group) == requests


def test_bulk_edit_parts_count_the_task_poll_as_a_read() -> None:
    assert bulk_edit_parts(1019) == (1 + 19, 1)
    assert bulk_edit_parts(2500) == (3, 3)


@pytest.mark.parametrize(("n", "requests"), [(0, 0), (1, 1), (2, 2), (3, 2), (100, 2), (101, 4), (200, 4)])
def test_properties_requests(n: int, requests: int) -> None:
    assert properties_requests(n) == requests


def test_value_groups_group_changed_issues_by_the_values_they_end_with() -> None:
    before = {"A": "x", "B": "x", "C": "y", "D": "z"}
    after = {"A": "k", "B": "k", "C": "k", "D": "z", "E": "m"}
    assert value_groups(before, after) == [3, 1]


@pytest.mark.parametrize(
    ("flavor", "groups", "props", "comments", "writes", "polls", "per_issue"),
    [
        # 10,200 issues' first sync: 200 KRs' 50 action plans, 200 KR epics of their own values
        ("cloud", [50] * 200 + [1] * 200, 200, 200, 200 + 200 + 2 + 200, 200 + 2, 10_200 + 400),
        ("datacenter", [50] * 200 + [1] * 200, 200, 200, 10_600, 0, 10_600),
        ("cloud", [1] * 25, 68, 0, 25 + 1, 1, 93),  # a 1 %-changed re-sync: nothing to bulk
        ("cloud", [], 0, 0, 0, 0, 0),
    ],
)
def test_min_writes(
    flavor: str, groups: list[int], props: int, comments: int, writes: int, polls: int, per_issue: int
) -> None:
    out = min_writes(flavor, groups, props, comments)
    assert (out["writes"], out["task_polls"]) == (writes, polls)
    assert out["per_issue"] == per_issue == out["values"] + out["properties"] + out["comments"]


@pytest.mark.parametrize(
    ("first", "page", "scope", "changed", "jql", "total"),
    [
        (True, 100, 10_100, 0, [50, 50], 2 + 2 + 101),  # Cloud first sync, 10,200 issues
        # a re-sync: one search for what changed in every JQL source
        (False, 100, 10_100, 0, [50, 50], 3 + 1 + 1),  # an unchanged re-sync: 5
        (False, 1000, 10_100, 102, [50, 50], 3 + 1 + 1),
        (False, 100, 99_500, 0, [50] * 10, 3 + 1 + 1),  # 100,000 issues, 10 JQL sources: 5
        (False, 100, 99_500, 0, [], 3 + 0 + 1),  # no JQL source
        (True, 1000, 99_500, 0, [50] * 10, 2 + 10 + 100),
    ],
)
def test_min_reads(first: bool, page: int, scope: int, changed: int, jql: list[int], total: int) -> None:
    parts = min_reads(
        first=first, page=page, in_scope_not_jql=scope, user_changed=changed, jql_epic_counts=jql
    )
    assert sum(parts.values()) == total
