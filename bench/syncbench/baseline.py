"""The baseline: a straightforward client written here, not okrsync code; and its request formula.

It uses the ``jira`` library's default page of 50: one search for the configured epics (``key in
(...)``), one search per JQL source, then **one search per KR epic** for its children (``parent =
X`` on Cloud, ``"Epic Link" = X`` on Data Center). It computes the values with okrsync's pure core
(``build_tree``, ``roll_up``, ``plan_changes`` against an empty view of Jira, so both clients leave
Jira with identical values, which the bench checks), then PUTs **every** value on every issue and
the ``okrsync`` property on every KR epic, every run (no diffing, no state). It posts no comments.

Its requests are therefore a formula of the site alone, the same in every scenario
(``baseline_requests``; ``tests/bench`` and every ``--baseline run`` check it against the
simulator's count):

    reads  = 2 (serverInfo, field list) + max(1, ⌈L ÷ 50⌉) + Σ_j max(1, ⌈E_j ÷ 50⌉)
             + Σ_e max(1, ⌈C_e ÷ 50⌉)
    writes = (E + Σ_e C_e) field PUTs + E property PUTs

with L the listed epics, E_j the epics of JQL source j, E = L + Σ_j E_j the KR epics and C_e the
children of epic e. 10,200 issues (200 × 50): 206 reads + 10,400 writes = 10,606; 100,000 issues
(1,000 × 99, 500 listed, 10 sources of 50): 2,022 reads + 101,000 writes = 103,022.

``--baseline estimate`` does not run it: each scenario's requests come from the formula and its
wall time is requests × (latency + ``SERVICE_MS``), sequential; ``SERVICE_MS`` is the simulator's
own time a baseline request (measured at 3 ms, 10,200 issues, on the 2-core machine of
bench/README.md). The estimate has no memory figures.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from syncbench.measure import Run, measured
from syncbench.okrsync_client import INTERVAL, SCENARIOS, STEADY
from syncbench.sim import SimProcess
from syncbench.site import jql_sources, write_config

NAIVE_PAGE = 50  # the jira library's default maxResults
SERVICE_MS = 2.6
"""The simulator's time a baseline request beyond the injected latency (59.2 s for 10,606 requests
at 3 ms: 5.58 ms a request), for ``--baseline estimate``."""
GENERATED_PROJECTS = ("GA", "GB", "GC", "GD")


def pages(n: int, page: int = NAIVE_PAGE) -> int:
    return max(1, math.ceil(n / page))


def baseline_requests(listed: int, jql_epic_counts: Sequence[int], children: Sequence[int]) -> dict[str, int]:
    """The baseline's requests in any scenario: ``children`` has one entry per KR epic."""
    epics = listed + sum(jql_epic_counts)
    if len(children) != epics:
        raise ValueError(f"{len(children)} children counts for {epics} KR epics")
    reads = 2 + pages(listed) + sum(pages(n) for n in jql_epic_counts) + sum(pages(c) for c in children)
    writes = epics + sum(children) + epics
    return {"reads": reads, "writes": writes, "requests": reads + writes}


def generated_epic_keys(epics: int) -> list[str]:
    """The generated dataset's epic keys: round-robin over GA..GD, created before their children."""
    n = len(GENERATED_PROJECTS)
    return [f"{GENERATED_PROJECTS[e % n]}-{e // n + 1}" for e in range(epics)]


def site_requests(epics: int, issues_per_epic: int) -> dict[str, int]:
    keys = generated_epic_keys(epics)
    listed = sum(1 for k in keys if k.startswith(("GA-", "GB-")))
    counts = [len(ks) for _p, _j, ks in jql_sources(keys)]
    return baseline_requests(listed, counts, [issues_per_epic] * (listed + sum(counts)))


def estimated_runs(epics: int, issues_per_epic: int, latency_ms: float, flavor: str) -> list[Run]:
    f = site_requests(epics, issues_per_epic)
    seconds = f["requests"] * (latency_ms + SERVICE_MS) / 1000
    return [
        Run(
            s,
            "baseline",
            reads=f["reads"],
            writes=f["writes"],
            seconds=seconds,
            flavor=flavor,
            estimated=True,
        )
        for s in (*SCENARIOS, STEADY)
    ]


