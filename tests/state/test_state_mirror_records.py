"""The mirror's compact records (issue 15, "a mirror that scales"): what a record keeps of an issue,
equal values shared on load, the round trip on SQLite and PostgreSQL, and the version 1 → 2
upgrade of a database holding raw JSON."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from statekit import Backend

from okrsync.core.mappers import issue_fields
from okrsync.core.team_managed import styles_of_issues
from okrsync.domain.mirror_record import RecordSharing, compact_issue
from okrsync.state import MirrorIssue
from okrsync.state import schema as s
from okrsync.state.schema import MIGRATIONS, migrate

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SITE = "https://acme.atlassian.net/rest/api/3"


def _user(account: str, name: str) -> dict[str, Any]:
    return {
        "self": f"{SITE}/user?accountId={account}",
        "accountId": account,
        "emailAddress": f"{account}@acme.test",
        "avatarUrls": {
            size: f"https://avatar/{account}/{size}" for size in ("16x16", "24x24", "32x32", "48x48")
        },
        "displayName": name,
        "active": True,
        "timeZone": "Europe/Berlin",
        "accountType": "atlassian",
    }


def _status(name: str, category: str) -> dict[str, Any]:
    return {
        "self": f"{SITE}/status/3",
        "description": "This issue is being actively worked on at the moment by the assignee.",
        "iconUrl": "https://acme.atlassian.net/images/icons/statuses/inprogress.png",
        "name": name,
        "id": "3",
        "statusCategory": {
            "self": f"{SITE}/statuscategory/4",
            "id": 4,
            "key": category,
            "colorName": "yellow",
            "name": "In Progress",
        },
    }


def raw_issue(n: int, *, status: str = "In Progress", category: str = "indeterminate") -> dict[str, Any]:
    """A work item as Cloud's search returns it (IssueBean, the fields okrsync asks for)."""
    return {
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": str(10_000 + n),
        "self": f"{SITE}/issue/{10_000 + n}",
        "key": f"PLAT-{n}",
        "fields": {
            "summary": f"Work item {n} ✓",
            "status": _status(status, category),
            "resolution": None,
            "assignee": _user("557058:aa", "Ada Lovelace"),
            "reporter": _user("557058:bb", "Bob Builder"),
            "duedate": "2026-06-30",
            "issuetype": {
                "self": f"{SITE}/issuetype/10001",
                "id": "10001",
                "description": "A task that needs to be done.",
                "iconUrl": f"{SITE}/universal_avatar/view/type/issuetype/avatar/10318",
                "name": "Task",
                "subtask": False,
                "avatarId": 10318,
                "entityId": "b8a2f8a4",
                "hierarchyLevel": 0,
            },
            "parent": {
                "id": "10000",
                "key": "PLAT-0",
                "self": f"{SITE}/issue/10000",
                "fields": {"summary": "The epic", "status": _status("To Do", "new")},
            },
            "project": {
                "self": f"{SITE}/project/10000",
                "id": "10000",
                "key": "PLAT",
                "name": "Platform",
                "projectTypeKey": "software",
                "simplified": False,
                "avatarUrls": {"48x48": f"{SITE}/universal_avatar/view/type/project/avatar/10400"},
            },
            "updated": "2026-03-01T09:30:00.000+0000",
            "customfield_10016": 3.0 + n,
            "customfield_10100": 0.5,
            "customfield_10101": {
                "self": f"{SITE}/customFieldOption/10020",
                "value": "On track",
                "id": "10020",
            },
            "labels": ["okr", "q1"],
        },
        "properties": {"okrsync": {"v": 1, "progress": 0.5, "health": "on_track"}},
    }


