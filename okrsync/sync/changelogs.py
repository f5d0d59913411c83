"""A backfill's reads: the scope exactly as a full sync reads it, every issue with its whole changelog.

On Cloud the changelogs come from ``POST /rest/api/3/changelog/bulkfetch`` (1000 issues a request;
one issue at a time where a site has no bulk endpoint); on Data Center from the searches themselves
(``expand=changelog``, which returns whole changelogs there), and an issue whose changelog came back
truncated is re-read alone. Each entry's ``created`` may be a date-time or a number (epoch
milliseconds or seconds: :func:`okrsync.core.changelog_items.changelog_time`); none is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from okrsync.core.changelog_items import unreadable_times
from okrsync.core.mappers import issue_fields as fields
from okrsync.core.mappers.tree import RawTree
from okrsync.domain.config import Settings
from okrsync.jira.errors import JiraNotFound
from okrsync.jira.gateway import JiraGateway
from okrsync.sync.fetch import Fetcher
from okrsync.sync.scope import ReadScope


@dataclass(frozen=True, slots=True)
class ChangelogRead:
    """The issues read, their tree, and how many changelog entries came with them."""

    snapshot: RawTree
    issues: Mapping[str, fields.RawIssue]
    entries: int
    warnings: tuple[str, ...] = ()


def _with_changelog(raw: fields.RawIssue, histories: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {**raw, "changelog": {"startAt": 0, "total": len(histories), "histories": list(histories)}}


def _truncated(raw: fields.RawIssue) -> bool:
    log_ = raw.get("changelog")
    if not isinstance(log_, Mapping):
        return True
    histories = log_.get("histories")
    total = log_.get("total")
    got = len(histories) if isinstance(histories, list) else 0
    return isinstance(total, int) and total > got


def read_with_changelogs(
    gateway: JiraGateway,
    cfg: Settings,
    scope: ReadScope,
    on_progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
) -> ChangelogRead:
    """The scope as a full sync reads it, every issue with its whole changelog."""
    warnings: list[str] = []
    cloud = gateway.flavor == "cloud"
    on_progress("read", 0, 1)
    fetcher = Fetcher(gateway, cfg, scope, expand=() if cloud else ("changelog",))
    fetched = fetcher.fetch({}, since=None, full=True)
    warnings.extend(fetched.warnings)
    on_progress("read", 1, 1)
    logs: dict[str, list[dict[str, Any]]] = {}
    issues = fetched.issues
    if cloud:
        by_id = {str(raw.get("id")): key for key, raw in issues.items() if raw.get("id") is not None}
        on_progress("changelogs", 0, len(by_id))
        try:
            bulk = gateway.history.changelogs(list(by_id))
            logs = {by_id[i]: h for i, h in bulk.items() if i in by_id}
        except JiraNotFound:
            warnings.append(
                "this site has no bulk changelog endpoint; changelogs were read one issue at a time"
            )
            for n, key in enumerate(issues, 1):
                logs[key] = gateway.history.issue_changelog(key)
                on_progress("changelogs", n, len(issues))
        on_progress("changelogs", len(by_id), len(by_id))
    else:
        again = [key for key, raw in issues.items() if _truncated(raw)]
        on_progress("changelogs", 0, len(again))
        for n, key in enumerate(again, 1):
            logs[key] = gateway.history.issue_changelog(key)
            on_progress("changelogs", n, len(again))

    def conv(raw: fields.RawIssue) -> dict[str, Any]:
        key = fields.key_of(raw)
        if key in logs:
            return _with_changelog(raw, logs[key])
        return dict(raw)

    converted = {key: conv(raw) for key, raw in issues.items()}

    def same(raw: fields.RawIssue) -> fields.RawIssue:
        return converted.get(fields.key_of(raw), raw)

    snap = fetched.snapshot
    snapshot = RawTree(
        kr_epics=[[same(e) for e in group] for group in snap.kr_epics],
        children=[same(c) for c in snap.children],
        objective_issues=[same(o) for o in snap.objective_issues],
    )
    entries = 0
    for key, raw in converted.items():
        log_ = raw.get("changelog")
        histories = log_.get("histories") if isinstance(log_, Mapping) else None
        entries += len(histories) if isinstance(histories, list) else 0
        unreadable = unreadable_times(raw)
        if unreadable:
            warnings.append(
                f"{key}: {unreadable} changelog entr{'y has' if unreadable == 1 else 'ies have'} no date "
                "okrsync can read (neither a date-time nor epoch milliseconds); each is dated like the "
                "entry before it"
            )
    return ChangelogRead(snapshot, converted, entries, tuple(warnings))
