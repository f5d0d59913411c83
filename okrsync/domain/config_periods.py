"""The configuration checks of OKR cycles (``periods:``): each period well formed and used, no two
of one level overlapping, every objective and key result in a known period, a key result inside its
objective's period. One line per problem, naming the key and the fix.

The rule for a key result that names no period: its objective's period, else the only period. With
several periods and neither, it is an error (a default such as "the active period" would move the
key result into the next period at the boundary, and its period would never close with it).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # config imports the checks
    from okrsync.domain.config import PeriodConfig, Settings


def cycle_problems(cfg: Settings) -> list[str]:
    """Problems of ``periods:`` and of the ``period:`` names of objectives and key results."""
    problems = [*_period_problems(cfg.periods)]
    names = [p.name for p in cfg.periods]
    used: set[str] = set()
    objective_periods: dict[str, PeriodConfig] = {}
    unknown_objectives: set[str] = set()
    for i, obj in enumerate(cfg.objectives):
        if obj.period is None:
            continue
        found = cfg.period_named(obj.period)
        if found is None:
            problems.append(_unknown(f"objectives[{i}].period", obj.period, names))
            unknown_objectives.add(obj.id)  # its key results are not told again
            continue
        used.add(found.name)
        objective_periods[obj.id] = found
    unresolved = False
    for i, kr in enumerate(cfg.key_results):
        where = f"key_results[{i}].period"
        if kr.period is not None and cfg.period_named(kr.period) is None:
            problems.append(_unknown(where, kr.period, names))
            unresolved = True
            continue
        if kr.period is None and kr.objective in unknown_objectives:
            unresolved = True
            continue
        if kr.period is None and kr.objective not in objective_periods and len(cfg.periods) > 1:
            unresolved = True
            problems.append(
                f"{where}: required with several periods (its objective '{kr.objective}' names none). "
                f"Add period: with one of: {', '.join(names)}."
            )
            continue
        chain = cfg.kr_periods(i)
        used.update(p.name for p in chain)
        own = chain[0]
        parent = objective_periods.get(kr.objective)
        if parent is not None and not parent.contains(own):
            problems.append(
                f"{where}: {own.name} ({own.start}..{own.end}) is outside the period {parent.name} of its "
                f"objective '{kr.objective}'. Name a period inside {parent.name}, or move the key result."
            )
        elif parent is not None and not all(parent.contains(p) for p in chain):
            problems.append(
                f"key_results[{i}].carry_over: it would carry {kr.epic or 'the key result'} into "
                f"{chain[-1].name}, outside the period {parent.name} of its objective '{kr.objective}'. List "
                f"the epic again under an objective of {chain[-1].name} instead (no carry_over), or give "
                f"'{kr.objective}' a period that holds both."
            )
        if kr.carry_over and len(chain) == 1:
            problems.append(
                f"key_results[{i}].carry_over: no period of level {own.level or '(none)'} follows "
                f"{own.name}. Add the next period to periods:, or remove carry_over."
            )
    for i, p in enumerate(cfg.periods):
        if p.name not in used and not unresolved:  # else fixing those may well use it
            problems.append(
                f"periods[{i}] ({p.name}): no objective or key result names it, so there is nothing to "
                "score or close. Give it its key results (period: " + p.name + "), or remove it."
            )
    return problems


def _period_problems(periods: Iterable[PeriodConfig]) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    listed = list(periods)
    for i, p in enumerate(listed):
        if p.name in seen:
            problems.append(
                f"periods[{i}].name: '{p.name}' is already used by periods[{seen[p.name]}]. "
                "Give every period its own name."
            )
        seen.setdefault(p.name, i)
        if p.end < p.start:
            problems.append(
                f"periods[{i}].end: {p.end} is before periods[{i}].start {p.start}. "
                "Swap them or fix the dates."
            )
    for i, a in enumerate(listed):
        for j in range(i + 1, len(listed)):
            b = listed[j]
            if a.level == b.level and a.start <= b.end and b.start <= a.end:
                level = f"level {a.level}" if a.level else "no level"
                problems.append(
                    f"periods[{j}] ({b.name}): overlaps periods[{i}] ({a.name}), both of {level}. "
                    "Fix the dates, or give the longer one its own level (e.g. level: year)."
                )
    return problems


def _unknown(where: str, name: str, names: list[str]) -> str:
    close = [n for n in names if n.casefold().endswith(name.casefold())][:1] or difflib.get_close_matches(
        name, names, n=1
    )
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{where}: unknown period '{name}'{hint}. Use one of: {', '.join(names)}."
