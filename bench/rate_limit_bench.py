"""A sync at a low site rate limit: the adaptive pacer beside the old fixed-rate one (issue 14, build 4).

    python bench/rate_limit_bench.py [--limits 2,5] [--flavor cloud|datacenter|both] [--rps 20]
                                     [--dataset demo|generated] [--epics 4] [--issues-per-epic 10]
                                     [--json results.json]

For each site limit (requests a second) and each pacer, a fresh simulator (``okr_fields=True``)
refuses what goes beyond the limit — Cloud: a sliding one-second window over every request,
answering 429 with ``RateLimit-Reason: jira-quota-global-based``, ``Retry-After`` in whole seconds
and ``X-RateLimit-NearLimit: true`` once less than 20 % of the window is left; Data Center: each
user's token bucket (``X-RateLimit-FillRate`` tokens a second, as many in the bucket), 429 without
a reason — and okrsync runs its real first sync (``run_sync`` with ``JiraGateway`` and a SQLite
state store, ``jira.requests_per_second: 20`` as in the demo configuration, ten times the 2/s
limit), at the demo company's pinned day (2026-11-26).

Pacers:

* **adaptive** — okrsync's (:mod:`okrsync.jira.pacing`): AIMD bounded by ``requests_per_second``,
  learning from 429s, NearLimit and Data Center's fill rate, holding back the refused scope.
* **fixed** — the pacer okrsync had before: evenly spaced requests at ``requests_per_second``, never
  slower; a 429 waits its ``Retry-After`` (the retry policy, unchanged) and nothing else. It is the
  old ``okrsync.jira.retry.Pacer`` (a token bucket of one), put in the client's place here.

Reported per run: requests the simulator saw, refused ones (429) and their share, requests sent
before a Retry-After had passed (the simulator records them), wall seconds, and whether the two
runs left the same okrsync values in Jira. Both pacers run in this process, one after the other,
against simulators in threads of it; at a few requests a second the CPU is not what bounds them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import okrsync.jira.client as jira_client  # noqa: E402
from okrsync.data import DEMO_CONFIG  # noqa: E402
from okrsync.domain.config import load_config  # noqa: E402
from okrsync.jira.gateway import JiraGateway  # noqa: E402
from okrsync.jira.pacing import Answer, Ticket  # noqa: E402
from okrsync.jira_sim.simulator import JiraSimulator  # noqa: E402
from okrsync.state.store import StateStore  # noqa: E402
from okrsync.sync.engine import run_sync  # noqa: E402

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class FixedPacer:
    """The pacer okrsync had before the adaptive one: a token bucket of one at a fixed ``rate``."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        per_issue_writes: Sequence[tuple[int, float]] = (),
    ) -> None:
        self.rate = rate
        self.per_issue_writes = tuple(per_issue_writes)  # set by the client; the old pacer had none
        self._clock, self._sleep = clock, sleep
        self._tokens, self._last = 1.0, None
        self._lock = threading.Lock()

    def acquire(self, method: str, issue: str | None = None, *, max_wait: float = math.inf) -> Ticket:
        with self._lock:
            now = self._clock()
            last = now if self._last is None else self._last
            self._tokens = min(1.0, self._tokens + (now - last) * self.rate)
            self._last = now
            waited = 0.0
            if self._tokens < 1.0:
                waited = (1.0 - self._tokens) / self.rate
                self._tokens, self._last = 1.0, now + waited
            self._tokens -= 1.0
            if waited > 0:
                self._sleep(waited)
                self._last = max(self._last, self._clock())
            return Ticket(method, issue, now + waited, waited)

    def observe(self, ticket: Ticket, answer: Answer) -> None:
        return None  # it learned nothing


@contextmanager
def pacer(kind: str) -> Iterator[None]:
    """The client's pacer class for the runs inside: ``adaptive`` (okrsync's) or ``fixed`` (the old)."""
    real = jira_client.AdaptivePacer
    if kind == "fixed":
        jira_client.AdaptivePacer = FixedPacer  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        jira_client.AdaptivePacer = real  # type: ignore[misc]


@dataclass
class Run:
    flavor: str
    limit: float
    pacer: str
    status: str
    requests: int
    refused: int
    violations: int
    seconds: float
    writes: int
    pacing_rate: float | None
    jira_values: str

    @property
    def refused_share(self) -> float:
        return self.refused / self.requests if self.requests else 0.0


