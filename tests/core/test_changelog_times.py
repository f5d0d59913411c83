"""A changelog entry's ``created`` as Jira sends it: a date-time string or a number (Cloud's
changelog/bulkfetch examples show ``1492070429``; the jira-specs README: accept both), never dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from test_history import DAYS, EXPECTED, ISSUES, setup_history, table

from okrsync.core.changelog_items import Tracked, changelog_time, changes_of, unreadable_times

AT = datetime(2026, 10, 5, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        ("2026-10-05T09:30:00.000+0000", AT),
        ("2026-10-05T11:30:00.000+0200", AT),
        ("2026-10-05T09:30:00Z", AT),
        (int(AT.timestamp() * 1000), AT),  # epoch milliseconds
        (AT.timestamp() * 1000, AT),
        (int(AT.timestamp()), AT),  # epoch seconds, as the bulkfetch example
        (1492070429, datetime(2017, 4, 13, 8, 0, 29, tzinfo=UTC)),  # that example itself
        (1651316514000, datetime(2022, 4, 30, 11, 1, 54, tzinfo=UTC)),  # an attachment's example
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
        ({"iso": "2026-10-05"}, None),
    ],
)
def test_changelog_time(created: Any, expected: datetime | None) -> None:
    assert changelog_time(created) == expected


def _numbered(unit: float) -> list[dict[str, Any]]:
    """ISSUES with every changelog ``created`` as a number of ``unit`` per second."""
    out = []
    for issue in ISSUES:
        histories = [
            {**h, "created": int(changelog_time(h["created"]).timestamp() * unit)}  # type: ignore[union-attr]
            for h in issue["changelog"]["histories"]
        ]
        out.append({**issue, "changelog": {"histories": histories}})
    return out


@pytest.mark.parametrize("unit", [1000, 1], ids=["epoch-ms", "epoch-s"])
def test_numeric_times_rebuild_the_same_history(unit: float) -> None:
    numbered = _numbered(unit)
    assert any(isinstance(h["created"], int) for i in numbered for h in i["changelog"]["histories"])
    cfg, history, ids = setup_history(numbered)
    assert table(cfg, history, ids, DAYS) == EXPECTED


def test_mixed_strings_and_numbers_keep_every_entry_in_order() -> None:
    status = {"field": "status", "fieldId": "status", "from": "1", "fromString": "To Do", "to": "3"}
    issue = {
        "key": "A-1",
        "fields": {},
        "changelog": {
            "histories": [
                {"id": "1", "created": "2026-10-02T08:00:00.000+0000", "items": [status]},
                {"id": "2", "created": int(AT.timestamp() * 1000), "items": [status]},
                {"id": "3", "created": "not a date", "items": [status]},  # dated like the one before
                {"id": "4", "created": int(datetime(2026, 10, 7, tzinfo=UTC).timestamp()), "items": [status]},
            ]
        },
    }
    changes = changes_of(issue, Tracked())
    assert [c.at.date().isoformat() for c in changes] == [
        "2026-10-02",
        "2026-10-05",
        "2026-10-05",
        "2026-10-07",
    ]
    assert unreadable_times(issue) == 1


def test_an_unreadable_first_entry_takes_the_next_ones_time() -> None:
    status = {"field": "status", "fieldId": "status", "from": "1", "to": "3"}
    issue = {
        "key": "A-1",
        "fields": {},
        "changelog": {
            "histories": [
                {"id": "1", "created": None, "items": [status]},
                {"id": "2", "created": "2026-10-05T09:30:00.000+0000", "items": [status]},
            ]
        },
    }
    assert [c.at for c in changes_of(issue, Tracked())] == [AT, AT]
