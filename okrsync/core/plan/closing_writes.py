"""What a closed period shows in Jira (pure): the ``OKR Score`` field, the property's ``closed``
and one ``close:<period>`` comment per KR, each written once; nothing else on what is frozen
(:mod:`okrsync.core.closing`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from okrsync.core.closing import FinalScore, PeriodClose, shown_closes
from okrsync.core.plan.changes import CommentPost
from okrsync.core.plan.comments import Records, post_once
from okrsync.core.plan.field_values import kr_label, pct
from okrsync.domain.doc import Doc, Paragraph, Text
from okrsync.domain.model import KeyResult


@dataclass(frozen=True, slots=True)
class ClosingPlan:
    """The closes the plan shows: node id → its latest close, and the frozen nodes."""

    shown: Mapping[str, tuple[PeriodClose, FinalScore]] = field(default_factory=dict)
    frozen: frozenset[str] = frozenset()

    @classmethod
    def of(cls, closes: Mapping[str, PeriodClose], frozen: frozenset[str]) -> ClosingPlan:
        return cls(shown_closes(closes), frozen)


def closed_property(close: PeriodClose, final: FinalScore) -> dict[str, Any]:
    """The ``closed`` entry of the ``okrsync`` property: the period, its final score and status."""
    return {
        "period": close.period.name,
        "on": close.closed_on.isoformat(),
        "score": final.score,
        "progress": pct(final.progress),
        "health": final.health.value,
        **({"carried_into": final.carried_into} if final.carried_into else {}),
    }


def close_identity(close: PeriodClose) -> str:
    return f"close:{close.period.name}"


def close_comment(
    kr: KeyResult, close: PeriodClose, final: FinalScore, records: Records
) -> CommentPost | None:
    """The one comment on ``kr``'s epic that its period closed: the score and what moved."""
    if kr.jira_key is None:
        return None
    period = close.period
    end = "no progress measured" if final.progress is None else f"{pct(final.progress)} %"
    if final.start_progress is None:
        moved = f"It ended at {end}."
    elif final.progress is not None and abs(final.progress - final.start_progress) > 1e-9:
        moved = f"It moved from {pct(final.start_progress)} % at the start of the period to {end}."
    else:
        moved = f"It did not move this period: {end}."
    score = "no score (nothing to measure)" if final.score is None else f"{final.score:.1f}"
    parts = [
        Paragraph(
            Text(f"OKR period {period.name} closed: ", bold=True),
            Text(f"{kr_label(kr)} scores {score} (final status {final.health.label})."),
        ),
        Paragraph(Text(moved)),
    ]
    if final.late(period) and final.scored_on is not None:
        parts.append(
            Paragraph(
                Text(
                    f"Scored on {final.scored_on.isoformat()}, after the period ended: okrsync recorded "
                    f"no progress on its last day ({period.end.isoformat()})."
                )
            )
        )
    if final.carried_into:
        parts.append(Paragraph(Text(f"It carries over into {final.carried_into} from where it ended.")))
    else:
        parts.append(Paragraph(Text("okrsync no longer updates it.")))
    return post_once(
        kr.jira_key, close_identity(close), Doc(*parts), f"closed {period.name}: score {score}", records
    )
