"""A KR epic (configured by key, or matched by a KR source's JQL) → a :class:`KeyResult` (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from okrsync.core.mappers import issue_fields
from okrsync.domain.config import KeyResultConfig
from okrsync.domain.model import ActionPlan, Confidence, KeyResult, Measure, MetricTarget

PARENT_OBJECTIVE = "@parent"
"""``objective: "@parent"`` in a KR source: the KR serves the Jira objective its epic hangs under."""


def objective_for(epic: issue_fields.RawIssue, source: KeyResultConfig) -> str | None:
    if source.objective == PARENT_OBJECTIVE:
        return issue_fields.parent_key(epic)
    return source.objective


def key_result(
    epic: issue_fields.RawIssue,
    source: KeyResultConfig,
    plans: Sequence[ActionPlan],
    ids: issue_fields.FieldIds,
    *,
    objective_id: str,
    warnings: Sequence[str] = (),
    source_index: int | None = None,
) -> KeyResult:
    """The KR for ``epic``; configuration overrides what Jira says (title, owner, due)."""
    key = issue_fields.key_of(epic)
    display, ident = issue_fields.owner(epic)
    notes = list(warnings)
    itype, level = issue_fields.issue_type(epic)
    if level is not None and level != 1 and itype:
        notes.append(f"{key}: is a {itype}, not an epic; its children may not be found")
    metric = None
    error = None
    if source.measure == Measure.METRIC and source.metric is not None:
        name = source.metric.field
        field_id = ids.numbers.get(name)
        metric = MetricTarget(
            field=name,
            start=source.metric.start,
            target=source.metric.target,
            current=issue_fields.number(epic, field_id),
        )
        if field_id is None:
            error = (
                f"its metric field '{name}' does not exist in Jira (or okrsync cannot see it): create a "
                f"Number custom field '{name}' and put it on {key}'s screens, or correct "
                f"key_results[{source_index}].metric.field (okrsync setup does not create metric fields: "
                "they hold your team's own measurements)"
            )
        elif metric.current is None:
            error = f"its metric field '{name}' is empty on {key}: enter the current value there"
    manual_value = None
    if source.manual_field is not None:
        field_id = ids.numbers.get(source.manual_field)
        manual_value = issue_fields.number(epic, field_id)
        if field_id is None:
            error = (
                f"its progress field '{source.manual_field}' does not exist in Jira: run `okrsync setup` "
                "to create it"
            )
        elif manual_value is None:
            error = f"no progress entered in '{source.manual_field}' on {key}: its owner enters 0–100 there"
    return KeyResult(
        id=key,
        objective_id=objective_id,
        title=source.title or issue_fields.text(epic, "summary") or key,
        measure=source.measure,
        action_plans=tuple(plans),
        metric=metric,
        manual_value=manual_value,
        weight=source.weight,
        owner=source.owner or display,
        owner_id=None if source.owner else ident,
        due=source.due or issue_fields.day(epic, "duedate"),
        jira_key=key,
        warnings=tuple(notes),
        source_error=error,
        source_index=source_index,
        confidence=Confidence.of(issue_fields.option(epic, ids.confidence)),
        checkin_note=issue_fields.short_text(epic, ids.checkin),
    )
