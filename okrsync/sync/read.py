"""Read the OKR tree from Jira with as few requests as Jira allows.

Requests for a whole read (besides serverInfo and the field list, once per gateway):

1. objectives kept in Jira, if configured: one search;
2. each KR source given by JQL: one search for its epics;
3. one search (batched for very many epics) for the configured epics *and* the children of
   every KR epic: ``key in (configured) OR parent in (all KR epics) [OR "Epic Link" in (...)]``.

Each search asks only for the fields the mappers and the planner use, in the largest pages Jira
allows. No issue is fetched twice and nothing is fetched per issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from okrsync.config import Settings
from okrsync.jira.fields import FieldRegistry
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.jql import jql_quote, split_order_by
from okrsync.mappers import children
from okrsync.mappers import issue_fields as f
from okrsync.mappers.tree import JiraSnapshot, build_tree, fields_for
from okrsync.model import Measure, OkrTree

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
class ReadPlan:
    """What to read: resolved field ids and the field list of every search."""

    ids: f.FieldIds
    fields: tuple[str, ...]
    objective_field_id: str | None = None


@dataclass(frozen=True, slots=True)
class ReadResult:
    tree: OkrTree
    snapshot: JiraSnapshot
    plan: ReadPlan
    issues: Mapping[str, f.RawIssue] = field(default_factory=dict)
    """Every issue read, by key (epics, children, objectives)."""


def plan_read(cfg: Settings, registry: FieldRegistry, extra_fields: Iterable[str] = ()) -> ReadPlan:
    """Resolve the configured fields once; a missing one is a clear error pointing at setup."""
    numbers: dict[str, str] = {}
    wanted_numbers = [k.metric.field for k in cfg.key_results if k.measure == Measure.METRIC and k.metric]
    wanted_numbers += [
        (k.manual.field if k.manual else "OKR Manual Progress")
        for k in cfg.key_results
        if k.measure == Measure.MANUAL
    ]
    if wanted_numbers:
        numbers = registry.require(wanted_numbers)
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
    for fid in (story_points, epic_link, objective_field, *numbers.values(), *extra_fields):
        if fid and fid not in fields:
            fields.append(fid)
    ids = fields_for(cfg, story_points, epic_link, numbers)
    return ReadPlan(ids=ids, fields=tuple(fields), objective_field_id=objective_field)


def _chunks(keys: Sequence[str], clauses: int, max_values: int, max_chars: int) -> list[list[str]]:
    """Split keys so that a query naming each chunk ``clauses`` times stays within the bounds."""
    out: list[list[str]] = []
    chunk: list[str] = []
    length = 0
    budget = max(200, max_chars // max(1, clauses) - 40)
    for key in keys:
        size = len(jql_quote(key)) + 2
        if chunk and (len(chunk) >= max_values or length + size > budget):
            out.append(chunk)
            chunk, length = [], 0
        chunk.append(key)
        length += size
    if chunk:
        out.append(chunk)
    return out


def epics_jql(source_jql: str) -> str:
    """The KR source's JQL, kept as the user wrote it (its ORDER BY kept last)."""
    where, order = split_order_by(source_jql)
    return f"({where})" + (f" {order}" if order else "")


def read_tree(
    gateway: JiraGateway,
    cfg: Settings,
    *,
    extra_fields: Iterable[str] = (),
    properties: Sequence[str] = (),
    previous_epic_of: Mapping[str, str] | None = None,
) -> ReadResult:
    """Read everything the configuration names and map it onto the OKR tree."""
    plan = plan_read(cfg, gateway.fields, extra_fields)
    fields = list(plan.fields)
    issues: dict[str, f.RawIssue] = {}

    def remember(batch: Iterable[dict[str, Any]]) -> list[f.RawIssue]:
        got: list[f.RawIssue] = []
        for raw in batch:
            issues[f.key_of(raw)] = raw
            got.append(raw)
        return got

    objective_issues: list[f.RawIssue] = []
    if cfg.objectives_from_jira is not None:
        objective_issues = remember(
            gateway.search(cfg.objectives_from_jira.jql, fields, properties=properties)
        )

    # KR sources given by JQL: their epics (each matching epic is a KR; other issue types are not)
    jql_epics: dict[int, list[f.RawIssue]] = {}
    for index, source in enumerate(cfg.key_results):
        if source.jql:
            found = remember(gateway.search(epics_jql(source.jql), fields, properties=properties))
            jql_epics[index] = [e for e in found if _is_epic(e)]

    configured = [k.epic for k in cfg.key_results if k.epic]
    all_epics = list(dict.fromkeys([*configured, *(f.key_of(e) for es in jql_epics.values() for e in es)]))
    to_fetch = [k for k in configured if k not in issues]
    clause_names = children.jql_clauses(plan.ids)
    if all_epics:
        # one search: the configured epics and every KR epic's children
        for chunk in _chunks(all_epics, len(clause_names) + 1, gateway.max_in_values, gateway.max_jql_chars):
            in_list = ", ".join(jql_quote(k) for k in chunk)
            parts = [f"{c} in ({in_list})" for c in clause_names]
            wanted_here = [k for k in chunk if k in to_fetch]
            if wanted_here:
                parts.insert(0, f"key in ({', '.join(jql_quote(k) for k in wanted_here)})")
            remember(gateway.search(" OR ".join(parts) + " ORDER BY key ASC", fields, properties=properties))

    kr_epics: list[list[f.RawIssue]] = []
    for index, source in enumerate(cfg.key_results):
        if source.epic:
            kr_epics.append([issues[source.epic]] if source.epic in issues else [])
        else:
            kr_epics.append(jql_epics.get(index, []))
    epic_keys = set(all_epics)
    snapshot = JiraSnapshot(
        kr_epics=kr_epics,
        children=[raw for key, raw in issues.items() if key not in epic_keys],
        objective_issues=objective_issues,
        previous_epic_of=dict(previous_epic_of or {}),
    )
    tree = build_tree(cfg, snapshot, plan.ids, objective_field_id=plan.objective_field_id)
    return ReadResult(tree=tree, snapshot=snapshot, plan=plan, issues=issues)


def _is_epic(issue: f.RawIssue) -> bool:
    name, level = f.issue_type(issue)
    return level == 1 if level is not None else name.lower() == "epic"
