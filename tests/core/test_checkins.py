"""Check-ins in the pure core (issue 16, Build 3): confidence and health, what counts as a new
check-in, the history a changelog shows, the status comment a check-in updates, and a check-in
as movement for the stale reminder. Tables, with the day passed in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from test_plan import AS_OF, BEHIND, HALF, IDS, STALE, apply_to, tree

from okrsync.core.checkins import (
    CheckinFields,
    appended,
    author_of,
    checkins_from_changelog,
    confidence_health,
    history_json,
    history_of,
    is_new,
    latest_moves,
)
from okrsync.core.plan import CommentRecord, IssueNow, plan_changes
from okrsync.core.rollup import RollupPolicy, roll_up
from okrsync.domain.model import CheckIn, Confidence, Health
from okrsync.jira.markup import to_plain

H, M, L = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW


@pytest.mark.parametrize(
    ("health", "confidence", "expected"),
    [
        (Health.ON_TRACK, None, Health.ON_TRACK),
        (Health.ON_TRACK, H, Health.ON_TRACK),
        (Health.ON_TRACK, M, Health.AT_RISK),
        (Health.ON_TRACK, L, Health.OFF_TRACK),
        (Health.NOT_STARTED, M, Health.AT_RISK),
        (Health.NOT_STARTED, H, Health.NOT_STARTED),
        (Health.AT_RISK, M, Health.AT_RISK),
        (Health.AT_RISK, L, Health.OFF_TRACK),
        (Health.AT_RISK, H, Health.AT_RISK),  # confidence never raises health
        (Health.OFF_TRACK, H, Health.OFF_TRACK),
        (Health.OFF_TRACK, M, Health.OFF_TRACK),
        (Health.DONE, L, Health.DONE),
        (Health.OVERDUE, L, Health.OVERDUE),
        (Health.NO_DATA, L, Health.NO_DATA),
    ],
)
def test_health_is_the_worse_of_progress_and_confidence(
    health: Health, confidence: Confidence | None, expected: Health
) -> None:
    assert confidence_health(health, confidence) == expected


@pytest.mark.parametrize(
    ("affects", "confidence", "health"),
    [
        (True, L, Health.OFF_TRACK),
        (True, M, Health.AT_RISK),
        (True, H, Health.ON_TRACK),
        (False, L, Health.ON_TRACK),
    ],
)
def test_the_roll_up_lowers_health_by_confidence_where_the_policy_says(
    affects: bool, confidence: Confidence, health: Health
) -> None:
    scored = roll_up(
        tree(replace(HALF, confidence=confidence)), AS_OF, RollupPolicy(confidence_affects_health=affects)
    )
    s = scored.kr("PLAT-1")
    assert (s.progress, s.health) == (0.5, health)
    assert ("its owner's confidence is" in s.explanation.summary) == (health != Health.ON_TRACK)


DAY = date(2026, 11, 3)


@pytest.mark.parametrize(
    ("confidence", "note", "last", "new"),
    [
        (None, None, None, False),
        (L, None, None, True),
        (None, "a note", None, True),
        (L, "late", CheckIn(DAY, L, "late"), False),
        (L, "later", CheckIn(DAY, L, "late"), True),
        (M, "late", CheckIn(DAY, L, "late"), True),
        (None, None, CheckIn(DAY, L, "late"), True),  # cleared: a check-in of nothing
    ],
)
def test_a_new_check_in_is_a_change_of_either_field(
    confidence: Confidence | None, note: str | None, last: CheckIn | None, new: bool
) -> None:
    assert is_new(replace(HALF, confidence=confidence, checkin_note=note), last) is new


def test_the_same_author_on_the_same_day_is_one_check_in() -> None:
    first = CheckIn(DAY, L, None, "Ana", "acc-ana")
    history = appended((), first)
    history = appended(history, CheckIn(DAY, L, "vendor late", "Ana", "acc-ana"))
    assert history == (CheckIn(DAY, L, "vendor late", "Ana", "acc-ana"),)
    history = appended(history, CheckIn(DAY, M, None, "Bo", "acc-bo"))
    history = appended(history, CheckIn(date(2026, 11, 10), H, None, "Ana", "acc-ana"))
    assert [(c.author, c.confidence) for c in history] == [("Ana", L), ("Bo", M), ("Ana", H)]
    assert history_of(history_json({"PLAT-1": history})) == {"PLAT-1": history}


FIELDS = CheckinFields(frozenset({"customfield_20", "customfield_21"}), "customfield_20")
ANA = {"accountId": "acc-ana", "displayName": "Ana"}
BO = {"name": "bo", "displayName": "Bo"}  # Data Center's user: a name, no accountId


def entry(at: str, author: dict[str, str], *items: dict[str, Any]) -> dict[str, Any]:
    return {"id": at, "created": at, "author": author, "items": list(items)}


def conf(before: str | None, after: str | None) -> dict[str, Any]:
    return {"field": "OKR Confidence", "fieldId": "customfield_20", "fromString": before, "toString": after}


def note(before: str | None, after: str | None) -> dict[str, Any]:
    # Data Center's items may carry no fieldId: found by the field's name
    return {"field": "OKR Check-in", "fromString": before, "toString": after}


CHANGELOG = [
    entry("2026-10-20T09:00:00.000+0000", ANA, conf(None, "High")),
    entry("2026-10-20T09:00:05.000+0000", ANA, note(None, "on plan")),
    entry("2026-10-21T10:00:00.000+0000", BO, {"field": "status", "fieldId": "status", "toString": "Done"}),
    entry("2026-10-27T09:00:00.000+0000", BO, conf("High", "Low"), note("on plan", "vendor late")),
    entry("2026-11-03T09:00:00.000+0000", ANA, conf("Low", "Medium")),
]
NAMES = {"okr confidence": "customfield_20", "okr check-in": "customfield_21"}


def test_the_changelog_gives_the_history_of_check_ins_with_their_authors() -> None:
    history = checkins_from_changelog(reversed(CHANGELOG), FIELDS, (M, "vendor late"), NAMES)
    assert history == (
        CheckIn(date(2026, 10, 20), H, "on plan", "Ana", "acc-ana"),
        CheckIn(date(2026, 10, 27), L, "vendor late", "Bo", "bo"),
        CheckIn(date(2026, 11, 3), M, "vendor late", "Ana", "acc-ana"),
    )
    assert author_of(CHANGELOG, FIELDS, NAMES) == (datetime(2026, 11, 3, 9, tzinfo=UTC), "Ana", "acc-ana")
    assert author_of(CHANGELOG[2:3], FIELDS, NAMES) is None
    # set before the changelog begins (an import): the first change's from side
    assert checkins_from_changelog(CHANGELOG[4:], FIELDS, (M, "x"), NAMES)[0].note == "x"


def test_a_check_in_updates_the_status_comment_once_and_a_replan_writes_nothing() -> None:
    policy = RollupPolicy(confidence_affects_health=True)
    scored = roll_up(tree(HALF), AS_OF, policy)
    now: dict[str, IssueNow] = {}
    records: dict[tuple[str, str], CommentRecord] = {}
    apply_to(now, plan_changes(scored, IDS, now), records)
    assert not [c for c in records if c[1] == "status"]

    checked = replace(
        HALF, confidence=H, checkin_note="on plan", checkins=(CheckIn(AS_OF, H, "on plan", "Ana", "acc-ana"),)
    )
    scored = roll_up(tree(checked), AS_OF, policy)
    plan = plan_changes(scored, IDS, now, records=records)
    (post,) = plan.comments
    text = " ".join(to_plain(post.doc).split())
    assert text.startswith("OKR status: On track (as of 2026-11-15)")
    assert "Owner's check-in by Ana on 2026-11-15: confidence High — “on plan”." in text
    assert [p.value["checkin"] for p in plan.properties] == [
        {"day": "2026-11-15", "confidence": "high", "note": "on plan", "author": "Ana"}
    ]
    assert plan.field_edits == ()  # High changes no number
    apply_to(now, plan, records)
    assert plan_changes(scored, IDS, now, records=records).changes == ()

    # the next check-in (Low) moves the health too: the one status comment is updated in place
    low = replace(checked, confidence=L, checkins=(*checked.checkins, CheckIn(AS_OF, L, "vendor late", "Bo")))
    plan = plan_changes(roll_up(tree(low), AS_OF, policy), IDS, now, records=records)
    (post,) = plan.comments
    assert post.existing_id is not None and post.announces == "off_track"
    assert "On track → Off track" in to_plain(post.doc)


def test_a_check_in_is_movement_for_the_stale_reminder() -> None:
    assert [c.identity for c in plan_changes(roll_up(tree(STALE), AS_OF), IDS, {}).comments] == [
        "stale:2026-10-05"
    ]
    checked = replace(STALE, confidence=M, checkins=(CheckIn(date(2026, 11, 10), M),))
    moved = latest_moves({"PLAT-30": date(2026, 10, 20)}, [checked, BEHIND])
    assert moved == {"PLAT-30": date(2026, 11, 10)}
    plan = plan_changes(roll_up(tree(checked), AS_OF), IDS, {}, last_change=moved)
    assert not [c for c in plan.comments if c.identity.startswith("stale")]
