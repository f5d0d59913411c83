"""What a fetch keeps of each issue Jira returns: its compact record, equal values shared."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from okrsync.core.mappers.issue_fields import FieldIds
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import load_config
from okrsync.domain.mirror_record import compact_issue
from okrsync.sync.fetch import Fetcher
from okrsync.sync.scope import ReadScope

SCOPE = ReadScope(ids=FieldIds(), fields=("summary", "parent", "updated", "status"))
SITE = "https://acme.atlassian.net/rest/api/3"


def _raw(n: int) -> dict[str, Any]:
    """A work item as Cloud's search returns it (IssueBean, presentation keys and all)."""
    return {
        "expand": "operations,changelog",
        "id": str(100 + n),
        "self": f"{SITE}/issue/{100 + n}",
        "key": f"MOB-{n}",
        "fields": {
            "summary": f"Item {n}",
            "updated": "2026-11-26T11:00:00.000+0000",
            "parent": {"id": "99", "key": "MOB-1", "self": f"{SITE}/issue/99"},
            "status": {
                "self": f"{SITE}/status/3",
                "iconUrl": "https://acme.atlassian.net/images/icons/statuses/inprogress.png",
                "name": "In Progress",
                "id": "3",
                "statusCategory": {"self": f"{SITE}/statuscategory/4", "id": 4, "key": "indeterminate"},
            },
        },
    }


class SearchGateway:
    """The gateway surface a fetch uses, answering every search with the same issues."""

    def __init__(self, issues: Sequence[dict[str, Any]]) -> None:
        self.flavor = "cloud"
        self.search_returns_properties = True
        self.max_in_values = 1000
        self.max_jql_chars = 50_000
        self.issues = issues

    def search(self, jql: str, fields: Sequence[str], **kw: Any) -> Iterator[dict[str, Any]]:
        return iter(self.issues)

    def search_warning_mark(self) -> int:
        return 0

    def search_warnings_since(self, mark: int) -> list[str]:
        return []


def test_a_fetch_keeps_compact_records_sharing_equal_values() -> None:
    raws = [_raw(n) for n in (5, 7)]
    fetcher = Fetcher(SearchGateway(raws), load_config(DEMO_CONFIG), SCOPE)  # type: ignore[arg-type]
    got = fetcher.fetch({}, since=None, full=True).fresh
    a, b = got["MOB-5"], got["MOB-7"]
    assert a == compact_issue(raws[0]) and b == compact_issue(raws[1])
    assert "self" not in a and "iconUrl" not in a["fields"]["status"]
    assert a["fields"]["status"] is b["fields"]["status"]
    assert a["fields"] is not b["fields"]
    assert raws[0]["self"]  # what Jira returned is left alone


def test_a_fetch_that_expands_keeps_the_issues_as_jira_returned_them() -> None:
    raws = [_raw(5)]
    fetcher = Fetcher(SearchGateway(raws), load_config(DEMO_CONFIG), SCOPE, expand=("changelog",))  # type: ignore[arg-type]
    assert fetcher.fetch({}, since=None, full=True).fresh["MOB-5"] is raws[0]
