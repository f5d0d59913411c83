"""``okrsync backfill``: runs :func:`~okrsync.sync.backfill.run_backfill` and prints its outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from okrsync.cli.progress import stage_progress
from okrsync.cli.run_summary import print_outcome
from okrsync.core.periods import parse_day, parse_period
from okrsync.domain.config import Settings
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.backfill import run_backfill
from okrsync.sync.backfill_report import BackfillReport


def summary_table(report: BackfillReport) -> Table:
    what = "past period" if report.past else "current period"
    mode = "dry run" if report.dry_run else ("resumed" if report.resumed else "full")
    table = Table(
        title=f"okrsync backfill {report.period} ({what}) — {mode}, {report.status}", show_header=False
    )
    table.add_column("what", style="bold")
    table.add_column("", justify="right")
    span = f"{report.first_day} … {report.last_day}" if report.first_day else "–"
    recorded = "would record" if report.dry_run else "recorded"
    rows: list[tuple[str, object]] = [
        ("days", f"{report.days_total} ({span})"),
        (f"days {recorded}", report.days_recorded),
        ("days already done", report.days_skipped),
        ("key results", report.key_results),
        ("objectives", report.objectives),
        (f"history points {recorded}", report.points),
        ("issues read", report.issues_read),
        ("changelog entries", report.changelog_entries),
        ("fields written", f"{report.field_values} on {report.field_edits} issues"),
        ("properties written", report.properties),
        ("comments posted / updated", f"{report.comments_posted} / {report.comments_updated}"),
        ("requests made", report.requests),
        ("warnings", len(report.warnings)),
        ("errors", len(report.errors) + (1 if report.failure else 0)),
        ("time", f"{report.seconds:.1f} s"),
    ]
    if report.dry_run:
        rows.insert(8, ("changes planned", report.planned))
    if report.left_alone:
        rows.insert(9, ("issues left to the live sync", report.left_alone))
    for name, value in rows:
        table.add_row(name, str(value))
    return table


def backfill_once(
    settings: Settings,
    console: Console,
    err_console: Console,
    *,
    period: str | None = None,
    since: str | None = None,
    dry_run: bool = False,
    resume: bool = False,
    json_out: bool = False,
    now: datetime | None = None,
) -> int:
    """``okrsync backfill``; returns the exit code: 0 ok, 1 partial, 2 failed."""
    period_cfg = parse_period(period, settings.period) if period else None
    since_day = parse_day(since) if since else None
    now = now or datetime.now(UTC)
    show_progress = console.is_terminal and not json_out
    labels = {
        "read": "reading Jira",
        "changelogs": "reading changelogs",
        "history": "rebuilding history (days)",
        "sync": "sync: reading Jira",
        "write": "writing to Jira",
    }
    with StateStore.open(settings.sync.state_url) as store, JiraGateway(settings.jira) as gateway:
        if not dry_run:
            # one writer at a time: a daemon (or another sync) on this store would race us to post
            # the same comment; the lock is released when the store closes
            store.require_leader()
        with stage_progress(console, enabled=show_progress, labels=labels) as on_progress:
            report = run_backfill(
                settings,
                store=store,
                gateway=gateway,
                now=now,
                period=period_cfg,
                since=since_day,
                dry_run=dry_run,
                resume=resume,
                on_progress=on_progress,
            )
        names: dict[str, str] = {}
        if report.plan is not None:
            fids = {fid for edit in report.plan.field_edits for fid in edit.fields}
            names = {fid: gateway.fields.name_of(fid) for fid in fids}
    if json_out:
        console.print_json(json.dumps(report.as_dict()))
        return report.exit_code
    print_outcome(report, summary_table(report), console, err_console, names=names, command="backfill")
    return report.exit_code
