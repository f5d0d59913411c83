"""The daemon's read-only status page: the OKR tree as the HTML report draws it, the alignment
coverage, and the last runs.

Rendered on the server from the last sync's tree snapshot (``okrsync.tree/1``) and the run records
by the templates the report uses (:mod:`okrsync.report.page`): one stylesheet, every value
escaped, nothing loaded from elsewhere; the filters take ``?owner=…&objective=…&health=…``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from okrsync.core.coverage import Coverage
from okrsync.domain.keys import META_CHECKINS
from okrsync.domain.records import RunRecord
from okrsync.report.page import TreeView, environment, render_status_document, tree_context
from okrsync.report.people import people_for
from okrsync.state.store import StateStore


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
    people: Mapping[str, str] | None = None,
    coverage: Coverage | None = None,
) -> str:
    """The whole page (a complete HTML document). ``people``: account id → display name, for the
    mentions in check-in notes; ``coverage``: the latest alignment coverage (shown when it is of
    the snapshot's period)."""
    view = TreeView(site=jira_url, findings=findings or {}, people=people or {})
    return render_status_document(snapshot, runs, info, now=now, view=view, coverage=coverage)


def status_people(store: StateStore, snapshot: Any) -> dict[str, str]:
    """Who the snapshot's check-in notes mention (:func:`okrsync.report.people.people_for`): from
    the recorded check-ins, else the mirror records of the tree's issues (read only then)."""
    if not isinstance(snapshot, Mapping) or not isinstance(snapshot.get("key_results"), list):
        return {}
    return people_for(
        snapshot,
        store.get_meta(META_CHECKINS),
        lambda keys: [issue.raw for issue in store.issues(keys).values()],
    )
