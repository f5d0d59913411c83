"""``okrsync demo``: the whole job on the bundled Jira simulator, no Jira or configuration needed.

Starts the simulator with the demo company (Jira Cloud dialect), runs ``okrsync setup`` (fields,
filters, dashboard), a sync with the configuration ``config/demo.yaml`` into a throw-away state
store, and writes the HTML report; prints the OKR tree, what was written to Jira, the run summary
and where the report is. Nothing keeps running afterwards, and the user's own ``OKRSYNC_*``
environment (which may point at a real Jira) is ignored on purpose.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from okrsync.config import Settings, config_from_mapping
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.markup import plain_text
from okrsync.model import OkrsyncError
from okrsync.report.command import load_report_data, render, write_atomically
from okrsync.report.sync_summary import summary_table
from okrsync.report.tree import render_tree
from okrsync.setup import run_setup
from okrsync.state.store import StateStore
from okrsync.sync.engine import SyncReport, run_sync

DEMO_CONFIG = Path(__file__).resolve().parent.parent / "config" / "demo.yaml"
DEFAULT_REPORT = Path("okrsync-demo-report.html")


def demo_settings(url: str, state_url: str, path: Path = DEMO_CONFIG) -> Settings:
    """The demo configuration pointed at the simulator, independent of the user's environment."""
    if not path.exists():
        raise OkrsyncError(
            f"the demo configuration {path} is missing: run okrsync demo from a checkout of okrsync"
        )
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
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


def demo_now(settings: Settings, as_of: date | None) -> datetime:
    """Noon of ``as_of`` (default today), kept inside the demo period."""
    day = as_of or datetime.now(UTC).date()
    day = min(max(day, settings.period.start), settings.period.end)
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def run_demo(console: Console, *, as_of: date | None = None, report_path: Path = DEFAULT_REPORT) -> int:
    from okrsync.jira_sim.simulator import JiraSimulator  # the demo (not the sync path) starts the simulator

    with tempfile.TemporaryDirectory(prefix="okrsync-demo-") as tmp:
        console.print("[bold]okrsync demo[/] — the demo company on the bundled Jira simulator (Jira Cloud)")
        with JiraSimulator(flavor="cloud", dataset="demo") as sim:
            settings = demo_settings(sim.url, f"sqlite:///{Path(tmp) / 'okrsync-demo.db'}")
            now = demo_now(settings, as_of)
            with StateStore.open(settings.sync.state_url) as store, JiraGateway(settings.jira) as gateway:
                console.print(f"Jira simulator at {sim.url}\n[bold]okrsync setup[/] …", highlight=False)
                setup = run_setup(settings, gateway)
                made = ", ".join(f"{name} = {fid}" for name, fid in setup.field_ids.items())
                console.print(
                    f"  {setup.changes} changes: custom fields ({made}), filters, dashboard", highlight=False
                )
                console.print(f"[bold]okrsync sync[/] as of {now.date()} …")
                report = run_sync(settings, store=store, gateway=gateway, now=now)
                again = run_sync(settings, store=store, gateway=gateway, now=now)
                html = render("html", load_report_data(store))
            if report.scored is not None:
                console.print(render_tree(report.scored))
            console.print(_in_jira(sim, report))
            console.print(summary_table(report))
            console.print(
                f"A second sync right after: {again.requests} requests, {again.writes} writes, "
                f"{again.comments_posted} comments — nothing to change.",
                highlight=False,
            )
        write_atomically(report_path, html)
        console.print(f"HTML report: [bold]{report_path.absolute()}[/]", highlight=False, soft_wrap=True)
        console.print(
            "Simulator stopped. Next: [bold]okrsync sim[/] to explore it, "
            "config/okrsync.example.yaml to point okrsync at your Jira."
        )
    return report.exit_code


def _in_jira(sim: Any, report: SyncReport) -> Table:
    """What people now see in Jira: the OKR fields on each KR epic, and okrsync's comments."""
    table = Table(title="In Jira now (fields okrsync wrote on the KR epics)")
    for column in ("epic", "OKR Progress", "OKR Expected", "OKR Status", "comments by okrsync"):
        table.add_column(column)
    ids = {name: sim.field_id(name) for name in ("OKR Progress", "OKR Expected", "OKR Status")}
    keys = [kr.jira_key for kr in report.scored.tree.key_results if kr.jira_key] if report.scored else []
    for key in keys:
        fields = sim.issue(key)["fields"]
        status = fields.get(ids["OKR Status"])
        comments = [plain_text(c["body"]).splitlines()[0][:60] for c in sim.comments(key)]
        table.add_row(
            key,
            f"{fields.get(ids['OKR Progress'])} %",
            f"{fields.get(ids['OKR Expected'])} %",
            status.get("value") if isinstance(status, dict) else str(status),
            "; ".join(comments),
        )
    return table