# ------------------------------------------------------------------ what a record keeps


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            ("fields", "status"),
            {
                "name": "In Progress",
                "id": "3",
                "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"},
            },
        ),
        (
            ("fields", "assignee"),
            {
                "accountId": "557058:aa",
                "emailAddress": "557058:aa@acme.test",
                "displayName": "Ada Lovelace",
                "active": True,
            },
        ),
        (("fields", "issuetype"), {"id": "10001", "name": "Task", "subtask": False, "hierarchyLevel": 0}),
        (
            ("fields", "project"),
            {
                "id": "10000",
                "key": "PLAT",
                "name": "Platform",
                "projectTypeKey": "software",
                "simplified": False,
            },
        ),
        (("fields", "customfield_10101"), {"value": "On track", "id": "10020"}),
        (
            ("fields", "parent", "fields", "status", "statusCategory"),
            {"id": 4, "key": "new", "name": "In Progress"},
        ),
        (("fields", "customfield_10016"), 4.0),
        (("fields", "labels"), ["okr", "q1"]),
        (("properties",), {"okrsync": {"v": 1, "progress": 0.5, "health": "on_track"}}),
        (("key",), "PLAT-1"),
        (("id",), "10001"),
    ],
    ids=lambda v: "/".join(v) if isinstance(v, tuple) else None,
)
def test_a_record_keeps_what_okrsync_reads(path: tuple[str, ...], expected: Any) -> None:
    value: Any = compact_issue(raw_issue(1))
    for step in path:
        value = value[step]
    assert value == expected


def test_a_record_leaves_out_the_fields_jira_shows_empty() -> None:
    raw = raw_issue(1)
    assert "resolution" in raw["fields"] and raw["fields"]["resolution"] is None
    raw["fields"]["customfield_10102"] = None
    fields = compact_issue(raw)["fields"]
    assert "resolution" not in fields and "customfield_10102" not in fields
    assert fields.get("resolution") is None  # how every reader reads a field
    assert fields["labels"] == ["okr", "q1"] and fields["customfield_10016"] == 4.0


def test_a_record_keeps_okrsyncs_property_as_it_is() -> None:
    raw = raw_issue(1)
    raw["properties"]["okrsync"]["explanation"] = {"self": "x", "description": "y", "summary": "z"}
    assert compact_issue(raw)["properties"] == raw["properties"]


def test_a_record_drops_the_top_level_rest_and_leaves_the_raw_issue_alone() -> None:
    raw = raw_issue(1)
    before = copy.deepcopy(raw)
    record = compact_issue(raw)
    assert set(record) == {"id", "key", "fields", "properties"}
    assert raw == before
    # every field okrsync asked for stays, but those Jira shows empty
    assert set(record["fields"]) == {k for k, v in raw["fields"].items() if v is not None}


