"""Roll-up speed: 100,000 action plans under 200 KRs (issue: foundation).

    python bench/rollup_bench.py [--plans 100000] [--krs 200] [--repeat 5]

Prints the best and median wall time of ``roll_up`` over several runs (building the tree is not
timed), beside a baseline: the same arithmetic as a naive loop over plain dicts, on this machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date

from okrsync.core.rollup import RollupPolicy, roll_up
from okrsync.domain.model import (
    ActionPlan,
    KeyResult,
    Level,
    Measure,
    Objective,
    OkrTree,
    Period,
    StatusCategory,
)


def build(plans: int, krs: int, seed: int = 7) -> OkrTree:
    rng = random.Random(seed)
    objectives = [Objective("CO-1", "company", Level.COMPANY), Objective("CO-2", "company 2", Level.COMPANY)]
    for i in range(20):
        objectives.append(Objective(f"T{i}", f"team {i}", aligns_to=f"CO-{1 + i % 2}", weight=1 + i % 3))
    per_kr = plans // krs
    cats = list(StatusCategory)[:3]
    key_results = []
    for k in range(krs):
        measure = Measure.POINTS if k % 2 else Measure.ISSUES
        aps = tuple(
            ActionPlan(
                key=f"P{k}-{j}",
                status_category=rng.choice(cats),
                cancelled=rng.random() < 0.03,
                points=None if rng.random() < 0.1 else float(rng.choice([1, 2, 3, 5, 8])),
            )
            for j in range(per_kr)
        )
        key_results.append(KeyResult(f"KR-{k}", f"T{k % 20}", "kr", measure, aps, weight=1 + k % 2))
    return OkrTree(
        Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)), tuple(objectives), tuple(key_results)
    )


def baseline(tree: OkrTree) -> float:
    """Naive: the issue-count arithmetic alone over plain dicts (a floor, not a competitor)."""
    rows = [
        {"kr": kr.id, "cat": p.status_category.value, "cancelled": p.cancelled}
        for kr in tree.key_results
        for p in kr.action_plans
    ]
    t0 = time.perf_counter()
    done: dict[str, int] = {}
    total: dict[str, int] = {}
    for r in rows:
        if r["cancelled"]:
            continue
        total[r["kr"]] = total.get(r["kr"], 0) + 1
        if r["cat"] == "done":
            done[r["kr"]] = done.get(r["kr"], 0) + 1
    _ = {k: done.get(k, 0) / v for k, v in total.items()}
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=100_000)
    ap.add_argument("--krs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    tree = build(args.plans, args.krs)
    policy = RollupPolicy(in_progress_credit=0.25)
    times, base = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        scored = roll_up(tree, date(2026, 11, 20), policy)
        times.append(time.perf_counter() - t0)
        base.append(baseline(tree))
    n = sum(len(k.action_plans) for k in tree.key_results)
    print(
        f"roll-up of {n:,} action plans under {len(tree.key_results)} KRs, {len(tree.objectives)} objectives"
    )
    best, median = min(times) * 1000, statistics.median(times) * 1000
    base_best, base_median = min(base) * 1000, statistics.median(base) * 1000
    print(f"  okrsync roll_up : best {best:7.1f} ms   median {median:7.1f} ms")
    print(
        f"  naive count loop: best {base_best:7.1f} ms   median {base_median:7.1f} ms"
        f"   (ratio {best / base_best:.1f}x; the loop computes counts only)"
    )
    print(f"  company objective CO-1 progress {scored.objective('CO-1').progress:.3f}")


if __name__ == "__main__":
    main()
