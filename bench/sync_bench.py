"""Sync cost at scale: okrsync beside a naive client, on a generated Jira (issues 5 and 15).

    python bench/sync_bench.py [--site 10k|100k | --epics 200 --issues-per-epic 50] [--latency-ms 3]
                               [--flavor cloud|datacenter|both] [--baseline auto|run|estimate]
                               [--max-concurrency N] [--tracemalloc] [--seed 1] [--json results.json]
    python bench/sync_bench.py --markdown results.json [more.json ...]     # tables to paste
    python bench/sync_bench.py --write-readme results.json [more.json ...] # into bench/README.md

The simulator (``dataset="generated"``, ``okr_fields=True``: ``epics × issues_per_epic`` children
plus the epics, in projects GA..GD) serves real HTTP from a child process, with ``latency_ms`` slept
on every Jira request in the request's own thread (concurrent requests wait side by side, so a
concurrent client gains from it: ``syncbench/sim.py``). Each client runs in a fresh child process
of its own, against a fresh simulator built from the same seed, through the scenarios:

1. first sync — empty state database;
2. unchanged re-sync — 15 (simulated) minutes later, nobody touched Jira;
3. 1 %-changed re-sync — ``⌈0.01 × all issues⌉`` work items (same keys for both clients) changed
   as a user would (``sim.transition`` To Do → In Progress → Done, a story point re-estimate of
   done items), then a sync 15 minutes after the previous one;
4. steady unchanged re-sync (okrsync only; the baseline keeps no state, so its 4th run is its 2nd) —
   15 minutes after (3): the cycle the issue's "steady re-sync" targets are about (the re-sync of
   (2) still re-reads every issue the first sync wrote).

The sites (``syncbench/site.py``): ``--site 10k`` (the default: 200 epics × 50, 10,200 issues,
200 KRs, the configuration of every earlier figure) and ``--site 100k`` (1,000 × 99: 100,000
issues, 1,000 KRs, objectives and JQL sources scaled ×5).

The simulator's clock is the real clock plus an offset that the bench advances between scenarios
(15 minutes, the default ``sync.interval_minutes``), so that incremental reads see realistic
watermarks (``updated >= previous sync - skew_minutes``) without waiting.

Clients
-------
* okrsync (``syncbench/okrsync_client.py``) — ``run_sync`` + ``JiraGateway`` + SQLite
  ``StateStore``, a new gateway per run as ``okrsync sync`` does, ``requests_per_second: 10000``
  (the pacer is never the bottleneck). ``--max-concurrency N`` writes ``jira.max_concurrency: N``
  into its configuration when okrsync's configuration model accepts the key (tried by validating
  one), else the run says it was skipped. Always measured, at any latency.
* baseline (``syncbench/baseline.py``) — the ``jira`` library's page of 50, a search per KR epic,
  every value PUT every run, no comments. ``--baseline run`` runs it; ``estimate`` computes its
  requests from its formula (deterministic: it depends on the site alone; checked against every
  real run) and its wall time as requests × (latency + 2.6 ms of simulator time a request), no
  memory figures; ``auto`` (the default) runs it up to 20,000 issues and 3 ms, else estimates (at
  100 ms one baseline scenario of 10,200 issues takes ~18 minutes; at 100,000 issues it PUTs
  ~101,000 times a scenario).

Minimum possible requests: ``syncbench/minimum.py``. Reads as before; writes dialect-aware (on
Cloud, issues that end with identical okrsync values in groups of ≥ 20 cost a bulk edit and one
task poll per 1,000, properties 2 requests per 100); the per-issue minimum (one write per changed
issue, property, comment: the definition before bulk edits, and Data Center's) is printed beside it.
Writes are measured on Jira's side: the simulator's state is fingerprinted before and after each
run, so a PUT that changes nothing is counted as excess, whatever the client believes.

Memory (``syncbench/measure.py``): the client process's peak RSS during the run (``VmHWM`` reset
per run); ``--tracemalloc`` adds the Python-heap peak of the run, which slows the CPU work (quote
wall times from a run without it). RSS includes what an earlier scenario left allocated in the
process, so for scenarios 2-4 the heap figure is the cleaner one.

Below the table: wall times at 20 and 100 ms estimated as measured + requests × the extra latency
(valid for a sequential client only; checked on 1,020 issues: the estimate runs ~5-10 % low), and
for okrsync every read and write beyond the minimum, by cause, time in HTTP and in the state store.

The simulator child switches off Nagle's algorithm on its sockets (``--keep-nagle`` keeps it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from syncbench.baseline import estimated_runs, run_baseline, site_requests
from syncbench.markdown import load_sets, rewrite_readme, tables
from syncbench.measure import Run
from syncbench.okrsync_client import run_okrsync
from syncbench.report import explain, projection, table
from syncbench.sim import reply, serve_sim, sim_argv
from syncbench.site import SITES

HERE = Path(__file__).resolve()
README = HERE.parent / "README.md"


def child(args: argparse.Namespace) -> None:
    if args.tracemalloc:
        tracemalloc.start(6 if args.profile and args.client == "okrsync" else 1)
    runs = run_okrsync(args) if args.client == "okrsync" else run_baseline(args)
    reply([r.__dict__ for r in runs])


def spawn_client(args: argparse.Namespace, client: str) -> list[Run]:
    cmd = [
        sys.executable,
        str(HERE),
        *("--client", client),
        *sim_argv(args),
        *(["--tracemalloc"] if args.tracemalloc else []),
        *(["--max-concurrency", str(args.max_concurrency)] if args.max_concurrency else []),
        *(["--profile", str(args.profile), "--profile-heap", args.profile_heap] if args.profile else []),
    ]
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return [Run(**r) for r in json.loads(done.stdout.strip().splitlines()[-1])]


def baseline_mode(args: argparse.Namespace) -> str:
    if args.baseline != "auto":
        return str(args.baseline)
    issues = args.epics * (args.issues_per_epic + 1)
    return "run" if issues <= 20_000 and args.latency_ms <= 3 else "estimate"


def one_dialect(args: argparse.Namespace) -> dict[str, Any]:
    issues = args.epics * (args.issues_per_epic + 1)
    mode = baseline_mode(args)
    print(
        f"sync benchmark: {issues:,} issues ({args.epics} epics × {args.issues_per_epic} + the epics), "
        f"{args.flavor} dialect, {args.latency_ms} ms latency per request, seed {args.seed}, "
        f"{os.cpu_count()} CPUs, baseline {mode}"
    )
    started = time.perf_counter()
    ok = spawn_client(args, "okrsync")
    if mode == "run":
        base = spawn_client(args, "baseline")
    else:
        base = estimated_runs(args.epics, args.issues_per_epic, args.latency_ms, args.flavor)
    x = ok[0].extra
    print(
        f"{x['key_results']} KRs ({x['krs_listed']} listed epics + {x['jql_sources']} JQL sources matching "
        f"{x['jql_epics']} epics); okrsync: run_sync + JiraGateway, requests_per_second 10000, "
        f"{x.get('concurrency', '')}; baseline: page 50, a search per KR epic, every value PUT every time, "
        "no comments; peak RSS of each client's own process, growth = above its RSS at the run's start"
    )
    print()
    print(table(ok, base, args.tracemalloc))
    for at_ms in (20, 100):
        if at_ms > args.latency_ms:
            print(projection(ok, base, args.latency_ms, at_ms))
    print(explain(ok, base))
    if mode == "run":
        check_baseline(args, base)
        pairs = [(o, b) for o in ok for b in base if b.scenario == o.scenario]
        mismatch = sorted(
            {
                o.scenario
                for o, b in pairs
                for w in ("jira_values", "jira_properties")
                if o.extra[w] != b.extra[w]
            }
        )
        print(
            "  both clients leave identical okrsync values and properties in Jira after every scenario: "
            + ("yes" if not mismatch else f"NO, in {mismatch}")
        )
    counted = [
        (r.client, r.scenario, r.client_count, r.requests)
        for r in (*ok, *base)
        if not r.estimated and r.client_count != r.requests
    ]
    if counted:
        print(f"  client-side counts differ from the simulator's: {counted}")
    else:
        print(
            "  client-side request counts (gateway stats, naive counter) equal the simulator's /_sim/requests"
        )
    print(f"\n{args.flavor}: {time.perf_counter() - started:.0f} s\n")
    return {
        "flavor": args.flavor,
        "issues": issues,
        "epics": args.epics,
        "issues_per_epic": args.issues_per_epic,
        "key_results": x["key_results"],
        "latency_ms": args.latency_ms,
        "tracemalloc": args.tracemalloc,
        "baseline": mode,
        "concurrency": x.get("concurrency", ""),
        "seed": args.seed,
        "runs": [r.__dict__ for r in (*ok, *base)],
    }


def check_baseline(args: argparse.Namespace, base: list[Run]) -> None:
    """The formula (``--baseline estimate``) against the baseline that ran."""
    f = site_requests(args.epics, args.issues_per_epic)
    est = estimated_runs(args.epics, args.issues_per_epic, args.latency_ms, args.flavor)[0]
    for b in base:
        print(
            f"  baseline estimate check, {b.scenario}: formula {f['requests']:,} requests "
            f"({f['reads']} reads), counted {b.requests:,} ({b.reads} reads); wall estimate "
            f"{est.seconds:.1f} s, measured {b.seconds:.1f} s ({b.seconds / est.seconds:.2f})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--site", choices=sorted(SITES), help="a preset size (sets --epics, --issues-per-epic)")
    ap.add_argument("--epics", type=int, default=200)
    ap.add_argument("--issues-per-epic", type=int, default=50)
    ap.add_argument("--latency-ms", type=int, default=3, help="added to every Jira request (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flavor", choices=("cloud", "datacenter", "both"), default="cloud")
    ap.add_argument("--baseline", choices=("auto", "run", "estimate"), default="auto")
    ap.add_argument("--max-concurrency", type=int, help="jira.max_concurrency for okrsync (if it has it)")
    ap.add_argument("--tracemalloc", action="store_true", help="also the Python-heap peak (slower)")
    ap.add_argument(
        "--keep-nagle", action="store_true", help="leave Nagle's algorithm on (~40 ms a response)"
    )
    ap.add_argument("--profile", type=Path, help="okrsync's cProfile (and heap phases) per scenario, here")
    ap.add_argument(
        "--profile-heap", default="4", help="with --profile --tracemalloc: scenarios (1-4) to snapshot"
    )
    ap.add_argument("--json", type=Path, help="write every measurement to this file")
    ap.add_argument("--markdown", type=Path, nargs="+", help="print markdown tables of these results files")
    ap.add_argument("--write-readme", type=Path, nargs="+", help="write these results into bench/README.md")
    ap.add_argument("--serve-sim", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--client", choices=("okrsync", "baseline"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.site:
        args.epics, args.issues_per_epic = SITES[args.site]
    if args.serve_sim:
        serve_sim(args)
        return
    if args.client:
        child(args)
        return
    if args.markdown or args.write_readme:
        body = tables(load_sets(args.markdown or args.write_readme))
        if args.write_readme:
            rewrite_readme(README, body)
            print(f"wrote {README}")
        else:
            print(body)
        return
    os.environ.setdefault("PYTHONHASHSEED", "0")
    started = time.perf_counter()
    flavors = ("cloud", "datacenter") if args.flavor == "both" else (args.flavor,)
    results = []
    for flavor in flavors:
        results.append(one_dialect(argparse.Namespace(**{**vars(args), "flavor": flavor})))
    print(f"whole benchmark: {time.perf_counter() - started:.0f} s")
    if args.json:
        data = {"args": {k: str(v) for k, v in vars(args).items()}, "results": results}
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
