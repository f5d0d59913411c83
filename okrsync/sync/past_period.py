"""A backfill of a past period writes back its tree as of the period's last day.

No celebrations and no check-in reminders (they would arrive months late and notify people about
finished work), and no issue in the live sync's scope is touched (its fields show the current
period). The past period never changes the mirror, the watermark or the live sync's stored tree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from okrsync.core.history import IssueHistory, rebuild
from okrsync.core.plan import Plan, WritebackIds, plan_changes
from okrsync.core.team_managed import tree_issue_keys
from okrsync.domain.config import Settings
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.apply import ApplyError
from okrsync.sync.backfill_report import BackfillReport
from okrsync.sync.engine import rollup_policy
from okrsync.sync.field_schemas import with_health_options
from okrsync.sync.project_styles import team_managed_projects
from okrsync.sync.scope import ReadScope
from okrsync.sync.writeback import apply_plan, comment_policy, issue_now, prior_writes


def write_past(
    cfg: Settings,
    store: StateStore,
    gateway: JiraGateway,
    report: BackfillReport,
    history: IssueHistory,
    scope: ReadScope,
    ids: WritebackIds,
    *,
    live_period: str | None,
    dry_run: bool,
    clock: Callable[[], datetime],
    stop: Callable[[], bool],
    on_progress: Callable[[str, int, int], None],
) -> None:
    """The plan and apply of a past period: its tree as of its last day; no celebrations, no
    check-in reminders; issues in the live sync's scope keep the current period's values."""
    period_end = cfg.period.end
    final = next(
        rebuild(
            cfg,
            history,
            scope.ids,
            [period_end],
            rollup_policy(cfg),
            objective_field_id=scope.objective_field_id,
        )
    )
    report.final = final
    report.key_results = len(final.key_results)
    report.objectives = len(final.objectives)
    if not cfg.writeback.enabled:
        return
    # the live sync's scope: what it mirrors, or everything read when the KR sources are the live ones
    live = {tl.key for tl in history.timelines()} if live_period else store.mirror_keys()
    known = gateway.search_returns_properties
    # what Jira shows now: the newest version (write-back fields and properties are never rewound)
    now_of = {tl.key: issue_now(tl.versions[-1], ids, known) for tl in history.timelines()}
    prior = prior_writes(store)
    team_managed = (
        frozenset()
        if live_period  # its issues are the live sync's: nothing of the tree is written, no warning
        else team_managed_projects(
            gateway, [tl.versions[-1] for tl in history.timelines()], tree_issue_keys(final.tree)
        )
    )
    full = plan_changes(
        final,
        ids,
        now_of,
        comments=comment_policy(cfg, celebrate=False, remind=False),
        records=prior.comments,
        property_hashes=prior.property_hashes,
        team_managed=team_managed,
    )
    kept = tuple(c for c in full.changes if c.issue_key not in live)
    report.left_alone = len({c.issue_key for c in full.changes if c.issue_key in live})
    if report.left_alone and live_period:
        report.warnings.append(
            f"the configured key results are those of the running period {live_period}, so their Jira "
            f"fields keep showing it; only the history of {cfg.period.name} was rebuilt. To write a "
            "past period's fields, run the backfill with that period's configuration (okrsync -c FILE)"
        )
    elif report.left_alone:
        report.warnings.append(
            f"{report.left_alone} issue(s) are in the live sync's scope; their OKR fields show the "
            f"current period and were left alone"
        )
    past_plan = with_health_options(cfg, gateway, ids, Plan(kept, full.warnings, full.errors))
    report.plan = past_plan
    report.planned = len(past_plan.changes)
    report.warnings.extend(past_plan.warnings)
    report.errors.extend(ApplyError("", "field", error) for error in past_plan.errors)
    if dry_run:
        return
    outcome, _applier = apply_plan(
        cfg,
        gateway,
        store,
        past_plan,
        run_id=report.run_id,
        clock=clock,
        stop=stop,
        on_progress=on_progress,
    )
    report.absorb(outcome)
    if outcome.stopped:
        report.status = "partial"
        report.warnings.append("stopped before every change was applied; okrsync backfill --resume continues")
