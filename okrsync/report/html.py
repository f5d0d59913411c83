"""The OKR report as one self-contained HTML file.

Pure: snapshot document (+ progress history) → text, drawn by the templates the daemon's status
page shares (:mod:`okrsync.report.page`): inline CSS, an inline SVG trend chart per objective, progress
bars, a health summary, the alignment tree company → objectives → key results → action plans (in
collapsible ``<details>``), filters by owner ("my key results"), objective and health in a few lines
of inline script. Nothing is loaded from elsewhere: it opens the same offline, in a mail attachment
or on an intranet; with the Jira site known, every KR, objective and action plan links to its issue.
"""

from __future__ import annotations

from okrsync.report.html_parts import COLOURS, EXPECTED_COLOUR, anchor, badge, e, progress_bar, trend_svg
from okrsync.report.outline import LastSync, TreeDoc, Trends
from okrsync.report.page import TreeView, render_report_page

__all__ = [
    "COLOURS",
    "EXPECTED_COLOUR",
    "TreeView",
    "anchor",
    "badge",
    "e",
    "progress_bar",
    "render_html",
    "trend_svg",
]


def render_html(
    doc: TreeDoc,
    history: Trends | None = None,
    *,
    last_sync: LastSync | None = None,
    view: TreeView | None = None,
    extra: str = "",
) -> str:
    """The whole report as one self-contained HTML document (``extra``: escaped HTML sections
    after the tree, e.g. :func:`okrsync.report.process_section.as_html`)."""
    return render_report_page(doc, history, last_sync=last_sync, view=view, extra=extra)
