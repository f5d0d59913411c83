"""The alignment tree as a rich Tree: company → objectives → key results (→ action plans).

One renderer for both sources: :func:`render_stored_tree` draws a stored snapshot
(``okrsync.tree/1``, what ``okrsync report`` reads); :func:`render_tree` draws a fresh
:class:`~okrsync.core.rollup.ScoredTree` by way of its snapshot, so both look the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from rich.tree import Tree

from okrsync.core.rollup import ScoredTree
from okrsync.core.stored_tree import stored_tree_of
from okrsync.domain.model import Health
from okrsync.report.outline import (
    LastSync,
    ObjectiveNode,
    TreeDoc,
    ap_state,
    checkin_note,
    fmt_score,
    health_in,
    outline,
    period_of,
    stale_note,
)

HEALTH_STYLE = {
    Health.DONE: "bold green",
    Health.ON_TRACK: "green",
    Health.AT_RISK: "yellow",
    Health.OFF_TRACK: "bold red",
    Health.OVERDUE: "bold white on red",
    Health.NOT_STARTED: "dim",
    Health.NO_DATA: "dim italic",
}


def bar(progress: float | None, width: int = 10) -> str:
    """A text progress bar of ``progress`` (0.0–1.0)."""
    if progress is None:
        return "·" * width
    filled = round(max(0.0, min(1.0, progress)) * width)
    return "█" * filled + "░" * (width - filled)


def pct(value: float | None) -> str:
    """A 0.0–1.0 share as a five-character percentage."""
    return "  –  " if value is None else f"{value * 100:5.1f}%"


def _share(percent: Any) -> float | None:
    return None if percent is None else float(percent) / 100


def _line(label: str, item: Mapping[str, Any]) -> Text:
    health = health_in(item)
    progress, expected = _share(item.get("progress")), _share(item.get("expected"))
    text = Text()
    text.append(f"{label} ", style="bold")
    text.append(f"{item.get('title') or ''}  ")
    text.append(bar(progress), style=HEALTH_STYLE[health])
    text.append(f" {pct(progress)} (expected {pct(expected).strip()}) ")
    text.append(health.label, style=HEALTH_STYLE[health])
    if item.get("owner"):
        text.append(f"  @{item['owner']}", style="cyan")
    if item.get("score") is not None:
        text.append(f"  score {fmt_score(item['score'])}", style="bold")
    said = checkin_note(item)
    if said:
        text.append(f"  ✎ {said}", style="magenta")
    note = stale_note(item)
    if note:
        text.append(f"  ⚠ {note}", style="bold red")
    return text


def render_stored_tree(
    doc: TreeDoc, *, action_plans: bool = False, last_sync: LastSync | None = None
) -> Tree:
    """The tree of a snapshot document; ``action_plans`` lists each KR's issues too."""
    title = f"OKRs {period_of(doc).name} — as of {doc['as_of']}"
    if last_sync is not None:
        title += f" — last sync {last_sync.describe()}"
    root = Tree(Text(title, style="bold underline"))

    def add_objective(node: Tree, obj: ObjectiveNode) -> None:
        branch = node.add(_line(obj.id, obj.data))
        for kr in obj.key_results:
            add_kr(branch, kr)
        for child in obj.children:
            add_objective(branch, child)

    def add_kr(node: Tree, kr: Mapping[str, Any]) -> None:
        branch = node.add(_line(f"KR {kr['id']}", kr))
        summary = (kr.get("explanation") or {}).get("summary")
        if summary:
            branch.add(Text(str(summary), style="dim"))
        if action_plans:
            for p in kr.get("action_plans") or ():
                style = "strike dim" if p.get("cancelled") else ""
                branch.add(Text(f"{p['key']} [{ap_state(p)}] {p.get('summary') or ''}", style=style))

    for top in outline(doc):
        add_objective(root, top)
    return root


def render_tree(scored: ScoredTree, *, action_plans: bool = False) -> Tree:
    """The tree of a freshly scored tree (e.g. the demo's), drawn from its snapshot."""
    return render_stored_tree(stored_tree_of(scored), action_plans=action_plans)
