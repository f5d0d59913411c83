"""Team-managed projects in the pure core: their style as Jira shows it, the tree's issues there, and
a plan that writes no field there (properties and comments as anywhere), with one warning."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from corekit import Q4

from okrsync.core.plan import CommentPolicy, FieldEdit, IssueNow, PropertySet, WritebackIds, plan_changes
from okrsync.core.requirements import config_projects, key_result_projects
from okrsync.core.rollup import roll_up
from okrsync.core.team_managed import (
    TeamManagedIssues,
    check_advice,
    is_team_managed,
    key_result_list,
    project_of,
    setup_step,
    styles_of_issues,
    styles_of_projects,
    sync_warning,
    team_managed_issues,
    tree_issue_keys,
)
from okrsync.domain.config import config_from_mapping
from okrsync.domain.model import ActionPlan, KeyResult, Level, Measure, Objective, OkrTree, StatusCategory

AS_OF = date(2026, 11, 15)
RECENT = datetime(2026, 11, 14, tzinfo=UTC)
IDS = WritebackIds(
    progress="customfield_1",
    expected="customfield_2",
    status="customfield_3",
    objective="customfield_4",
    key_result="customfield_5",
    objective_id="customfield_6",
)


@pytest.mark.parametrize(
    ("key", "project"),
    [("WEB-12", "WEB"), ("A_B2-1", "A_B2"), ("web-1", None), ("WEB", None), ("KR-x", None), ("", None)],
)
def test_project_of(key: str, project: str | None) -> None:
    assert project_of(key) == project


@pytest.mark.parametrize(
    ("project", "team_managed"),
    [
        ({"style": "next-gen", "simplified": True}, True),
        ({"style": "classic", "simplified": False}, False),
        ({"style": "CLASSIC"}, False),  # the spec's own examples spell it so
        ({"style": "NEXT-GEN"}, True),
        ({"simplified": True}, True),  # the issue's project field (ProjectDetails) has no style
        ({"simplified": False}, False),
        ({"key": "WEB"}, None),  # says neither: unknown
        ({"simplified": "yes"}, None),
    ],
)
def test_is_team_managed(project: dict[str, Any], team_managed: bool | None) -> None:
    assert is_team_managed(project) is team_managed


def test_styles_of_projects_and_issues_keep_only_what_jira_says() -> None:
    projects = [
        {"key": "WEB", "style": "next-gen"},
        {"key": "MOB", "style": "classic"},
        {"key": "OLD"},  # an older answer without a style
        {"style": "next-gen"},  # no key
    ]
    assert styles_of_projects(projects) == {"WEB": True, "MOB": False}
    issues = [
        {"key": "WEB-1", "fields": {"project": {"key": "WEB", "simplified": True}}},
        {"key": "MOB-1", "fields": {"project": {"key": "MOB", "simplified": False}}},
        {"key": "DATA-1", "fields": {"project": {"key": "DATA"}}},  # mirrored without simplified
        {"key": "X-1", "fields": {"project": None}},
        {"key": "Y-1"},
    ]
    assert styles_of_issues(issues) == {"WEB": True, "MOB": False}


def ap(key: str, cat: StatusCategory = StatusCategory.TODO) -> ActionPlan:
    return ActionPlan(key, summary=f"do {key}", status_category=cat, status_changed=RECENT)


def kr(key: str, plans: list[ActionPlan], objective: str = "ENG-1") -> KeyResult:
    return KeyResult(key, objective, f"Title {key}", Measure.ISSUES, tuple(plans), jira_key=key, owner="Ana")


# WEB-1 is a KR epic in the team-managed WEB, one of its action plans (PLAT-9) is in the classic
# PLAT; PLAT-1's action plans include WEB-7 (a JQL or a cross-project epic); the objective ENG-1
# lives in WEB too; WEB-40 is done
TREE = OkrTree(
    Q4,
    (
        Objective("CO-1", "Customers love us", Level.COMPANY, owner="ceo"),
        Objective("ENG-1", "Platform", aligns_to="CO-1", owner="lead", jira_key="WEB-100"),
    ),
    (
        kr("WEB-1", [ap("WEB-2", StatusCategory.DONE), ap("WEB-3"), ap("PLAT-9")]),
        kr("PLAT-1", [ap("PLAT-2", StatusCategory.DONE), ap("WEB-7")]),
        kr("WEB-40", [ap("WEB-41", StatusCategory.DONE)]),  # done: a celebration comment
    ),
)


def test_tree_issue_keys() -> None:
    assert tree_issue_keys(TREE) == [
        *("WEB-1", "WEB-2", "WEB-3", "PLAT-9"),
        *("PLAT-1", "PLAT-2", "WEB-7"),
        *("WEB-40", "WEB-41"),
        "WEB-100",
    ]


WEB_KRS = (("WEB-1", "WEB-1"), ("WEB-40", "WEB-40"))


@pytest.mark.parametrize(
    ("team_managed", "expected", "summary"),
    [
        ((), TeamManagedIssues(()), ""),
        ({"MOB"}, TeamManagedIssues(()), ""),
        (
            {"WEB"},
            TeamManagedIssues(("WEB",), WEB_KRS, 4, 1),
            "2 KR epics, 4 action plans, 1 objective issue",
        ),
        ({"PLAT"}, TeamManagedIssues(("PLAT",), (("PLAT-1", "PLAT-1"),), 2, 0), "1 KR epic, 2 action plans"),
        (
            {"PLAT", "WEB"},
            TeamManagedIssues(("PLAT", "WEB"), (WEB_KRS[0], ("PLAT-1", "PLAT-1"), WEB_KRS[1]), 6, 1),
            "3 KR epics, 6 action plans, 1 objective issue",
        ),
    ],
)
def test_team_managed_issues(team_managed: set[str], expected: TeamManagedIssues, summary: str) -> None:
    found = team_managed_issues(TREE, team_managed)
    assert found == expected
    assert found.summary() == summary
    assert bool(found) is bool(summary)


def test_the_warning_names_the_projects_the_issues_and_what_okrsync_writes() -> None:
    found = team_managed_issues(TREE, {"WEB"})
    assert sync_warning(found) == (
        "7 issues (2 KR epics, 4 action plans, 1 objective issue) in team-managed project WEB: Jira takes "
        "no global custom field on the issues of a team-managed project, so okrsync writes its `okrsync` "
        "issue property and its comments there, not the OKR fields (`okrsync check` says more)"
    )
    both = team_managed_issues(TREE, {"WEB", "PLAT"})
    assert (
        "10 issues (3 KR epics, 6 action plans, 1 objective issue) in team-managed projects PLAT, WEB:"
        in (sync_warning(both))
    )
    one = TeamManagedIssues(("WEB",), action_plans=1)
    assert sync_warning(one).startswith("1 issue (1 action plan) in team-managed project WEB:")


def _plan(team_managed: set[str], now: dict[str, IssueNow] | None = None, **kw: Any) -> Any:
    return plan_changes(
        roll_up(TREE, AS_OF),
        IDS,
        now or {},
        comments=CommentPolicy(status_change=True, celebrate=True, stale_reminder=True),
        team_managed=team_managed,
        **kw,
    )


ALL_KR_EPICS = ["PLAT-1", "WEB-1", "WEB-40"]


@pytest.mark.parametrize(
    ("team_managed", "edited"),
    [
        (set(), [*ALL_KR_EPICS, "PLAT-2", "PLAT-9", "WEB-2", "WEB-3", "WEB-7", "WEB-41", "WEB-100"]),
        ({"WEB"}, ["PLAT-1", "PLAT-2", "PLAT-9"]),
        ({"PLAT"}, ["WEB-1", "WEB-40", "WEB-2", "WEB-3", "WEB-7", "WEB-41", "WEB-100"]),
        ({"PLAT", "WEB"}, []),
        ({"MOB"}, [*ALL_KR_EPICS, "PLAT-2", "PLAT-9", "WEB-2", "WEB-3", "WEB-7", "WEB-41", "WEB-100"]),
    ],
)
def test_no_field_edit_in_a_team_managed_project_properties_and_comments_as_anywhere(
    team_managed: set[str], edited: list[str]
) -> None:
    plan = _plan(team_managed)
    assert [e.issue_key for e in plan.field_edits] == edited
    everywhere = _plan(set())
    # the okrsync property on each KR epic and the objective's issue, and the comments, unchanged
    assert [p.issue_key for p in plan.changes if isinstance(p, PropertySet)] == [
        "WEB-1",
        "PLAT-1",
        "WEB-40",
        "WEB-100",
    ]
    assert [(c.issue_key, c.identity) for c in plan.comments] == [
        (c.issue_key, c.identity) for c in everywhere.comments
    ]
    assert [(c.issue_key, c.identity) for c in plan.comments] == [("WEB-40", "celebrate")]
    tm_warnings = [w for w in plan.warnings if "team-managed" in w]
    assert len(tm_warnings) == (1 if team_managed & {"WEB", "PLAT"} else 0)
    assert plan.errors == ()


def test_an_issue_leaving_the_tree_in_a_team_managed_project_is_not_cleared() -> None:
    shown = {IDS.progress: 40.0, IDS.key_result: "OLD-1: gone"}
    now = {"WEB-50": IssueNow(shown), "PLAT-50": IssueNow(shown)}
    plan = _plan({"WEB"}, now, out_of_scope=["WEB-50", "PLAT-50"])
    cleared = [
        e.issue_key for e in plan.field_edits if isinstance(e, FieldEdit) and e.issue_key.endswith("-50")
    ]
    assert cleared == ["PLAT-50"]


def test_a_plan_that_writes_no_fields_says_nothing_of_team_managed_projects() -> None:
    plan = _plan({"WEB"}, write_fields=False)
    assert plan.field_edits == ()
    assert not [w for w in plan.warnings if "team-managed" in w]


# ------------------------------------------------------------------ what check and setup say


def test_check_advice_says_per_project_what_lives_there_what_okrsync_writes_and_what_to_do() -> None:
    assert check_advice(TREE, set()) == []
    assert check_advice(TREE, {"MOB"}) == []  # team-managed, but none of the tree's issues is there
    (web,) = check_advice(TREE, {"WEB", "MOB"})
    message, fix = web
    assert message.startswith(
        "WEB is a team-managed project; the key results WEB-1, WEB-40 live there "
        "(2 KR epics, 4 action plans, 1 objective issue). Jira takes no global custom field on the "
        "issues of a team-managed project, so okrsync writes its `okrsync` issue property and its "
        "comments there, not the OKR fields. okrsync's filters and the OKR dashboard select by the OKR "
        "fields, so these key results do not show there"
    )
    assert fix.startswith(
        "To have the OKR fields on them, move these epics and their issues to a company-managed"
    )
    assert "{{issue.properties.okrsync.progress}}" in fix and "JQL cannot search the property" in fix
    # only action plans there: no key result to name
    only_plans = OkrTree(Q4, TREE.objectives[:1], (kr("PLAT-1", [ap("OPS-3"), ap("OPS-4")], "CO-1"),))
    ((message, _fix),) = check_advice(only_plans, {"OPS"})
    assert message.startswith("OPS is a team-managed project; 2 action plans live there. Jira takes")
    both = check_advice(TREE, {"WEB", "PLAT"})
    assert [m.split(" ", 1)[0] for m, _ in both] == ["PLAT", "WEB"]


def test_a_key_result_whose_id_is_not_its_epic_key_is_named_with_both() -> None:
    found = TeamManagedIssues(("WEB",), (("WEB-1", "WEB-1"), ("KR-7", "WEB-9")))
    assert key_result_list(found) == "WEB-1, KR-7 (WEB-9)"


def test_setup_step() -> None:
    title, steps = setup_step("WEB", ["WEB-1", "key_results[3]"])
    assert title == "WEB is a team-managed project: okrsync writes its property and comments there, no field"
    assert steps[0] == (
        "The key results WEB-1, key_results[3] live in WEB. Jira takes no global custom field on the issues "
        "of a team-managed project, so okrsync writes its `okrsync` issue property and its comments there, "
        "not the OKR fields."
    )
    assert [s.split(" ", 3)[:3] for s in steps[1:]] == [
        ["okrsync's", "filters", "and"],
        ["To", "have", "the"],
        ["Otherwise", "read", "their"],
    ]
    assert setup_step("WEB", [])[1][0].startswith("Issues okrsync writes to live in WEB.")


def test_key_result_projects() -> None:
    cfg = config_from_mapping(
        {
            "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
            "objectives": [{"id": "CO-1", "title": "Company", "level": "company"}],
            "key_results": [
                {"objective": "CO-1", "epic": "WEB-1"},
                {"objective": "CO-1", "jql": "project in (WEB, 'OPS') AND issuetype = Epic"},
                {"objective": "CO-1", "jql": "labels = okr"},
                {"objective": "CO-1", "epic": "MOB-2"},
            ],
        }
    )
    assert key_result_projects(cfg) == [
        ("WEB-1", ("WEB",)),
        ("key_results[1]", ("WEB", "OPS")),
        ("key_results[2]", ()),
        ("MOB-2", ("MOB",)),
    ]
    assert config_projects(cfg) == ["WEB", "MOB", "OPS"]  # epics' projects first, then the JQLs'
