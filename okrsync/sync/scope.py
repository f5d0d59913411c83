"""What a sync reads: the fields every search asks for, resolved once per run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from okrsync.core.mappers import issue_fields
from okrsync.core.mappers.tree import fields_for
from okrsync.core.requirements import measured_fields
from okrsync.domain.config import Settings
from okrsync.domain.model import Measure
from okrsync.jira.fields import FieldRegistry

BASE_FIELDS = (
    "summary",
    "status",
    "resolution",
    "assignee",
    "reporter",
    "duedate",
    "issuetype",
    "parent",
    "project",
    "updated",
    "statuscategorychangedate",
    "resolutiondate",
)


@dataclass(frozen=True, slots=True)
class ReadScope:
    """What to read: resolved field ids and the field list of every search."""

    ids: issue_fields.FieldIds
    fields: tuple[str, ...]
    objective_field_id: str | None = None


def read_scope(cfg: Settings, registry: FieldRegistry, extra_fields: Iterable[str] = ()) -> ReadScope:
    """Resolve the configured fields once; a missing required one is a clear error pointing at setup."""
    # a metric or manual field the site lacks fails only the KRs measured by it (the mapper says so:
    # ``KeyResult.source_error``), never the whole sync
    numbers = {name: fid for name in measured_fields(cfg) if (fid := registry.get_id(name)) is not None}
    needs_points = any(k.measure == Measure.POINTS for k in cfg.key_results)
    story_points = registry.story_points_id(cfg.jira.story_points_field) if needs_points else None
    epic_link = registry.epic_link_id() if cfg.jira.children != "parent" else None
    objective_field = None
    ofj = cfg.objectives_from_jira
    if ofj is not None and ofj.align_by == "field" and ofj.field:
        objective_field = registry.require([ofj.field])[ofj.field]
    fields = list(BASE_FIELDS)
    if ofj is not None and ofj.align_by == "link":
        fields.append("issuelinks")
    # the check-in fields come with the same searches (no request of their own); a site without
    # them (setup not run again since) simply has no check-ins
    confidence = registry.get_id(cfg.writeback.fields.confidence)
    checkin = registry.get_id(cfg.writeback.fields.checkin)
    for fid in (
        story_points,
        epic_link,
        objective_field,
        *numbers.values(),
        *extra_fields,
        confidence,
        checkin,
    ):
        if fid and fid not in fields:
            fields.append(fid)
    ids = replace(fields_for(cfg, story_points, epic_link, numbers), confidence=confidence, checkin=checkin)
    return ReadScope(ids=ids, fields=tuple(fields), objective_field_id=objective_field)