READERS = {
    "status_category": issue_fields.status_category,
    "status_name": issue_fields.status_name,
    "resolution": issue_fields.resolution,
    "points": lambda r: issue_fields.number(r, "customfield_10016"),
    "owner": issue_fields.owner,
    "due": lambda r: issue_fields.day(r, "duedate"),
    "updated": lambda r: issue_fields.timestamp(r, "updated"),
    "parent": issue_fields.parent_key,
    "issue_type": issue_fields.issue_type,
    "is_epic": issue_fields.is_epic,
    "summary": lambda r: issue_fields.text(r, "summary"),
    "key": issue_fields.key_of,
    "project_style": lambda r: styles_of_issues([r]),
    # the planner compares a number as it is and a select by its value (core/plan/field_values.py)
    "writeback": lambda r: (
        issue_fields.number(r, "customfield_10100"),
        issue_fields.fields_of(r)["customfield_10101"]["value"] if r.get("fields") else None,
    ),
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_the_mappers_read_the_same_from_a_record_as_from_the_raw_issue(reader: str) -> None:
    for raw in (raw_issue(1), raw_issue(2, status="Done", category="done"), {"key": "X-1", "fields": {}}):
        assert READERS[reader](compact_issue(raw)) == READERS[reader](raw)


def test_sharing_makes_equal_values_one_object_but_keeps_each_issue_its_own_dicts() -> None:
    sharing = RecordSharing()
    a = sharing.share(compact_issue(raw_issue(1)))
    b = sharing.share(compact_issue(raw_issue(2)))
    assert a == compact_issue(raw_issue(1)) and b == compact_issue(raw_issue(2))
    assert a["fields"]["status"] is b["fields"]["status"]
    assert a["fields"]["assignee"] is b["fields"]["assignee"]
    assert a["fields"]["parent"] is b["fields"]["parent"]
    assert a["properties"]["okrsync"] is b["properties"]["okrsync"]
    assert a["fields"] is not b["fields"] and a["properties"] is not b["properties"]
    # what the apply step does to the mirror of an issue it wrote: the other issue is untouched
    a["fields"].update({"customfield_10100": 0.9})
    a["properties"]["okrsync"] = {"v": 1, "progress": 0.9}
    assert b["fields"]["customfield_10100"] == 0.5
    assert b["properties"]["okrsync"]["progress"] == 0.5


def test_sharing_tells_json_values_that_python_calls_equal_apart() -> None:
    sharing = RecordSharing()
    values = [{"v": 1}, {"v": 1.0}, {"v": True}]
    shared = [sharing.share({"key": "X-1", "fields": {"f": v}})["fields"]["f"] for v in values]
    assert [type(v["v"]) for v in shared] == [int, float, bool]


# ------------------------------------------------------------------ the store


def test_the_store_returns_the_compact_record(backend: Backend) -> None:
    store = backend.open()
    raws = [raw_issue(n) for n in range(1, 6)]
    store.upsert_issues(
        MirrorIssue(r["key"], r["id"], T0 + timedelta(minutes=i), "PLAT-0", r) for i, r in enumerate(raws)
    )
    got = store.issues()
    assert {k: m.raw for k, m in got.items()} == {r["key"]: compact_issue(r) for r in raws}
    assert got["PLAT-3"].updated == T0 + timedelta(minutes=2) and got["PLAT-3"].epic_key == "PLAT-0"
    assert got["PLAT-1"].raw["fields"]["status"] is got["PLAT-5"].raw["fields"]["status"]
    # stored as it came back: a record written again is the same record
    store.upsert_issues(got.values())
    assert store.issues(["PLAT-2"])["PLAT-2"] == got["PLAT-2"]
    with store.engine.connect() as conn:
        stored = conn.execute(
            sa.select(s.issues_table.c.record).where(s.issues_table.c.key == "PLAT-1")
        ).scalar()
    assert "avatarUrls" not in stored and "iconUrl" not in stored and '"self"' not in stored
    assert len(stored) < len(str(raws[0])) / 2


def test_a_version_1_database_with_raw_rows_is_upgraded(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s, "V2_BATCH", 3)  # 7 rows: three batches
    engine = backend.engine()
    try:
        if backend.schema is not None:  # the store creates its schema on open; version 1 is made by hand
            with engine.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{backend.schema}"'))
        assert migrate(engine, MIGRATIONS, target=1) == 1
        v1 = s._v1_metadata().tables["okrsync_issues"]
        raws = [raw_issue(n, status="Done" if n % 2 else "In Progress") for n in range(1, 8)]
        with engine.begin() as conn:
            conn.execute(
                v1.insert(),
                [
                    {
                        "key": r["key"],
                        "issue_id": r["id"],
                        "updated": T0 + timedelta(hours=n),
                        "epic_key": "PLAT-0" if n % 3 else None,
                        "raw": r,
                    }
                    for n, r in enumerate(raws, start=1)
                ],
            )
    finally:
        engine.dispose()

    store = backend.open()  # opening migrates
    assert store.schema_version() == 2
    got = store.issues()
    assert {k: m.raw for k, m in got.items()} == {r["key"]: compact_issue(r) for r in raws}
    assert got["PLAT-4"].updated == T0 + timedelta(hours=4)
    assert got["PLAT-3"].epic_key is None and got["PLAT-4"].epic_key == "PLAT-0"
    assert store.stats()["issues"] == 7
    tables = set(sa.inspect(store.engine).get_table_names())
    assert "okrsync_issues" not in tables and "okrsync_mirror" in tables
    with store.engine.connect() as conn:
        described = conn.execute(
            sa.text("SELECT version, description FROM okrsync_schema_version ORDER BY 1")
        ).all()
    assert [v for v, _ in described] == [1, 2]
    assert "compact" in described[1][1]
