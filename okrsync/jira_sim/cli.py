"""``okrsync sim``: serve the simulator until Ctrl-C / SIGTERM (wired by ``okrsync/cli/app.py``)."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table

from okrsync.jira_sim import catalog
from okrsync.jira_sim.datasets import demo as demo_dataset
from okrsync.jira_sim.simulator import DATASETS, JiraSimulator
from okrsync.jira_sim.webhooks import ISSUE_SECTION

DEFAULT_WEBHOOK_EVENTS = ["jira:issue_updated", "comment_created", "comment_updated", "comment_deleted"]


def run_sim(
    host: str,
    port: int,
    dataset: str,
    flavor: str,
    epics: int,
    issues_per_epic: int,
    seed: int,
    load: Path | None,
    save: Path | None,
    latency_ms: int,
    rate_limit: float | None,
    error_rate: float,
    drop_rate: float,
    webhook: str | None,
    webhook_secret: str | None,
    okr_fields: bool,
    *,
    console: Console | None = None,
    stop: threading.Event | None = None,
    as_of: date | None = None,
    lenient: bool = False,
) -> int:
    """Start the simulator, print how to use it, serve until interrupted; returns the exit code.

    The demo company is built around ``as_of`` (default: today), like ``okrsync demo``'s. Requests
    that break Jira's contract are refused as Jira refuses them; ``lenient`` serves them (each is
    still recorded as a deviation in ``GET /_sim/requests``).
    """
    console = console or Console()
    if flavor not in catalog.FLAVORS:
        console.print(f"[bold red]error:[/] --flavor must be cloud or datacenter, not {flavor!r}")
        return 2
    if dataset not in DATASETS and load is None:
        console.print(f"[bold red]error:[/] --dataset must be one of {', '.join(DATASETS)}, not {dataset!r}")
        return 2
    faults: dict[str, Any] = {
        "latency_ms": latency_ms,
        "error_rate": error_rate,
        "drop_rate": drop_rate,
        "rate_limit_per_second": rate_limit,
    }
    try:
        sim = JiraSimulator(
            flavor=flavor,
            dataset=dataset,
            host=host,
            port=port,
            epics=epics,
            issues_per_epic=issues_per_epic,
            seed=seed,
            okr_fields=okr_fields,
            load=load,
            faults=faults,
            demo_start=demo_dataset.start_for(as_of or datetime.now(UTC).date()),
            strict=not lenient,
        )
        sim.start()
    except (OSError, ValueError) as exc:
        console.print(f"[bold red]error:[/] cannot start the simulator: {exc}")
        return 1
    if webhook:
        with sim.store.lock:
            wid = str(sim.store.next_webhook_id)
            sim.store.next_webhook_id += 1
            sim.store.webhooks[wid] = {
                "id": wid,
                "name": "okrsync sim --webhook",
                "url": webhook,
                "events": DEFAULT_WEBHOOK_EVENTS,
                "filters": {ISSUE_SECTION: ""},
                "excludeBody": False,
                "enabled": True,
                **({"secret": webhook_secret} if webhook_secret else {}),
            }
    _banner(console, sim, webhook)
    if dataset == "demo" and load is None:
        _demo_hint(console, sim, as_of or datetime.now(UTC).date())
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sim.stop()
        if save is not None:
            sim.save(save)
            console.print(f"state saved to {save}")
    console.print("simulator stopped")
    return 0


def _demo_hint(console: Console, sim: JiraSimulator, today: date) -> None:
    """How to sync the demo company of this simulator: its period differs from the file's pinned one."""
    from okrsync.data import DEMO_CONFIG

    start = demo_dataset.start_for(today)
    first, last = demo_dataset.period_of(start)
    credential = "" if sim.flavor == "cloud" else f" OKRSYNC_JIRA__PAT={catalog.DEMO_PAT}"
    console.print(
        f"demo company as of {today} (period {first} .. {last}); sync it from another terminal with:",
        highlight=False,
    )
    console.print(
        f"  OKRSYNC_JIRA__URL={sim.url}{credential} OKRSYNC_PERIOD__NAME={demo_dataset.period_name(start)} "
        f"OKRSYNC_PERIOD__START={first} OKRSYNC_PERIOD__END={last} okrsync -c {DEMO_CONFIG} sync",
        highlight=False,
        soft_wrap=True,
    )


def _banner(console: Console, sim: JiraSimulator, webhook: str | None) -> None:
    dialect = (
        "Jira Cloud (REST v2 + v3, /search/jql)"
        if sim.flavor == "cloud"
        else "Jira Data Center (REST v2, /search)"
    )
    table = Table(show_header=False, box=None, padding=(0, 1))
    table.add_row("URL", f"[bold]{sim.url}[/]")
    table.add_row("dialect", dialect)
    table.add_row("issues", str(len(sim.store.issues)) + " in " + ", ".join(sorted(sim.store.projects)))
    table.add_row(
        "basic auth",
        f"{catalog.DEMO_EMAIL} / {catalog.DEMO_TOKEN}"
        + ("   (or demo / demo)" if sim.flavor == "datacenter" else ""),
    )
    if sim.flavor == "datacenter":
        table.add_row("PAT", f"Authorization: Bearer {catalog.DEMO_PAT}")
    table.add_row("read-only user", f"{catalog.VIEWER_EMAIL} / {catalog.VIEWER_TOKEN}")
    table.add_row("admin API", f"{sim.url}/_sim/requests, /_sim/faults, /_sim/webhook-deliveries")
    table.add_row(
        "Jira's contract",
        "strict: requests the spec refuses get Jira's 400 (--lenient serves them)"
        if sim.contract.strict
        else "lenient: requests the spec refuses are served, and listed under deviations in /_sim/requests",
    )
    if webhook:
        table.add_row("webhook", webhook)
    console.print("[bold green]Jira simulator running[/]")
    console.print(table)
    search = (
        "/rest/api/3/search/jql?jql=project%3DPLAT&fields=summary,status"
        if sim.flavor == "cloud"
        else "/rest/api/2/search?jql=project%3DPLAT&fields=summary,status"
    )
    console.print(
        f"try:  curl -u {catalog.DEMO_EMAIL}:{catalog.DEMO_TOKEN} '{sim.url}{search}'",
        highlight=False,
        soft_wrap=True,
    )
    console.print("Ctrl-C stops it.")
