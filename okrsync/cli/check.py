"""``okrsync check``: prints what :func:`~okrsync.provision.check.run_check` found, findings by owner."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from okrsync.core.coach import Severity
from okrsync.domain.config import Settings
from okrsync.provision.check import CheckReport, group_by_owner

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def print_check(cfg: Settings, report: CheckReport, console: Console) -> None:
    console.print(
        f"[green]Configuration OK[/]: {len(cfg.objectives)} objectives, "
        f"{len(cfg.key_results)} key result sources, period {cfg.period.name}.",
        highlight=False,
    )
    if report.server:
        console.print(f"[green]Connected[/] to {report.server} as {report.user}.", highlight=False)
    for p in report.problems:
        fix = f"\n  fix: {p.fix}" if p.fix else ""
        console.print(f"[bold red]{p.area} problem:[/] {p.message}{fix}", highlight=False)
    for p in report.warnings:
        fix = f"\n  fix: {p.fix}" if p.fix else ""
        console.print(f"[yellow]{p.area} warning:[/] {p.message}{fix}", highlight=False)
    if not report.coached:
        console.print("[bold red]okrsync cannot run until the problems above are fixed.[/]")
        return
    history = "with the progress history" if report.history_used else "without a state store"
    console.print(
        f"\nThe coach, as of {report.as_of} ({report.key_results} key results, "
        f"{report.objectives} objectives, {history}):",
        highlight=False,
    )
    for w in report.tree_warnings[:10]:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if len(report.tree_warnings) > 10:
        console.print(f"[yellow]… and {len(report.tree_warnings) - 10} more warnings[/]")
    if not report.findings:
        console.print("[green]No findings: every objective and key result looks healthy.[/]")
    for owner, findings in group_by_owner(report.findings).items():
        table = Table(title=f"{owner} — {len(findings)}", title_justify="left", show_lines=False)
        table.add_column("severity")
        table.add_column("subject")
        table.add_column("finding", overflow="fold")
        table.add_column("fix", overflow="fold")
        for f in findings:
            style = _SEVERITY_STYLE[f.severity]
            table.add_row(f"[{style}]{f.severity.value}[/]", f.subject, f.message, f.fix)
        console.print(table)
    counts = {s: sum(f.severity == s for f in report.findings) for s in Severity}
    if report.problems:
        n = len(report.problems)
        console.print(
            f"[bold red]{n} problem{'' if n == 1 else 's'} to fix[/] (listed above).", highlight=False
        )
    console.print(
        f"{len(report.findings)} finding{'' if len(report.findings) == 1 else 's'}: "
        f"{counts[Severity.ERROR]} errors, "
        f"{counts[Severity.WARNING]} warnings, {counts[Severity.INFO]} info.",
        highlight=False,
    )
