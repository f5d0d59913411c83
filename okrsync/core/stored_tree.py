"""The scored OKR tree as a stable JSON document (schema ``okrsync.tree/1``).

Each sync stores one in the state store (meta key ``last_tree``), so that ``okrsync report`` and the
daemon's status page can render the OKRs without Jira. It is also the ``--format json`` report.

Schema (every percentage is 0–100 with one decimal, ``null`` where there is no data)::

    {"schema": "okrsync.tree/1", "period": {"name", "start", "end"}, "as_of": "YYYY-MM-DD",
     "objectives": [{"id", "title", "level", "owner", "aligns_to", "weight", "jira_key",
                     "progress", "expected", "health", "score", "explanation"}],
     "key_results": [{"id", "objective", "title", "measure", "owner", "due", "weight", "jira_key",
                      "source", "progress", "expected", "health", "score", "source_error",
                      "stale_since", "overachievement", "explanation", "confidence"?,
                      "checkin"?: {"day", "note", "author"},
                      "warnings", "action_plans": [{"key", "summary", "status", "status_category",
                      "cancelled", "points", "owner", "due"}]}],
     "warnings": [...]}

A KR or objective frozen by the close of its OKR period (:mod:`okrsync.core.closing`) also has
``"closed": {"period": NAME}``: its numbers and ``score`` are the final ones, not live.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from okrsync.core.cycles import active_period, objective_periods
from okrsync.core.plan import pct
from okrsync.core.rollup import Score, ScoredTree
from okrsync.domain import model
from okrsync.domain.encoded_json import EncodedJSON
from okrsync.domain.keys import META_LAST_TREE
from okrsync.domain.model import KeyResult

SCHEMA = "okrsync.tree/1"
META_KEY = META_LAST_TREE


def _score(s: Score) -> dict[str, Any]:
    return {
        "progress": pct(s.progress),
        "expected": pct(s.expected),
        "health": s.health.value,
        "score": s.score,
        "explanation": s.explanation.as_dict(),
    }


def _closed(s: Score, period: model.Period | None) -> dict[str, Any]:
    """``closed`` for a node frozen at its period's close (its explanation says so)."""
    if s.explanation.method != "closed":
        return {}
    return {"closed": {"period": period.name if period is not None else None}}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _checkin(kr: KeyResult) -> dict[str, Any]:
    """A KR's latest check-in (``confidence``: high/medium/low, ``checkin``: its day, note and
    author), only for a KR that has one."""
    c = kr.last_checkin
    if c is None:
        return {}
    return {
        "confidence": c.confidence.value if c.confidence else None,
        "checkin": {"day": c.day.isoformat(), "note": c.note, "author": c.author},
    }


def stored_tree_of(scored: ScoredTree) -> dict[str, Any]:
    """The document, as Python values."""
    front, back = _head(scored)
    krs = [{**_kr_doc(scored, kr), "action_plans": _plans(kr)} for kr in scored.tree.key_results]
    return {**front, "key_results": krs, **back}


def stored_tree_json(scored: ScoredTree) -> EncodedJSON:
    """The same document as JSON text, made one KR at a time: at 100,000 action plans their
    dicts all at once and ``json.dumps``' pieces were ~60 MiB of a cycle's peak, the text is ~16
    MiB (bench/README.md)."""
    dumps = json.JSONEncoder(separators=(",", ":")).encode  # ASCII: one byte a character
    front, back = (dumps(part) for part in _head(scored))
    parts = [front[:-1], ',"key_results":[']
    for n, kr in enumerate(scored.tree.key_results):
        if n:
            parts.append(",")
        parts += [dumps(_kr_doc(scored, kr))[:-1], ',"action_plans":', dumps(_plans(kr)), "}"]
    parts += ["],", back[1:]]  # back has "warnings": never empty
    return EncodedJSON("".join(parts))  # one copy of the text, no more


def _head(scored: ScoredTree) -> tuple[dict[str, Any], dict[str, Any]]:
    """Everything but the KRs: what comes before them, and after."""
    tree = scored.tree
    own = objective_periods(tree)
    front = {
        "schema": SCHEMA,
        "period": tree.period.as_json(),
        "as_of": scored.as_of.isoformat(),
        "objectives": [
            {
                "id": o.id,
                "title": o.title,
                "level": o.level.value,
                "owner": o.owner,
                "aligns_to": o.aligns_to,
                "weight": o.weight,
                "jira_key": o.jira_key,
                **_score(scored.objective(o.id)),
                **_closed(scored.objective(o.id), own.get(o.id)),
            }
            for _, o in tree.walk()
        ],
    }
    return front, {"warnings": list(scored.warnings), **_cycles(scored)}


def _kr_doc(scored: ScoredTree, kr: KeyResult) -> dict[str, Any]:
    """One KR without its action plans (never empty: it has an ``id``)."""
    s = scored.kr(kr.id)
    return {
        "id": kr.id,
        "objective": kr.objective_id,
        "title": kr.title,
        "measure": kr.measure.value,
        "owner": kr.owner,
        "due": kr.due.isoformat() if kr.due else None,
        "weight": kr.weight,
        "jira_key": kr.jira_key,
        "source": kr.source_index,
        **_score(s),
        **_closed(s, kr.periods[-1] if kr.periods else None),
        "source_error": s.source_error,
        "stale_since": _day(s.stale_since),
        "overachievement": pct(s.overachievement),
        "warnings": list(s.warnings),
        **_checkin(kr),
    }


def _plans(kr: KeyResult) -> list[dict[str, Any]]:
    return [
        {
            "key": p.key,
            "summary": p.summary,
            "status": p.status,
            "status_category": p.status_category.value,
            "cancelled": p.cancelled,
            "points": p.points,
            "owner": p.owner,
            "due": p.due.isoformat() if p.due else None,
        }
        for p in kr.action_plans
    ]


def _period(p: model.Period) -> dict[str, str]:
    return {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()}


def _cycles(scored: ScoredTree) -> dict[str, Any]:
    """With several periods (OKR cycles): each one, and the periods of each KR and objective
    (``okrsync report --period NAME`` picks them out)."""
    tree = scored.tree
    if len(tree.periods) <= 1:
        return {}
    own = objective_periods(tree)
    active = active_period(tree.periods, scored.as_of)
    return {
        "periods": [_period(p) for p in tree.periods],
        "active_period": active.name if active is not None else None,
        "kr_periods": {kr.id: [p.name for p in kr.periods] for kr in tree.key_results},
        "objective_periods": {o.id: _period(own[o.id]) for o in tree.objectives},
    }
