"""A Jira issue under a KR epic → an :class:`~okrsync.domain.model.ActionPlan` (pure)."""

from __future__ import annotations

from okrsync.core.mappers import issue_fields
from okrsync.domain.model import ActionPlan


def action_plan(
    issue: issue_fields.RawIssue, ids: issue_fields.FieldIds
) -> tuple[ActionPlan, tuple[str, ...]]:
    """The action plan for ``issue`` and warnings about its data."""
    key = issue_fields.key_of(issue)
    warnings: list[str] = []
    if not issue_fields.fields_of(issue):
        warnings.append(f"{key}: Jira returned no fields; counted as not done")
    category, problem = issue_fields.status_category(issue)
    if problem and issue_fields.fields_of(issue):
        warnings.append(f"{key}: {problem}")
    display, ident = issue_fields.owner(issue)
    itype, _ = issue_fields.issue_type(issue)
    return (
        ActionPlan(
            key=key,
            summary=issue_fields.text(issue, "summary"),
            status=issue_fields.status_name(issue),
            status_category=category,
            cancelled=issue_fields.is_cancelled(issue, ids.cancelled_resolutions),
            points=issue_fields.number(issue, ids.story_points),
            owner=display,
            owner_id=ident,
            due=issue_fields.day(issue, "duedate"),
            updated=issue_fields.timestamp(issue, "updated"),
            status_changed=issue_fields.timestamp(issue, "statuscategorychangedate")
            or issue_fields.timestamp(issue, "resolutiondate"),
            resolution=issue_fields.resolution(issue),
            issue_type=itype,
        ),
        tuple(warnings),
    )
