"""The comment on a KR epic whose source fails: said once per failing stretch (pure).

Its identity is ``source:<first failing day>``: a source that fails, recovers and fails again is
told again; one that keeps failing is told once. While it fails, the KR gets no status-change or
check-in comment (its numbers are held, not measured).
"""

from __future__ import annotations

from okrsync.core.plan.changes import CommentPost, CommentRecord
from okrsync.core.plan.comments import Records, post_once
from okrsync.core.plan.field_values import kr_label, pct
from okrsync.core.rollup import Score
from okrsync.domain.doc import Doc, Paragraph, Text
from okrsync.domain.model import KeyResult

__all__ = ["CommentRecord", "source_failure_comment"]


def source_failure_comment(kr: KeyResult, s: Score, records: Records) -> CommentPost | None:
    """One comment on ``kr``'s epic saying why okrsync cannot measure it and what it shows instead."""
    if kr.jira_key is None or kr.failure is None:
        return None
    failure = kr.failure
    known = failure.last_known
    if known is not None and known.progress is not None:
        held = (
            f"Its progress is held at {pct(known.progress)} % ({known.health.label}), as last measured "
            f"on {known.day.isoformat()}, and marked stale until the source is fixed."
        )
    else:
        held = "No earlier progress is known, so it shows No data until the source is fixed."
    doc = Doc(
        Paragraph(
            Text("OKR source failing: ", bold=True),
            Text(f"okrsync cannot measure {kr_label(kr)} since {failure.since.isoformat()}: "),
            Text(failure.reason),
            Text("."),
        ),
        Paragraph(Text(held)),
    )
    identity = f"source:{failure.since.isoformat()}"
    return post_once(kr.jira_key, identity, doc, f"source failing since {failure.since}", records)
