"""The outbox of status comments: what a run is about to say on a KR epic, until it is recorded;
and what the last recorded status comment on each epic says.

A status comment states a KR's new health; the ``okrsync`` property, written after it, says what
okrsync last announced, and the next plan compares with it. One window remains: a comment that
landed (or was updated) in Jira in a run that died before recording it. Its text then says more
than the property and the state store know, and if the KR's health goes back, no plan would touch
it again: an outdated comment ("At risk → Off track" while Jira shows At risk).

So before applying, a run writes each planned status comment here (issue, identity, content hash,
the health it states); each entry is closed when the comment's record lands. The next run finds the
entries a dead run left open and looks at each issue's comments once: a comment that carries the
entry's hash landed, so it is recorded, and the health it states is what okrsync announced there
(``IssueNow.announced``); otherwise it never landed and the plan goes on from the property.

A run can also die between a status comment's record and the property: then the comment is newer
than the property. Each recorded status comment's health and time are kept (``said``), and the plan
takes whichever okrsync wrote last, the comment or the property (:func:`announced`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from okrsync.core.plan import CommentRecord, Plan
from okrsync.domain.keys import META_OUTBOX, META_STATUS_SAID
from okrsync.domain.model import Health
from okrsync.domain.records import AppliedWrite
from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.state.store import StateStore
from okrsync.sync.apply import identity_of, marker_hash
from okrsync.sync.comment_reads import comments_or_raise, read_comments

log = logging.getLogger(__name__)

STATUS = "status"


def _slot(key: str, identity: str) -> str:
    return f"{key}\t{identity}"


def open_entries(store: StateStore) -> dict[tuple[str, str], dict[str, Any]]:
    raw = store.get_meta(META_OUTBOX) or {}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for slot, entry in raw.items() if isinstance(raw, Mapping) else ():
        key, _, identity = str(slot).partition("\t")
        if identity and isinstance(entry, Mapping):
            out[(key, identity)] = dict(entry)
    return out


def record_due(store: StateStore, plan: Plan) -> None:
    """Write the plan's status comments as due, in one transaction, before anything is applied."""
    due = {
        _slot(c.issue_key, c.identity): {"hash": c.value_hash, "health": c.announces}
        for c in plan.comments
        if c.identity == STATUS
    }
    store.set_meta(META_OUTBOX, due)


def close(store: StateStore, key: str, identity: str, at: datetime) -> None:
    """The comment's record landed: its entry is done, and what it says is kept."""
    if identity != STATUS:
        return
    entries = store.get_meta(META_OUTBOX) or {}
    if not isinstance(entries, Mapping) or _slot(key, identity) not in entries:
        return
    health = entries[_slot(key, identity)].get("health")
    if isinstance(health, str):
        _said(store, {key: health}, at)
    store.set_meta(META_OUTBOX, {k: v for k, v in entries.items() if k != _slot(key, identity)})


def _said(store: StateStore, healths: Mapping[str, str], at: datetime) -> None:
    said = store.get_meta(META_STATUS_SAID) or {}
    said = dict(said) if isinstance(said, Mapping) else {}
    said.update({key: {"health": h, "at": at.isoformat()} for key, h in healths.items()})
    store.set_meta(META_STATUS_SAID, said)


def announced(store: StateStore, property_times: Mapping[str, datetime]) -> dict[str, str]:
    """Issue key → the health its last recorded status comment states, where that comment is newer
    than the last ``okrsync`` property okrsync wrote there (a run died in between)."""
    said = store.get_meta(META_STATUS_SAID) or {}
    out: dict[str, str] = {}
    for key, entry in said.items() if isinstance(said, Mapping) else ():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("health"), str):
            continue
        try:
            at = datetime.fromisoformat(str(entry.get("at")))
        except ValueError:
            continue
        written = property_times.get(key)
        if written is None or at > written:
            out[str(key)] = str(entry["health"])
    return out


_STATUS_TEXT = re.compile(r"OKR status: .+? → (.+?) \(as of")


def said_by(comment: Mapping[str, Any]) -> str | None:
    """The health a status comment states: its first line's (what people read), else its marker's.

    The two differ only where a body landed without its marker (Data Center sets the marker in a
    second request; a run died between them): the text is then the newer of the two."""
    return stated_in_text(comment) or _marker_health(comment)


def stated_in_text(comment: Mapping[str, Any]) -> str | None:
    """The health a status comment's text states ("OKR status: X → Y (as of …)": Y), if it says one."""
    m = _STATUS_TEXT.search(plain_text(comment.get("body")))
    if m is None:
        return None
    by_label = {h.label: h.value for h in Health}
    return by_label.get(m.group(1).strip())


def _marker_health(comment: Mapping[str, Any]) -> str | None:
    props = comment.get("properties")
    for prop in props if isinstance(props, list) else ():
        value = prop.get("value") if isinstance(prop, Mapping) else None
        if isinstance(value, Mapping) and isinstance(value.get("health"), str):
            return str(value["health"])
    return None


