"""What the HTML report and the status page show beside the stored tree, kept by each sync: the
coach's findings on the tree it scored (meta ``coach_findings``) and the Jira site the tree came
from (meta ``jira_site``: the links ``<site>/browse/KEY``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from okrsync.core.coach import CoachPolicy, Finding, coach
from okrsync.core.coach_rhythm import RhythmPolicy
from okrsync.core.rollup import ScoredTree
from okrsync.domain.config import Settings
from okrsync.domain.keys import META_COACH_FINDINGS, META_JIRA_SITE
from okrsync.state.store import StateStore


def finding_doc(f: Finding) -> dict[str, Any]:
    return {
        "subject": f.subject,
        "kind": f.kind,
        "severity": f.severity.value,
        "code": f.code,
        "owner": f.owner,
        "message": f.message,
        "fix": f.fix,
    }


def record_report_facts(
    store: StateStore, cfg: Settings, scored: ScoredTree, day: date, confidence_field: str | None
) -> None:
    """The findings ``okrsync check`` gives (the check-in rhythm only where the site has the
    confidence field), and the site's URL."""
    rhythm = RhythmPolicy(
        cfg.policy.checkin_days if confidence_field else None,
        tolerance=cfg.policy.tolerance,
        off_track_gap=cfg.policy.off_track,
    )
    policy = CoachPolicy(cfg.policy.stale_after_days, cfg.policy.max_krs_per_objective, rhythm)
    found = coach(scored.tree, day, policy, scored=scored)
    store.set_meta(META_COACH_FINDINGS, [finding_doc(f) for f in found])
    if store.get_meta(META_JIRA_SITE) != cfg.jira.url:
        store.set_meta(META_JIRA_SITE, cfg.jira.url)


def findings_by_subject(stored: Any) -> dict[str, list[Mapping[str, Any]]]:
    """The stored findings grouped by their subject (KR or objective id); junk is ignored."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    rows: Sequence[Any] = stored if isinstance(stored, list) else []
    for row in rows:
        if isinstance(row, Mapping) and row.get("subject") and row.get("message"):
            out.setdefault(str(row["subject"]), []).append(row)
    return out
