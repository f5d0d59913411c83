"""``okrsync`` property writes a run may have left unknown: read back once, not trusted blindly.

A plan skips a property whose value Jira already holds; "what Jira holds" is the mirror's copy on
Cloud (searches return properties, but an issue whose property changed is not read again: setting
a property does not change the issue's ``updated``) and, on Data Center, the hash of the value
okrsync last recorded. Both are written only after the write landed (the record) and after the
whole apply (the mirror). A run that dies in between, or a write whose answer was lost (a 5xx, a
dropped connection), leaves Jira one write ahead of what okrsync knows; when the value then goes
back to what okrsync knows, no plan would write it, and the property would stay one write ahead of
the truth for good (found by the kill campaign, issue 14).

So before applying, a run records the issues whose property it is about to write; after the
apply and the mirror are stored, only those whose write failed without a clear answer stay. The
next run reads those properties from Jira first (Cloud ``POST /rest/api/3/issue/bulkfetch``, 100
issues a request; Data Center one ``GET`` each) and plans from what it read. A run that ends
normally leaves none: no request in the steady state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from okrsync.core.plan import Plan, PropertySet
from okrsync.domain.hashing import value_hash
from okrsync.domain.keys import ISSUE_PROPERTY, META_PENDING_PROPERTIES
from okrsync.domain.records import AppliedWrite
from okrsync.jira.bulk_properties import MAX_ISSUES
from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.bulk_apply import _issue_id
from okrsync.sync.lanes import BigLock, parallel_map, unlocked

log = logging.getLogger(__name__)

ABSENT: Any = None
"""What a read answers for an issue that has no ``okrsync`` property."""


@dataclass(frozen=True, slots=True)
class Opened:
    """When a run recorded an issue's property write as due: the write, if it landed, is later."""

    run_id: int | None
    at: datetime


def left_open(store: StateStore) -> dict[str, Opened]:
    """The issues whose property a run before this one may have written without okrsync knowing."""
    raw = store.get_meta(META_PENDING_PROPERTIES)
    out: dict[str, Opened] = {}
    for key, entry in raw.items() if isinstance(raw, Mapping) else ():
        try:
            at = datetime.fromisoformat(str(entry.get("at")))
        except (AttributeError, ValueError):
            continue
        run = entry.get("run")
        out[str(key)] = Opened(run if isinstance(run, int) else None, at)
    return out


def _store(store: StateStore, entries: Mapping[str, Opened]) -> None:
    store.set_meta(
        META_PENDING_PROPERTIES,
        {k: {"run": e.run_id, "at": e.at.isoformat()} for k, e in sorted(entries.items())},
    )


def record_due(
    store: StateStore, plan: Plan, *, still_open: Mapping[str, Opened], run_id: int | None, at: datetime
) -> None:
    """Before any write: the issues whose property this plan writes, and those still unknown (an
    entry keeps its first time: an unknown write may date from then)."""
    now = Opened(run_id, at)
    entries = {c.issue_key: now for c in plan.changes if isinstance(c, PropertySet)}
    _store(store, {**entries, **still_open})


def settle(store: StateStore, unsure: Iterable[str], *, run_id: int | None, at: datetime) -> None:
    """After the apply and the mirror are stored: only the writes whose answer was lost stay open."""
    before = left_open(store)
    _store(store, {k: before.get(k, Opened(run_id, at)) for k in set(unsure)})


