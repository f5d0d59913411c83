"""``okrsync report``: render the OKRs from the state store, without Jira.

Reads the scored tree the last sync stored (meta ``last_tree``, schema ``okrsync.tree/1``), the
progress history and the newest run, and renders one of the formats. Never creates a state store:
with no SQLite file (or no snapshot in it) it says that a sync has to run first.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.markup import escape

from okrsync.core.closing import closes_of
from okrsync.core.coverage import Coverage
from okrsync.core.process_health import ProcessHealth, process_health
from okrsync.core.stored_tree import META_KEY
from okrsync.domain.config import Settings
from okrsync.domain.keys import (
    META_CHECKINS,
    META_CLOSED_PERIODS,
    META_COACH_FINDINGS,
    META_COVERAGE,
    META_JIRA_SITE,
)
from okrsync.domain.model import OkrsyncError
from okrsync.report.csv_export import render_csv
from okrsync.report.html import render_html
from okrsync.report.json_export import render_json
from okrsync.report.markdown import render_markdown
from okrsync.report.outline import (
    NO_SYNC_YET,
    LastSync,
    StoredTreeError,
    TrendPoint,
    check_stored_tree,
    period_of,
    trends_of,
)
from okrsync.report.page import TreeView
from okrsync.report.people import people_for, with_named_mentions
from okrsync.report.period_view import closed_trees, period_doc
from okrsync.report.process_section import as_html, as_markdown, as_text
from okrsync.report.tree import render_stored_tree
from okrsync.state.engine import describe_url
from okrsync.state.store import StateStore
from okrsync.sync.report_facts import findings_by_subject

FORMATS: Final = ("tree", "markdown", "html", "json", "csv")
ALIASES: Final = {"md": "markdown", "text": "tree", "txt": "tree", "htm": "html"}
EXTENSIONS: Final = {"tree": "txt", "markdown": "md", "html": "html", "json": "json", "csv": "csv"}
DEFAULT_NAME: Final = "okrsync-report"
"""Without ``--output`` (or with a directory), the HTML report goes to ``okrsync-report.html``."""
TREE_WIDTH: Final = 120


class ReportError(OkrsyncError):
    """A report option a user can fix (format, output path)."""


@dataclass(frozen=True)
class ReportData:
    """What every format renders: the snapshot, its history and the newest sync run."""

    doc: dict[str, Any]
    history: dict[str, list[TrendPoint]] = field(default_factory=dict)
    last_sync: LastSync | None = None
    coverage: Coverage | None = None
    """The latest alignment coverage, when it is of the period shown."""
    process: ProcessHealth | None = None
    """Process health of the closed periods and the trends across them."""
    site: str = ""
    """The Jira site's base URL, for the links to each issue (``<site>/browse/KEY``)."""
    findings: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    """The coach's findings on the last sync's tree, by subject (KR or objective id)."""
    people: Mapping[str, str] = field(default_factory=dict)
    """The accounts the check-in notes mention → display names (:mod:`okrsync.report.people`)."""


def normalize_format(fmt: str) -> str:
    name = ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    if name not in FORMATS:
        raise ReportError(f"Unknown report format {fmt!r}: use --format with one of {', '.join(FORMATS)}.")
    return name


def open_existing_store(url: str) -> StateStore:
    """Open the state store at ``url`` only if it exists; a SQLite file is never created here."""
    facts = describe_url(url)
    if facts is None:
        return StateStore.open(url)  # its error says what is wrong with the URL
    if facts.in_memory:
        raise StoredTreeError(
            f"{NO_SYNC_YET} (sync.state_url is an in-memory database, which keeps nothing between "
            "runs: point sync.state_url, or OKRSYNC_SYNC__STATE_URL, at the file the sync uses)."
        )
    path = facts.sqlite_file
    if path is not None and not path.is_file():
        raise StoredTreeError(
            f"{NO_SYNC_YET} (there is no state store at {path}; if the sync keeps it elsewhere, "
            "set sync.state_url or OKRSYNC_SYNC__STATE_URL to it)."
        )
    return StateStore.open(url)


def load_report_data(store: StateStore, period_name: str | None = None) -> ReportData:
    """The last sync's tree, or with ``period_name`` that period's (closed: as frozen at its close)."""
    doc = check_stored_tree(store.get_meta(META_KEY))
    if period_name is not None:
        closed = closed_trees(store.get_meta(META_CLOSED_PERIODS))
        doc = period_doc(doc, period_name.strip(), closed)
    period = period_of(doc)
    ids = [o["id"] for o in doc["objectives"]] + [kr["id"] for kr in doc["key_results"]]
    points = store.history(ids, since=period.start, until=period.end) if ids else []
    coverage = Coverage.of_json(store.get_meta(META_COVERAGE))
    if coverage is not None and coverage.period.name != period.name:
        coverage = None
    return ReportData(
        doc,
        trends_of(points, period),
        LastSync.of(store.last_run()),
        coverage,
        _process_health(store, doc),
        str(store.get_meta(META_JIRA_SITE) or ""),
        findings_by_subject(store.get_meta(META_COACH_FINDINGS)) if period_name is None else {},
        people_of(store, doc),
    )


