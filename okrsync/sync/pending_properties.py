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
from datetime import datetime
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


def left_open(store: StateStore) -> list[str]:
    """The issues whose property a run before this one may have written without okrsync knowing."""
    raw = store.get_meta(META_PENDING_PROPERTIES)
    return sorted({str(k) for k in raw}) if isinstance(raw, list) else []


def record_due(store: StateStore, plan: Plan, still_open: Iterable[str] = ()) -> None:
    """Before any write: the issues whose property this plan writes (and those still unknown)."""
    keys = {c.issue_key for c in plan.changes if isinstance(c, PropertySet)} | set(still_open)
    store.set_meta(META_PENDING_PROPERTIES, sorted(keys))


def settle(store: StateStore, unsure: Iterable[str]) -> None:
    """After the apply and the mirror are stored: only the writes whose answer was lost stay open."""
    store.set_meta(META_PENDING_PROPERTIES, sorted(set(unsure)))


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
    """What a cycle learned of the properties left open: the keys, and each one's value as read."""

    keys: frozenset[str] = frozenset()
    truth: Mapping[str, Any] = field(default_factory=dict)

    @property
    def unread(self) -> frozenset[str]:
        """The keys whose read failed: they stay open."""
        return self.keys - set(self.truth)


def adopt(
    issues: MutableMapping[str, dict[str, Any]], truth: Mapping[str, Any], hashes: MutableMapping[str, str]
) -> None:
    """Plan from what was read: each issue's property as read (a copy of its raw issue: the mirror's
    own stays as it was, so the new value is stored), and its hash as the last one written (Data
    Center compares with that); an issue without one has no hash."""
    for key, value in truth.items():
        raw = issues.get(key)
        if raw is not None:
            props = dict(raw.get("properties") or {})
            if value is ABSENT:
                props.pop(ISSUE_PROPERTY, None)
            else:
                props[ISSUE_PROPERTY] = value
            issues[key] = {**raw, "properties": props}
        if isinstance(value, Mapping):
            hashes[key] = value_hash(value)
        else:
            hashes.pop(key, None)


def remember(store: StateStore, read: ReadBack, *, run_id: int | None, at: datetime) -> None:
    """Before the apply: what was read is what okrsync knows Jira holds (the state store's record,
    which Data Center's plans compare with); the plan's own writes replace it as they land."""
    known = {k: v for k, v in read.truth.items() if isinstance(v, Mapping)}
    store.record_applied(
        AppliedWrite(k, "property", ISSUE_PROPERTY, value_hash(v), None, run_id, at) for k, v in known.items()
    )
    for key in sorted(set(read.truth) - set(known)):
        store.forget_applied(key, "property", ISSUE_PROPERTY)
