"""Plan: desired Jira state minus current state; comments with identities; idempotent re-plans."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from corekit import Q4

from okrsync.core.plan import (
    CommentPolicy,
    CommentPost,
    CommentRecord,
    FieldEdit,
    IssueNow,
    Plan,
    PropertySet,
    WritebackIds,
    plan_changes,
)
from okrsync.core.rollup import roll_up
from okrsync.domain.doc import Mention
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
from okrsync.jira.markup import to_plain

AS_OF = date(2026, 11, 15)  # expected 46/92 = 50 %
IDS = WritebackIds(
    progress="customfield_1",
    expected="customfield_2",
    status="customfield_3",
    objective="customfield_4",
    key_result="customfield_5",
    objective_id="customfield_6",
)
RECENT = datetime(2026, 11, 14, tzinfo=UTC)
OLD = datetime(2026, 10, 5, tzinfo=UTC)
DONE, DOING, TODO = StatusCategory.DONE, StatusCategory.IN_PROGRESS, StatusCategory.TODO


def ap(
    key: str, cat: StatusCategory = TODO, changed: datetime | None = RECENT, owner: str | None = None
) -> ActionPlan:
    return ActionPlan(
        key,
        summary=f"do {key}",
        status_category=cat,
        status_changed=changed,
        owner=owner,
        owner_id=f"acc-{owner}" if owner else None,
    )


def tree(*krs: KeyResult, objectives: tuple[Objective, ...] | None = None) -> OkrTree:
    objectives = objectives or (
        Objective("CO-1", "Customers love us", Level.COMPANY, owner="ceo"),
        Objective("ENG-1", "Platform", aligns_to="CO-1", owner="lead"),
    )
    return OkrTree(Q4, objectives, krs)


def kr(key: str, plans: list[ActionPlan], objective: str = "ENG-1", **kw: Any) -> KeyResult:
    return KeyResult(
        key,
        objective,
        f"Title {key}",
        Measure.ISSUES,
        tuple(plans),
        jira_key=key,
        owner="Ana",
        owner_id="acc-ana",
        **kw,
    )


HALF = kr("PLAT-1", [ap("PLAT-2", DONE, owner="bo"), ap("PLAT-3", DOING)])  # 50 %: on track
BEHIND = kr(
    "PLAT-5", [ap("PLAT-6", DONE), ap("PLAT-7"), ap("PLAT-8"), ap("PLAT-9"), ap("PLAT-10")]
)  # 20 %: off
DONE_KR = kr("PLAT-20", [ap("PLAT-21", DONE, owner="bo"), ap("PLAT-22", DONE, owner="cy")])
STALE = kr(
    "PLAT-30", [ap("PLAT-31", DONE, changed=OLD), ap("PLAT-32", changed=OLD), ap("PLAT-33", changed=None)]
)


def apply_to(now: dict[str, IssueNow], plan: Plan, records: dict[tuple[str, str], CommentRecord]) -> None:
    """What Jira (and the state store) look like after the plan was applied."""
    for change in plan.changes:
        current = now.get(change.issue_key, IssueNow(property_known=True))
        if isinstance(change, FieldEdit):
            fields = {**current.fields, **change.fields}
            now[change.issue_key] = IssueNow(fields, current.property, current.property_known)
        elif isinstance(change, PropertySet):
            now[change.issue_key] = IssueNow(current.fields, dict(change.value), True)
        else:
            records[(change.issue_key, change.identity)] = CommentRecord(
                change.existing_id or "c1", change.value_hash
            )


def test_first_plan_writes_everything_once_and_a_replan_writes_nothing() -> None:
    t = tree(HALF, BEHIND, DONE_KR, STALE)
    scored = roll_up(t, AS_OF)
    now: dict[str, IssueNow] = {}
    plan = plan_changes(scored, IDS, now)
    edits = {e.issue_key: e.fields for e in plan.field_edits}
    assert edits["PLAT-1"] == {
        "customfield_1": 50.0,
        "customfield_2": 50.0,
        "customfield_3": {"value": "On track"},
        "customfield_4": "ENG-1: Platform",
        "customfield_6": ["ENG-1"],
    }
    assert edits["PLAT-5"]["customfield_3"] == {"value": "Off track"}
    assert edits["PLAT-2"] == {
        "customfield_5": "PLAT-1: Title PLAT-1",
        "customfield_4": "ENG-1: Platform",
        "customfield_6": ["ENG-1"],
    }
    assert len(plan.field_edits) == 4 + 2 + 5 + 2 + 3  # one edit per issue
    assert [p.issue_key for p in plan.properties] == ["PLAT-1", "PLAT-5", "PLAT-20", "PLAT-30"]
    # KR epics first, then action plans, then comments, then the properties (which say what was announced)
    kinds = [c.kind for c in plan.changes]
    assert kinds == sorted(kinds, key=["field", "comment", "property"].index)
    first_plan_keys = [e.issue_key for e in plan.field_edits][:4]
    assert first_plan_keys == ["PLAT-1", "PLAT-5", "PLAT-20", "PLAT-30"]
    ids = {(c.issue_key, c.identity) for c in plan.comments}
    assert ids == {
        ("PLAT-20", "celebrate"),
        ("PLAT-30", "stale:2026-10-05"),
    }  # no status change on first sync
    records: dict[tuple[str, str], CommentRecord] = {}
    apply_to(now, plan, records)
    again = plan_changes(scored, IDS, now, records=records)
    assert again.changes == ()


def test_numbers_are_compared_at_the_fields_precision() -> None:
    third = kr("PLAT-1", [ap("A", DONE), ap("B"), ap("C")])
    scored = roll_up(tree(third), AS_OF)
    now = {
        "PLAT-1": IssueNow(
            {
                "customfield_1": 33.3,
                "customfield_2": "50.0",
                "customfield_3": {"value": "On track"},
                "customfield_4": " ENG-1: Platform ",
                "customfield_6": ["ENG-1"],
            },
            property_known=False,
        )
    }
    plan = plan_changes(scored, IDS, now, comments=CommentPolicy(status_change=False))
    epic = next(e for e in plan.field_edits if e.issue_key == "PLAT-1")
    assert epic.fields == {"customfield_3": {"value": "At risk"}}  # 33.3 vs 33.33…, "50.0", spaces: all equal
    assert epic.before == {"customfield_3": {"value": "On track"}}


HEALTH_CHANGES = [
    # previous status in Jira, expected comment summary (None: no comment)
    (None, None),
    ("On track", "status on_track → off_track"),
    ("Off track", None),
    ("No data", "status no_data → off_track"),
]


@pytest.mark.parametrize(("before", "summary"), HEALTH_CHANGES)
def test_status_change_comment(before: str | None, summary: str | None) -> None:
    scored = roll_up(tree(BEHIND), AS_OF)
    fields = {"customfield_3": {"value": before}} if before else {}
    plan = plan_changes(scored, IDS, {"PLAT-5": IssueNow(fields)})
    status = [c for c in plan.comments if c.identity == "status"]
    if summary is None:
        assert status == []
        return
    assert [c.summary for c in status] == [summary]
    text = repr(status[0].doc)
    assert "Off track" in text and "20 %" in text and "50 %" in text
    assert "PLAT-7" in text  # an open action plan holding it back


def test_health_from_the_property_wins_over_the_field() -> None:
    scored = roll_up(tree(BEHIND), AS_OF)
    now = {"PLAT-5": IssueNow({"customfield_3": {"value": "Off track"}}, {"health": "at_risk"}, True)}
    plan = plan_changes(scored, IDS, now)
    assert [c.summary for c in plan.comments if c.identity == "status"] == ["status at_risk → off_track"]


def test_status_comment_is_updated_in_place_or_skipped() -> None:
    scored = roll_up(tree(BEHIND), AS_OF)
    now = {"PLAT-5": IssueNow({"customfield_3": {"value": "On track"}})}
    first = plan_changes(scored, IDS, now).comments[0]
    same = {("PLAT-5", "status"): CommentRecord("77", first.value_hash)}
    assert [c for c in plan_changes(scored, IDS, now, records=same).comments if c.identity == "status"] == []
    older = {("PLAT-5", "status"): CommentRecord("77", "something-else")}
    update = [c for c in plan_changes(scored, IDS, now, records=older).comments if c.identity == "status"]
    assert [(c.existing_id, c.identity) for c in update] == [("77", "status")]


def test_celebration_once_naming_contributors() -> None:
    scored = roll_up(
        tree(DONE_KR, objectives=(Objective("ENG-1", "Platform", Level.COMPANY, owner="lead"),)), AS_OF
    )
    plan = plan_changes(scored, IDS, {})
    posts = {c.identity: c for c in plan.comments}
    assert set(posts) == {"celebrate", "celebrate-objective:ENG-1"}
    mentions = [
        i for b in posts["celebrate"].doc.blocks for i in getattr(b, "inlines", ()) if isinstance(i, Mention)
    ]
    assert [m.account_id for m in mentions] == ["acc-bo", "acc-cy"]
    records = {
        ("PLAT-20", "celebrate"): CommentRecord("1", "x"),
        ("PLAT-20", "celebrate-objective:ENG-1"): CommentRecord("2", "y"),
    }
    assert plan_changes(scored, IDS, {}, records=records).comments == ()  # never twice, never edited


def test_jira_side_objective_gets_fields_property_and_its_celebration() -> None:
    objectives = (
        Objective("CO-1", "Company", Level.COMPANY),
        Objective("OBJ-9", "Jira objective", aligns_to="CO-1", jira_key="OBJ-9"),
    )
    scored = roll_up(
        tree(kr("PLAT-20", list(DONE_KR.action_plans), objective="OBJ-9"), objectives=objectives), AS_OF
    )
    plan = plan_changes(scored, IDS, {})
    obj_edit = next(e for e in plan.field_edits if e.issue_key == "OBJ-9")
    assert obj_edit.fields["customfield_1"] == 100.0
    assert obj_edit.fields["customfield_3"] == {"value": "Done"}
    assert obj_edit.fields["customfield_4"] == "CO-1: Company"
    assert "OBJ-9" in {p.issue_key for p in plan.properties}
    assert ("OBJ-9", "celebrate-objective:OBJ-9") in {(c.issue_key, c.identity) for c in plan.comments}


def test_stale_reminder_once_per_episode() -> None:
    scored = roll_up(tree(STALE), AS_OF)
    plan = plan_changes(scored, IDS, {})
    stale = [c for c in plan.comments if c.identity.startswith("stale:")]
    assert len(stale) == 1
    assert any(
        isinstance(i, Mention) and i.account_id == "acc-ana"
        for b in stale[0].doc.blocks
        for i in getattr(b, "inlines", ())
    )
    records = {("PLAT-30", stale[0].identity): CommentRecord("5", stale[0].value_hash)}
    assert not [
        c for c in plan_changes(scored, IDS, {}, records=records).comments if c.identity.startswith("stale")
    ]
    # history knows of a recent change: not stale
    fresh = plan_changes(scored, IDS, {}, last_change={"PLAT-30": date(2026, 11, 10)})
    assert not [c for c in fresh.comments if c.identity.startswith("stale")]


def test_comment_kinds_can_be_switched_off() -> None:
    scored = roll_up(tree(DONE_KR, STALE), AS_OF)
    off = CommentPolicy(status_change=False, celebrate=False, stale_reminder=False)
    assert plan_changes(scored, IDS, {}, comments=off).comments == ()


def test_missing_fields_are_skipped_with_a_warning() -> None:
    scored = roll_up(tree(HALF), AS_OF)
    plan = plan_changes(scored, WritebackIds(progress="customfield_1"), {})
    assert {e.issue_key: dict(e.fields) for e in plan.field_edits} == {"PLAT-1": {"customfield_1": 50.0}}
    assert any("status" in w for w in plan.warnings)


def test_property_compared_by_hash_when_jira_cannot_tell() -> None:
    scored = roll_up(tree(HALF), AS_OF)
    prop = plan_changes(scored, IDS, {}).properties[0]
    assert plan_changes(scored, IDS, {}, property_hashes={"PLAT-1": prop.value_hash}).properties == ()
    # Jira told us the value (Cloud search returns properties): Jira wins over the hash
    told = {"PLAT-1": IssueNow(property={"progress": 1}, property_known=True)}
    assert len(plan_changes(scored, IDS, told, property_hashes={"PLAT-1": prop.value_hash}).properties) == 1


def test_out_of_scope_issues_are_cleared() -> None:
    scored = roll_up(tree(HALF), AS_OF)
    now = {
        "OLD-1": IssueNow(
            {"customfield_5": "PLAT-1: x", "customfield_4": "ENG-1: Platform", "customfield_1": 10}
        )
    }
    now["OLD-3"] = IssueNow({"customfield_6": ["ENG-1"]})
    plan = plan_changes(scored, IDS, now, out_of_scope=["OLD-1", "OLD-2", "OLD-3"])
    cleared = [e for e in plan.field_edits if e.issue_key.startswith("OLD")]
    assert [(e.issue_key, dict(e.fields)) for e in cleared] == [
        ("OLD-1", {"customfield_5": None, "customfield_4": None, "customfield_1": None}),
        ("OLD-3", {"customfield_6": None}),
    ]


def test_objective_id_is_one_label_on_the_kr_epic_and_its_action_plans() -> None:
    scored = roll_up(tree(HALF), AS_OF)
    plan = plan_changes(scored, IDS, {})
    labels = {e.issue_key: e.fields["customfield_6"] for e in plan.field_edits}
    assert labels == {"PLAT-1": ["ENG-1"], "PLAT-2": ["ENG-1"], "PLAT-3": ["ENG-1"]}
    # the same value with one more write-back field: still one edit (one PUT) per issue
    assert len(plan.field_edits) == 3


@pytest.mark.parametrize(
    ("in_jira", "written"),
    [
        (None, ["ENG-1"]),
        ([], ["ENG-1"]),
        (["ENG-1"], None),  # already right: nothing to write
        (["CO-1"], ["ENG-1"]),  # moved to another objective
        (["ENG-1", "CO-1"], ["ENG-1"]),  # a label someone added: okrsync owns the field
        ("ENG-1", ["ENG-1"]),  # not a labels value at all
    ],
)
def test_objective_id_compared_as_labels(in_jira: Any, written: list[str] | None) -> None:
    scored = roll_up(tree(HALF), AS_OF)
    now = {"PLAT-2": IssueNow({"customfield_5": "PLAT-1: Title PLAT-1", "customfield_4": "ENG-1: Platform"})}
    now["PLAT-2"] = IssueNow({**now["PLAT-2"].fields, "customfield_6": in_jira})
    edit = next((e for e in plan_changes(scored, IDS, now).field_edits if e.issue_key == "PLAT-2"), None)
    if written is None:
        assert edit is None
    else:
        assert edit is not None and dict(edit.fields) == {"customfield_6": written}
        assert edit.before == {"customfield_6": in_jira}


def test_labels_are_compared_whatever_their_order() -> None:
    from okrsync.core.plan.field_values import _same_labels

    assert _same_labels(["b", "a"], ["a", "b"])
    assert _same_labels(("a",), ["a"])
    assert _same_labels(None, None) and _same_labels([], None) and not _same_labels(["a"], None)
    assert not _same_labels(["a"], ["a", "b"])


@pytest.mark.parametrize(
    ("objective_id", "label"),
    [
        ("ENG-1", "ENG-1"),
        ("Team Alpha", "Team_Alpha"),
        (" north  star\t2 ", "north_star_2"),
        ("x" * 300, "x" * 255),
    ],
)
def test_objective_label_has_no_whitespace(objective_id: str, label: str) -> None:
    from okrsync.core.plan import objective_label

    assert objective_label(objective_id) == label
    objectives = (Objective(objective_id, "Spaced", Level.COMPANY),)
    scored = roll_up(tree(kr("PLAT-1", [ap("PLAT-2")], objective=objective_id), objectives=objectives), AS_OF)
    edits = {e.issue_key: e.fields for e in plan_changes(scored, IDS, {}).field_edits}
    assert edits["PLAT-1"]["customfield_6"] == edits["PLAT-2"]["customfield_6"] == [label]


def test_a_site_without_the_objective_id_field_syncs_the_rest_and_is_told() -> None:
    old_site = WritebackIds(
        progress="customfield_1",
        expected="customfield_2",
        status="customfield_3",
        objective="customfield_4",
        key_result="customfield_5",
        missing_optional=("OKR Objective ID",),
    )
    scored = roll_up(tree(HALF), AS_OF)
    plan = plan_changes(scored, old_site, {})
    assert all("customfield_6" not in e.fields for e in plan.field_edits)
    assert plan.field_edits[0].fields["customfield_1"] == 50.0
    assert [w for w in plan.warnings if "OKR Objective ID" in w] == [
        'Jira has no labels field "OKR Objective ID": run okrsync setup to add OKR Objective ID '
        "(the objective × health gadget and the company objectives' filters use it)"
    ]


def test_hostile_titles_stay_text() -> None:
    nasty = KeyResult(
        "PLAT-1",
        "ENG-1",
        "*bold* {code} [x|http://evil] " + "y" * 400,
        Measure.ISSUES,
        (ap("A", DONE),),
        jira_key="PLAT-1",
    )
    scored = roll_up(
        tree(nasty, objectives=(Objective("ENG-1", "h1. [link|javascript:x]", Level.COMPANY),)), AS_OF
    )
    plan = plan_changes(scored, IDS, {})
    text_value = plan.field_edits[1].fields["customfield_5"]
    assert len(text_value) <= 255
    assert text_value.startswith("PLAT-1: *bold* {code}")
    for post in plan.comments:
        assert isinstance(post, CommentPost)


def test_moved_days_ignore_the_first_recorded_day() -> None:
    from okrsync.domain.records import ProgressPoint
    from okrsync.sync.plan_step import moved_days

    def p(day: int, node: str, progress: float | None) -> ProgressPoint:
        return ProgressPoint(date(2026, 11, day), node, "key_result", progress, 0.5, "on_track")

    points = [
        p(1, "A", 0.1),
        p(2, "A", 0.1),
        p(3, "A", 0.2),
        p(4, "A", 0.2),
        p(1, "B", 0.3),
        p(5, "B", 0.3),
        p(2, "C", None),
        p(3, "C", 0.1),
    ]
    assert moved_days(points) == {"A": date(2026, 11, 3), "C": date(2026, 11, 3)}


def test_an_objective_with_a_kr_without_data_is_not_done_nor_celebrated() -> None:
    no_data = KeyResult(
        "MET-1",
        "ENG-1",
        "metric",
        Measure.METRIC,
        (),
        jira_key="MET-1",
        metric=MetricTarget("OKR Current", 800, 300, None),
    )
    scored = roll_up(
        tree(DONE_KR, no_data, objectives=(Objective("ENG-1", "Platform", Level.COMPANY),)), AS_OF
    )
    assert scored.objective("ENG-1").progress == 1.0  # 100 % of what can be measured…
    assert scored.objective("ENG-1").health == Health.ON_TRACK  # …but not done
    plan = plan_changes(scored, IDS, {})
    assert "celebrate-objective:ENG-1" not in {c.identity for c in plan.comments}


def test_an_objective_is_celebrated_once_even_if_its_first_kr_changes() -> None:
    second = kr("PLAT-40", [ap("PLAT-41", DONE)])
    objectives = (Objective("ENG-1", "Platform", Level.COMPANY),)
    scored = roll_up(tree(DONE_KR, second, objectives=objectives), AS_OF)
    target = next(
        c for c in plan_changes(scored, IDS, {}).comments if c.identity == "celebrate-objective:ENG-1"
    )
    assert target.issue_key == "PLAT-20"  # the lowest key, whatever the configuration's order
    records = {("PLAT-20", "celebrate-objective:ENG-1"): CommentRecord("9", target.value_hash)}
    reordered = roll_up(tree(second, objectives=objectives), AS_OF)  # PLAT-20 left the objective
    assert not [
        c
        for c in plan_changes(reordered, IDS, {}, records=records).comments
        if c.identity == "celebrate-objective:ENG-1"
    ]


def test_zero_values_are_cleared_from_issues_that_left() -> None:
    scored = roll_up(tree(HALF), AS_OF)
    now = {
        "OLD-1": IssueNow({"customfield_1": 0, "customfield_2": 0.0, "customfield_3": {"value": "Off track"}})
    }
    plan = plan_changes(scored, IDS, now, out_of_scope=["OLD-1"])
    cleared = next(e for e in plan.field_edits if e.issue_key == "OLD-1")
    assert {
        k: v for k, v in cleared.fields.items() if k in ("customfield_1", "customfield_2", "customfield_3")
    } == {"customfield_1": None, "customfield_2": None, "customfield_3": None}


@pytest.mark.parametrize(("ident", "wiki"), [("drao", "[~drao]"), ("deepak.rao", "[~deepak.rao]")])
def test_data_center_mentions_use_the_user_name(ident: str, wiki: str) -> None:
    from okrsync.jira.markup import to_wiki

    stale = KeyResult(
        "PLAT-30",
        "ENG-1",
        "t",
        Measure.ISSUES,
        STALE.action_plans,
        jira_key="PLAT-30",
        owner="Deepak Rao",
        owner_id=ident,
    )
    post = next(
        c
        for c in plan_changes(roll_up(tree(stale), AS_OF), IDS, {}).comments
        if c.identity.startswith("stale")
    )
    assert wiki in to_wiki(post.doc)


# ------------------------------------------------------------------------------------------ overdue

LATE_DUE = date(2026, 11, 12)  # three days before AS_OF
LATE = kr(
    "PLAT-40",
    [ap("PLAT-41", DONE), ap("PLAT-42", DONE), ap("PLAT-43", DOING), ap("PLAT-44")],
    due=LATE_DUE,
)  # 50 %: on track by the numbers, but past its due day


def _reminders(plan: Plan) -> list[CommentPost]:
    return [c for c in plan.comments if c.identity.startswith(("overdue:", "stale:"))]


def test_an_overdue_kr_shows_overdue_and_gets_one_reminder_to_close_or_replan_it() -> None:
    scored = roll_up(tree(LATE), AS_OF)
    assert scored.kr("PLAT-40").health == Health.OVERDUE
    now: dict[str, IssueNow] = {"PLAT-40": IssueNow({"customfield_3": {"value": "On track"}})}
    plan = plan_changes(scored, IDS, now)
    assert next(e for e in plan.field_edits if e.issue_key == "PLAT-40").fields["customfield_3"] == {
        "value": "Overdue"
    }
    (reminder,) = _reminders(plan)
    assert reminder.identity == "overdue:2026-11-12"
    text = to_plain(reminder.doc)
    assert "Check-in reminder: @Ana, PLAT-40: Title PLAT-40 was due 2026-11-12 and is not done" in text
    assert "50 % on 2026-11-15, 3 days overdue" in text
    assert "Please close it" in text and "re-plan it" in text
    assert "PLAT-43" in text and "PLAT-44" in text and "PLAT-41" not in text  # what is still open
    assert any(
        isinstance(i, Mention) and i.account_id == "acc-ana"
        for b in reminder.doc.blocks
        for i in getattr(b, "inlines", ())
    )
    # the status comment says it too, with what holds it back
    status = next(c for c in plan.comments if c.identity == "status")
    assert "On track → Overdue" in to_plain(status.doc) and "PLAT-44" in to_plain(status.doc)
    # posted once: the next plans (the same day, days later) post no other reminder
    records: dict[tuple[str, str], CommentRecord] = {}
    apply_to(now, plan, records)
    assert plan_changes(scored, IDS, now, records=records).changes == ()
    later = roll_up(tree(LATE), date(2026, 11, 20))
    assert _reminders(plan_changes(later, IDS, now, records=records)) == []


@pytest.mark.parametrize(
    ("name", "krs", "as_of", "identities"),
    [
        ("due today: no reminder yet", (kr("PLAT-40", list(LATE.action_plans), due=AS_OF),), AS_OF, []),
        ("done past its due day: none", (kr("PLAT-40", [ap("PLAT-41", DONE)], due=LATE_DUE),), AS_OF, []),
        # stale and overdue: only the overdue reminder (the stronger check-in)
        (
            "stale and overdue",
            (kr("PLAT-30", list(STALE.action_plans), due=LATE_DUE),),
            AS_OF,
            ["overdue:2026-11-12"],
        ),
        (
            "no due date: the day after the period",
            (kr("PLAT-40", list(LATE.action_plans)),),
            date(2027, 1, 1),
            ["overdue:2026-12-31"],
        ),
    ],
)
def test_overdue_reminders_table(
    name: str, krs: tuple[KeyResult, ...], as_of: date, identities: list[str]
) -> None:
    plan = plan_changes(roll_up(tree(*krs), as_of), IDS, {})
    assert [c.identity for c in _reminders(plan)] == identities, name


def test_a_replanned_kr_gets_a_new_reminder_only_when_its_new_due_day_passes() -> None:
    records: dict[tuple[str, str], CommentRecord] = {}
    now: dict[str, IssueNow] = {}
    apply_to(now, plan_changes(roll_up(tree(LATE), AS_OF), IDS, now), records)
    replanned = kr("PLAT-40", list(LATE.action_plans), due=date(2026, 11, 25))
    on_time = roll_up(tree(replanned), date(2026, 11, 25))
    assert on_time.kr("PLAT-40").health != Health.OVERDUE
    assert _reminders(plan_changes(on_time, IDS, now, records=records)) == []
    late_again = plan_changes(roll_up(tree(replanned), date(2026, 11, 26)), IDS, now, records=records)
    assert [c.identity for c in _reminders(late_again)] == ["overdue:2026-11-25"]


def test_overdue_reminders_are_switched_off_with_the_check_in_reminders() -> None:
    off = CommentPolicy(stale_reminder=False)
    assert _reminders(plan_changes(roll_up(tree(LATE), AS_OF), IDS, {}, comments=off)) == []
