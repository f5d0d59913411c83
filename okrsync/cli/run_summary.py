"""How a sync run looks on a terminal: the plan of a dry run, and the summary table."""

from __future__ import annotations

from typing import Any, Protocol

from rich.console import Console
from rich.table import Table

from okrsync.core.plan import CommentPost, FieldEdit, Plan, PropertySet
from okrsync.jira.markup import plain_text, to_plain
from okrsync.report.outline import HEALTH_ORDER
from okrsync.sync.apply import ApplyError
from okrsync.sync.engine import SyncReport


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    elif isinstance(value, dict) and value.get("type") == "doc":  # a paragraph field on Cloud
        value = plain_text(value)
    text = "–" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan_table(plan: Plan, field_names: dict[str, str], limit: int = 200) -> Table:
    table = Table(title=f"Planned changes ({len(plan.changes)})", show_lines=False)
    table.add_column("issue", style="bold")
    table.add_column("kind")
    table.add_column("what")
    table.add_column("now", style="dim")
    table.add_column("new", style="green")
    for change in plan.changes[:limit]:
        if isinstance(change, FieldEdit):
            for fid, value in change.fields.items():
                table.add_row(
                    change.issue_key,
                    "field",
                    field_names.get(fid, fid),
                    _short(change.before.get(fid)),
                    _short(value),
                )
        elif isinstance(change, PropertySet):
            table.add_row(
                change.issue_key, "property", change.key, "", _short(change.value.get("progress")) + " %"
            )
        elif isinstance(change, CommentPost):
            action = "update comment" if change.existing_id else "comment"
            table.add_row(change.issue_key, action, change.identity, "", _short(to_plain(change.doc), 60))
    if len(plan.changes) > limit:
        table.caption = f"… and {len(plan.changes) - limit} more"
    return table


def summary_table(report: SyncReport) -> Table:
    table = Table(title=f"okrsync sync — {report.mode}, {report.status}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("", justify="right")
    rows = [
        ("key results", report.key_results),
        ("objectives", report.objectives),
        ("issues in scope", report.issues_in_scope),
        ("issues read", report.issues_read),
        ("requests made", report.requests),
        ("fields written", f"{report.field_values} on {report.field_edits} issues"),
        ("properties written", report.properties),
        ("comments posted", report.comments_posted),
        ("comments updated", report.comments_updated),
        *(
            (("issues cleared" if not report.dry_run else "issues to clear", report.clearing),)
            if report.clearing
            else ()
        ),
        ("warnings", len(report.warnings)),
        ("errors", len(report.errors) + (1 if report.failure else 0)),
        ("time", f"{report.seconds:.1f} s"),
    ]
    if report.dry_run:
        rows.insert(5, ("changes planned", report.planned))
    for name, value in rows:
        table.add_row(name, str(value))
    if report.health:
        table.add_row("KR health", health_counts(report.health))
    return table


def health_counts(counts: dict[str, int]) -> str:
    """KRs by health in the reports' order (``done 1, on track 9, at risk 3, overdue 1``); a health
    this okrsync does not know after them, by name."""
    known = [h.value for h in HEALTH_ORDER]
    order = [*(k for k in known if k in counts), *sorted(k for k in counts if k not in known)]
    return ", ".join(f"{k.replace('_', ' ')} {counts[k]}" for k in order if counts[k])


class RunOutcome(Protocol):
    """What ``sync`` and ``backfill`` reports have in common for printing."""

    dry_run: bool
    plan: Plan | None
    warnings: list[str]
    errors: list[ApplyError]
    failure: str | None


def print_outcome(
    report: RunOutcome,
    summary: Table,
    console: Console,
    err_console: Console,
    *,
    names: dict[str, str],
    command: str,
) -> None:
    """The dry run's plan, the summary, then warnings and errors (20 of each at most)."""
    if report.dry_run and report.plan is not None:
        if report.plan.changes:
            console.print(plan_table(report.plan, names))
        else:
            console.print("[green]Nothing to change:[/] Jira already shows every value.")
    console.print(summary)
    for warning in report.warnings[:20]:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if len(report.warnings) > 20:
        console.print(f"[yellow]… and {len(report.warnings) - 20} more warnings (see --json)[/]")
    for error in report.errors[:20]:
        where = f"{error.issue_key} ({error.kind})" if error.issue_key else error.kind  # a field's: once
        err_console.print(
            f"[red]error:[/] {where}: {error.reason}",
            highlight=False,
            soft_wrap=True,
        )
    if len(report.errors) > 20:
        err_console.print(
            f"[red]… and {len(report.errors) - 20} more errors[/]: `okrsync {command} --json` lists every "
            "one (the state store's run record keeps the same summary)",
            highlight=False,
            soft_wrap=True,
        )
    if report.failure:
        err_console.print(f"[bold red]{command} failed:[/] {report.failure}", highlight=False, soft_wrap=True)
