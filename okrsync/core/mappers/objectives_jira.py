"""Objectives kept in Jira (an Objective issue type above Epic) → domain objectives (pure)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from okrsync.core.mappers import alignment, issue_fields
from okrsync.domain.config import ObjectivesFromJiraConfig
from okrsync.domain.model import Level, Objective


def objectives_from_issues(
    issues: Sequence[issue_fields.RawIssue],
    cfg: ObjectivesFromJiraConfig,
    *,
    field_id: str | None = None,
    other_ids: Collection[str] = (),
) -> tuple[tuple[Objective, ...], tuple[str, ...]]:
    """Objectives for ``issues``; an objective aligned to nothing known is a company objective.

    ``other_ids`` are objective ids defined elsewhere (the YAML file) that Jira objectives may
    align to (by field or link).
    """
    keys = {issue_fields.key_of(i) for i in issues}
    known = keys | set(other_ids)
    out: list[Objective] = []
    warnings: list[str] = []
    for issue in issues:
        key = issue_fields.key_of(issue)
        target = alignment.aligned_to(issue, cfg.align_by, link_type=cfg.link_type, field_id=field_id)
        if target is not None and target not in known:
            warnings.append(
                f"{key}: aligns to {target}, which is not an objective okrsync knows; shown at the top"
            )
            target = None
        if target == key:
            warnings.append(f"{key}: aligns to itself; shown at the top")
            target = None
        display, _ = issue_fields.owner(issue)
        out.append(
            Objective(
                id=key,
                title=issue_fields.text(issue, "summary") or key,
                level=cfg.level if target else Level.COMPANY,
                owner=display,
                aligns_to=target,
                due=issue_fields.day(issue, "duedate"),
                jira_key=key,
            )
        )
    return tuple(out), tuple(warnings)
