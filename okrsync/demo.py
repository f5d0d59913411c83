"""``okrsync demo``: the whole job on the bundled simulator, no Jira or configuration needed.

Until the gateway and mappers land, the demo scores the example configuration's tree (the key
results have no Jira data behind them yet, so they show "No data").
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rich.console import Console

from okrsync.config import load_config
from okrsync.mappers.objectives_yaml import objectives_from_config
from okrsync.model import KeyResult, OkrTree
from okrsync.report.tree import render_tree
from okrsync.rollup import RollupPolicy, roll_up

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "okrsync.example.yaml"


def run_demo(console: Console, *, as_of: date | None = None) -> int:
    cfg = load_config(EXAMPLE, use_env=False)
    krs = tuple(
        KeyResult(
            id=k.epic or f"{k.objective}-jql-{i}",
            objective_id=k.objective,
            title=k.title or (k.epic or k.jql or ""),
            measure=k.measure,
            weight=k.weight,
        )
        for i, k in enumerate(cfg.key_results)
    )
    tree = OkrTree(cfg.period.to_period(), objectives_from_config(cfg.objectives), krs)
    policy = RollupPolicy(cfg.policy.in_progress_credit, cfg.policy.tolerance, cfg.policy.off_track)
    scored = roll_up(tree, as_of or cfg.period.start, policy)
    console.print(render_tree(scored))
    return 0
