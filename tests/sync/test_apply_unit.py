"""How apply recognises okrsync's own comments: the property first, else the footer line."""

from __future__ import annotations

from typing import Any

import pytest

from okrsync.domain.doc import Doc, Paragraph, Text
from okrsync.jira.markup import to_adf, to_wiki
from okrsync.sync.apply import identity_of, with_footer

DOC = with_footer(Doc(Paragraph(Text("Check-in reminder: "), Text("*not bold* [x|y]"))), "stale:2026-10-28")

CASES: list[tuple[str, dict[str, Any], str | None]] = [
    (
        "property",
        {
            "properties": [{"key": "okrsync", "value": {"identity": "celebrate", "hash": "h"}}],
            "body": "anything",
        },
        "celebrate",
    ),
    (
        "other property only",
        {"properties": [{"key": "other", "value": {"identity": "x"}}], "body": "hi"},
        None,
    ),
    ("footer in wiki (Data Center, property lost)", {"body": to_wiki(DOC)}, "stale:2026-10-28"),
    ("footer in ADF (Cloud)", {"body": to_adf(DOC)}, "stale:2026-10-28"),
    ("a person's comment", {"body": "Thanks all — okrsync is great"}, None),
    ("footer text quoted mid-comment", {"body": "see — okrsync · status\nabove"}, None),
    ("empty", {}, None),
]


@pytest.mark.parametrize(("comment", "identity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_identity_of(comment: dict[str, Any], identity: str | None) -> None:
    assert identity_of(comment) == identity


# ------------------------------------------------------------------------- stopping and recovering

from datetime import UTC, datetime  # noqa: E402

from okrsync.core.plan import CommentPost, FieldEdit, Plan  # noqa: E402
from okrsync.domain.records import AppliedWrite  # noqa: E402
from okrsync.jira.errors import JiraAuthError, JiraNotFound, JiraPermissionError, JiraUnavailable  # noqa: E402
from okrsync.state.store import StateStore  # noqa: E402
from okrsync.sync.apply import Applier  # noqa: E402


class StubGateway:
    """Records calls; raises what a test tells it to on edits and comment updates."""

    search_returns_properties = True

    def __init__(self, edit_error: Exception | None = None, update_error: Exception | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.edit_error = edit_error
        self.update_error = update_error

    def edit_issue(self, key: str, fields: dict[str, Any], *, notify: bool) -> None:
        self.calls.append(("edit", key))
        if self.edit_error is not None:
            raise self.edit_error

    def update_comment(
        self, key: str, comment_id: str, body: Any, *, notify: bool = True, properties: Any = None
    ) -> dict[str, Any]:
        self.calls.append(("update", key))
        if self.update_error is not None:
            raise self.update_error
        return {"id": comment_id}

    def comments(self, key: str, *, properties: bool = False) -> list[dict[str, Any]]:
        self.calls.append(("list", key))
        return []

    def add_comment(self, key: str, body: Any, *, properties: Any = None) -> dict[str, Any]:
        self.calls.append(("add", key))
        return {"id": "new-1"}

    def set_comment_property(self, comment_id: str, prop: str, value: Any) -> None:
        self.calls.append(("comment-property", comment_id))


def edits(n: int) -> Plan:
    return Plan(tuple(FieldEdit(f"P-{i}", {"customfield_1": 50.0}, {}) for i in range(1, n + 1)))


def applier(gateway: StubGateway, store: StateStore, *, notify: bool = False) -> Applier:
    return Applier(
        gateway, store, run_id=None, notify=notify, clock=lambda: datetime(2026, 11, 26, tzinfo=UTC)
    )  # type: ignore[arg-type]


STOPPERS = [
    ("Jira down after the retries", JiraUnavailable("Jira is unavailable", attempts=6, status=503)),
    ("credential refused", JiraAuthError("Jira answered 401", status=401)),
    (
        "notifyUsers=false without Administer projects",
        JiraPermissionError(
            "403",
            status=403,
            messages=[
                "To discard the user notification either admin or project admin permissions are required."
            ],
        ),
    ),
]


@pytest.mark.parametrize("error", [s[1] for s in STOPPERS], ids=[s[0] for s in STOPPERS])
def test_errors_that_would_hit_every_change_stop_the_apply(error: Exception) -> None:
    gateway = StubGateway(edit_error=error)
    with StateStore.open("sqlite://") as store:
        outcome = applier(gateway, store).apply(edits(50))
    assert gateway.calls == [("edit", "P-1")]  # not 50 doomed requests (and 50 failed logins)
    assert outcome.stopped
    assert len(outcome.errors) == 1
    assert any("50 change(s) left for the next cycle" in w for w in outcome.warnings)


def test_a_403_on_one_issue_does_not_stop_the_rest() -> None:
    gateway = StubGateway(
        edit_error=JiraPermissionError("403", status=403, messages=["You do not have permission"])
    )
    with StateStore.open("sqlite://") as store:
        outcome = applier(gateway, store).apply(edits(3))
    assert gateway.calls == [("edit", "P-1"), ("edit", "P-2"), ("edit", "P-3")]
    assert not outcome.stopped and len(outcome.errors) == 3


def test_a_deleted_status_comment_is_posted_again() -> None:
    gateway = StubGateway(update_error=JiraNotFound("gone", status=404))
    post = CommentPost("DATA-3", "status", DOC, "h2", "status at_risk → on_track", existing_id="77")
    with StateStore.open("sqlite://") as store:
        store.record_applied(
            [AppliedWrite("DATA-3", "comment", "status", "h1", "77", None, datetime(2026, 11, 1, tzinfo=UTC))]
        )
        outcome = applier(gateway, store).apply(Plan((post,)))
        record = store.applied(["DATA-3"])[("DATA-3", "comment", "status")]
    assert [c[0] for c in gateway.calls] == ["update", "add"]  # known gone: posted again at once
    assert outcome.comments_posted == 1 and not outcome.errors
    assert (record.comment_id, record.value_hash) == ("new-1", "h2")
