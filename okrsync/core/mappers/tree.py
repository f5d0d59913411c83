"""Assemble the OKR tree from the configuration and what was read from Jira (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from okrsync.core.mappers import children, issue_fields
from okrsync.core.mappers.action_plans import action_plan
from okrsync.core.mappers.key_results import PARENT_OBJECTIVE, key_result, objective_for
from okrsync.core.mappers.objectives_jira import objectives_from_issues
from okrsync.core.mappers.objectives_yaml import objectives_from_config
from okrsync.domain.config import KeyResultConfig, Settings
from okrsync.domain.model import ActionPlan, BrokenSource, KeyResult, Objective, OkrTree, Period


@dataclass(frozen=True, slots=True)
class RawTree:
    """Raw issues read from Jira, by role."""

    kr_epics: Sequence[Sequence[issue_fields.RawIssue]]
    """Per ``key_results[i]`` of the configuration: the epics of that source, in Jira's order."""
    children: Sequence[issue_fields.RawIssue] = ()
    objective_issues: Sequence[issue_fields.RawIssue] = ()
    previous_epic_of: Mapping[str, str] = field(default_factory=dict)
    """Issue key → the KR epic it was under at the last sync (from the mirror), to notice moves."""
    failed_sources: Mapping[int, str] = field(default_factory=dict)
    """``key_results[i]`` whose JQL Jira rejected this cycle → why (its epics are unknown)."""


def fields_for(
    cfg: Settings, story_points: str | None, epic_link: str | None, numbers: Mapping[str, str]
) -> issue_fields.FieldIds:
    return issue_fields.FieldIds(
        story_points=story_points,
        epic_link=epic_link,
        children=cfg.jira.children,
        numbers=dict(numbers),
        cancelled_resolutions=frozenset(r.strip().lower() for r in cfg.policy.cancelled_resolutions),
    )


def build_tree(
    cfg: Settings,
    snapshot: RawTree,
    ids: issue_fields.FieldIds,
    *,
    objective_field_id: str | None = None,
    as_of: date | None = None,
) -> OkrTree:
    """The tree of ``snapshot``. With several periods (``periods:``), each KR and objective knows
    its own; an epic listed by sources of different periods is one KR carried from one into the
    next, taken from the source of its period on ``as_of`` (default: the first source)."""
    warnings: list[str] = []
    cycles = len(cfg.periods) > 1
    objectives = list(objectives_from_config(cfg.objectives))
    if cycles:
        objectives = [_with_period(cfg, o) for o in objectives]
    if cfg.objectives_from_jira is not None:
        jira_objectives, notes = objectives_from_issues(
            snapshot.objective_issues,
            cfg.objectives_from_jira,
            field_id=objective_field_id,
            other_ids={o.id for o in objectives},
        )
        warnings.extend(notes)
        taken = {o.id for o in objectives}
        objectives.extend(o for o in jira_objectives if o.id not in taken)
    objective_ids = {o.id for o in objectives}

    # 1. KR epics, each claimed by the first source that names it; a source that yields nothing
    #    because it failed is kept as broken (never silently dropped)
    epic_source: dict[str, tuple[int, issue_fields.RawIssue, str]] = {}
    carried: dict[str, list[int]] = {}
    """Epic key → the sources of other periods that list it too (one KR carried across them)."""
    broken: list[BrokenSource] = []
    for index, source in enumerate(cfg.key_results):
        epics = snapshot.kr_epics[index] if index < len(snapshot.kr_epics) else ()
        configured_objective = None if source.objective == PARENT_OBJECTIVE else source.objective
        if index in snapshot.failed_sources:
            broken.append(_broken(index, snapshot.failed_sources[index], source, None, configured_objective))
            continue
        if source.epic and not any(issue_fields.key_of(e) == source.epic for e in epics):
            reason = (
                f"{source.epic} was not found in Jira: it does not exist, was moved or archived, or "
                "okrsync's account cannot browse it (check the key and the project's permissions)"
            )
            broken.append(_broken(index, reason, source, source.epic, configured_objective))
            continue
        if source.jql and not epics:
            warnings.append(f"key_results[{index}]: the JQL matched no epics")
        for epic in epics:
            key = issue_fields.key_of(epic)
            if key in epic_source and cycles and _carried(cfg, carried, key, epic_source[key][0], index):
                if not _takes_over(cfg, epic_source[key][0], index, as_of):
                    continue
                del epic_source[key]
            elif key in epic_source:
                first = epic_source[key][0]
                warnings.append(
                    f"{key}: matched by key_results[{first}] and key_results[{index}]; kept as the KR of "
                    f"key_results[{first}]"
                )
                continue
            objective_id = objective_for(epic, source)
            if objective_id is None or objective_id not in objective_ids:
                what = (
                    "has no parent objective"
                    if objective_id is None
                    else f"serves unknown objective {objective_id}"
                )
                warnings.append(f"{key} (key_results[{index}]) {what}; its KR is left out")
                continue
            epic_source[key] = (index, epic, objective_id)

    # 2. children → their KR epic
    plans: dict[str, list[ActionPlan]] = {key: [] for key in epic_source}
    kr_notes: dict[str, list[str]] = {key: [] for key in epic_source}
    not_children = set(epic_source) | {o.id for o in objectives}
    seen: set[str] = set()
    for issue in snapshot.children:
        key = issue_fields.key_of(issue)
        if key in seen or key in not_children:
            continue
        seen.add(key)
        owners = children.epics_of(issue, ids, epic_source)
        if not owners:
            continue
        owner_epic = owners[0]
        if len(owners) > 1:
            warnings.append(
                f"{key}: in the scope of two KRs ({', '.join(owners)}): its parent and Epic Link disagree; "
                f"counted under {owner_epic} only"
            )
        before = snapshot.previous_epic_of.get(key)
        if before is not None and before != owner_epic:
            warnings.append(f"{key}: moved from {before} to {owner_epic}")
        plan, notes = action_plan(issue, ids)
        plans[owner_epic].append(plan)
        kr_notes[owner_epic].extend(notes)

    # 3. key results
    key_results: list[KeyResult] = []
    for key, (index, epic, objective_id) in epic_source.items():
        source = cfg.key_results[index]
        key_results.append(
            key_result(
                epic,
                source,
                sorted(plans[key], key=lambda p: issue_fields.key_order(p.key)),
                ids,
                objective_id=objective_id,
                warnings=kr_notes[key],
                source_index=index,
            )
        )
        if cycles:
            key_results[-1] = replace(key_results[-1], periods=_kr_periods(cfg, index, carried.get(key, ())))
    return OkrTree(
        cfg.period.to_period(),
        tuple(objectives),
        tuple(key_results),
        tuple(warnings),
        broken_sources=tuple(broken),
        periods=tuple(p.to_period() for p in cfg.periods) if cycles else (),
    )


