"""The daemon's read-only status page: the OKR tree as the HTML report draws it, and the last runs.

Rendered on the server from the last sync's tree snapshot (``okrsync.tree/1``) and the run records
by the templates the report uses (:mod:`okrsync.report.page`): one stylesheet, every value
escaped, nothing loaded from elsewhere; the filters take ``?owner=…&objective=…&health=…``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from okrsync.domain.records import RunRecord
from okrsync.report.page import TreeView, environment, render_status_document, tree_context


def tree_html(snapshot: Mapping[str, Any], jira_url: str = "") -> str:
    """The tree alone (objectives, key results, action plans), as on the page."""
    template = environment().from_string('{% import "tree.html.j2" as t with context %}{{ t.tree(roots) }}')
    return template.render(tree_context(snapshot, TreeView(site=jira_url), charts=False))


def render_status_page(
    snapshot: Mapping[str, Any] | None,
    runs: Sequence[RunRecord],
    info: Mapping[str, Any],
    *,
    jira_url: str = "",
    now: datetime,
    findings: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> str:
    """The whole page (a complete HTML document)."""
    view = TreeView(site=jira_url, findings=findings or {})
    return render_status_document(snapshot, runs, info, now=now, view=view)
