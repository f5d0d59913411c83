"""The ``okrsync`` command line."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from okrsync import __version__
from okrsync.domain import exit_codes
from okrsync.domain.config import DEFAULT_CONFIG_PATH, Settings, load_config
from okrsync.domain.model import OkrsyncError

app = typer.Typer(
    name="okrsync",
    help="OKRs that live inside Jira: roll Jira work up to key results and objectives, and write it back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


CONFIG_HELP = "The OKR configuration file (YAML)."

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help=f"{CONFIG_HELP} Default: the one given before the command (okrsync -c FILE), else "
        f"OKRSYNC_CONFIG, else {DEFAULT_CONFIG_PATH}.",
        show_default=False,
    ),
]
"""``--config`` after the command (``okrsync sync --config FILE``), as before it."""


@dataclass
class State:
    config_path: Path

    def settings(self, config: Path | None = None) -> Settings:
        """The configuration: the command's own ``--config`` if given, else the root one."""
        return load_config(config if config is not None else self.config_path)


def _version(value: bool) -> None:
    if value:
        console.print(f"okrsync {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            "-c",
            envvar="OKRSYNC_CONFIG",
            help=f"{CONFIG_HELP} Every command that reads it also takes --config after its name.",
            show_default=True,
        ),
    ] = DEFAULT_CONFIG_PATH,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    ctx.obj = State(config_path=config)
    # commands print their own outcome; without a handler Python would also echo every warning
    # logged on the way (the daemon configures real logging itself)
    logging.getLogger("okrsync").addHandler(logging.NullHandler())


def _state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


@app.command()
def sync(
    ctx: typer.Context,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the planned changes; write nothing.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Full reconcile instead of an incremental fetch.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    allow_clear: Annotated[
        bool,
        typer.Option(
            "--allow-clear", help="Clear okrsync's values from more issues than sync.max_clear allows."
        ),
    ] = False,
) -> None:
    """Run one sync cycle: read Jira, roll up, write progress, health and comments back."""
    from okrsync.cli.sync import sync_once

    settings = _state(ctx).settings(config)
    raise typer.Exit(
        sync_once(
            settings,
            console,
            err_console,
            dry_run=dry_run,
            full=full,
            json_out=json_out,
            allow_clear=allow_clear,
        )
    )


@app.command()
def daemon(
    ctx: typer.Context,
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Address of the HTTP endpoints.")] = None,
    port: Annotated[int | None, typer.Option(help="Port of the HTTP endpoints.")] = None,
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="plain or json (default: daemon.log_format).")
    ] = None,
    interval_seconds: Annotated[
        float | None,
        typer.Option("--interval-seconds", hidden=True, help="For tests only: sync every N seconds."),
    ] = None,
) -> None:
    """Run as a service: sync on a schedule, receive Jira webhooks, serve health and metrics."""
    from okrsync.daemon.service import run_daemon

    settings = _state(ctx).settings(config)
    raise typer.Exit(
        run_daemon(settings, host=host, port=port, log_format=log_format, interval_seconds=interval_seconds)
    )


@app.command()
def backfill(
    ctx: typer.Context,
    config: ConfigOption = None,
    period: Annotated[
        str | None,
        typer.Option(help="Period: 2026-Q3, 2026-H2 or 2026-07-01..2026-09-30; default: the configured one."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Rebuild the history from this day on (YYYY-MM-DD) only.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compute and print what would change; write nothing.")
    ] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted backfill.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
) -> None:
    """One-off: write OKR fields on every in-scope issue and rebuild progress history."""
    from okrsync.cli.backfill import backfill_once

    settings = _state(ctx).settings(config)
    raise typer.Exit(
        backfill_once(
            settings,
            console,
            err_console,
            period=period,
            since=since,
            dry_run=dry_run,
            resume=resume,
            json_out=json_out,
        )
    )


@app.command()
def setup(
    ctx: typer.Context,
    config: ConfigOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be created.")] = False,
) -> None:
    """Create the OKR custom fields, filters and dashboard in Jira (idempotent)."""
    from okrsync.cli.setup import print_setup
    from okrsync.jira.gateway import JiraGateway
    from okrsync.provision.setup import run_setup

    settings = _state(ctx).settings(config)
    with JiraGateway(settings.jira) as gateway:
        report = run_setup(settings, gateway, dry_run=dry_run)
    print_setup(report, console)


@app.command()
def report(
    ctx: typer.Context,
    config: ConfigOption = None,
    fmt: Annotated[str, typer.Option("--format", help="tree, markdown, html, json or csv.")] = "tree",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", help="One period (periods:) by name; a closed one as it closed."),
    ] = None,
) -> None:
    """Render the OKRs from the state store: tree, Markdown, HTML, JSON or CSV (no Jira needed).

    HTML goes to okrsync-report.html unless --output says otherwise; the other formats to standard
    output. --output - always means standard output.
    """
    from okrsync.cli.report import run_report

    raise typer.Exit(run_report(_state(ctx).settings(config), fmt, output, console, period))


