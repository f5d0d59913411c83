"""A Jira issue under a KR epic → an :class:`~okrsync.domain.model.ActionPlan` (pure)."""

from __future__ import annotations

from okrsync.core.mappers import issue_fields as f
from okrsync.domain.model import ActionPlan


def action_plan(issue: f.RawIssue, ids: f.FieldIds) -> tuple[ActionPlan, tuple[str, ...]]:
    """The action plan for ``issue`` and warnings about its data."""
    key = f.key_of(issue)
    warnings: list[str] = []
    if not f.fields_of(issue):
        warnings.append(f"{key}: Jira returned no fields; counted as not done")
    category, problem = f.status_category(issue)
    if problem and f.fields_of(issue):
        warnings.append(f"{key}: {problem}")
    display, ident = f.owner(issue)
    itype, _ = f.issue_type(issue)
    return (
        ActionPlan(
            key=key,
            summary=f.text(issue, "summary"),
            status=f.status_name(issue),
            status_category=category,
            cancelled=f.is_cancelled(issue, ids.cancelled_resolutions),
            points=f.number(issue, ids.story_points),
            owner=display,
            owner_id=ident,
            due=f.day(issue, "duedate"),
            updated=f.timestamp(issue, "updated"),
            status_changed=f.timestamp(issue, "statuscategorychangedate")
            or f.timestamp(issue, "resolutiondate"),
            resolution=f.resolution(issue),
            issue_type=itype,
        ),
        tuple(warnings),
    )
