"""Mappers: raw Jira JSON (both epic-child styles, Jira-side objectives, odd data) → the OKR tree."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from okrsync.core.mappers import alignment, issue_fields
from okrsync.core.mappers.action_plans import action_plan
from okrsync.core.mappers.tree import RawTree, build_tree, fields_for
from okrsync.core.rollup import roll_up
from okrsync.domain.config import Settings, config_from_mapping
from okrsync.domain.model import Level, Measure, StatusCategory

CATS = {
    "new": {"id": 2, "key": "new", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "name": "Done"},
}
CLOUD_EPIC_LINK = "customfield_10014"
CLOUD_POINTS = "customfield_10016"
DC_EPIC_LINK = "customfield_10101"
DC_POINTS = "customfield_10106"
METRIC = "customfield_10050"


def issue(
    key: str,
    cat: str = "new",
    *,
    status: str | None = None,
    itype: str = "Story",
    level: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "summary": f"Summary of {key}",
        "status": {
            "name": status or CATS.get(cat, {"name": "Weird"})["name"],
            "statusCategory": CATS.get(cat, {"key": cat, "name": cat}),
        },
        "issuetype": {"name": itype, "hierarchyLevel": level},
        "resolution": None,
        "assignee": None,
        "reporter": {"accountId": "acc-rep", "displayName": "Rita Reporter"},
        "duedate": None,
        "updated": "2026-11-01T10:00:00.000+0000",
    }
    body.update(fields)
    return {"id": str(abs(hash(key)) % 100000), "key": key, "fields": body}


def epic(key: str, **fields: Any) -> dict[str, Any]:
    return issue(key, "indeterminate", itype="Epic", level=1, **fields)


def parent(key: str) -> dict[str, Any]:
    return {"key": key, "id": "1", "fields": {"summary": key}}


def settings(**overrides: Any) -> Settings:
    data: dict[str, Any] = {
        "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
        "objectives": [
            {"id": "CO-1", "title": "Company", "level": "company"},
            {"id": "ENG-1", "title": "Eng", "aligns_to": "CO-1"},
        ],
        "key_results": [
            {"objective": "ENG-1", "epic": "PLAT-1", "measure": "issues"},
            {"objective": "ENG-1", "jql": "labels = okr", "measure": "points"},
            {
                "objective": "CO-1",
                "epic": "PLAT-7",
                "measure": "metric",
                "metric": {"field": "OKR Current", "start": 800, "target": 200},
            },
        ],
    }
    data.update(overrides)
    return config_from_mapping(data)


def ids_for(cfg: Settings, style: str) -> issue_fields.FieldIds:
    if style == "cloud":
        return fields_for(cfg, CLOUD_POINTS, CLOUD_EPIC_LINK, {"OKR Current": METRIC})
    return fields_for(cfg, DC_POINTS, DC_EPIC_LINK, {"OKR Current": METRIC})


def snapshot_for(style: str) -> RawTree:
    """The same company in the two epic-child styles."""
    link = CLOUD_EPIC_LINK if style == "cloud" else DC_EPIC_LINK
    points = CLOUD_POINTS if style == "cloud" else DC_POINTS

    def child(key: str, epic_key: str, cat: str, pts: float | None = None, **kw: Any) -> dict[str, Any]:
        extra: dict[str, Any] = {points: pts}
        if style == "cloud":
            extra["parent"] = parent(epic_key)
        else:
            extra[link] = epic_key
        extra.update(kw)
        return issue(key, cat, **extra)

    return RawTree(
        kr_epics=[
            [
                epic(
                    "PLAT-1",
                    assignee={"accountId": "acc-ana", "displayName": "Ana Lead"},
                    duedate="2026-12-15",
                )
            ],
            [epic("PLAT-2"), epic("PLAT-3")],
            [epic("PLAT-7", **{METRIC: 500})],
        ],
        children=[
            child("PLAT-10", "PLAT-1", "done"),
            child("PLAT-11", "PLAT-1", "indeterminate"),
            child("PLAT-12", "PLAT-1", "new"),
            child("PLAT-13", "PLAT-1", "done", resolution={"name": "Won't Do"}),
            child("PLAT-20", "PLAT-2", "done", 3),
            child("PLAT-21", "PLAT-2", "new", 5),
            child("PLAT-30", "PLAT-3", "done", 2),
            child("PLAT-31", "PLAT-3", "new", None),  # unestimated
            child("PLAT-32", "PLAT-3", "new", 4),
            child("OTHER-1", "OTHER-9", "done"),  # under an epic that is not a KR: ignored
        ],
    )


@pytest.mark.parametrize("style", ["cloud", "datacenter"])
def test_both_child_styles_give_the_same_tree(style: str) -> None:
    cfg = settings()
    tree = build_tree(cfg, snapshot_for(style), ids_for(cfg, style))
    assert [k.id for k in tree.key_results] == ["PLAT-1", "PLAT-2", "PLAT-3", "PLAT-7"]
    krs = {k.id: k for k in tree.key_results}
    assert [p.key for p in krs["PLAT-1"].action_plans] == ["PLAT-10", "PLAT-11", "PLAT-12", "PLAT-13"]
    assert krs["PLAT-1"].owner == "Ana Lead"
    assert krs["PLAT-1"].owner_id == "acc-ana"
    assert krs["PLAT-1"].due == date(2026, 12, 15)
    assert krs["PLAT-2"].objective_id == "ENG-1"
    assert krs["PLAT-2"].measure == Measure.POINTS
    assert krs["PLAT-7"].metric is not None
    assert krs["PLAT-7"].metric.current == 500
    scored = roll_up(tree, date(2026, 11, 15))
    assert scored.kr("PLAT-1").progress == pytest.approx(1 / 3)  # Won't Do left out
    assert scored.kr("PLAT-2").progress == pytest.approx(3 / 8)
    assert scored.kr("PLAT-3").progress == pytest.approx(2 / 9)  # unestimated counts as median 3
    assert scored.kr("PLAT-7").progress == pytest.approx(0.5)
    assert not tree.warnings


def test_auto_takes_either_field_and_reports_disagreement() -> None:
    cfg = settings()
    ids = ids_for(cfg, "cloud")
    snap = RawTree(
        kr_epics=[[epic("PLAT-1")], [epic("PLAT-2")], []],
        children=[
            issue("A-1", "done", parent=parent("PLAT-1")),
            issue("A-2", "done", **{CLOUD_EPIC_LINK: "PLAT-1"}),
            issue("A-3", "done", parent=parent("PLAT-1"), **{CLOUD_EPIC_LINK: "PLAT-2"}),  # two KRs' scopes
        ],
    )
    tree = build_tree(cfg, snap, ids)
    krs = {k.id: k for k in tree.key_results}
    assert [p.key for p in krs["PLAT-1"].action_plans] == ["A-1", "A-2", "A-3"]
    assert krs["PLAT-2"].action_plans == ()
    assert any("A-3" in w and "two KRs" in w for w in tree.warnings)
    # a configured epic Jira does not show is a broken source, kept visible (core/stale.py)
    assert [(b.epic, "not found" in b.reason) for b in tree.broken_sources] == [("PLAT-7", True)]


@pytest.mark.parametrize(("style", "found"), [("parent", ["A-1"]), ("epic_link", ["A-2"])])
def test_explicit_child_style(style: str, found: list[str]) -> None:
    cfg = settings(jira={"children": style})
    snap = RawTree(
        kr_epics=[[epic("PLAT-1")], [], []],
        children=[issue("A-1", parent=parent("PLAT-1")), issue("A-2", **{CLOUD_EPIC_LINK: "PLAT-1"})],
    )
    tree = build_tree(cfg, snap, ids_for(cfg, "cloud"))
    assert [p.key for p in tree.key_results[0].action_plans] == found


def test_jql_kr_matching_a_configured_epic_is_kept_once() -> None:
    cfg = settings()
    snap = RawTree(kr_epics=[[epic("PLAT-1")], [epic("PLAT-1"), epic("PLAT-2")], [epic("PLAT-7")]])
    tree = build_tree(cfg, snap, ids_for(cfg, "cloud"))
    assert [k.id for k in tree.key_results] == ["PLAT-1", "PLAT-2", "PLAT-7"]
    assert {k.id: k.measure for k in tree.key_results}["PLAT-1"] == Measure.ISSUES
    assert any("matched by key_results[0] and key_results[1]" in w for w in tree.warnings)


ODD = [
    ("no fields at all", {"key": "X-1", "fields": None}, StatusCategory.UNKNOWN, "no fields"),
    (
        "null status",
        issue("X-1", status=None) | {"fields": {"status": None, "parent": parent("PLAT-1")}},
        StatusCategory.UNKNOWN,
        None,
    ),
    ("unknown category", issue("X-1", "purple"), StatusCategory.UNKNOWN, "unknown status category"),
    ("points as text", issue("X-1", "done", **{CLOUD_POINTS: "5"}), StatusCategory.DONE, None),
    ("points garbage", issue("X-1", "done", **{CLOUD_POINTS: {"x": 1}}), StatusCategory.DONE, None),
    ("bad dates", issue("X-1", "done", duedate="someday", updated="not a date"), StatusCategory.DONE, None),
]


@pytest.mark.parametrize(("raw", "category", "warning"), [o[1:] for o in ODD], ids=[o[0] for o in ODD])
def test_odd_data_never_crashes(raw: dict[str, Any], category: StatusCategory, warning: str | None) -> None:
    cfg = settings()
    plan, warnings = action_plan(raw, ids_for(cfg, "cloud"))
    assert plan.key == "X-1"
    assert plan.status_category == category
    assert plan.due is None or isinstance(plan.due, date)
    if warning:
        assert any(warning in w for w in warnings)
    # and in a whole tree
    raw = {**raw, "fields": {**(raw.get("fields") or {}), "parent": parent("PLAT-1")}}
    tree = build_tree(
        cfg, RawTree(kr_epics=[[epic("PLAT-1")], [], []], children=[raw]), ids_for(cfg, "cloud")
    )
    roll_up(tree, date(2026, 11, 1))


def test_action_plan_fields() -> None:
    cfg = settings()
    raw = issue(
        "X-1",
        "done",
        status="Closed",
        assignee={"name": "jdoe", "displayName": "J Doe"},
        duedate="2026-11-30",
        resolution={"name": "Duplicate"},
        statuscategorychangedate="2026-11-02T08:00:00.000+0000",
        **{CLOUD_POINTS: 3},
    )
    plan, _ = action_plan(raw, ids_for(cfg, "cloud"))
    assert plan.status == "Closed"
    assert plan.cancelled  # Duplicate
    assert plan.owner == "J Doe"
    assert plan.owner_id == "jdoe"  # Data Center user name
    assert plan.points == 3
    assert plan.due == date(2026, 11, 30)
    assert plan.status_changed == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    no_assignee, _ = action_plan(issue("X-2"), ids_for(cfg, "cloud"))
    assert no_assignee.owner == "Rita Reporter"  # falls back to the reporter


def test_empty_epic_and_moved_issue() -> None:
    cfg = settings()
    snap = RawTree(
        kr_epics=[[epic("PLAT-1")], [epic("PLAT-2")], []],
        children=[issue("A-1", "done", parent=parent("PLAT-2"))],
        previous_epic_of={"A-1": "PLAT-1"},
    )
    tree = build_tree(cfg, snap, ids_for(cfg, "cloud"))
    krs = {k.id: k for k in tree.key_results}
    assert krs["PLAT-1"].action_plans == ()
    assert any("A-1: moved from PLAT-1 to PLAT-2" in w for w in tree.warnings)
    scored = roll_up(tree, date(2026, 11, 1))
    assert scored.kr("PLAT-1").progress is None  # empty epic: no data, not a crash


# --------------------------------------------------------------------------- Jira-side objectives


def objective_issue(key: str, **fields: Any) -> dict[str, Any]:
    return issue(key, itype="Objective", level=2, **fields)


@pytest.mark.parametrize(
    ("align_by", "extra", "make_link"),
    [
        ("parent", {}, lambda target: {"parent": parent(target)}),
        (
            "link",
            {"link_type": "Aligns"},
            lambda target: {
                "issuelinks": [
                    {
                        "id": "1",
                        "type": {"name": "Aligns", "outward": "aligns to", "inward": "is aligned with"},
                        "outwardIssue": {"key": target},
                    },
                    {
                        "id": "2",
                        "type": {"name": "Blocks", "outward": "blocks", "inward": "is blocked by"},
                        "outwardIssue": {"key": "ZZZ-1"},
                    },
                ]
            },
        ),
        ("field", {"field": "Parent Objective"}, lambda target: {"customfield_10077": {"value": target}}),
    ],
)
def test_objectives_from_jira(align_by: str, extra: dict[str, Any], make_link: Any) -> None:
    cfg = settings(
        objectives=[{"id": "CO-1", "title": "Company", "level": "company"}],
        objectives_from_jira={"jql": "issuetype = Objective", "align_by": align_by, **extra},
        key_results=[
            {"objective": "@parent", "jql": "issuetype = Epic", "measure": "issues"},
            {"objective": "OBJ-2", "epic": "PLAT-9", "measure": "issues"},
        ],
    )
    snap = RawTree(
        objective_issues=[
            objective_issue("OBJ-1", **make_link("CO-1")),
            objective_issue("OBJ-2", **make_link("OBJ-1")),
            objective_issue("OBJ-3"),
        ],
        kr_epics=[[epic("PLAT-5", parent=parent("OBJ-1")), epic("PLAT-6")], [epic("PLAT-9")]],
        children=[issue("A-1", "done", parent=parent("PLAT-5")), issue("A-2", parent=parent("PLAT-9"))],
    )
    tree = build_tree(cfg, snap, ids_for(cfg, "cloud"), objective_field_id="customfield_10077")
    objs = {o.id: o for o in tree.objectives}
    assert objs["OBJ-1"].aligns_to == "CO-1"
    assert objs["OBJ-2"].aligns_to == "OBJ-1"
    assert objs["OBJ-3"].aligns_to is None
    assert objs["OBJ-3"].level == Level.COMPANY
    assert objs["OBJ-2"].jira_key == "OBJ-2"
    krs = {k.id: k for k in tree.key_results}
    if align_by == "parent":
        assert krs["PLAT-5"].objective_id == "OBJ-1"
    assert "PLAT-6" not in krs  # no parent objective
    assert any("PLAT-6" in w and "no parent objective" in w for w in tree.warnings)
    assert krs["PLAT-9"].objective_id == "OBJ-2"
    scored = roll_up(tree, date(2026, 11, 1))
    assert scored.objective("CO-1").progress is not None


def test_alignment_ignores_inward_links_and_unknown_targets() -> None:
    raw = issue(
        "OBJ-1",
        issuelinks=[{"type": {"name": "Aligns", "outward": "aligns to"}, "inwardIssue": {"key": "X"}}],
    )
    assert alignment.by_link(raw, "aligns") is None
    assert alignment.by_link(raw, "Aligns") is None
    raw2 = issue(
        "OBJ-1",
        issuelinks=[{"type": {"name": "Aligns", "outward": "aligns to"}, "outwardIssue": {"key": "X"}}],
    )
    assert alignment.by_link(raw2, "aligns to") == "X"
    assert alignment.by_field(issue("A", customfield_1="  "), "customfield_1") is None
    assert alignment.by_field(issue("A", customfield_1="CO-1"), "customfield_1") == "CO-1"


@pytest.mark.parametrize(
    ("keys", "ordered"),
    [
        (["PLAT-10", "PLAT-9", "MOB-2", "PLAT-1"], ["MOB-2", "PLAT-1", "PLAT-9", "PLAT-10"]),
        (["odd", "A-1"], ["A-1", "odd"]),
    ],
)
def test_issue_keys_sort_by_project_then_number(keys: list[str], ordered: list[str]) -> None:
    assert sorted(keys, key=issue_fields.key_order) == ordered


@pytest.mark.parametrize(
    ("itype", "level", "epic"),
    [
        ("Epic", 1, True),
        ("Feature", 1, True),
        ("Epic", 0, False),
        ("Epic", None, True),
        ("Story", None, False),
    ],
)
def test_an_epic_is_known_by_its_hierarchy_level(itype: str, level: int | None, epic: bool) -> None:
    raw = {"key": "X-1", "fields": {"issuetype": {"name": itype, "hierarchyLevel": level}}}
    assert issue_fields.is_epic(raw) is epic