@app.command()
def digest(
    ctx: typer.Context,
    config: ConfigOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the messages; send nothing, record nothing.")
    ] = False,
    period: Annotated[
        str | None,
        typer.Option("--period", help="One period (periods:) by name; a closed one as it closed."),
    ] = None,
) -> None:
    """Send the OKR digest (progress, what moved, achievements, what needs attention) to its channels."""
    from okrsync.cli.digest import run_digest_command

    raise typer.Exit(
        run_digest_command(_state(ctx).settings(config), console, dry_run=dry_run, period=period)
    )


@app.command()
def check(
    ctx: typer.Context,
    config: ConfigOption = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Coach as of this day (YYYY-MM-DD).")] = None,
) -> None:
    """Validate the configuration and connectivity, then coach: findings with a fix for each."""
    from okrsync.cli.check import print_check
    from okrsync.jira.gateway import JiraGateway
    from okrsync.provision.check import checkins_from_store, last_change_from_store, run_check

    settings = _state(ctx).settings(config)
    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise typer.BadParameter(f"{as_of!r} is not a day; use YYYY-MM-DD.", param_hint="--as-of") from None
    last_change = last_change_from_store(settings.sync.state_url, since=settings.period.start, as_of=day)
    with JiraGateway(settings.jira) as gateway:
        checkins = checkins_from_store(settings.sync.state_url)
        report = run_check(settings, gateway, as_of=day, last_change=last_change, checkins=checkins)
    print_check(settings, report, console)
    raise typer.Exit(report.exit_code)


@app.command()
def demo(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Score as of this day (YYYY-MM-DD).")] = None,
) -> None:
    """Run the whole job on the bundled Jira simulator: no Jira or configuration needed."""
    from okrsync.cli.demo import run_demo

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise typer.BadParameter(f"{as_of!r} is not a day; use YYYY-MM-DD.", param_hint="--as-of") from None
    raise typer.Exit(run_demo(console, as_of=day))


@app.command()
def sim(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8080,
    dataset: Annotated[str, typer.Option(help="demo, generated or empty.")] = "demo",
    flavor: Annotated[str, typer.Option(help="cloud or datacenter.")] = "cloud",
    epics: Annotated[int, typer.Option(help="generated: number of epics.")] = 200,
    issues_per_epic: Annotated[int, typer.Option(help="generated: issues per epic.")] = 50,
    seed: Annotated[int, typer.Option(help="generated: random seed.")] = 1,
    load: Annotated[Path | None, typer.Option(help="Load the state from this JSON file.")] = None,
    save: Annotated[Path | None, typer.Option(help="Save the state to this JSON file on exit.")] = None,
    latency_ms: Annotated[int, typer.Option(help="Latency added to every request.")] = 0,
    rate_limit: Annotated[
        float | None, typer.Option(help="Answer 429 beyond this many requests a second.")
    ] = None,
    error_rate: Annotated[float, typer.Option(help="Share of requests answered 500/503.")] = 0.0,
    drop_rate: Annotated[float, typer.Option(help="Share of connections dropped.")] = 0.0,
    webhook: Annotated[str | None, typer.Option(help="Register a webhook to this URL.")] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(help="Secret for the webhook's HMAC signature.")
    ] = None,
    okr_fields: Annotated[
        bool, typer.Option("--okr-fields", help="Pre-create okrsync's custom fields.")
    ] = False,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="demo: build the company around this day (YYYY-MM-DD).")
    ] = None,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="Serve requests that break Jira's contract (listed as deviations in /_sim/requests).",
        ),
    ] = False,
) -> None:
    """Start the bundled Jira simulator (Cloud or Data Center dialect) until interrupted."""
    from okrsync.jira_sim.cli import run_sim

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise typer.BadParameter(f"{as_of!r} is not a day; use YYYY-MM-DD.", param_hint="--as-of") from None

    raise typer.Exit(
        run_sim(
            host=host,
            port=port,
            dataset=dataset,
            flavor=flavor,
            epics=epics,
            issues_per_epic=issues_per_epic,
            seed=seed,
            load=load,
            save=save,
            latency_ms=latency_ms,
            rate_limit=rate_limit,
            error_rate=error_rate,
            drop_rate=drop_rate,
            webhook=webhook,
            webhook_secret=webhook_secret,
            okr_fields=okr_fields,
            as_of=day,
            lenient=lenient,
        )
    )


def main() -> None:
    """Console entry point: user errors print their message, never a traceback.

    Exit codes (:mod:`okrsync.domain.exit_codes`, the README's table): an ``OkrsyncError`` its own, a usage
    error click's 2, Ctrl-C 130, anything unexpected (a bug) 4 with its traceback.
    """
    try:
        app()  # standalone: typer prints usage errors and exits with click's codes
    except OkrsyncError as exc:
        # soft_wrap: a path or a key in the message is never broken across lines (copy-paste works)
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(exit_codes.INTERRUPTED)
    except Exception:
        traceback.print_exc()
        err_console.print(
            f"[bold red]okrsync {__version__} failed unexpectedly[/] (a bug): please report it with the "
            "traceback above.",
            highlight=False,
        )
        sys.exit(exit_codes.INTERNAL)
