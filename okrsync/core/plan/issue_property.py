"""The ``okrsync`` issue property: every number on a KR epic or objective issue and what it came
from, as JSON a user can read, written only when its hash differs from what Jira holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from okrsync.core.plan.changes import IssueNow, PropertySet
from okrsync.core.plan.field_values import pct
from okrsync.core.rollup import Score
from okrsync.domain.hashing import value_hash
from okrsync.domain.keys import ISSUE_PROPERTY
from okrsync.domain.model import CheckIn, KeyResult, Objective

PROPERTY_KEY = ISSUE_PROPERTY


def explain_kr(kr: KeyResult, s: Score, obj: Objective | None) -> dict[str, Any]:
    """The ``okrsync`` issue property of a KR epic: every number and what it came from.

    Expected progress is left out on purpose: it changes every day and is on the field already.
    """
    return {
        "version": 1,
        "kind": "key_result",
        "id": kr.id,
        "objective": obj.id if obj else kr.objective_id,
        "measure": kr.measure.value,
        "progress": pct(s.progress),
        "health": s.health.value,
        "overachievement": pct(s.overachievement) if s.overachievement else 0,
        "score": s.score,
        "explanation": s.explanation.as_dict(),
        "warnings": list(s.warnings),
        **({"checkin": checkin_property(kr.last_checkin)} if kr.last_checkin is not None else {}),
        **(
            {
                "stale_since": s.stale_since.isoformat() if s.stale_since else None,
                "source_error": s.source_error,
            }
            if s.source_error is not None
            else {}
        ),
    }


def checkin_property(c: CheckIn) -> dict[str, Any]:
    """The KR's latest check-in as the property shows it: what its status comment told Jira
    (written, like the health, only once that comment landed)."""
    return {
        "day": c.day.isoformat(),
        "confidence": c.confidence.value if c.confidence else None,
        "note": c.note,
        "author": c.author,
    }


def announced_checkin(now: IssueNow) -> tuple[str | None, str | None] | None:
    """(confidence, note) of the check-in the property says was announced; ``None``: none was."""
    found = now.property.get("checkin") if now.property else None
    if not isinstance(found, Mapping):
        return None
    conf, note = found.get("confidence"), found.get("note")
    return (conf if isinstance(conf, str) else None), (note if isinstance(note, str) else None)


def explain_objective(obj: Objective, s: Score) -> dict[str, Any]:
    return {
        "version": 1,
        "kind": "objective",
        "id": obj.id,
        "aligns_to": obj.aligns_to,
        "progress": pct(s.progress),
        "health": s.health.value,
        "score": s.score,
        "explanation": s.explanation.as_dict(),
        **({"stale": list(s.stale)} if s.stale else {}),
    }


def property_set(
    key: str, value: Mapping[str, Any], current: IssueNow, last_written_hash: str | None
) -> PropertySet | None:
    """Set the property to ``value`` unless Jira holds it already.

    Where Jira could not say what it holds (Data Center searches return no properties), the hash
    of the value okrsync last wrote stands in for it.
    """
    digest = value_hash(value)
    if current.property_known:
        if current.property is not None and value_hash(current.property) == digest:
            return None
    elif last_written_hash == digest:
        return None
    return PropertySet(key, PROPERTY_KEY, value, digest)