def _with_period(cfg: Settings, obj: Objective) -> Objective:
    own = cfg.objective_period(obj.id)
    return replace(obj, period=own.to_period()) if own is not None else obj


def _carried(cfg: Settings, carried: dict[str, list[int]], key: str, first: int, index: int) -> bool:
    """Whether sources ``first`` and ``index``, both listing ``key``, are of periods that do not
    overlap (one KR carried from one into the other); noted in ``carried``."""
    a, b = cfg.kr_period(first), cfg.kr_period(index)
    if a.start <= b.end and b.start <= a.end:
        return False
    sources = carried.setdefault(key, [first])
    sources.append(index)
    return True


def _takes_over(cfg: Settings, first: int, index: int, as_of: date | None) -> bool:
    """Whether source ``index`` rather than ``first`` makes the KR on ``as_of``: the later of the
    two once its period has started (each period's source names its objective, title, weights)."""
    if as_of is None:
        return False
    a, b = cfg.kr_period(first), cfg.kr_period(index)
    later, later_is_index = (b, True) if b.start > a.start else (a, False)
    return later_is_index if later.start <= as_of else not later_is_index


def _kr_periods(cfg: Settings, index: int, sources: Sequence[int]) -> tuple[Period, ...]:
    """The periods of the KR made by ``key_results[index]``: each of its listing sources' (and what
    ``carry_over`` adds), in order, once each."""
    found: dict[str, Period] = {}
    for i in sorted({index, *sources}):
        for p in cfg.kr_periods(i):
            found.setdefault(p.name, p.to_period())
    return tuple(sorted(found.values(), key=lambda p: p.start))


def _broken(
    index: int, reason: str, source: KeyResultConfig, epic: str | None, objective: str | None
) -> BrokenSource:
    return BrokenSource(
        index,
        reason,
        epic=epic,
        objective=objective,
        title=source.title,
        measure=source.measure,
        weight=source.weight,
        owner=source.owner,
        due=source.due,
    )


def objectives_of(tree: OkrTree) -> Mapping[str, Objective]:
    return {o.id: o for o in tree.objectives}