def config_file(tmp: Path, sim: JiraSimulator, rps: float, dataset: str) -> Path:
    data = yaml.safe_load(Path(DEMO_CONFIG).read_text(encoding="utf-8"))
    if dataset == "generated":
        epics = sorted(k for k, i in sim.store.issues.items() if i["fields"]["issuetype"]["name"] == "Epic")
        data["objectives"] = [{"id": "CO-1", "title": "Company objective", "level": "company"}]
        data["objectives"] += [{"id": "T1", "title": "Team objective", "aligns_to": "CO-1"}]
        data["key_results"] = [{"objective": "T1", "epic": key} for key in epics]
        data["policy"]["max_krs_per_objective"] = max(20, len(epics))
    auth: dict[str, Any] = (
        {"email": "demo@example.com", "api_token": "demo-token"}
        if sim.flavor == "cloud"
        else {"pat": "demo-pat"}
    )
    data["jira"] = {"url": sim.url, "flavor": sim.flavor, "requests_per_second": rps, **auth}
    data["sync"]["state_url"] = f"sqlite:///{tmp / 'state.db'}"
    path = tmp / "okrsync.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def okr_values(sim: JiraSimulator) -> str:
    """A fingerprint of every okrsync field value and property in the simulator's issues."""
    with sim.store.lock:
        okr_ids = {f["id"] for f in sim.store.fields if str(f.get("name", "")).startswith("OKR")}
        out = {
            key: (
                {k: v for k, v in issue["fields"].items() if k in okr_ids},
                issue["properties"].get("okrsync"),
            )
            for key, issue in sorted(sim.store.issues.items())
        }
    return hashlib.sha256(json.dumps(out, sort_keys=True, default=str).encode()).hexdigest()[:16]


def one_run(flavor: str, limit: float, kind: str, args: argparse.Namespace) -> Run:
    build: dict[str, Any] = {"okr_fields": True}
    if args.dataset == "generated":
        build.update(epics=args.epics, issues_per_epic=args.issues_per_epic, seed=1)
    with JiraSimulator(flavor, args.dataset, **build) as sim, tempfile.TemporaryDirectory() as tmp:
        cfg = load_config(config_file(Path(tmp), sim, args.rps, args.dataset))
        sim.set_faults(rate_limit_per_second=limit)
        started = time.monotonic()
        with pacer(kind), StateStore.open(cfg.sync.state_url) as store, JiraGateway(cfg.jira) as gateway:
            report = run_sync(cfg, store=store, gateway=gateway, now=NOW)
            rate = gateway.stats.snapshot()["pacing_rate"] if kind == "adaptive" else args.rps
        seconds = time.monotonic() - started
        log = sim.requests()
        statuses = [entry["status"] for entry in log["log"]]
        return Run(
            flavor,
            limit,
            kind,
            report.status,
            len(statuses),
            statuses.count(429),
            len(log["retry_after_violations"]),
            round(seconds, 1),
            report.writes,
            rate,
            okr_values(sim),
        )


def table(runs: list[Run]) -> str:
    head = (
        f"{'dialect':<11} {'limit/s':>7} {'pacer':<9} {'status':<8} {'requests':>8} {'refused':>7} "
        f"{'share':>6} {'early':>5} {'seconds':>7} {'rate at end':>11}"
    )
    lines = [head, "-" * len(head)]
    by_key: dict[tuple[str, float], dict[str, Run]] = {}
    for r in runs:
        by_key.setdefault((r.flavor, r.limit), {})[r.pacer] = r
        rate = f"{r.pacing_rate:.2f}" if r.pacing_rate is not None else "—"
        lines.append(
            f"{r.flavor:<11} {r.limit:>7g} {r.pacer:<9} {r.status:<8} {r.requests:>8} {r.refused:>7} "
            f"{r.refused_share:>6.1%} {r.violations:>5} {r.seconds:>7.1f} {rate:>11}"
        )
    lines.append("")
    for (flavor, limit), pair in by_key.items():
        new, old = pair.get("adaptive"), pair.get("fixed")
        if new is None or old is None:
            continue
        share = new.refused_share / old.refused_share if old.refused_share else math.nan
        same = "same" if new.jira_values == old.jira_values else "DIFFERENT"
        lines.append(
            f"{flavor} at {limit:g}/s, adaptive ÷ fixed: refused share {share:.2f} "
            f"({new.refused_share:.1%} vs {old.refused_share:.1%}), seconds {new.seconds / old.seconds:.2f} "
            f"({new.seconds:.1f} vs {old.seconds:.1f}), requests {new.requests / old.requests:.2f}; "
            f"okrsync values in Jira: {same}"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--limits", default="2,5", help="site limits in requests a second (default 2,5)")
    ap.add_argument("--flavor", choices=("cloud", "datacenter", "both"), default="cloud")
    ap.add_argument("--rps", type=float, default=20.0, help="jira.requests_per_second (default 20)")
    ap.add_argument("--dataset", choices=("demo", "generated"), default="demo")
    ap.add_argument("--epics", type=int, default=4)
    ap.add_argument("--issues-per-epic", type=int, default=10)
    ap.add_argument("--json", type=Path, help="write every measurement to this file")
    args = ap.parse_args()
    flavors = ("cloud", "datacenter") if args.flavor == "both" else (args.flavor,)
    limits = [float(x) for x in args.limits.split(",")]
    print(
        f"rate-limit benchmark: {args.dataset} dataset, first sync, jira.requests_per_second {args.rps:g}, "
        f"site limits {', '.join(f'{x:g}/s' for x in limits)}, {os.cpu_count()} CPUs"
    )
    started = time.monotonic()
    runs = []
    for flavor in flavors:
        for limit in limits:
            for kind in ("fixed", "adaptive"):
                run = one_run(flavor, limit, kind, args)
                print(
                    f"  {flavor} {limit:g}/s {kind}: {run.requests} requests, {run.refused} refused, "
                    f"{run.seconds:.1f} s",
                    flush=True,
                )
                runs.append(run)
    print()
    print(table(runs))
    print(f"\nwhole benchmark: {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
