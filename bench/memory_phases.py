"""Where a sync's resident memory goes, step by step (issue 15: the 100,000-issue peak RSS).

    python bench/memory_phases.py [--epics 1000 --issues-per-epic 99] [--flavor cloud] [--runs 3]
                                  [--malloc-stats]

Runs okrsync's cycles (``run_sync`` + ``JiraGateway`` + a SQLite ``StateStore``, as the sync bench
does: a first sync, then re-syncs 15 simulated minutes apart) against the bench's simulator in a
child process, and samples this process's RSS every 10 ms, noting the step of the cycle it is in
(the engine's steps are wrapped: the mirror load, the fetch, the tree, the check-ins, the roll-up,
the plan, the upserts, the apply, the scores and stored tree, the report facts, the coverage). For
each run it prints the peak RSS within each step and the RSS at each step's end; with
``--malloc-stats`` also CPython's arenas (MiB) and live small-object blocks (MiB) at each step's end
(``sys._debugmallocstats``), which tell what is live from what the allocator keeps. Diagnosis only:
the figures to quote are ``sync_bench.py``'s.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from syncbench.sim import SimProcess
from syncbench.site import write_config

STEPS = (
    "build_tree",
    "with_checkins",
    "score_with_closes",
    "plan_cycle",
    "apply_plan",
    "_record_scores",
    "record_report_facts",
    "record_coverage",
)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def malloc_stats() -> tuple[float, float]:
    """(MiB of arenas allocated, MiB in live blocks), from CPython's allocator statistics."""
    with tempfile.TemporaryFile(mode="w+") as out:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()

    def number(label: str) -> int:
        found = re.search(re.escape(label) + r"\s*=\s*([\d,]+)", text)
        return int(found.group(1).replace(",", "")) if found else 0

    return float(number("# arenas allocated current")), number("# bytes in allocated blocks") / 2**20


class Phases:
    """The step the cycle is in, the peak RSS seen in each, and the RSS at each step's end."""

    def __init__(self, stats: bool) -> None:
        self.step = "start"
        self.peaks: dict[str, float] = {}
        self.ends: list[str] = []
        self.stats = stats
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            step, rss = self.step, rss_mib()
            self.peaks[step] = max(self.peaks.get(step, 0.0), rss)
            time.sleep(0.01)

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        fn: Callable[..., Any] = getattr(owner, attr)

        def wrapped(*a: Any, **kw: Any) -> Any:
            outer, self.step = self.step, name
            try:
                return fn(*a, **kw)
            finally:
                rss = rss_mib()
                self.peaks[name] = max(self.peaks.get(name, 0.0), rss)
                extra = "/{:.0f}/{:.0f}".format(*malloc_stats()) if self.stats else ""
                self.ends.append(f"{name} {rss:.0f}{extra}")
                self.step = outer

        setattr(owner, attr, wrapped)

    def reset(self, name: str) -> None:
        self.step, self.peaks, self.ends = name, {}, []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epics", type=int, default=1000)
    ap.add_argument("--issues-per-epic", type=int, default=99)
    ap.add_argument("--flavor", choices=("cloud", "datacenter"), default="cloud")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--malloc-stats", action="store_true")
    args = ap.parse_args()
    sim_args = argparse.Namespace(
        epics=args.epics,
        issues_per_epic=args.issues_per_epic,
        latency_ms=3,
        seed=1,
        flavor=args.flavor,
        keep_nagle=False,
    )
    from okrsync.domain.config import load_config
    from okrsync.jira.gateway import JiraGateway
    from okrsync.state.store import StateStore
    from okrsync.sync import engine, fetch

    phases = Phases(args.malloc_stats)
    phases.wrap(StateStore, "issues", "mirror load")
    phases.wrap(StateStore, "upsert_issues", "mirror upsert")
    phases.wrap(fetch.Fetcher, "fetch", "fetch")
    for name in STEPS:
        phases.wrap(engine, name, name)
    sim = SimProcess(sim_args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg_path = Path(tmp) / "okrsync.yaml"
            write_config(
                cfg_path, sim.url, sim.epics, args.flavor, Path(tmp) / "state.db", max_concurrency=None
            )
            cfg = load_config(cfg_path)
            with StateStore.open(cfg.sync.state_url) as store:
                for n in range(1, args.runs + 1):
                    if n > 1:
                        sim.advance(timedelta(minutes=15))
                    phases.reset(f"run {n}")
                    before, started = rss_mib(), time.perf_counter()
                    with JiraGateway(cfg.jira) as gateway:
                        report = engine.run_sync(
                            cfg, store=store, gateway=gateway, now=sim.now(), clock=sim.now
                        )
                    seconds = time.perf_counter() - started
                    print(
                        f"run {n}: {report.status}, {report.requests} requests, {seconds:.1f} s, "
                        f"RSS {before:.0f} MiB before, {rss_mib():.0f} after"
                    )
                    del report
                    print(
                        "  peak RSS MiB by step:", ", ".join(f"{k} {v:.0f}" for k, v in phases.peaks.items())
                    )
                    print("  at each step's end (RSS[/arenas/live blocks] MiB):", ", ".join(phases.ends))
                    sys.stdout.flush()
    finally:
        sim.close()


if __name__ == "__main__":
    main()
