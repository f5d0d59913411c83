"""The alignment tree as a rich Tree: company → objectives → key results (→ action plans)."""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from okrsync.model import Health, KeyResult, Objective
from okrsync.rollup import Score, ScoredTree

HEALTH_STYLE = {
    Health.DONE: "bold green",
    Health.ON_TRACK: "green",
    Health.AT_RISK: "yellow",
    Health.OFF_TRACK: "bold red",
    Health.NOT_STARTED: "dim",
    Health.NO_DATA: "dim italic",
}


def bar(progress: float | None, width: int = 10) -> str:
    if progress is None:
        return "·" * width
    filled = round(max(0.0, min(1.0, progress)) * width)
    return "█" * filled + "░" * (width - filled)


def pct(value: float | None) -> str:
    return "  –  " if value is None else f"{value * 100:5.1f}%"


def _line(label: str, title: str, score: Score, owner: str | None) -> Text:
    text = Text()
    text.append(f"{label} ", style="bold")
    text.append(f"{title}  ")
    text.append(bar(score.progress), style=HEALTH_STYLE[score.health])
    text.append(f" {pct(score.progress)} (expected {pct(score.expected).strip()}) ")
    text.append(score.health.label, style=HEALTH_STYLE[score.health])
    if owner:
        text.append(f"  @{owner}", style="cyan")
    if score.score is not None:
        text.append(f"  score {score.score:.1f}", style="bold")
    return text


def render_tree(scored: ScoredTree, *, action_plans: bool = False) -> Tree:
    tree = scored.tree
    root = Tree(Text(f"OKRs {tree.period.name} — as of {scored.as_of}", style="bold underline"))

    def add_objective(node: Tree, obj: Objective) -> None:
        branch = node.add(_line(obj.id, obj.title, scored.objective(obj.id), obj.owner))
        for kr in tree.krs_of(obj.id):
            add_kr(branch, kr)
        for child in tree.children_of(obj.id):
            add_objective(branch, tree.objective(child))

    def add_kr(node: Tree, kr: KeyResult) -> None:
        s = scored.kr(kr.id)
        branch = node.add(_line(f"KR {kr.id}", kr.title, s, kr.owner))
        branch.add(Text(s.explanation.summary, style="dim"))
        if action_plans:
            for p in kr.action_plans:
                style = "strike dim" if p.cancelled else ""
                branch.add(Text(f"{p.key} [{p.status or p.status_category.value}] {p.summary}", style=style))

    for root_id in tree.roots:
        add_objective(root, tree.objective(root_id))
    return root
