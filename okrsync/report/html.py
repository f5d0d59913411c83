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


render_html = render_report_page
"""The whole report as one self-contained HTML document (:func:`okrsync.report.page.render_report_page`)."""
