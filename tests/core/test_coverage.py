"""Alignment coverage (okrsync.core.coverage): its JQL, the unaligned epics, the shares."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from okrsync.core.coverage import (
    Coverage,
    ProjectCoverage,
    UnalignedEpic,
    coverage_gauges,
    coverage_queries,
    jql_field,
    largest_unaligned_epics,
    resolved_clause,
)
from okrsync.domain.model import ActionPlan, KeyResult, Measure, Objective, OkrTree, Period

Q4 = Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))


def tree() -> OkrTree:
    krs = (
        KeyResult("WEB-1", "O", "web", Measure.ISSUES, (ActionPlan("WEB-5"),), jira_key="WEB-1"),
        KeyResult(
            "APP-2", "O", "app", Measure.ISSUES, (ActionPlan("APP-7"), ActionPlan("OPS-3")), jira_key="APP-2"
        ),
    )
    return OkrTree(Q4, (Objective("O", "objective"),), krs)


@pytest.mark.parametrize(("field_id", "jql"), [("customfield_10042", "cf[10042]"), ("summary", '"summary"')])
def test_jql_field(field_id: str, jql: str) -> None:
    assert jql_field(field_id) == jql


@pytest.mark.parametrize(
    ("as_of", "clause"),
    [
        (date(2026, 11, 26), 'resolved >= "2026-10-01" AND resolved < "2026-11-27"'),
        (date(2027, 1, 5), 'resolved >= "2026-10-01" AND resolved < "2027-01-01"'),  # at most its end
    ],
)
def test_resolved_clause(as_of: date, clause: str) -> None:
    assert resolved_clause(Q4, as_of) == clause


def test_queries_per_project_company_and_team_managed() -> None:
    q = coverage_queries(tree(), Q4, date(2026, 11, 26), "customfield_10042", team_managed={"APP", "OPS"})
    done = 'resolved >= "2026-10-01" AND resolved < "2026-11-27" AND issuetype != Epic'
    assert sorted(q.per_project) == ["APP", "OPS", "WEB"]  # the KR epics' and action plans' projects
    assert q.per_project["WEB"] == (
        f'project = "WEB" AND {done}',
        f'project = "WEB" AND {done} AND cf[10042] is not EMPTY',
    )
    # team-managed: no okrsync field; the KR epics' children
    assert q.per_project["APP"][1] == f'project = "APP" AND {done} AND parent in (APP-2)'
    assert q.per_project["OPS"][1] is None  # no KR epic there: nothing countable as aligned
    assert q.unaligned == f'project in ("APP", "OPS", "WEB") AND {done} AND cf[10042] is EMPTY'


def _issue(epic_link: str | None = None, parent: dict[str, Any] | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if epic_link:
        fields["customfield_10014"] = epic_link
    if parent:
        fields["parent"] = parent
    return {"key": "X-1", "fields": fields}


def _parent(key: str, kind: str, level: int, summary: str = "") -> dict[str, Any]:
    return {"key": key, "fields": {"summary": summary, "issuetype": {"name": kind, "hierarchyLevel": level}}}


def test_largest_unaligned_epics() -> None:
    issues = [
        _issue("E-1"),
        _issue("E-2"),
        _issue(parent=_parent("E-2", "Epic", 1, "Tech debt")),
        _issue(parent=_parent("E-3", "Initiative", 1, "named otherwise, epic level")),
        _issue(parent=_parent("S-9", "Story", 0)),  # a sub-task's parent: no epic
        _issue(parent=_parent("APP-2", "Epic", 1)),  # a KR epic (team-managed): left out
        _issue(),
    ]
    epics = largest_unaligned_epics(issues, epic_link_field="customfield_10014", exclude={"APP-2"}, top=2)
    assert epics == (UnalignedEpic("E-2", 2, "Tech debt"), UnalignedEpic("E-1", 1))


@pytest.mark.parametrize(
    ("projects", "company", "gauges"),
    [
        ((ProjectCoverage("A", 4, 3), ProjectCoverage("B", 0, 0)), 0.75, [("", 0.75), ("A", 0.75)]),
        (
            (ProjectCoverage("A", 1, 1), ProjectCoverage("B", 3, 0)),
            0.25,
            [("", 0.25), ("A", 1.0), ("B", 0.0)],
        ),
        ((), None, []),
    ],
)
def test_shares_and_gauges(
    projects: tuple[ProjectCoverage, ...], company: float | None, gauges: list[tuple[str, float]]
) -> None:
    c = Coverage(Q4, "2026-11-26T12:00:00+00:00", projects, (UnalignedEpic("E-1", 2, "x"),), 9, "cf")
    assert c.share == company
    assert coverage_gauges(c) == gauges
    assert Coverage.of_json(c.as_json()) == c
    assert Coverage.of_json({"period": {}}) is None and Coverage.of_json(None) is None