def body_ahead_of_marker(comment: Mapping[str, Any]) -> str | None:
    """The health a comment's text states where its marker does not say it (none, or another
    health): a body landed and its marker did not (Data Center sets the marker in a second request
    after a post or an update; a run died between them). ``None`` otherwise."""
    text = stated_in_text(comment)
    return text if text is not None and text != _marker_health(comment) else None


@dataclass
class Recovered:
    """What the entries a dead run left open turned out to be."""

    announced: dict[str, str] = field(default_factory=dict)
    """Issue key → the health its status comment states (it landed)."""
    landed: dict[tuple[str, str], CommentRecord] = field(default_factory=dict)
    """Comments that landed but were never recorded: their records."""
    read: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Issue key → its comments, where they were read (the planning and the apply reuse them)."""
    markers: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """Issue key → (comment id, marker) of a comment whose body landed without its marker: the
    marker to set (the apply step repairs it, as a missing one)."""


def recover(
    store: StateStore, gateway: JiraGateway, records: Mapping[tuple[str, str], CommentRecord]
) -> Recovered:
    """Settle the open entries: one read of the comments of each issue with one (none normally)."""
    found = Recovered()
    for (key, identity), entry in open_entries(store).items():
        want, health = entry.get("hash"), entry.get("health")
        if not isinstance(want, str):
            continue
        record = records.get((key, identity))
        if record is not None and record.value_hash == want:
            if isinstance(health, str):
                found.announced[key] = health
            continue
        try:
            comments = found.read.get(key) or gateway.comments(key, properties=True)
        except JiraError as exc:  # cannot tell: the plan goes on from the property, as before
            log.info("could not check %s's %s comment: %s", key, identity, exc)
            continue
        found.read[key] = comments
        for comment in comments:
            if identity_of(comment) != identity:
                continue
            if marker_hash(comment) == want:
                found.landed[(key, identity)] = CommentRecord(str(comment.get("id")), want)
                if isinstance(health, str):
                    found.announced[key] = health
                break
            ahead = body_ahead_of_marker(comment) if identity == STATUS else None
            if ahead is not None:
                # its text states a health its own marker does not: a post's or an update's body
                # landed and its marker did not (Data Center sets it in a second request). What people read
                # is the text, so the plan goes on from it; where it states the dead run's health,
                # it is the dead run's content: recorded as landed, and its marker repaired
                found.announced[key] = ahead
                if ahead == health:
                    comment_id = str(comment.get("id"))
                    found.landed[(key, identity)] = CommentRecord(comment_id, want)
                    marker = {"identity": identity, "hash": want, "health": health}
                    found.markers[key] = (comment_id, marker)
                break
    return found


def recover_fresh(
    gateway: JiraGateway,
    epics: Iterable[str],
    searched: Mapping[str, list[dict[str, Any]]] | None = None,
    *,
    workers: int = 1,
) -> Recovered:
    """A new or lost state database on a site okrsync synced before (``epics``: the KR epics that
    show a health okrsync wrote): what each one's status comment states, read once per epic, and
    its record, so that the plan updates it rather than trusting a property it may be newer than.

    ``searched``: epics whose comments a search showed whole and with none of okrsync's
    (:func:`okrsync.sync.searched_comments.searched_comments`): they have no status comment, and
    are not read. The reads run on ``workers`` threads."""
    found = Recovered()
    searched = searched or {}
    epics = list(epics)
    fetched = read_comments(gateway, [k for k in epics if k not in searched], workers)
    for key in epics:
        if key in searched:
            found.read[key] = searched[key]
            continue
        try:
            comments = comments_or_raise(fetched[key])
        except JiraError as exc:
            log.info("could not read the comments of %s: %s", key, exc)
            continue
        found.read[key] = comments
        for comment in comments:
            if identity_of(comment) == STATUS:
                health = said_by(comment)
                if health is not None:
                    found.announced[key] = health
                    # a body ahead of its marker is not the marker's content: its hash is unknown
                    known = "" if body_ahead_of_marker(comment) else marker_hash(comment)
                    found.landed[(key, STATUS)] = CommentRecord(str(comment.get("id")), known)
                break
    return found


def settle(store: StateStore, recovered: Recovered, *, run_id: int | None, at: datetime) -> None:
    """Record the comments that landed unrecorded and empty the outbox (a run that applies)."""
    if recovered.landed:
        store.record_applied(
            AppliedWrite(key, "comment", identity, rec.value_hash, rec.comment_id, run_id, at)
            for (key, identity), rec in recovered.landed.items()
        )
        landed = {key for key, _identity in recovered.landed}
        _said(store, {k: h for k, h in recovered.announced.items() if k in landed}, at)
    store.set_meta(META_OUTBOX, {})