def people_of(store: StateStore, doc: Mapping[str, Any]) -> dict[str, str]:
    """Who the check-in notes of ``doc`` mention, from the recorded check-ins and the mirror."""
    return people_for(
        doc,
        store.get_meta(META_CHECKINS),
        lambda keys: [issue.raw for issue in store.issues(keys).values()],
    )


def _process_health(store: StateStore, doc: dict[str, Any]) -> ProcessHealth | None:
    """From the recorded closes and their periods' history, as of the tree's day."""
    closes = closes_of(store.get_meta(META_CLOSED_PERIODS))
    if not closes:
        return None
    since = min(c.period.start for c in closes.values())
    until = max(c.period.end for c in closes.values())
    as_of = max(c.closed_on for c in closes.values())
    with contextlib.suppress(TypeError, ValueError):
        as_of = max(as_of, date.fromisoformat(str(doc.get("as_of"))))
    return process_health(closes, store.history(since=since, until=until), as_of)


def render(fmt: str, data: ReportData, *, width: int = TREE_WIDTH) -> str:
    """The report in ``fmt`` as text (the tree without colours)."""
    fmt = normalize_format(fmt)
    if fmt in ("tree", "markdown", "html"):  # for people: mentions by name (json, csv: as stored)
        data = replace(data, doc=with_named_mentions(data.doc, data.people))
    if fmt == "markdown":
        return render_markdown(data.doc, last_sync=data.last_sync) + as_markdown(data.coverage, data.process)
    if fmt == "html":
        view = TreeView(site=data.site, findings=data.findings, people=data.people)
        extra = as_html(data.coverage, data.process)
        return render_html(data.doc, data.history, last_sync=data.last_sync, view=view, extra=extra)
    if fmt == "json":
        return render_json(data.doc, data.history, last_sync=data.last_sync, coverage=data.coverage)
    if fmt == "csv":
        return render_csv(data.doc, data.coverage)
    buffer = io.StringIO()
    Console(file=buffer, width=width, no_color=True, force_terminal=False, highlight=False).print(
        render_stored_tree(data.doc, action_plans=True, last_sync=data.last_sync)
    )
    return buffer.getvalue() + as_text(data.coverage, data.process)


def output_path(fmt: str, output: Path | None) -> Path | None:
    """Where the report goes: a file, or ``None`` for standard output."""
    if output is None:
        return Path(f"{DEFAULT_NAME}.html") if fmt == "html" else None
    if str(output) == "-":
        return None
    if output.is_dir():
        return output / f"{DEFAULT_NAME}.{EXTENSIONS[fmt]}"
    return output


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that a reader never sees half a report."""
    target = path.expanduser().absolute()
    if not target.parent.is_dir():
        raise ReportError(
            f"Cannot write the report to {target}: the directory {target.parent} does not exist. "
            "Create it, or choose another --output."
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise ReportError(
            f"Cannot write the report to {target}: {exc.strerror or exc}. Choose another --output."
        ) from exc


def run_report(
    settings: Settings, fmt: str, output: Path | None, console: Console, period: str | None = None
) -> int:
    """``okrsync report``: exit code 0, or an :class:`OkrsyncError` with what to do."""
    fmt = normalize_format(fmt)
    with open_existing_store(settings.sync.state_url) as store:
        data = load_report_data(store, period)
    if not data.site and settings.jira.url:
        data = replace(data, site=settings.jira.url)
    target = output_path(fmt, output)
    if target is None:
        if fmt == "tree" and console.is_terminal:
            doc = with_named_mentions(data.doc, data.people)
            console.print(render_stored_tree(doc, action_plans=True, last_sync=data.last_sync))
        else:
            sys.stdout.write(render(fmt, data))
            sys.stdout.flush()
        return 0
    write_atomically(target, render(fmt, data))
    console.print(
        f"Wrote the {fmt} report to [bold]{escape(str(target.expanduser().absolute()))}[/] "
        f"({len(data.doc['objectives'])} objectives, {len(data.doc['key_results'])} key results, "
        f"as of {data.doc['as_of']}).",
        highlight=False,
        soft_wrap=True,
    )
    return 0
