"""Property writes left open by a dead run (okrsync.sync.pending_properties): what is recorded when
they are read back, and when (the time decides whether a status comment or the property is newer)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from okrsync.core.plan import Plan, PropertySet
from okrsync.domain.hashing import value_hash
from okrsync.domain.keys import ISSUE_PROPERTY
from okrsync.domain.records import AppliedWrite
from okrsync.state.store import StateStore
from okrsync.sync import pending_properties as pp

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OLD = {"health": "at_risk", "done": 3}
NEW = {"health": "on_track", "done": 4}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as s:
        yield s


def recorded(store: StateStore, key: str) -> AppliedWrite | None:
    return store.applied([key], kinds=("property",)).get((key, "property", ISSUE_PROPERTY))


def test_entries_are_recorded_before_the_apply_and_settled_after_it(store: StateStore) -> None:
    plan = Plan((PropertySet("A-1", ISSUE_PROPERTY, NEW, value_hash(NEW)),))
    earlier = {"B-1": pp.Opened(3, NOW - timedelta(hours=1))}
    pp.record_due(store, plan, still_open=earlier, run_id=4, at=NOW)
    assert pp.left_open(store) == {"A-1": pp.Opened(4, NOW), "B-1": earlier["B-1"]}
    # after the apply: only the lost answers stay, each with its first time
    pp.settle(store, {"B-1", "C-1"}, run_id=4, at=NOW + timedelta(minutes=1))
    assert pp.left_open(store) == {"B-1": earlier["B-1"], "C-1": pp.Opened(4, NOW + timedelta(minutes=1))}
    pp.settle(store, (), run_id=5, at=NOW)
    assert pp.left_open(store) == {}


@pytest.mark.parametrize(
    ("in_jira", "expect_hash", "expect_at"),
    [
        # the value okrsync recorded: nothing learned, the record keeps its own time
        (OLD, value_hash(OLD), NOW - timedelta(days=1)),
        # another value: the dead run wrote it, after it opened the entry (not "now")
        (NEW, value_hash(NEW), NOW - timedelta(minutes=30)),
        # none at all: the record is forgotten (the plan writes it)
        (pp.ABSENT, None, None),
    ],
    ids=["as-recorded", "written-by-the-dead-run", "absent"],
)
def test_what_is_read_back_is_recorded_with_the_time_it_can_date_from(
    store: StateStore, in_jira: Any, expect_hash: str | None, expect_at: datetime | None
) -> None:
    store.record_applied(
        [AppliedWrite("A-1", "property", ISSUE_PROPERTY, value_hash(OLD), None, 1, NOW - timedelta(days=1))]
    )
    opened = {"A-1": pp.Opened(2, NOW - timedelta(minutes=30))}
    read = pp.ReadBack(opened, {"A-1": in_jira}, {"A-1": value_hash(OLD)})
    issues: dict[str, dict[str, Any]] = {"A-1": {"key": "A-1", "properties": {ISSUE_PROPERTY: OLD}}}
    hashes = {"A-1": value_hash(OLD)}
    times = {"A-1": NOW - timedelta(days=1)}
    pp.adopt(issues, read, hashes, times)
    pp.remember(store, read)
    row = recorded(store, "A-1")
    assert (row.value_hash if row else None) == expect_hash
    assert (row.applied_at if row else None) == expect_at
    # the plan sees the same: the value as read, its hash and time
    assert issues["A-1"]["properties"].get(ISSUE_PROPERTY) == (None if in_jira is pp.ABSENT else in_jira)
    assert hashes.get("A-1") == expect_hash and times.get("A-1") == expect_at


def test_a_value_read_back_with_no_record_is_of_unknown_age(store: StateStore) -> None:
    """A new or lost database: the value may be older than any status comment okrsync recorded
    since (read back from Jira), so it must not look newer than them."""
    opened = {"A-1": pp.Opened(1, NOW)}
    read = pp.ReadBack(opened, {"A-1": NEW}, {})
    hashes: dict[str, str] = {}
    times: dict[str, datetime] = {}
    pp.adopt({}, read, hashes, times)
    pp.remember(store, read)
    row = recorded(store, "A-1")
    assert row is not None and row.applied_at == pp.UNKNOWN_AGE and times["A-1"] == pp.UNKNOWN_AGE
    assert hashes["A-1"] == value_hash(NEW)


def test_a_read_that_failed_stays_open(store: StateStore) -> None:
    opened = {"A-1": pp.Opened(2, NOW), "B-1": pp.Opened(2, NOW)}
    read = pp.ReadBack(opened, {"A-1": OLD})
    assert read.unread == {"B-1": opened["B-1"]}
