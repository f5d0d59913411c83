"""``okrsync sync``: one cycle from the command line, with a progress bar and a summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.console import Console

from okrsync.cli.progress import stage_progress
from okrsync.cli.run_summary import print_outcome, summary_table
from okrsync.domain.config import Settings
from okrsync.jira.gateway import JiraGateway
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync


def sync_once(
    settings: Settings,
    console: Console,
    err_console: Console,
    *,
    dry_run: bool = False,
    full: bool = False,
    json_out: bool = False,
    now: datetime | None = None,
    allow_clear: bool = False,
) -> int:
    """Run one cycle; returns the exit code: 0 ok, 1 partial, 2 failed."""
    now = now or datetime.now(UTC)
    show_progress = console.is_terminal and not json_out
    with StateStore.open(settings.sync.state_url) as store, JiraGateway(settings.jira) as gateway:
        if not dry_run:
            # one writer at a time: a daemon (or another sync) on this store would race us to post
            # the same comment; the lock is released when the store closes
            store.require_leader()
        with stage_progress(console, enabled=show_progress) as on_progress:
            report = run_sync(
                settings,
                store=store,
                gateway=gateway,
                now=now,
                dry_run=dry_run,
                full=full,
                on_progress=on_progress,
                allow_clear=allow_clear,
            )
        names = {fid: gateway.fields.name_of(fid) for fid in _field_ids(report)}
    _print(report, console, err_console, json_out=json_out, names=names)
    return report.exit_code


def _field_ids(report: SyncReport) -> set[str]:
    if report.plan is None:
        return set()
    return {fid for edit in report.plan.field_edits for fid in edit.fields}


def _print(
    report: SyncReport, console: Console, err_console: Console, *, json_out: bool, names: dict[str, str]
) -> None:
    if json_out:
        console.print_json(json.dumps(report.as_dict()))
        return
    print_outcome(report, summary_table(report), console, err_console, names=names, command="sync")