class NaiveClient:
    """What a straightforward script does: search per epic, PUT every value every time."""

    def __init__(self, url: str, flavor: str) -> None:
        self.url = url.rstrip("/")
        self.flavor = flavor
        self.api = "3" if flavor == "cloud" else "2"
        self.http = requests.Session()
        if flavor == "cloud":
            self.http.auth = ("demo@example.com", "demo-token")
        else:
            self.http.headers["Authorization"] = "Bearer demo-pat"
        self.http.headers["Accept"] = "application/json"
        self.count = 0
        self.seconds = 0.0

    def _do(self, method: str, path: str, **kw: Any) -> Any:
        self.count += 1
        t0 = time.perf_counter()
        resp = self.http.request(method, self.url + path, timeout=60, **kw)
        self.seconds += time.perf_counter() - t0
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def get(self, path: str) -> Any:
        return self._do("GET", path)

    def search(self, jql: str, fields: Sequence[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self.flavor == "cloud":
            token: str | None = None
            while True:
                body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": NAIVE_PAGE}
                if token:
                    body["nextPageToken"] = token
                data = self._do("POST", "/rest/api/3/search/jql", json=body)
                out.extend(data.get("issues") or [])
                token = data.get("nextPageToken")
                if data.get("isLast") or not token:
                    return out
        start = 0
        while True:
            data = self._do(
                "POST",
                "/rest/api/2/search",
                json={"jql": jql, "fields": list(fields), "startAt": start, "maxResults": NAIVE_PAGE},
            )
            issues = data.get("issues") or []
            out.extend(issues)
            start += len(issues)
            if not issues or start >= int(data.get("total") or 0):
                return out

    def put_fields(self, key: str, fields: Mapping[str, Any]) -> None:
        self._do("PUT", f"/rest/api/{self.api}/issue/{key}?notifyUsers=false", json={"fields": dict(fields)})

    def put_property(self, key: str, value: Any) -> None:
        self._do("PUT", f"/rest/api/{self.api}/issue/{key}/properties/okrsync", json=value)


def naive_sync(cfg: Any, url: str, flavor: str, now: datetime) -> dict[str, int]:
    from okrsync.core.mappers.tree import RawTree, build_tree
    from okrsync.core.plan import CommentPolicy, WritebackIds, plan_changes
    from okrsync.core.rollup import RollupPolicy, roll_up
    from okrsync.jira.fields import FieldRegistry
    from okrsync.sync.scope import read_scope

    client = NaiveClient(url, flavor)
    client.get("/rest/api/2/serverInfo")  # what JIRA(...) does when it connects
    registry = FieldRegistry(client.get(f"/rest/api/{client.api}/field"))
    names = cfg.writeback.fields
    ids = WritebackIds(
        progress=registry.get_id(names.progress),
        expected=registry.get_id(names.expected),
        status=registry.get_id(names.status),
        objective=registry.get_id(names.objective),
        key_result=registry.get_id(names.key_result),
    )
    read = read_scope(cfg, registry, ())
    fields = list(read.fields)
    listed = [k.epic for k in cfg.key_results if k.epic]
    by_key = {str(e["key"]): e for e in client.search(f"key in ({', '.join(listed)})", fields)}
    kr_epics: list[list[dict[str, Any]]] = []
    for source in cfg.key_results:
        if source.epic:
            kr_epics.append([by_key[source.epic]] if source.epic in by_key else [])
        else:
            kr_epics.append(client.search(source.jql, fields))
    clause = "parent" if flavor == "cloud" else '"Epic Link"'
    kids: list[dict[str, Any]] = []
    children: list[int] = []
    for epics in kr_epics:
        for epic in epics:  # one search per KR epic
            mine = client.search(f"{clause} = {epic['key']}", fields)
            children.append(len(mine))
            kids.extend(mine)
    tree = build_tree(cfg, RawTree(kr_epics=kr_epics, children=kids), read.ids)
    pol = cfg.policy
    scored = roll_up(tree, now.date(), RollupPolicy(pol.in_progress_credit, pol.tolerance, pol.off_track))
    # every value, as if Jira had none of them; no comments
    plan = plan_changes(scored, ids, {}, comments=CommentPolicy(False, False, False))
    for edit in plan.field_edits:
        client.put_fields(edit.issue_key, edit.fields)
    for prop in plan.properties:
        client.put_property(prop.issue_key, prop.value)
    jql_counts = [len(e) for s, e in zip(cfg.key_results, kr_epics, strict=True) if not s.epic]
    return {
        "requests": client.count,
        "formula_requests": baseline_requests(len(listed), jql_counts, children)["requests"],
        "http_seconds": client.seconds,
        "issues_read": len(kids) + sum(len(e) for e in kr_epics),
        "field_edits": len(plan.field_edits),
        "properties": len(plan.properties),
        "key_results": len(tree.key_results),
    }


def run_baseline(args: argparse.Namespace) -> list[Run]:
    from okrsync.domain.config import load_config

    sim = SimProcess(args)
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg_path = Path(tmp) / "okrsync.yaml"
            write_config(cfg_path, sim.url, sim.epics, args.flavor, Path(tmp) / "unused.db")
            cfg = load_config(cfg_path)
            for index, scenario in enumerate(SCENARIOS):
                if index == 1:
                    sim.advance(INTERVAL)
                if index == 2:
                    sim.advance(INTERVAL / 2)
                    sim.call("change", share=0.01, seed=args.seed)
                    sim.advance(INTERVAL / 2)
                run = Run(scenario, "baseline", flavor=args.flavor)
                now = sim.now()
                out: dict[str, Any] = {}

                def body(now: datetime = now, out: dict[str, Any] = out) -> None:
                    out.update(naive_sync(cfg, sim.url, args.flavor, now))

                measured(run, sim, body, use_tracemalloc=args.tracemalloc)
                run.client_count = out.pop("requests")
                run.extra.update(out)
                runs.append(run)
    finally:
        sim.close()
    return runs
