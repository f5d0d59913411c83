"""What a sync cycle knows beyond this cycle's reads, from the state store and, where it must, Jira:
the last known progress of KRs whose source fails, and the ``okrsync`` property on Data Center."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from datetime import date
from typing import Any

from okrsync.core.mappers import issue_fields
from okrsync.core.plan import has_value
from okrsync.core.stale import keep_failures_visible, last_known_progress
from okrsync.core.stored_tree import META_KEY as SNAPSHOT_KEY
from okrsync.domain.keys import ISSUE_PROPERTY, META_FAILING_SOURCES
from okrsync.domain.model import OkrTree
from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore

log = logging.getLogger(__name__)


def with_failures(store: StateStore, tree: OkrTree, today: date) -> OkrTree:
    """The tree with each failing source's KRs kept at their last known progress (see
    :mod:`okrsync.core.stale`): the last stored tree, the history and since when each fails."""
    if not tree.broken_sources and not any(kr.source_error for kr in tree.key_results):
        return tree
    last = store.get_meta(SNAPSHOT_KEY) or {}
    last_krs = (
        [e for e in last.get("key_results", []) if isinstance(e, dict)] if isinstance(last, dict) else []
    )
    since: dict[str, date] = {}
    for kr_id, day in (store.get_meta(META_FAILING_SOURCES) or {}).items():
        try:
            since[str(kr_id)] = date.fromisoformat(str(day))
        except ValueError:
            continue
    return keep_failures_visible(
        tree,
        today=today,
        last_krs=last_krs,
        last_known=last_known_progress(store.history(since=tree.period.start)),
        failing_since=since,
    )


def known_properties(
    gateway: JiraGateway,
    tree: OkrTree,
    status: str | None,
    merged: MutableMapping[str, dict[str, Any]],
    mirror: Mapping[str, dict[str, Any]],
) -> None:
    """Data Center: the ``okrsync`` property of each KR epic as okrsync last wrote it.

    Its searches return no properties, yet the property's health is what okrsync last announced (a
    status comment is due when it differs, see ``health_in_jira``): a fresh read keeps the mirror's
    copy, and where the state store has none (a new or lost database) but the epic shows a health
    okrsync wrote, the property is read, one ``GET`` per such epic.
    """
    for kr in tree.key_results:
        key = kr.jira_key
        raw = merged.get(key) if key else None
        if key is None or raw is None:
            continue
        props = raw.get("properties")
        if isinstance(props, Mapping) and ISSUE_PROPERTY in props:
            continue
        kept = (mirror.get(key) or {}).get("properties")
        if isinstance(kept, Mapping) and ISSUE_PROPERTY in kept:
            raw["properties"] = {
                **(props if isinstance(props, Mapping) else {}),
                ISSUE_PROPERTY: kept[ISSUE_PROPERTY],
            }
            continue
        if status and has_value(issue_fields.fields_of(raw).get(status)):
            try:
                value = gateway.issue_property(key, ISSUE_PROPERTY)
            except JiraError as exc:  # the plan then compares with the field, as before
                log.info("could not read the okrsync property of %s: %s", key, exc)
                continue
            if value is not None:
                raw["properties"] = {**(props if isinstance(props, Mapping) else {}), ISSUE_PROPERTY: value}
