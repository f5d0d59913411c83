"""``okrsync demo``: the whole job on the bundled Jira simulator, no Jira or configuration needed.

Starts the simulator with the demo company (Jira Cloud dialect) built around the day it runs (a
92-day period with today on day 56, so the picture never ages: one KR done, some at risk or off
track, one stale, one metric), runs ``okrsync setup`` (fields, filters, dashboard), a sync with the
packaged demo configuration (``okrsync/data/demo.yaml``) into a throw-away state store, a backfill
that rebuilds the progress history from the changelogs (so the trend charts have a past), and
writes the HTML report; prints the OKR tree, what was written to Jira, the run summaries and where
the report is. Nothing keeps running afterwards, and the user's own ``OKRSYNC_*`` environment
(which may point at a real Jira) is ignored on purpose.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from okrsync.cli.report import load_report_data, render, write_atomically
from okrsync.cli.run_summary import summary_table
from okrsync.data import DEMO_CONFIG
from okrsync.domain.config import Settings, config_from_mapping
from okrsync.domain.model import OkrsyncError
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.provision.setup import run_setup
from okrsync.report.people import name_mentions
from okrsync.report.tree import render_tree
from okrsync.state.store import StateStore
from okrsync.sync.backfill import run_backfill
from okrsync.sync.backfill_report import BackfillReport
from okrsync.sync.engine import SyncReport, run_sync

DEFAULT_REPORT = Path("okrsync-demo-report.html")


def demo_settings(
    url: str, state_url: str, path: Path = DEMO_CONFIG, *, start: date | None = None
) -> Settings:
    """The demo configuration pointed at the simulator, independent of the user's environment.

    ``start`` moves the period to the demo company built with that first day (see
    :func:`okrsync.jira_sim.datasets.demo.start_for`); without it the file's pinned period stays.
    """
    if not path.exists():
        raise OkrsyncError(f"the demo configuration {path} is missing: reinstall okrsync (pip install .)")
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if start is not None:
        raw["period"] = demo_period(start)
    raw["jira"] = {
        **raw.get("jira", {}),
        "url": url,
        "email": "demo@example.com",
        "api_token": "demo-token",
        "flavor": "cloud",
        "requests_per_second": 200,
    }
    raw["sync"] = {**raw.get("sync", {}), "state_url": state_url}
    return config_from_mapping(raw, source=str(path))


def demo_period(start: date) -> dict[str, str]:
    """The configuration's ``period`` of the demo company whose period starts on ``start``."""
    from okrsync.jira_sim.datasets import demo as dataset

    first, last = dataset.period_of(start)
    return {"name": dataset.period_name(start), "start": first.isoformat(), "end": last.isoformat()}


def demo_now(as_of: date | None, clock: datetime) -> datetime:
    """The demo's moment: ``clock`` (the real now); with a day pinned, that day at the real time of
    day (not noon: the report's "last sync" is when the sync ran, 07:51, not a made-up 12:00)."""
    now = clock.astimezone(UTC)
    if as_of is None:
        return now
    return datetime.combine(as_of, now.time().replace(microsecond=0), tzinfo=UTC)


def run_demo(
    console: Console,
    *,
    as_of: date | None = None,
    report_path: Path = DEFAULT_REPORT,
    clock: datetime | None = None,
) -> int:
    """The whole job on the simulator as of ``as_of`` (default: ``clock``, the real now)."""
    from okrsync.jira_sim.datasets import demo as dataset  # the demo, not the sync path, uses the simulator
    from okrsync.jira_sim.simulator import JiraSimulator

    now = demo_now(as_of, clock or datetime.now(UTC))
    start = dataset.start_for(now.date())
    with tempfile.TemporaryDirectory(prefix="okrsync-demo-") as tmp:
        console.print("[bold]okrsync demo[/] — the demo company on the bundled Jira simulator (Jira Cloud)")
        with JiraSimulator(flavor="cloud", dataset="demo", demo_start=start) as sim:
            settings = demo_settings(sim.url, f"sqlite:///{Path(tmp) / 'okrsync-demo.db'}", start=start)
            period = settings.period
            with StateStore.open(settings.sync.state_url) as store, JiraGateway(settings.jira) as gateway:
                console.print(f"Jira simulator at {sim.url}\n[bold]okrsync setup[/] …", highlight=False)
                setup = run_setup(settings, gateway)
                made = ", ".join(f"{name} = {fid}" for name, fid in setup.field_ids.items())
                console.print(
                    f"  {setup.changes} changes: custom fields ({made}), filters, dashboard", highlight=False
                )
                console.print(
                    f"[bold]okrsync sync[/] as of {now.date()}, day {(now.date() - period.start).days + 1} "
                    f"of {period.name} ({period.start} .. {period.end}) …",
                    highlight=False,
                )
                report = run_sync(settings, store=store, gateway=gateway, now=now)
                console.print("[bold]okrsync backfill[/] (progress history from the changelogs) …")
                history = run_backfill(settings, store=store, gateway=gateway, now=now, clock=lambda: now)
                again = run_sync(settings, store=store, gateway=gateway, now=now + timedelta(seconds=1))
                html = render("html", load_report_data(store))
            if report.scored is not None:
                console.print(render_tree(report.scored))
            console.print(_in_jira(sim, report))
            console.print(summary_table(report))
            console.print(_backfill_line(history), highlight=False)
            console.print(
                f"A sync right after: {again.requests} requests, {again.writes} writes, "
                f"{again.comments_posted} comments — nothing to change.",
                highlight=False,
            )
        write_atomically(report_path, html)
        console.print(f"HTML report: [bold]{report_path.absolute()}[/]", highlight=False, soft_wrap=True)
        console.print(
            "Simulator stopped. Next: [bold]okrsync sim[/] to explore it, "
            "config/okrsync.example.yaml to point okrsync at your Jira."
        )
    return max(report.exit_code, history.exit_code, again.exit_code)


def _backfill_line(history: BackfillReport) -> str:
    if history.status != "ok":
        return f"Backfill {history.status}: {history.failure or '; '.join(e.reason for e in history.errors)}"
    return (
        f"Backfill: {history.days_recorded} days of history rebuilt from {history.changelog_entries} "
        f"changelog entries ({history.requests} requests, {history.writes} writes)."
    )


def _in_jira(sim: Any, report: SyncReport) -> Table:
    """What people now see in Jira: the OKR fields on each KR epic, and okrsync's comments."""
    table = Table(title="In Jira now (fields okrsync wrote on the KR epics)")
    for column in ("epic", "OKR Progress", "OKR Expected", "OKR Status", "comments by okrsync"):
        table.add_column(column)
    ids = {name: sim.field_id(name) for name in ("OKR Progress", "OKR Expected", "OKR Status")}
    # a mention reads back as @accountId: show the person's name, as Jira does
    people = {aid: str(u.get("displayName") or aid) for aid, u in sim.store.users.items()}
    keys = [kr.jira_key for kr in report.scored.tree.key_results if kr.jira_key] if report.scored else []
    for key in keys:
        fields = sim.issue(key)["fields"]
        status = fields.get(ids["OKR Status"])
        comments = [
            name_mentions(plain_text(c["body"]), people).splitlines()[0][:60] for c in sim.comments(key)
        ]
        table.add_row(
            key,
            f"{fields.get(ids['OKR Progress'])} %",
            f"{fields.get(ids['OKR Expected'])} %",
            status.get("value") if isinstance(status, dict) else str(status),
            "; ".join(comments),
        )
    return table
