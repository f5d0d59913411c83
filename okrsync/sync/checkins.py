"""A cycle's check-ins: the KRs whose ``OKR Confidence`` or ``OKR Check-in`` field changed since the
last recorded check-in get a new one, with its author and day from the changelog (see
:mod:`okrsync.core.checkins`). Kept in the state store under the meta key ``checkins``.

The values come with the searches the cycle makes anyway. The author does not: a search returns
the fields, not who set them. So a cycle in which check-ins changed reads the changelogs of those
KR epics, and only of those, with only the two fields' items: on Cloud one
``POST /rest/api/3/changelog/bulkfetch`` for up to 1000 epics (``fieldIds``), on Data Center one
``GET /issue/{key}?expand=changelog`` per epic (it has no bulk endpoint), at most
:data:`MAX_DC_READS` a cycle (more, e.g. the first cycle after a lost state database: recorded with
the cycle's day and no author, and ``okrsync backfill`` rebuilds them). A cycle without a check-in
reads nothing more. Recording the day only and leaving the author to the backfill was the other
choice: but "who said Low" is what a check-in is about, and the reads are few and only when
something changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from okrsync.core.changelog_items import histories_of
from okrsync.core.checkins import (
    CheckinFields,
    appended,
    author_of,
    checkins_from_changelog,
    history_json,
    history_of,
    is_new,
)
from okrsync.core.mappers import issue_fields
from okrsync.domain.keys import META_CHECKINS
from okrsync.domain.model import CheckIn, Confidence, KeyResult, OkrTree
from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore

log = logging.getLogger(__name__)

MAX_DC_READS = 50
"""Data Center: the most KR epics whose changelog a cycle reads one by one for check-in authors."""


@dataclass(frozen=True, slots=True)
class CycleCheckins:
    """The tree with each KR's check-ins, and what the cycle records (``None``: nothing new)."""

    tree: OkrTree
    history: Mapping[str, tuple[CheckIn, ...]] | None = None
    new: tuple[str, ...] = ()
    """The KRs with a new check-in this cycle."""
    warnings: tuple[str, ...] = field(default_factory=tuple)


def checkin_fields(ids: issue_fields.FieldIds) -> CheckinFields | None:
    found = frozenset(i for i in (ids.confidence, ids.checkin) if i)
    return CheckinFields(found, ids.confidence) if found else None


def with_checkins(
    store: StateStore,
    gateway: JiraGateway,
    tree: OkrTree,
    ids: issue_fields.FieldIds,
    issues: Mapping[str, issue_fields.RawIssue],
    today: date,
) -> CycleCheckins:
    """Each KR of ``tree`` with its recorded check-ins, and a new one where its fields changed."""
    fields = checkin_fields(ids)
    if fields is None:
        return CycleCheckins(tree)
    history = history_of(store.get_meta(META_CHECKINS))
    changed = [
        kr for kr in tree.key_results if kr.jira_key and not kr.stale and is_new(kr, _last(history, kr))
    ]
    warnings: list[str] = []
    authors = _authors(gateway, changed, fields, issues, warnings) if changed else {}
    updated = dict(history)
    for kr in changed:
        at, who, ident = authors.get(kr.id, (None, None, None))
        day = at.date() if at is not None and at.date() <= today else today
        updated[kr.id] = appended(
            history.get(kr.id, ()), CheckIn(day, kr.confidence, kr.checkin_note, who, ident)
        )
    krs = tuple(_with_history(kr, updated) for kr in tree.key_results)
    return CycleCheckins(
        replace(tree, key_results=krs),
        updated if changed else None,
        tuple(kr.id for kr in changed),
        tuple(warnings),
    )


def _last(history: Mapping[str, tuple[CheckIn, ...]], kr: KeyResult) -> CheckIn | None:
    found = history.get(kr.id)
    return found[-1] if found else None


def _with_history(kr: KeyResult, history: Mapping[str, tuple[CheckIn, ...]]) -> KeyResult:
    found = history.get(kr.id, ())
    return replace(kr, checkins=found) if found else kr


def _authors(
    gateway: JiraGateway,
    changed: list[KeyResult],
    fields: CheckinFields,
    issues: Mapping[str, issue_fields.RawIssue],
    warnings: list[str],
) -> dict[str, tuple[Any, str | None, str | None]]:
    """KR id → (when, who, their id) of the last change of its check-in fields, by the changelog."""
    keys = [kr.jira_key for kr in changed if kr.jira_key]
    if gateway.flavor != "cloud" and len(keys) > MAX_DC_READS:
        warnings.append(
            f"{len(keys)} key results have new check-ins: recorded without their authors (reading "
            f"more than {MAX_DC_READS} changelogs one by one each cycle is too slow); run okrsync "
            "backfill to rebuild them with their authors"
        )
        return {}
    ids = [str(issues.get(k, {}).get("id") or k) for k in keys]
    try:
        logs = gateway.history.changelogs(ids, field_ids=sorted(fields.ids))
    except JiraError as exc:
        warnings.append(f"could not read who checked in ({exc}); recorded without their authors")
        return {}
    names = {gateway.fields.name_of(fid).strip().casefold(): fid for fid in fields.ids}
    out: dict[str, tuple[Any, str | None, str | None]] = {}
    for kr, ident in zip((kr for kr in changed if kr.jira_key), ids, strict=True):
        found = author_of(logs.get(ident, []), fields, names)
        if found is not None:
            out[kr.id] = found
    return out


def record_checkins(store: StateStore, found: CycleCheckins) -> None:
    """Keep the cycle's new check-ins (nothing when there are none)."""
    if found.history is not None:
        store.set_meta(META_CHECKINS, history_json(found.history))


def stored_checkins(store: StateStore) -> dict[str, tuple[CheckIn, ...]]:
    return history_of(store.get_meta(META_CHECKINS))


def rebuilt_checkins(
    gateway: JiraGateway,
    issues: Mapping[str, issue_fields.RawIssue],
    kr_epics: Iterable[issue_fields.RawIssue],
    ids: issue_fields.FieldIds,
) -> dict[str, tuple[CheckIn, ...]]:
    """The backfill's check-ins: per KR epic, every check-in its changelog shows (``issues``: the
    epics read with their whole changelogs, by key)."""
    fields = checkin_fields(ids)
    if fields is None:
        return {}
    names = {gateway.fields.name_of(fid).strip().casefold(): fid for fid in fields.ids}
    out: dict[str, tuple[CheckIn, ...]] = {}
    for epic in kr_epics:
        key = issue_fields.key_of(epic)
        raw = issues.get(key, epic)
        shown = (
            Confidence.of(issue_fields.option(raw, ids.confidence)),
            issue_fields.short_text(raw, ids.checkin),
        )
        found = checkins_from_changelog(histories_of(raw), fields, shown, names)
        if found:
            out[key] = found
    return out


def replace_checkins(store: StateStore, history: Mapping[str, tuple[CheckIn, ...]]) -> None:
    """The backfill's rebuilt history, for every KR it read (the others keep theirs)."""
    store.set_meta(META_CHECKINS, history_json({**stored_checkins(store), **history}))
