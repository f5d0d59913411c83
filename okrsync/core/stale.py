"""Failing KR sources stay visible: their KRs are kept, held at their last known progress (pure).

A KR source fails when Jira rejects its JQL, its epic does not exist or cannot be browsed, or the
metric or manual field it is measured by is missing or empty. Dropping such a KR would move its
objective and the company (a broken JQL once turned 36.2 % Off track into 55.8 % At risk), so the
tree keeps it:

* a KR whose epic was read but cannot be measured is in the tree already (``source_error`` set);
* a source that yielded no KR (``OkrTree.broken_sources``) gets back the KRs the last sync had from
  it (the stored tree, ``last_krs``), or one placeholder with no data when none is known;
* each such KR gets its :class:`~okrsync.domain.model.SourceFailure`: since when it fails (kept in
  the state store across cycles) and its last measured progress and health (the progress history).

The roll-up then scores it at that progress, so an objective's number stays what it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from okrsync.domain.model import (
    BrokenSource,
    Health,
    KeyResult,
    LastKnown,
    Measure,
    OkrTree,
    SourceFailure,
)
from okrsync.domain.records import ProgressPoint


@dataclass(frozen=True, slots=True)
class FailingSource:
    """One failing source as reported to the user: the KR (or source label) and why."""

    kr_id: str
    label: str
    reason: str
    since: date | None


def last_known_progress(points: Iterable[ProgressPoint]) -> dict[str, LastKnown]:
    """Per KR, the latest recorded day with a measured progress."""
    out: dict[str, LastKnown] = {}
    for p in sorted(points, key=lambda p: p.day):
        if p.kind == "key_result" and p.progress is not None:
            try:
                health = Health(p.health)
            except ValueError:
                health = Health.NO_DATA
            out[p.node_id] = LastKnown(p.progress, health, p.day)
    return out


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _from_stored(entry: Mapping[str, Any], broken: BrokenSource, writable: bool) -> KeyResult | None:
    kr_id = entry.get("id")
    objective = entry.get("objective")
    if not isinstance(kr_id, str) or not isinstance(objective, str):
        return None
    try:
        measure = Measure(str(entry.get("measure") or broken.measure.value))
    except ValueError:
        measure = broken.measure
    weight = entry.get("weight")
    return KeyResult(
        id=kr_id,
        objective_id=broken.objective or objective,
        title=str(entry.get("title") or broken.title or kr_id),
        measure=measure,
        weight=float(weight) if isinstance(weight, int | float) and weight > 0 else broken.weight,
        owner=entry.get("owner") if isinstance(entry.get("owner"), str) else broken.owner,
        due=_date(entry.get("due")) or broken.due,
        jira_key=entry.get("jira_key") if writable and isinstance(entry.get("jira_key"), str) else None,
        source_error=broken.reason,
        source_index=broken.index,
    )


def _placeholder(broken: BrokenSource) -> KeyResult | None:
    if broken.objective is None:
        return None
    kr_id = broken.epic or broken.label
    return KeyResult(
        id=kr_id,
        objective_id=broken.objective,
        title=broken.title or kr_id,
        measure=broken.measure,
        weight=broken.weight,
        owner=broken.owner,
        due=broken.due,
        jira_key=None,  # an epic Jira cannot show cannot be written to
        source_error=broken.reason,
        source_index=broken.index,
    )


def _kept_krs(
    broken: BrokenSource, last_krs: Sequence[Mapping[str, Any]], taken: set[str]
) -> list[KeyResult]:
    """The KRs the last sync had from ``broken``: by the configured epic, else by source index."""
    if broken.epic is not None:
        entries = [e for e in last_krs if e.get("id") == broken.epic]
    else:
        entries = [e for e in last_krs if e.get("source") == broken.index]
    # the KRs of a rejected JQL still have readable epics; a missing epic cannot be written to
    writable = broken.epic is None
    krs = [kr for e in entries if (kr := _from_stored(e, broken, writable)) is not None]
    if krs:
        return [kr for kr in krs if kr.id not in taken]  # one another source claims stays its KR
    placeholder = _placeholder(broken)
    return [placeholder] if placeholder is not None else []


def keep_failures_visible(
    tree: OkrTree,
    *,
    today: date,
    last_krs: Sequence[Mapping[str, Any]] = (),
    last_known: Mapping[str, LastKnown] | None = None,
    failing_since: Mapping[str, date] | None = None,
) -> OkrTree:
    """``tree`` with every failing source's KRs in it, each with its :class:`SourceFailure`.

    ``last_krs``: the key results of the last stored tree (``okrsync.tree/1`` entries, with their
    ``source`` index); ``last_known``: :func:`last_known_progress` of the history;
    ``failing_since``: per KR id, the first day its source failed (from the state store).
    """
    known = last_known or {}
    since = failing_since or {}
    objective_ids = {o.id for o in tree.objectives}
    taken = {kr.id for kr in tree.key_results}
    krs = list(tree.key_results)
    warnings = list(tree.warnings)
    for broken in tree.broken_sources:
        kept = _kept_krs(broken, last_krs, taken)
        for kr in kept:
            if kr.objective_id not in objective_ids:
                warnings.append(
                    f"{kr.id} ({broken.label}) fails: {broken.reason}; it serves unknown objective "
                    f"{kr.objective_id}, so it is not rolled up"
                )
                continue
            krs.append(kr)
            taken.add(kr.id)
        if not kept and not any(kr.source_index == broken.index for kr in krs):
            warnings.append(
                f"{broken.label} fails: {broken.reason}; no KR of it is known yet (its objective is "
                "taken from Jira), so nothing is shown for it"
            )
    out = [
        replace(kr, failure=SourceFailure(kr.source_error, since.get(kr.id, today), known.get(kr.id)))
        if kr.source_error is not None
        else kr
        for kr in krs
    ]
    out.sort(key=lambda kr: kr.source_index if kr.source_index is not None else len(out))
    return replace(tree, key_results=tuple(out), warnings=tuple(warnings))


def failing_sources(tree: OkrTree) -> list[FailingSource]:
    """Every failing source of ``tree`` (after :func:`keep_failures_visible`), one entry per KR, plus
    the sources that yielded no KR at all."""
    out: list[FailingSource] = []
    covered: set[int] = set()
    for kr in tree.key_results:
        if kr.source_error is not None:
            label = f"key_results[{kr.source_index}]" if kr.source_index is not None else kr.id
            since = kr.failure.since if kr.failure is not None else None
            out.append(FailingSource(kr.id, label, kr.source_error, since))
            if kr.source_index is not None:
                covered.add(kr.source_index)
    for broken in tree.broken_sources:
        if broken.index not in covered:
            out.append(FailingSource(broken.epic or broken.label, broken.label, broken.reason, None))
    return out