def read_back(
    gateway: JiraGateway,
    keys: Iterable[str],
    issues: Mapping[str, Mapping[str, Any]],
    *,
    workers: int = 1,
) -> dict[str, Any]:
    """Issue key → its ``okrsync`` property as Jira holds it (``ABSENT``: none), for each of ``keys``
    that could be read; one that could not is left out (it stays open)."""
    keys = list(dict.fromkeys(keys))
    found: dict[str, Any] = {}
    rest = keys
    if gateway.flavor == "cloud":
        by_id = {ident: k for k in keys if (ident := _issue_id(issues.get(k))) is not None}
        ids = list(by_id)
        for start in range(0, len(ids), MAX_ISSUES):
            batch = ids[start : start + MAX_ISSUES]
            try:
                read = gateway.bulk_properties.read(batch, [ISSUE_PROPERTY])
            except JiraError as exc:
                log.info("could not read back %d okrsync properties: %s", len(batch), exc)
                continue
            for ident in batch:
                if ident in read:  # an issue Jira did not return (gone, not visible) is not known
                    found[by_id[ident]] = read[ident].get(ISSUE_PROPERTY, ABSENT)
        with_id = set(by_id.values())
        rest = [k for k in keys if k not in with_id]
    if rest:
        lock = BigLock()
        reader = unlocked(gateway, lock)
        answers = parallel_map(
            rest, lambda k: reader.issue_property(k, ISSUE_PROPERTY), lock=lock, workers=workers
        )
        for key, answer in zip(rest, answers, strict=True):
            if isinstance(answer, BaseException):
                log.info("could not read back the okrsync property of %s: %s", key, answer)
            else:
                found[key] = answer
    return found


@dataclass(frozen=True, slots=True)
class ReadBack:
    """What a cycle learned of the properties left open: each one's entry, and its value as read."""

    opened: Mapping[str, Opened] = field(default_factory=dict)
    truth: Mapping[str, Any] = field(default_factory=dict)
    recorded: Mapping[str, str] = field(default_factory=dict)
    """Issue key → the hash of the value the state store recorded, before the read."""

    @property
    def unread(self) -> dict[str, Opened]:
        """The entries whose read failed: they stay open."""
        return {k: e for k, e in self.opened.items() if k not in self.truth}


def adopt(
    issues: MutableMapping[str, dict[str, Any]],
    read: ReadBack,
    hashes: MutableMapping[str, str],
    times: MutableMapping[str, datetime],
) -> None:
    """Plan from what was read: each issue's property as read (a copy of its raw issue: the mirror's
    own stays as it was, so the new value is stored); where it is not the recorded one, its hash as
    the last one written (Data Center compares with that) and its time as its entry's (see
    :func:`remember`); an issue without one has neither."""
    for key, value in read.truth.items():
        raw = issues.get(key)
        if raw is not None:
            props = dict(raw.get("properties") or {})
            if value is ABSENT:
                props.pop(ISSUE_PROPERTY, None)
            else:
                props[ISSUE_PROPERTY] = value
            issues[key] = {**raw, "properties": props}
    for key, (digest, at) in _changed(read).items():
        hashes[key], times[key] = digest, at
    for key in _absent(read):
        hashes.pop(key, None)
        times.pop(key, None)


UNKNOWN_AGE = datetime(1970, 1, 1, tzinfo=UTC)
"""The time of a value read back where the state store recorded none (a new or lost database): it
may be of any age, so it is taken as older than anything okrsync recorded since (a status comment
read from Jira says more: :func:`okrsync.sync.outbox.recover_fresh`)."""


def _changed(read: ReadBack) -> dict[str, tuple[str, datetime]]:
    """Key → (hash, time) of each value read back that is not the one recorded: written by the run
    that opened its entry, after it did, where there was a record; of unknown age where none."""
    out: dict[str, tuple[str, datetime]] = {}
    for key, value in read.truth.items():
        if isinstance(value, Mapping) and key in read.opened:
            digest = value_hash(value)
            if read.recorded.get(key) != digest:
                out[key] = (digest, read.opened[key].at if key in read.recorded else UNKNOWN_AGE)
    return out


def _absent(read: ReadBack) -> list[str]:
    return sorted(k for k, v in read.truth.items() if not isinstance(v, Mapping) and k in read.recorded)


def remember(store: StateStore, read: ReadBack) -> None:
    """Before the apply: a value read back that is not the one recorded was written by the run
    that opened its entry, after it opened it: recorded so (its time matters: the plan takes
    whichever okrsync wrote last, a status comment or the property, :func:`okrsync.sync.outbox.
    announced`); one that matches the record changes nothing. The plan's writes replace it."""
    store.record_applied(
        AppliedWrite(k, "property", ISSUE_PROPERTY, digest, None, read.opened[k].run_id, at)
        for k, (digest, at) in _changed(read).items()
    )
    for key in _absent(read):
        store.forget_applied(key, "property", ISSUE_PROPERTY)
