"""okrsync.core.history on a hand-built changelog: the exact day-by-day progress it implies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from okrsync.core.changelog_items import Tracked, tracked_fields
from okrsync.core.history import (
    IssueHistory,
    days_between,
    history_from_changelogs,
    rebuild,
    scores_of,
)
from okrsync.core.mappers.tree import RawTree, fields_for
from okrsync.core.periods import BackfillError, parse_period
from okrsync.core.rollup import RollupPolicy
from okrsync.domain.config import PeriodConfig, Settings, config_from_mapping

SP = "customfield_10016"  # "Story point estimate"
EPIC_LINK = "customfield_10014"
CURRENT = "customfield_10050"  # "OKR Current", the metric KR's number field
STATUSES = [
    {"id": "1", "name": "To Do", "statusCategory": {"key": "new"}},
    {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
    {"id": "4", "name": "In Review", "statusCategory": {"key": "indeterminate"}},
    {"id": "5", "name": "Done", "statusCategory": {"key": "done"}},
    {"id": "6", "name": "Closed", "statusCategory": {"key": "done"}},
]
STATUS = {s["name"]: s for s in STATUSES}


def status(name: str) -> dict[str, Any]:
    return dict(STATUS[name])


def issue(
    key: str,
    ident: str,
    *,
    created: str,
    now: str,
    histories: Sequence[dict[str, Any]] = (),
    parent: str | None = None,
    points: float | None = None,
    resolution: str | None = None,
    itype: str = "Story",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "summary": key,
        "status": status(now),
        "resolution": {"id": "9", "name": resolution} if resolution else None,
        "issuetype": {"name": itype, "hierarchyLevel": 1 if itype == "Epic" else 0},
        "parent": {"id": parent, "key": parent} if parent else None,
        "created": f"{created}T08:00:00.000+0000",
        SP: points,
        **(extra or {}),
    }
    return {"id": ident, "key": key, "fields": fields, "changelog": {"histories": list(histories)}}


def hist(hid: int, at: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(hid), "created": at, "items": list(items)}


def move(old: str, new: str) -> dict[str, Any]:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": STATUS[old]["id"],
        "fromString": old,
        "to": STATUS[new]["id"],
        "toString": new,
    }


def resolve(name: str | None) -> dict[str, Any]:
    return {
        "field": "resolution",
        "fieldtype": "jira",
        "fieldId": "resolution",
        "from": None,
        "fromString": None,
        "to": "9" if name else None,
        "toString": name,
    }


def number(fid: str, name: str, old: float | None, new: float | None) -> dict[str, Any]:
    def text(v: float | None) -> str | None:
        return None if v is None else f"{v:g}"

    return {
        "field": name,
        "fieldtype": "custom",
        "fieldId": fid,
        "from": None,
        "fromString": text(old),
        "to": None,
        "toString": text(new),
    }


# Period 2026-10-01..10-10. Objective O1: EP-1 (issues), EP-2 (points); O2: EP-3 (metric).
#   A-1 (EP-1): In Progress 10-02, Done 10-04.
#   A-2 (EP-1): Closed "Won't Do" 10-03 -> cancelled, not counted from then on.
#   A-3 (EP-1): created 10-05, to do.
#   Done since before the period (1 point); moved from EP-2 to EP-1 on 10-06 — by an
#        IssueParentAssociation item without fieldId, as Jira Cloud records it.
#   B-1 (EP-2): 3 points, raised to 5 on 10-07, In Review at 10-08T01:30+02:00 (10-07 in UTC, the
#        days okrsync counts in), Done at 10-08T03:30+02:00 (10-08 in UTC); listed out of order.
#   B-2 (EP-2): 2 points, In Progress 10-02.
#   EP-3 metric "OKR Current": 800 until 10-03 -> 640, 10-08 -> 520 (start 800, target 300).
ISSUES = [
    issue("EP-1", "101", created="2026-09-20", now="In Progress", itype="Epic"),
    issue("EP-2", "102", created="2026-09-20", now="In Progress", itype="Epic"),
    issue(
        "EP-3",
        "103",
        created="2026-09-20",
        now="In Progress",
        itype="Epic",
        extra={CURRENT: 520.0},
        histories=[
            hist(1, "2026-10-03T10:00:00.000+0000", number(CURRENT, "OKR Current", 800, 640)),
            hist(2, "2026-10-08T10:00:00.000+0000", number(CURRENT, "OKR Current", 640, 520)),
        ],
    ),
    issue(
        "A-1",
        "201",
        created="2026-09-25",
        now="Done",
        resolution="Done",
        parent="EP-1",
        histories=[
            hist(3, "2026-10-02T09:00:00.000+0000", move("To Do", "In Progress")),
            hist(4, "2026-10-04T16:00:00.000+0000", move("In Progress", "Done"), resolve("Done")),
        ],
    ),
    issue(
        "A-2",
        "202",
        created="2026-09-25",
        now="Closed",
        resolution="Won't Do",
        parent="EP-1",
        histories=[hist(5, "2026-10-03T11:00:00.000+0000", move("To Do", "Closed"), resolve("Won't Do"))],
    ),
    issue("A-3", "203", created="2026-10-05", now="To Do", parent="EP-1"),
    issue(
        "A-4",
        "204",
        created="2026-09-10",
        now="Done",
        resolution="Done",
        parent="EP-1",
        points=1,
        histories=[
            hist(6, "2026-09-12T10:00:00.000+0000", move("To Do", "Done"), resolve("Done")),
            hist(
                7,
                "2026-10-06T10:00:00.000+0000",
                {
                    "field": "IssueParentAssociation",
                    "fieldtype": "jira",
                    "from": "102",
                    "fromString": "EP-2",
                    "to": "101",
                    "toString": "EP-1",
                },
            ),
        ],
    ),
    issue(
        "B-1",
        "301",
        created="2026-09-25",
        now="Done",
        resolution="Done",
        parent="EP-2",
        points=5,
        histories=[
            hist(8, "2026-10-08T03:30:00.000+0200", move("In Review", "Done"), resolve("Done")),
            hist(9, "2026-10-07T12:00:00.000+0000", number(SP, "Story point estimate", 3, 5)),
            hist(10, "2026-10-08T01:30:00.000+0200", move("To Do", "In Review")),
        ],
    ),
    issue(
        "B-2",
        "302",
        created="2026-09-25",
        now="In Progress",
        parent="EP-2",
        points=2,
        histories=[hist(11, "2026-10-02T10:00:00.000+0000", move("To Do", "In Progress"))],
    ),
]

CONFIG: dict[str, Any] = {
    "period": {"name": "2026-W", "start": "2026-10-01", "end": "2026-10-10"},
    "objectives": [{"id": "O1", "title": "First"}, {"id": "O2", "title": "Second"}],
    "key_results": [
        {"objective": "O1", "epic": "EP-1"},
        {"objective": "O1", "epic": "EP-2", "measure": "points"},
        {
            "objective": "O2",
            "epic": "EP-3",
            "measure": "metric",
            "metric": {"field": "OKR Current", "start": 800, "target": 300},
        },
    ],
}

# the progress the changelog implies, in %, per day 10-01 .. 10-10
#   EP-1: 0/2, 0/2 (A-1 in progress), 0/1 (A-2 cancelled), 1/1, 1/2 (A-3 created), 2/3 (A-4 joins) ...
#   EP-2: points done/total 1/6 (A-4 1 pt done; B-1 3, B-2 2), ... 0/5 (A-4 left), 0/7 (B-1 5 pts),
#         5/7 (B-1 done) ...
#   EP-3: (800 - current) / 500: 0, 0, 32 % (640) ... 56 % (520)
EXPECTED: dict[str, list[float | None]] = {
    "EP-1": [0.0, 0.0, 0.0, 100.0, 50.0, 66.67, 66.67, 66.67, 66.67, 66.67],
    "EP-2": [16.67, 16.67, 16.67, 16.67, 16.67, 0.0, 0.0, 71.43, 71.43, 71.43],
    "EP-3": [0.0, 0.0, 32.0, 32.0, 32.0, 32.0, 32.0, 56.0, 56.0, 56.0],
    "O1": [8.33, 8.33, 8.33, 58.33, 33.33, 33.33, 33.33, 69.05, 69.05, 69.05],
    "O2": [0.0, 0.0, 32.0, 32.0, 32.0, 32.0, 32.0, 56.0, 56.0, 56.0],
}
DAYS = days_between(date(2026, 10, 1), date(2026, 10, 10))


def setup_history(
    issues: Sequence[dict[str, Any]] = ISSUES,
    *,
    since: date | None = None,
    statuses: Sequence[Any] = STATUSES,
) -> tuple[Settings, IssueHistory, Any]:
    cfg = config_from_mapping(CONFIG)
    ids = fields_for(cfg, SP, EPIC_LINK, {"OKR Current": CURRENT})
    by_key = {i["key"]: i for i in issues}
    snapshot = RawTree(
        kr_epics=[[by_key["EP-1"]], [by_key["EP-2"]], [by_key["EP-3"]]],
        children=[i for i in issues if not i["key"].startswith("EP-")],
    )
    tracked = tracked_fields(ids, {SP: "Story point estimate", CURRENT: "OKR Current"}, statuses, issues)
    return cfg, history_from_changelogs(snapshot, tracked, since=since), ids


def table(
    cfg: Settings, history: IssueHistory, ids: Any, days: Sequence[date], **kw: Any
) -> dict[str, list[float | None]]:
    out: dict[str, list[float | None]] = {}
    for scored in rebuild(cfg, history, ids, days, RollupPolicy(), **kw):
        for s in scores_of(scored):
            out.setdefault(s.node_id, []).append(None if s.progress is None else round(s.progress * 100, 2))
    return out


def test_the_day_by_day_progress_matches_the_changelog() -> None:
    cfg, history, ids = setup_history()
    assert table(cfg, history, ids, DAYS) == EXPECTED


def test_health_and_expected_progress_of_each_day() -> None:
    cfg, history, ids = setup_history()
    scored = list(rebuild(cfg, history, ids, DAYS, RollupPolicy()))
    ep1 = [s.kr("EP-1") for s in scored]
    assert [round(s.expected * 100) for s in ep1] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert [s.health.value for s in ep1][:5] == ["not_started", "at_risk", "off_track", "done", "on_track"]
    # the period's last day carries the OKR score
    assert scored[-1].kr("EP-2").score == 0.7
    assert all(s.score is None for s in ep1[:-1])


def test_whole_rebuilds_and_incremental_patches_agree() -> None:
    cfg, history, ids = setup_history()
    assert table(cfg, history, ids, DAYS, incremental=False) == EXPECTED


def test_since_rebuilds_the_same_values_from_that_day() -> None:
    cfg, history, ids = setup_history(since=date(2026, 10, 5))
    got = table(cfg, history, ids, DAYS[4:])
    assert got == {node: values[4:] for node, values in EXPECTED.items()}


def test_days_can_be_skipped_and_asked_one_at_a_time() -> None:
    cfg, history, ids = setup_history()
    for n, day in enumerate(DAYS):
        assert table(cfg, history, ids, [day]) == {k: [v[n]] for k, v in EXPECTED.items()}
    every_other = table(cfg, history, ids, DAYS[::3])
    assert every_other == {k: v[::3] for k, v in EXPECTED.items()}


def test_an_issue_is_absent_before_it_was_created() -> None:
    _cfg, history, _ids = setup_history()
    a3 = next(tl for tl in history.children if tl.key == "A-3")
    assert a3.as_of(date(2026, 10, 4)) is None
    assert a3.as_of(date(2026, 10, 5)) is not None


def test_status_categories_come_from_the_status_list_then_from_the_issues() -> None:
    def b1_category(history: IssueHistory, day: date) -> str:
        b1 = next(tl for tl in history.children if tl.key == "B-1")
        version = b1.as_of(day)
        assert version is not None
        return str(version["fields"]["status"]["statusCategory"]["key"])

    _cfg, history, _ids = setup_history()
    assert b1_category(history, date(2026, 10, 6)) == "new"
    assert b1_category(history, date(2026, 10, 7)) == "indeterminate"  # In Review, from the list
    assert b1_category(history, date(2026, 10, 8)) == "done"
    # without the list, In Review (only in B-1's changelog) is unknown, which counts as not done
    cfg, history, ids = setup_history(statuses=[])
    assert b1_category(history, date(2026, 10, 7)) == "undefined"
    assert b1_category(history, date(2026, 10, 6)) == "new"  # To Do: A-3's current status
    assert table(cfg, history, ids, DAYS) == EXPECTED


def test_data_center_items_without_field_ids_match_by_field_name() -> None:
    stripped = [
        {
            **i,
            "changelog": {
                "histories": [
                    {**h, "items": [{k: v for k, v in item.items() if k != "fieldId"} for item in h["items"]]}
                    for h in i["changelog"]["histories"]
                ]
            },
        }
        for i in ISSUES
    ]
    assert not any(
        "fieldId" in item for i in stripped for h in i["changelog"]["histories"] for item in h["items"]
    )
    cfg, history, ids = setup_history(stripped)
    assert table(cfg, history, ids, DAYS) == EXPECTED


def test_epic_link_changes_move_issues_between_krs() -> None:
    # a Data Center child under EP-2 by Epic Link, moved to EP-1 on 10-06 ("Epic Link" item, key strings)
    moved = issue(
        "C-1",
        "401",
        created="2026-09-20",
        now="Done",
        resolution="Done",
        extra={EPIC_LINK: "EP-1"},
        histories=[
            hist(20, "2026-09-21T10:00:00.000+0000", move("To Do", "Done"), resolve("Done")),
            hist(
                21,
                "2026-10-06T10:00:00.000+0000",
                {
                    "field": "Epic Link",
                    "fieldtype": "custom",
                    "from": "102",
                    "fromString": "EP-2",
                    "to": "101",
                    "toString": "EP-1",
                },
            ),
        ],
    )
    cfg, history, ids = setup_history(
        [*[i for i in ISSUES if i["key"] in ("EP-1", "EP-2", "EP-3", "A-1")], moved]
    )
    got = table(cfg, history, ids, DAYS)
    # EP-1: A-1 (0/1 until 10-04, then 1/1) plus C-1 (done) from 10-06; EP-2: C-1 done until 10-05
    assert got["EP-1"] == [0.0, 0.0, 0.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0]
    assert got["EP-2"] == [100.0] * 5 + [None] * 5


def test_tracked_fields_names_and_categories() -> None:
    cfg = config_from_mapping(CONFIG)
    ids = fields_for(cfg, SP, EPIC_LINK, {"OKR Current": CURRENT})
    tracked = tracked_fields(ids, {SP: "Story point estimate", CURRENT: "OKR Current"}, STATUSES)
    assert isinstance(tracked, Tracked)
    assert tracked.numbers == {SP, CURRENT}
    assert tracked.names["story point estimate"] == SP
    assert tracked.names["issueparentassociation"] == "parent"
    assert tracked.names["epic link"] == EPIC_LINK
    assert tracked.status_categories["6"] == "done"
    assert tracked.status_categories["in review"] == "indeterminate"


CURRENT_PERIOD = PeriodConfig(name="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))


@pytest.mark.parametrize(
    ("text", "name", "start", "end"),
    [
        ("2026-Q3", "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026q1", "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2024-Q1", "2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2026-H2", "2026-H2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026-07-15..2026-08-31", "2026-07-15..2026-08-31", date(2026, 7, 15), date(2026, 8, 31)),
        ("2026-Q4", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),  # the configured one, by name
    ],
)
def test_period_names(text: str, name: str, start: date, end: date) -> None:
    period = parse_period(text, CURRENT_PERIOD)
    assert (period.name, period.start, period.end) == (name, start, end)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Q3", "is not a period. Use YYYY-Qn"),
        ("2026-Q5", "is not a period"),
        ("2026-09-30..2026-07-01", "the end is before the start"),
        ("2026-07-01..soon", "needs two days as YYYY-MM-DD"),
    ],
)
def test_bad_period_names_say_what_to_write(text: str, says: str) -> None:
    with pytest.raises(BackfillError, match=says):
        parse_period(text, CURRENT_PERIOD)
