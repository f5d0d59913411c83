"""The checks a schema cannot make: references between objectives and key results, alignment
cycles, KR sources and measures, dates inside the period. Each problem is one line that names the
key and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from okrsync.domain.config_periods import cycle_problems
from okrsync.domain.model import Level, Measure

if TYPE_CHECKING:  # config imports this module to run the checks
    from okrsync.domain.config import KeyResultConfig, Settings


def cross_check(cfg: Settings) -> list[str]:
    """Problems a schema cannot see: references, cycles, sources, ranges. One line each."""
    problems: list[str] = []
    period = cfg.period
    if len(cfg.periods) <= 1 and period.end < period.start:
        problems.append(
            f"period.end: {period.end} is before period.start {period.start}. Swap them or fix the dates."
        )
    ids = _objective_ids(cfg, problems)
    problems.extend(_alignment_problems(cfg, ids))
    for i, kr in enumerate(cfg.key_results):
        problems.extend(_key_result_problems(cfg, i, kr, ids))
    named = any(o.period for o in cfg.objectives) or any(k.period or k.carry_over for k in cfg.key_results)
    if len(cfg.periods) > 1 or named:
        problems.extend(cycle_problems(cfg))
    if cfg.writeback.enabled and cfg.jira.url and not cfg.jira.url.startswith(("http://", "https://")):
        problems.append(
            f"jira.url: '{cfg.jira.url}' is not an http(s) URL. Use e.g. https://acme.atlassian.net."
        )
    return problems


def _objective_ids(cfg: Settings, problems: list[str]) -> dict[str, int]:
    """Each objective id and the index it is first defined at; a duplicate is a problem."""
    ids: dict[str, int] = {}
    for i, obj in enumerate(cfg.objectives):
        if obj.id in ids:
            problems.append(
                f"objectives[{i}].id: '{obj.id}' is already used by objectives[{ids[obj.id]}]. "
                "Give every objective its own id."
            )
        ids.setdefault(obj.id, i)
    return ids


def _alignment_problems(cfg: Settings, ids: Mapping[str, int]) -> list[str]:
    """Alignment to unknown objectives or to itself, company objectives aligned, cycles, and
    objectives_from_jira."""
    problems: list[str] = []
    jira_objectives = cfg.objectives_from_jira is not None
    for i, obj in enumerate(cfg.objectives):
        if obj.aligns_to is None:
            continue
        if obj.aligns_to == obj.id:
            problems.append(
                f"objectives[{i}].aligns_to: '{obj.id}' aligns to itself. Align it to its parent."
            )
        elif obj.aligns_to not in ids and not jira_objectives:
            problems.append(
                f"objectives[{i}].aligns_to: unknown objective id '{obj.aligns_to}'"
                f"{_suggest(obj.aligns_to, ids)}. Use one of: {', '.join(ids) or '(none defined)'}."
            )
        if obj.level == Level.COMPANY and obj.aligns_to:
            problems.append(
                f"objectives[{i}]: a company objective aligns to nothing; "
                f"remove aligns_to or change level of '{obj.id}'."
            )
    problems.extend(_cycles(cfg))
    if cfg.objectives_from_jira is not None:
        ofj = cfg.objectives_from_jira
        if ofj.align_by == "link" and not ofj.link_type:
            problems.append(
                "objectives_from_jira.link_type: required when align_by is link. Name the link type."
            )
        if ofj.align_by == "field" and not ofj.field:
            problems.append("objectives_from_jira.field: required when align_by is field. Name the field.")
    return problems


def _key_result_problems(cfg: Settings, i: int, kr: KeyResultConfig, ids: Mapping[str, int]) -> list[str]:
    """One key result's references, source, measure and due date."""
    problems: list[str] = []
    jira_objectives = cfg.objectives_from_jira is not None
    period = cfg.period
    where = f"key_results[{i}]"
    if kr.objective == "@parent" and not jira_objectives:
        problems.append(
            f"{where}.objective: '@parent' needs objectives_from_jira (objectives kept in Jira). "
            "Configure objectives_from_jira or name an objective id."
        )
    elif kr.objective not in ids and not jira_objectives:
        problems.append(
            f"{where}.objective: unknown objective id '{kr.objective}'{_suggest(kr.objective, ids)}. "
            f"Use one of: {', '.join(ids) or '(none defined)'}."
        )
    if kr.epic and kr.jql:
        problems.append(
            f"{where}: has both epic and jql. Keep one: epic for one KR, jql for each matching epic."
        )
    elif not kr.epic and not kr.jql:
        problems.append(
            f'{where}: has no source. Add epic: KEY-1 (one KR) or jql: "..." (each matching epic).'
        )
    if kr.measure == Measure.METRIC:
        if kr.metric is None:
            problems.append(
                f"{where}.metric: required for measure metric. "
                "Add metric: {field: ..., start: ..., target: ...}."
            )
        elif kr.metric.start == kr.metric.target:
            problems.append(
                f"{where}.metric: start and target are both {kr.metric.start}, "
                "so progress cannot be measured. "
                "Set the target to the value you aim for."
            )
    elif kr.metric is not None:
        problems.append(f"{where}.metric: only used with measure metric. Remove it or set measure: metric.")
    if kr.manual is not None and kr.measure != Measure.MANUAL:
        problems.append(f"{where}.manual: only used with measure manual. Remove it or set measure: manual.")
    if len(cfg.periods) > 1:
        period = cfg.kr_period(i)
    if kr.due is not None and not (period.start <= kr.due <= period.end):
        problems.append(
            f"{where}.due: {kr.due} is outside the period {period.name}. Move it into the period."
        )
    return problems


def _suggest(value: str, known: Mapping[str, int]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _cycles(cfg: Settings) -> list[str]:
    parent = {o.id: o.aligns_to for o in cfg.objectives if o.aligns_to and o.aligns_to != o.id}
    reported: set[frozenset[str]] = set()
    problems = []
    for start in parent:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent and node not in path:
            path.append(node)
            node = parent.get(node)
        if node is not None and node in path:
            cycle = path[path.index(node) :]
            key = frozenset(cycle)
            if key not in reported:
                reported.add(key)
                chain = " -> ".join([*cycle, node])
                problems.append(
                    f"objectives: alignment cycle {chain}. Alignment must end at a company objective; "
                    f"change aligns_to of one of them."
                )
    return problems
