"""``okrsync setup``: prints what :func:`~okrsync.provision.setup.run_setup` did or would do."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from okrsync.provision.setup import SetupReport

_STYLE = {
    "created": "green",
    "updated": "yellow",
    "exists": "dim",
    "manual": "bold magenta",
    "would create": "green",
    "would update": "yellow",
}


def print_setup(report: SetupReport, console: Console) -> None:
    title = (
        "okrsync setup"
        + (" --dry-run (nothing changed)" if report.dry_run else "")
        + f" on Jira {report.flavor}"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("what")
    table.add_column("name")
    table.add_column("action")
    table.add_column("detail", overflow="fold")
    for a in report.actions:
        table.add_row(a.area, a.subject, f"[{_STYLE[a.status]}]{a.status}[/]", a.detail)
    console.print(table)
    for i, step in enumerate(report.manual, 1):
        console.print(f"\n[bold magenta]Manual step {i}:[/] {step.title}", highlight=False)
        for line in step.steps:
            console.print(f"  - {line}", highlight=False)
    changes = report.changes
    verb = "would change" if report.dry_run else "changed"
    console.print(
        f"\n{changes} {'thing' if changes == 1 else 'things'} {verb}; {len(report.manual)} manual steps."
    )
    if report.field_ids:
        pairs = ", ".join(f"{n} = {i}" for n, i in report.field_ids.items())
        console.print(f"field ids: {pairs}", highlight=False)
