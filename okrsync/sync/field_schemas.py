"""The write-back fields as this Jira site has them: their ids, the format each one's schema takes,
the ones okrsync cannot write, and the health options of the status select field.

The schemas come with the field list the gateway reads once (``GET /field``): no request of their
own. The options take a request or two (Cloud: the field's contexts, then the options of one;
Data Center: one page), so a sync reads them only when its plan writes a health, once a cycle;
``okrsync check`` always reads them. Reading them needs Administer Jira: without it they are not
checked (a warning), and Jira itself refuses a missing option on each issue as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from okrsync.core.field_types import (
    ROLES,
    FieldFormat,
    FieldProblem,
    OptionGaps,
    accepted_options,
    option_gaps,
    options_problem,
    unwritable,
    value_format,
)
from okrsync.core.plan import Plan, WritebackIds, without_refused_options
from okrsync.domain.config import Settings
from okrsync.jira.errors import JiraError
from okrsync.jira.fields import FieldRegistry
from okrsync.jira.gateway import JiraGateway

SHOWN_KEYS = 5


def schema_ids(cfg: Settings, registry: FieldRegistry, *, api_version: str) -> WritebackIds:
    """The write-back fields' ids and formats by their schemas; a field of a type okrsync cannot
    write is left out (``None``) and named in ``unwritable`` (when write-back is on)."""
    names = cfg.writeback.fields
    ids: dict[str, str | None] = {}
    formats: dict[str, FieldFormat] = {}
    problems: list[FieldProblem] = []
    for role in ROLES:
        name = getattr(names, role.key)
        fid = registry.get_id(name)
        schema = registry.schema_of(fid) if fid is not None else {}
        fmt = value_format(role.want, schema, api_version=api_version)
        if fid is not None and fmt is None:
            if cfg.writeback.enabled:
                problems.append(unwritable(role, name, fid, schema))
            fid = None
        ids[role.key] = fid
        if fid is not None and fmt is not None:
            formats[fid] = fmt
    no_objective_id = registry.get_id(names.objective_id) is None and cfg.writeback.enabled
    score = registry.get_id(cfg.writeback.score_field)  # optional: the plan warns when a close needs it
    score_format = (
        value_format("number", registry.schema_of(score), api_version=api_version) if score else None
    )
    if score is not None and score_format is not None:
        formats[score] = score_format
    return WritebackIds(
        progress=ids["progress"],
        expected=ids["expected"],
        status=ids["status"],
        objective=ids["objective"],
        key_result=ids["key_result"],
        objective_id=ids["objective_id"],
        missing_optional=(names.objective_id,) if no_objective_id else (),
        formats=formats,
        unwritable=tuple(problems),
        score=score if score_format is not None else None,
    )


# ------------------------------------------------------------------------------ select options


@dataclass(frozen=True, slots=True)
class HealthOptions:
    """What Jira says of the health select field's options."""

    accepted: frozenset[str] | None
    """The values an edit may send; ``None`` when they could not be read."""
    problem: FieldProblem | None = None
    """The error naming the missing (or disabled) health options and how to add them."""
    warning: str | None = None
    """Why the options could not be read."""


def read_health_options(gateway: JiraGateway, field_id: str, name: str) -> HealthOptions:
    """The options of the health select field ``field_id``, checked against every health's label."""
    try:
        options = gateway.admin.select_options(field_id)
    except JiraError as exc:
        return HealthOptions(
            None,
            warning=f'could not read the options of "{name}", so okrsync cannot tell whether it has an '
            f"option for every health ({exc})",
        )
    if options is None:
        return HealthOptions(
            None,
            warning=f'this Jira has no REST resource listing the options of "{name}": okrsync cannot '
            "tell whether it has an option for every health",
        )
    gaps = option_gaps(options)
    problem = options_problem(name, field_id, gaps, cloud=gateway.flavor == "cloud") if gaps else None
    return HealthOptions(accepted_options(options), problem)


def writes_option(plan: Plan, field_id: str) -> bool:
    return any(isinstance(e.fields.get(field_id), Mapping) for e in plan.field_edits)


def with_health_options(cfg: Settings, gateway: JiraGateway, ids: WritebackIds, plan: Plan) -> Plan:
    """``plan``, sending no health option Jira lacks: the status field is left out of those issues'
    edits, with one error for the run. Reads the options only when ``plan`` writes a health."""
    fid = ids.status
    if fid is None or ids.formats.get(fid) != "option" or not writes_option(plan, fid):
        return plan
    found = read_health_options(gateway, fid, cfg.writeback.fields.status)
    if found.accepted is None:
        return replace(plan, warnings=(*plan.warnings, str(found.warning)))
    kept, refused = without_refused_options(plan, fid, found.accepted)
    if not refused:
        if found.problem is None:
            return plan
        # nothing needs the missing option yet: the run says so, and fails on nothing
        return replace(plan, warnings=(*plan.warnings, found.problem.text))
    keys = sorted(refused)
    more = len(keys) - SHOWN_KEYS
    shown = ", ".join(keys[:SHOWN_KEYS]) + (f" and {more} more" if more > 0 else "")
    problem = found.problem or options_problem(
        cfg.writeback.fields.status,
        fid,
        OptionGaps(tuple(sorted(set(refused.values())))),
        cloud=gateway.flavor == "cloud",
    )
    issues = f"{len(keys)} issue{'' if len(keys) == 1 else 's'}"
    error = f"{problem.message} Left out on {issues} ({shown}). Fix: {problem.fix}"
    return replace(kept, errors=(*kept.errors, error))
