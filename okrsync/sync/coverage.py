"""Alignment coverage in a sync cycle (:mod:`okrsync.core.coverage`): counted with Jira's cheapest
count operations on the full reconciles (``sync.full_reconcile_hours``, daily by default, the first
sync, ``okrsync sync --full``) and when the period changes, kept in the state store (meta
``coverage``) for the report, the digest and ``/metrics``.

Cost: two counts per OKR project (resolved in the period; of those, aligned) and one search of the
resolved, unaligned issues (``parent`` and the Epic Link), about 2 × projects + 1 requests, none
in a steady cycle. Why not hourly: the share of a quarter's resolved work moves by a day's
resolves at a time, the digest is weekly, and the full reconcile is the cycle that already lists
everything; a steady 15-minute cycle stays at the searches it needs.

A failed count leaves the previous coverage as it was (a warning of the run, never an error: it
writes nothing into Jira).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from okrsync.core.coverage import (
    Coverage,
    coverage_queries,
    kr_epics,
    largest_unaligned_epics,
    project_coverage,
)
from okrsync.core.cycles import active_period
from okrsync.domain.keys import META_COVERAGE
from okrsync.domain.model import OkrTree
from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore

log = logging.getLogger(__name__)


def stored_coverage(store: StateStore) -> Coverage | None:
    """The latest coverage the state store keeps (``None``: never computed)."""
    return Coverage.of_json(store.get_meta(META_COVERAGE))


def coverage_due(previous: Coverage | None, *, full: bool, period_name: str) -> bool:
    """On a full reconcile, when none is stored, or for a new period."""
    return full or previous is None or previous.period.name != period_name


def compute_coverage(
    gateway: JiraGateway,
    tree: OkrTree,
    now: datetime,
    *,
    key_result_field: str,
    epic_link_field: str | None,
    project_styles: Mapping[str, bool] | None = None,
) -> Coverage:
    """Count and search (see the module's docstring); raises the gateway's errors.
    ``project_styles``: project key → team-managed, as the cycle's issues say
    (:func:`~okrsync.core.team_managed.styles_of_issues`)."""
    period = active_period(tree.periods, now.date()) or tree.period
    team_managed = {p for p, tm in (project_styles or {}).items() if tm}
    queries = coverage_queries(tree, period, now.date(), key_result_field, team_managed)
    before = int(gateway.stats.snapshot()["requests"])
    counts: dict[str, tuple[int, int]] = {}
    for project, (resolved_jql, aligned_jql) in queries.per_project.items():
        resolved = gateway.count(resolved_jql)
        aligned = gateway.count(aligned_jql) if aligned_jql is not None and resolved else 0
        counts[project] = (resolved, aligned)
    epics: tuple[Any, ...] = ()
    if queries.unaligned is not None and any(r > a for r, a in counts.values()):
        fields = ["parent", *([epic_link_field] if epic_link_field else [])]
        found = gateway.search(queries.unaligned, fields)
        epics = largest_unaligned_epics(found, epic_link_field=epic_link_field, exclude=kr_epics(tree))
    return Coverage(
        period,
        now.isoformat(),
        project_coverage(counts, team_managed),
        epics,
        int(gateway.stats.snapshot()["requests"]) - before,
        key_result_field,
    )


def record_coverage(
    store: StateStore,
    gateway: JiraGateway,
    tree: OkrTree,
    now: datetime,
    *,
    full: bool,
    key_result_field: str | None,
    epic_link_field: str | None,
    project_styles: Mapping[str, bool] | None = None,
) -> tuple[Coverage | None, list[str]]:
    """The coverage, computed when due and stored; with the run's warnings about it."""
    previous = stored_coverage(store)
    if key_result_field is None:
        return previous, []  # write-back off or the field missing: nothing marks an action plan
    period = active_period(tree.periods, now.date()) or tree.period
    if not coverage_due(previous, full=full, period_name=period.name):
        return previous, []
    try:
        coverage = compute_coverage(
            gateway,
            tree,
            now,
            key_result_field=key_result_field,
            epic_link_field=epic_link_field,
            project_styles=project_styles,
        )
    except Exception as exc:  # it writes nothing into Jira: never the cycle's failure
        if not isinstance(exc, JiraError | ValueError):
            log.exception("alignment coverage failed")
        log.warning("alignment coverage not counted: %s", exc)
        return previous, [f"alignment coverage not counted this cycle (the last one stays): {exc}"]
    store.set_meta(META_COVERAGE, coverage.as_json())
    return coverage, []
