"""okrsync's runs: the real code path, ``run_sync`` + ``JiraGateway`` + a SQLite ``StateStore``.

A new gateway per run, as ``okrsync sync`` does; ``jira.flavor: auto``; ``requests_per_second:
10000`` so that the client-side pacer is never the bottleneck; ``jira.max_concurrency`` when the
bench is given ``--max-concurrency`` and okrsync's configuration model knows the key. The gateway's
``search`` is wrapped to record which issue keys each run read, the store's methods to time them
(measurement only). Four scenarios: the three of the table, then a steady unchanged re-sync.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from syncbench.measure import Run, measured
from syncbench.minimum import min_reads, page_for
from syncbench.profiling import HeapPhases, profiled
from syncbench.sim import SimProcess
from syncbench.site import accepts_max_concurrency, jql_sources, write_config

INTERVAL = timedelta(minutes=15)
SCENARIOS = ("first sync", "unchanged re-sync", "1 %-changed re-sync")
STEADY = "steady unchanged re-sync"
"""okrsync's 4th measured run: two cycles after (3), so not the one right after a write (issue 15's
definition): the cycle right after (3) re-reads what (3) wrote (it runs, unmeasured, in between)."""
STORE_METHODS = ("issues", "upsert_issues", "applied", "record_applied", "record_progress", "set_meta")


def time_methods(obj: Any, names: Sequence[str]) -> dict[str, float]:
    """Wrap ``obj``'s methods to add up the seconds spent in each (measurement only)."""
    spent: dict[str, float] = {}
    for name in names:
        method = getattr(obj, name, None)
        if method is None:
            continue

        def timed(*a: Any, _m: Any = method, _n: str = name, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _m(*a, **kw)
            finally:
                spent[_n] = spent.get(_n, 0.0) + time.perf_counter() - t0

        setattr(obj, name, timed)
    return spent


def concurrency_setting(args: argparse.Namespace) -> tuple[int | None, str]:
    """(the ``jira.max_concurrency`` to write, a note for the report)."""
    wanted = getattr(args, "max_concurrency", None)
    default = accepts_max_concurrency()
    if default is None:
        if wanted is None:
            return None, "sequential (okrsync's config has no jira.max_concurrency)"
        return None, f"--max-concurrency {wanted} skipped: okrsync's config has no jira.max_concurrency yet"
    if wanted is None:
        return None, f"jira.max_concurrency {default} (okrsync's default)"
    return wanted, f"jira.max_concurrency {wanted}"


def run_okrsync(args: argparse.Namespace) -> list[Run]:
    from okrsync.domain.config import load_config
    from okrsync.jira.gateway import JiraGateway
    from okrsync.state.store import StateStore
    from okrsync.sync.engine import SyncReport, run_sync

    class RecordingGateway(JiraGateway):
        """The real gateway; ``search`` also notes the keys it returned (measurement only)."""

        read_keys: list[str]

        def search(self, jql: str, fields: Sequence[str], **kw: Any) -> Iterator[dict[str, Any]]:
            for issue in super().search(jql, fields, **kw):
                self.read_keys.append(str(issue.get("key")))
                yield issue

    profile_dir: Path | None = getattr(args, "profile", None)
    heap = HeapPhases() if profile_dir is not None and args.tracemalloc else None
    heap_at = str(getattr(args, "profile_heap", "4")).split(",")
    if heap is not None:
        heap.install()
    sim = SimProcess(args)
    runs: list[Run] = []
    concurrency, note = concurrency_setting(args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg_path = Path(tmp) / "okrsync.yaml"
            shape = write_config(
                cfg_path, sim.url, sim.epics, args.flavor, Path(tmp) / "state.db", max_concurrency=concurrency
            )
            cfg = load_config(cfg_path)
            page = page_for(args.flavor)
            jql_keys = {k for _p, _j, keys in jql_sources(sim.epics) for k in keys}
            written_before: set[str] = set()
            user_changed: list[str] = []
            with StateStore.open(cfg.sync.state_url) as store:
                store_seconds = time_methods(store, STORE_METHODS)
                for index, scenario in enumerate((*SCENARIOS, STEADY)):
                    if index in (1, 3):
                        sim.advance(INTERVAL)
                    if index == 3:  # the cycle right after (3)'s writes, not measured
                        with RecordingGateway(cfg.jira) as gateway:
                            gateway.read_keys = []
                            run_sync(cfg, store=store, gateway=gateway, now=sim.now(), clock=sim.now)
                        sim.advance(INTERVAL)
                    if index == 2:
                        sim.advance(INTERVAL / 2)
                        user_changed = sim.call("change", share=0.01, seed=args.seed)["changed"]
                        sim.advance(INTERVAL / 2)
                    changed_now = user_changed if index == 2 else []
                    run = Run(scenario, "okrsync", flavor=args.flavor)
                    now = sim.now()
                    out: dict[str, Any] = {}

                    name = f"{args.flavor}-{index + 1}-{scenario}"

                    snap = str(index + 1) in heap_at

                    def body(
                        now: datetime = now, out: dict[str, Any] = out, name: str = name, snap: bool = snap
                    ) -> None:
                        with (
                            profiled(profile_dir, name, heap, snapshots=snap),
                            RecordingGateway(cfg.jira) as gateway,
                        ):
                            gateway.read_keys = []
                            out["report"] = run_sync(
                                cfg, store=store, gateway=gateway, now=now, clock=sim.now
                            )
                            out["stats"] = gateway.stats.snapshot()
                            out["read_keys"] = gateway.read_keys

                    store_seconds.clear()
                    measured(run, sim, body, use_tracemalloc=args.tracemalloc)
                    report: SyncReport = out["report"]
                    if report.status != "ok":
                        raise RuntimeError(f"okrsync sync {scenario}: {report.status}: {report.as_dict()}")
                    run.client_count = int(out["stats"]["requests"])
                    read_keys: list[str] = out["read_keys"]
                    parts = min_reads(
                        first=index == 0,
                        page=page,
                        in_scope_not_jql=report.issues_in_scope - shape.jql_epics,
                        user_changed=len(changed_now),
                        jql_epic_counts=shape.jql_epic_counts,
                    )
                    run.min_reads += sum(parts.values())  # after the task polls (measured)
                    run.min_detail.update({f"min_reads_{k}": v for k, v in parts.items()})
                    plan = report.plan
                    written = (
                        {c.issue_key for c in plan.changes if c.kind in ("field", "property")}
                        if plan
                        else set()
                    )
                    reread = set(read_keys) - jql_keys
                    run.extra.update(
                        {
                            "mode": report.mode,
                            "issues_in_scope": report.issues_in_scope,
                            "issues_read": report.issues_read,
                            "read_keys": len(read_keys),
                            "reread_own_writes": len((reread & written_before) - set(changed_now)),
                            "written_before": len(written_before),
                            "reread_jql_epics": sum(1 for k in read_keys if k in jql_keys) if index else 0,
                            "user_changed": len(changed_now),
                            "user_changed_read": len(set(read_keys) & set(changed_now)),
                            "field_edits": report.field_edits,
                            "field_values": report.field_values,
                            "properties": report.properties,
                            "comments_posted": report.comments_posted,
                            "comments_updated": report.comments_updated,
                            "issues_written": len(written),
                            "key_results": report.key_results,
                            "warnings": len(report.warnings),
                            "http_seconds": float(out["stats"]["seconds"]),
                            "store_seconds": dict(store_seconds),
                            "concurrency": note,
                            **shape.as_dict(),
                        }
                    )
                    written_before = written
                    runs.append(run)
                    # nothing of this run stays in the next one's memory but ``written_before``
                    # (~8 MiB of keys at 100,000 issues): a daemon keeps no report either
                    del report, plan, read_keys, reread
                    out.clear()
    finally:
        sim.close()
    return runs
