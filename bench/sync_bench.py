"""Sync cost at scale: okrsync beside a naive client, on a generated Jira (issue 5).

    python bench/sync_bench.py [--epics 200] [--issues-per-epic 50] [--latency-ms 3] [--seed 1]
                               [--flavor cloud|datacenter] [--tracemalloc] [--json results.json]

The simulator (``dataset="generated"``, ``okr_fields=True``: ``epics × issues_per_epic`` children
plus the epics, in projects GA..GD) serves real HTTP from a child process, with ``latency_ms`` added
to every Jira request. Each client runs in a fresh child process of its own, against a fresh
simulator built from the same seed, through three scenarios:

1. first sync — empty state database;
2. unchanged re-sync — 15 (simulated) minutes later, nobody touched Jira;
3. 1 %-changed re-sync — 1 % of the issues (``⌈0.01 × all issues⌉`` work items, same keys for both
   clients) changed as a user would (``sim.transition`` To Do → In Progress → Done, and a story
   point re-estimate of done items), then a sync 15 minutes after the previous one.

okrsync also runs a fourth, unchanged re-sync after (3), reported below the table only: it shows
what a steady-state cycle re-reads of the previous cycle's own writes.

The default latency is 3 ms (not 20): the baseline makes ~10,600 requests a scenario, and the
simulator itself takes ~2.5 ms a request on 2 cores, so 3 ms keeps the whole run near 4.5 minutes.
Below the table, wall times at 20 and 100 ms a request are estimated as measured + requests ×
the extra latency (requests are sequential; checked on 1,020 issues: 25 s / 23 s estimated from
3 ms, 27.3 s / 24.0 s measured at 20 ms, so the estimate runs ~5-10 % low).

The simulator's clock is the real clock plus an offset that the bench advances between scenarios
(15 minutes, the default ``sync.interval_minutes``), so that incremental reads see realistic
watermarks (``updated >= previous sync - skew_minutes``) without waiting.

Clients
-------
* okrsync — the real code path: ``run_sync(cfg, store=StateStore(SQLite), gateway=JiraGateway(cfg.jira))``
  with a new gateway per run, as ``okrsync sync`` does; ``jira.flavor: auto``; ``requests_per_second:
  10000`` so that the client-side pacer is never the bottleneck (a real site allows far less: at
  okrsync's default of 10 requests a second, wall time ≈ requests ÷ 10). The gateway's ``search``
  is wrapped to record which issue keys each run read (measurement only).
* baseline — a straightforward client written here, not okrsync code: the ``jira`` library's default
  page of 50; one search for the configured epics (``key in (...)``), one search per JQL source,
  then **one search per KR epic** for its children (``parent = X`` on Cloud, ``"Epic Link" = X`` on
  Data Center); it computes the same values with okrsync's pure core (``build_tree``, ``roll_up``,
  ``plan_changes`` against an empty view of Jira, so both clients leave Jira with identical values,
  which the bench checks), then PUTs **every** value on every issue and the ``okrsync`` property on
  every epic, every time (no diffing, no state). It posts **no comments** (so it does no comment
  dedupe and is spared those writes).

Minimum possible requests (per scenario; the same for both clients)
--------------------------------------------------------------------
reads  = 1 serverInfo + 1 field list (+ 1 myself on a re-sync: the user's time zone for the JQL
         date) + Σ over JQL sources max(1, ⌈epics it matches ÷ P⌉)
         + max(1, ⌈N ÷ P⌉), where N = every in-scope issue not returned by a JQL-source search on
         a first sync, and the issues changed by users since the previous sync on a re-sync;
         P = the page size Jira grants for a search with fields: 100 on Cloud, 1000 on Data Center
         (the simulator's caps, those of the real products).
writes = issues whose okrsync field values differ in Jira after the run (one PUT each)
         + issues whose ``okrsync`` property differs after the run
         + comments that appear or change in Jira in the run (comments due).
Writes are measured on Jira's side: the simulator's state is fingerprinted before and after each
run, so a PUT that changes nothing is counted as excess, whatever the client believes.

Memory: the client process's peak resident set size during the run (Linux ``VmHWM`` after resetting
it with ``/proc/self/clear_refs``; elsewhere ``getrusage`` max RSS, which cannot be reset, so only
the first scenario is meaningful). ``--tracemalloc`` adds the Python-heap peak of the run
(``tracemalloc``), which slows both clients' CPU work (wall times then are not the ones to quote).
RSS includes what an earlier scenario left allocated in the process (CPython rarely returns freed
memory to the OS), so for scenarios 2 and 3 the Python-heap peak is the cleaner figure.

Also printed for okrsync: time in HTTP (gateway stats) and in the state store (its methods
timed by a wrapper, measurement only), and every read and write beyond the minimum, by cause.

The simulator child switches off Nagle's algorithm on its sockets (``--keep-nagle`` keeps it):
the simulator sends a response's headers and body in two writes, so with Nagle on, every response
whose body fits in one segment (under ~64 KiB on loopback: serverInfo, myself, comments, ...)
waits ~40 ms for the client's delayed ACK — latency no real Jira adds, and which would fall on
okrsync's comment reads, not on the baseline's body-less PUTs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

CLOUD_PAGE = 100  # Jira Cloud's (and the simulator's) page for searches that ask for fields
DC_PAGE = 1000  # Data Center's jira.search.views.default.max
NAIVE_PAGE = 50  # the jira library's default maxResults
INTERVAL = timedelta(minutes=15)
SCENARIOS = ("first sync", "unchanged re-sync", "1 %-changed re-sync")
NEXT_SCENARIO = "next unchanged re-sync"  # okrsync only: what the cycle after (3) re-reads
STORE_METHODS = ("issues", "upsert_issues", "applied", "record_applied", "record_progress", "set_meta")
STORY_POINTS = {"cloud": "customfield_10016", "datacenter": "customfield_10106"}
WRITEBACK = ("OKR Progress", "OKR Expected", "OKR Status", "OKR Objective", "OKR Key Result")
HERE = Path(__file__).resolve()


# ------------------------------------------------------------------------------ simulator child


def serve_sim(args: argparse.Namespace) -> None:
    """Child process: a simulator on a free port; JSON commands on stdin, one JSON answer a line."""
    from okrsync.jira_sim import server
    from okrsync.jira_sim.simulator import JiraSimulator

    # The simulator writes a response's headers and body in two sends; with Nagle's algorithm on,
    # the body then waits for the client's delayed ACK (~40 ms on Linux) whenever it fits in one
    # segment (under ~64 KiB on loopback: serverInfo, myself, comments...): latency no real Jira
    # adds. Switched off here unless --keep-nagle (socketserver's own switch; the simulator's code
    # is unchanged).
    server._Handler.disable_nagle_algorithm = not args.keep_nagle
    offset = [timedelta(0)]

    def clock() -> datetime:
        return datetime.now(UTC) + offset[0]

    sim = JiraSimulator(
        flavor=args.flavor,
        dataset="generated",
        epics=args.epics,
        issues_per_epic=args.issues_per_epic,
        seed=args.seed,
        okr_fields=True,
        clock=clock,
        faults={"latency_ms": args.latency_ms},
    )
    sim.start()
    store = sim.store
    with store.lock:
        epics = [k for k, i in store.issues.items() if i["fields"]["issuetype"]["name"] == "Epic"]
        kids = [k for k, i in store.issues.items() if i["fields"]["issuetype"]["name"] != "Epic"]
        wb_ids = [str(store.field_by_name(n)["id"]) for n in WRITEBACK]  # type: ignore[index]
    reply({"url": sim.url, "epics": epics, "issues": len(epics) + len(kids), "now": clock().isoformat()})

    def fingerprint() -> dict[str, Any]:
        """Per issue: a hash of its okrsync field values, of its okrsync property; every comment."""
        with store.lock:
            values = {}
            props = {}
            for key, issue in store.issues.items():
                fields = issue["fields"]
                values[key] = digest([fields.get(fid) for fid in wb_ids])
                props[key] = digest((issue.get("properties") or {}).get("okrsync"))
            comments = {
                f"{key}/{c.get('id')}": digest(c.get("body"))
                for key, cs in store.comments.items()
                for c in cs
            }
        return {"values": values, "properties": props, "comments": comments}

    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "advance":
            offset[0] += timedelta(seconds=float(cmd["seconds"]))
            reply({"now": clock().isoformat()})
        elif op == "change":
            reply({"changed": change_issues(sim, kids, float(cmd["share"]), int(cmd["seed"]))})
        elif op == "fingerprint":
            reply(fingerprint())
        elif op == "stop":
            break
    sim.stop()


def reply(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def change_issues(sim: Any, kids: Sequence[str], share: float, seed: int) -> list[str]:
    """Change ``⌈share × all issues⌉`` work items as users would; the same keys for a given seed."""
    rng = random.Random(seed)
    total = len(sim.store.issues)
    keys = sorted(rng.sample(list(kids), min(len(kids), math.ceil(share * total))))
    points_field = STORY_POINTS[sim.flavor]
    for key in keys:
        status = sim.issue(key)["fields"]["status"]["name"]
        if status == "To Do":
            sim.transition(key, "In Progress")
        elif status == "In Progress":
            sim.transition(key, "Done", resolution="Done")
        else:  # done work re-estimated
            current = sim.issue(key)["fields"].get(points_field) or 0
            sim.set_fields(key, {points_field: float(current) + 1})
    return keys


class SimProcess:
    """The simulator child, driven over its stdin/stdout."""

    def __init__(self, args: argparse.Namespace) -> None:
        cmd = [
            sys.executable,
            str(HERE),
            "--serve-sim",
            *("--flavor", args.flavor),
            *("--epics", str(args.epics)),
            *("--issues-per-epic", str(args.issues_per_epic)),
            *("--latency-ms", str(args.latency_ms)),
            *("--seed", str(args.seed)),
            *(["--keep-nagle"] if args.keep_nagle else []),
        ]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = self._read()
        self.url: str = hello["url"]
        self.epics: list[str] = hello["epics"]
        self.issues: int = hello["issues"]
        self.offset = datetime.fromisoformat(hello["now"]) - datetime.now(UTC)

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the simulator child exited")
        return json.loads(line)

    def call(self, op: str, **kw: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def advance(self, delta: timedelta) -> None:
        self.call("advance", seconds=delta.total_seconds())
        self.offset += delta

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def requests(self) -> dict[str, int]:
        counts: dict[str, int] = requests.get(self.url + "/_sim/requests", timeout=60).json()["counts"]
        return counts

    def reset_counters(self) -> None:
        requests.post(self.url + "/_sim/reset-counters", timeout=60).raise_for_status()

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, ValueError):
            self.call("stop")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ------------------------------------------------------------------------------------ config


def write_config(path: Path, sim: SimProcess, flavor: str, state_db: Path) -> dict[str, Any]:
    """200 KRs (at the defaults): GA/GB epics one by one, GC and GD by one JQL source each."""
    objectives: list[dict[str, Any]] = [
        {"id": f"CO-{i}", "title": f"Company objective {i}", "level": "company"} for i in range(1, 5)
    ]
    teams = [f"T{i:02d}" for i in range(1, 21)]
    objectives += [
        {"id": t, "title": f"Team objective {t}", "aligns_to": f"CO-{1 + n % 4}"} for n, t in enumerate(teams)
    ]
    listed = [e for e in sim.epics if e.startswith(("GA-", "GB-"))]
    krs: list[dict[str, Any]] = [
        {"objective": teams[n % 18], "epic": key, "measure": "points" if n % 2 else "issues"}
        for n, key in enumerate(listed)
    ]
    jql_sources = []
    for project, team, measure in (("GC", "T19", "issues"), ("GD", "T20", "points")):
        if any(e.startswith(project + "-") for e in sim.epics):
            jql = f"project = {project} AND issuetype = Epic"
            krs.append({"objective": team, "jql": jql, "measure": measure})
            jql_sources.append(project)
    jira: dict[str, Any] = {"url": sim.url, "flavor": "auto", "requests_per_second": 10000}
    if flavor == "cloud":
        jira.update({"email": "demo@example.com", "api_token": "demo-token"})
    else:
        jira.update({"pat": "demo-pat"})
    config = {
        "jira": {**jira, "max_retry_seconds": 60},
        "period": {"name": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"},
        "objectives": objectives,
        "key_results": krs,
        "policy": {"max_krs_per_objective": 60},
        "writeback": {"enabled": True, "notify_users": False},
        "sync": {"state_url": f"sqlite:///{state_db}"},
    }
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")  # JSON is YAML
    return {
        "krs_listed": len(listed),
        "jql_sources": len(jql_sources),
        "jql_epics": sum(1 for e in sim.epics if e.startswith(tuple(p + "-" for p in jql_sources))),
    }


# ------------------------------------------------------------------------------- measurement


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Run:
    """One client's measurements of one scenario."""

    scenario: str
    client: str
    reads: int = 0
    writes: int = 0
    seconds: float = 0.0
    peak_rss_mib: float = 0.0
    py_peak_mib: float | None = None
    by_endpoint: dict[str, int] = field(default_factory=dict)
    client_count: int = 0
    """Requests as the client counted them (okrsync: gateway stats; baseline: its own counter)."""
    min_reads: int = 0
    min_writes: int = 0
    min_detail: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return self.reads + self.writes


def is_read(endpoint: str) -> bool:
    method, _, path = endpoint.partition(" ")
    return method == "GET" or (method == "POST" and "/search" in path)


def diff_writes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, int]:
    """The writes a perfect client needs: what changed in Jira's state, counted per request."""
    return {
        kind: sum(1 for k, v in after[kind].items() if before[kind].get(k) != v)
        for kind in ("values", "properties", "comments")
    }


def measured(run: Run, sim: SimProcess, body: Callable[[], None], *, use_tracemalloc: bool) -> dict[str, Any]:
    """Run ``body`` (one sync) and fill ``run`` from the simulator's and the process's records."""
    before = sim.call("fingerprint")
    sim.reset_counters()
    resettable = reset_peak_rss()
    run.extra["rss_before_mib"] = current_rss_mib()
    if use_tracemalloc:
        tracemalloc.reset_peak()
        heap0 = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    body()
    run.seconds = time.perf_counter() - started
    if use_tracemalloc:
        run.py_peak_mib = (tracemalloc.get_traced_memory()[1] - heap0) / 2**20
    run.peak_rss_mib = peak_rss_mib()
    if not resettable:
        run.extra["rss_note"] = "max RSS of the whole process (could not reset it)"
    counts = sim.requests()
    run.by_endpoint = dict(sorted(counts.items()))
    run.reads = sum(n for e, n in counts.items() if is_read(e))
    run.writes = sum(n for e, n in counts.items() if not is_read(e))
    after = sim.call("fingerprint")
    state = diff_writes(before, after)
    run.min_writes = sum(state.values())
    run.min_detail.update({f"min_{k}": v for k, v in state.items()})
    run.extra["jira_values"] = digest(after["values"])
    run.extra["jira_properties"] = digest(after["properties"])
    changed_values = {k for k, v in after["values"].items() if before["values"].get(k) != v}
    return {"changed_values": changed_values}


def min_reads(
    run: Run,
    *,
    first: bool,
    page: int,
    in_scope_not_jql: int,
    user_changed: int,
    jql_epic_counts: Sequence[int],
) -> None:
    scope = in_scope_not_jql if first else user_changed
    parts = {
        "serverInfo": 1,
        "fields": 1,
        "myself": 0 if first else 1,
        "jql_sources": sum(max(1, math.ceil(n / page)) for n in jql_epic_counts),
        "scope_pages": max(1, math.ceil(scope / page)),
    }
    run.min_reads = sum(parts.values())
    run.min_detail.update({f"min_reads_{k}": v for k, v in parts.items()})


# ------------------------------------------------------------------------------ okrsync client


def time_methods(obj: Any, names: Sequence[str]) -> dict[str, float]:
    """Wrap ``obj``'s methods to add up the seconds spent in each (measurement only)."""
    spent: dict[str, float] = {}
    for name in names:
        method = getattr(obj, name)

        def timed(*a: Any, _m: Any = method, _n: str = name, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _m(*a, **kw)
            finally:
                spent[_n] = spent.get(_n, 0.0) + time.perf_counter() - t0

        setattr(obj, name, timed)
    return spent


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

    sim = SimProcess(args)
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg_path = Path(tmp) / "okrsync.yaml"
            shape = write_config(cfg_path, sim, args.flavor, Path(tmp) / "state.db")
            cfg = load_config(cfg_path)
            page = CLOUD_PAGE if args.flavor == "cloud" else DC_PAGE
            jql_counts = [n for n in jql_epic_counts(sim.epics) if n]
            jql_keys = {e for e in sim.epics if e.startswith(("GC-", "GD-"))}
            written_before: set[str] = set()
            user_changed: list[str] = []
            with StateStore.open(cfg.sync.state_url) as store:
                store_seconds = time_methods(store, STORE_METHODS)
                for index, scenario in enumerate((*SCENARIOS, NEXT_SCENARIO)):
                    if index in (1, 3):
                        sim.advance(INTERVAL)
                    if index == 2:
                        sim.advance(INTERVAL / 2)
                        user_changed = sim.call("change", share=0.01, seed=args.seed)["changed"]
                        sim.advance(INTERVAL / 2)
                    changed_now = user_changed if index == 2 else []
                    run = Run(scenario, "okrsync")
                    now = sim.now()
                    out: dict[str, Any] = {}

                    def body(now: datetime = now, out: dict[str, Any] = out) -> None:
                        with RecordingGateway(cfg.jira) as gateway:
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
                    min_reads(
                        run,
                        first=index == 0,
                        page=page,
                        in_scope_not_jql=report.issues_in_scope - sum(jql_counts),
                        user_changed=len(changed_now),
                        jql_epic_counts=jql_counts,
                    )
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
                            **shape,
                        }
                    )
                    written_before = written
                    runs.append(run)
    finally:
        sim.close()
    return runs


def jql_epic_counts(epics: Sequence[str]) -> list[int]:
    return [sum(1 for e in epics if e.startswith(p + "-")) for p in ("GC", "GD")]


# ----------------------------------------------------------------------------- naive baseline


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
    by_key = {
        str(e["key"]): e for e in client.search(f"key in ({', '.join(listed)})", fields)
    }  # one search for the configured epics (paged by 50)
    kr_epics: list[list[dict[str, Any]]] = []
    for source in cfg.key_results:
        if source.epic:
            kr_epics.append([by_key[source.epic]] if source.epic in by_key else [])
        else:
            kr_epics.append(client.search(source.jql, fields))
    clause = "parent" if flavor == "cloud" else '"Epic Link"'
    kids: list[dict[str, Any]] = []
    for epics in kr_epics:
        for epic in epics:  # one search per KR epic
            kids.extend(client.search(f"{clause} = {epic['key']}", fields))
    tree = build_tree(cfg, RawTree(kr_epics=kr_epics, children=kids), read.ids)
    pol = cfg.policy
    scored = roll_up(tree, now.date(), RollupPolicy(pol.in_progress_credit, pol.tolerance, pol.off_track))
    # every value, as if Jira had none of them; no comments
    plan = plan_changes(scored, ids, {}, comments=CommentPolicy(False, False, False))
    for edit in plan.field_edits:
        client.put_fields(edit.issue_key, edit.fields)
    for prop in plan.properties:
        client.put_property(prop.issue_key, prop.value)
    return {
        "requests": client.count,
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
            write_config(cfg_path, sim, args.flavor, Path(tmp) / "unused.db")
            cfg = load_config(cfg_path)
            for index, scenario in enumerate(SCENARIOS):
                if index == 1:
                    sim.advance(INTERVAL)
                if index == 2:
                    sim.advance(INTERVAL / 2)
                    sim.call("change", share=0.01, seed=args.seed)
                    sim.advance(INTERVAL / 2)
                run = Run(scenario, "baseline")
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


# ----------------------------------------------------------------------------------- driver


def child(args: argparse.Namespace) -> None:
    if args.tracemalloc:
        tracemalloc.start()
    runs = run_okrsync(args) if args.client == "okrsync" else run_baseline(args)
    reply([r.__dict__ for r in runs])


def spawn_client(args: argparse.Namespace, client: str) -> list[Run]:
    cmd = [
        sys.executable,
        str(HERE),
        *("--client", client),
        *("--flavor", args.flavor),
        *("--epics", str(args.epics)),
        *("--issues-per-epic", str(args.issues_per_epic)),
        *("--latency-ms", str(args.latency_ms)),
        *("--seed", str(args.seed)),
        *(["--tracemalloc"] if args.tracemalloc else []),
        *(["--keep-nagle"] if args.keep_nagle else []),
    ]
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return [Run(**r) for r in json.loads(done.stdout.strip().splitlines()[-1])]


def growth(run: Run) -> float:
    """MiB the peak RSS of the run rose above the process's RSS when the run began."""
    return max(0.0, run.peak_rss_mib - float(run.extra.get("rss_before_mib", 0.0)))


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "—"


def table(ok: Sequence[Run], base: Sequence[Run], args: argparse.Namespace, issues: int) -> str:
    lines = []
    mem = "py heap MiB" if args.tracemalloc else ""
    head = (
        f"{'scenario':<21} {'client':<9} {'reads':>6} {'writes':>7} {'requests':>9} "
        f"{'minimum':>8} {'÷min':>6} {'wall s':>7} {'peak RSS MiB':>13} {'growth':>7} {mem:>12}"
    )
    lines.append(head)
    lines.append("-" * len(head))
    for o, b in zip(ok, base, strict=True):
        minimum = o.min_reads + o.min_writes
        for r in (o, b):
            py = f"{r.py_peak_mib:12.1f}" if r.py_peak_mib is not None else ""
            lines.append(
                f"{(r.scenario if r is o else ''):<21} {r.client:<9} {r.reads:>6,} {r.writes:>7,} "
                f"{r.requests:>9,} {(f'{minimum:,}' if r is o else ''):>8} {ratio(r.requests, minimum):>6} "
                f"{r.seconds:>7.1f} {r.peak_rss_mib:>13.1f} {growth(r):>7.1f} {py:>12}"
            )
        py_ratio = ratio(o.py_peak_mib, b.py_peak_mib) if o.py_peak_mib and b.py_peak_mib else ""
        lines.append(
            f"{'':<21} {'ok÷base':<9} {ratio(o.reads, b.reads):>6} {ratio(o.writes, b.writes):>7} "
            f"{ratio(o.requests, b.requests):>9} {'':>8} {'':>6} {ratio(o.seconds, b.seconds):>7} "
            f"{ratio(o.peak_rss_mib, b.peak_rss_mib):>13} {ratio(growth(o), growth(b)):>7} {py_ratio:>12}"
        )
    total_o = sum(r.requests for r in ok)
    total_b = sum(r.requests for r in base)
    secs_o = sum(r.seconds for r in ok)
    secs_b = sum(r.seconds for r in base)
    lines.append("-" * len(head))
    lines.append(
        f"{'all three':<21} {'ok÷base':<9} {'':>6} {'':>7} {ratio(total_o, total_b):>9} {'':>8} {'':>6} "
        f"{ratio(secs_o, secs_b):>7}   ({total_o:,} vs {total_b:,} requests; "
        f"{secs_o:.1f} s vs {secs_b:.1f} s)"
    )
    return "\n".join(lines)


def explain(ok: Sequence[Run], base: Sequence[Run]) -> str:
    """Where okrsync spends more than the minimum, scenario by scenario, and where its time goes."""
    out = ["", "okrsync beyond the minimum:"]
    for r in ok:
        x = r.extra
        excess_r, excess_w = r.reads - r.min_reads, r.writes - r.min_writes
        pages = sum(n for e, n in r.by_endpoint.items() if "/search" in e)
        min_pages = r.min_detail["min_reads_scope_pages"] + r.min_detail["min_reads_jql_sources"]
        out.append(
            f"  {r.scenario} ({x['mode']}): {r.reads} reads (minimum {r.min_reads}, +{excess_r}), "
            f"{r.writes:,} writes (minimum {r.min_writes:,}, +{excess_w}); {pages} search pages "
            f"(minimum {min_pages}) returning {x['read_keys']:,} issues ({x['issues_in_scope']:,} in scope)"
        )
        other = {
            e: n
            for e, n in r.by_endpoint.items()
            if is_read(e) and "/search" not in e and not e.endswith(("/serverInfo", "/field", "/myself"))
        }
        if other:
            out.append(f"    reads outside the minimum: {other}")
        if excess_w > 0:
            writes = {e: n for e, n in r.by_endpoint.items() if not is_read(e)}
            out.append(f"    writes by endpoint: {writes}")
        if x["reread_own_writes"]:
            out.append(
                f"    re-read {x['reread_own_writes']:,} issues nobody but okrsync touched: it wrote them in "
                f"the previous run ({x['written_before']:,} issues written), which bumped their `updated`, "
                "so `updated >= watermark - skew` matched them"
            )
        if x["reread_jql_epics"]:
            out.append(
                f"    re-read the {x['reread_jql_epics']:,} epics of the JQL sources (a JQL source is "
                "searched in full every run, to see epics join or leave; inside the minimum)"
            )
        if x["user_changed"]:
            out.append(
                f"    issues changed by users: {x['user_changed']}, all read: {x['user_changed_read']}"
            )
        out.append(
            f"    wrote {x['field_edits']:,} field edits ({x['field_values']:,} values), "
            f"{x['properties']} properties, {x['comments_posted']} comments posted, "
            f"{x['comments_updated']} updated; Jira changed: {r.min_detail['min_values']:,} issues' values, "
            f"{r.min_detail['min_properties']} properties, {r.min_detail['min_comments']} comments"
        )
        store = x.get("store_seconds") or {}
        top = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(store.items(), key=lambda kv: -kv[1])[:3])
        out.append(
            f"    time: {r.seconds:.1f} s wall, {x['http_seconds']:.1f} s in HTTP requests, "
            f"{sum(store.values()):.1f} s in the state store ({top})"
        )
    for b in base:
        out.append(
            f"  baseline {b.scenario}: {b.extra['field_edits']:,} field PUTs + {b.extra['properties']} "
            f"property PUTs; Jira changed: {b.min_detail['min_values']:,} issues' values, "
            f"{b.min_detail['min_properties']} properties; {b.seconds:.1f} s wall, "
            f"{b.extra['http_seconds']:.1f} s in HTTP requests"
        )
    return "\n".join(out)


def projection(ok: Sequence[Run], base: Sequence[Run], latency_ms: int, at_ms: int) -> str:
    """Wall time at another per-request latency: measured + requests × the difference (an estimate)."""
    extra = (at_ms - latency_ms) / 1000
    parts = []
    for o, b in zip(ok, base, strict=True):
        po, pb = o.seconds + o.requests * extra, b.seconds + b.requests * extra
        parts.append(f"{o.scenario} {po:,.0f} s vs {pb:,.0f} s ({ratio(po, pb)})")
    return f"at {at_ms} ms a request (estimate: measured + requests × {extra * 1000:.0f} ms): " + "; ".join(
        parts
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--epics", type=int, default=200)
    ap.add_argument("--issues-per-epic", type=int, default=50)
    ap.add_argument(
        "--latency-ms",
        type=int,
        default=3,
        help="added to every Jira request (default 3: keeps the whole run about 4.5 minutes on 2 cores)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--flavor", choices=("cloud", "datacenter"), default="cloud")
    ap.add_argument("--tracemalloc", action="store_true", help="also the Python-heap peak (slower)")
    ap.add_argument(
        "--keep-nagle",
        action="store_true",
        help="leave the simulator's sockets as they are (adds ~40 ms to small responses)",
    )
    ap.add_argument("--json", type=Path, help="write every measurement to this file")
    ap.add_argument("--serve-sim", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--client", choices=("okrsync", "baseline"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_sim:
        serve_sim(args)
        return
    if args.client:
        child(args)
        return
    os.environ.setdefault("PYTHONHASHSEED", "0")
    issues = args.epics * (args.issues_per_epic + 1)
    print(
        f"sync benchmark: {issues:,} issues ({args.epics} epics × {args.issues_per_epic} + the epics), "
        f"{args.flavor} dialect, {args.latency_ms} ms latency per request, seed {args.seed}, "
        f"{os.cpu_count()} CPUs"
    )
    started = time.perf_counter()
    runs = spawn_client(args, "okrsync")
    ok, after = runs[:3], runs[3:]
    base = spawn_client(args, "baseline")
    x = ok[0].extra
    print(
        f"{x['key_results']} KRs ({x['krs_listed']} listed epics + {x['jql_sources']} JQL sources matching "
        f"{x['jql_epics']} epics); okrsync: run_sync + JiraGateway, requests_per_second 10000 (the pacer "
        "is not the bottleneck); baseline: page 50, a search per KR epic, every value PUT every time, "
        "no comments; peak RSS of each client's own process, growth = above its RSS at the run's start"
    )
    print()
    print(table(ok, base, args, issues))
    for at_ms in (20, 100):
        if at_ms > args.latency_ms:
            print(projection(ok, base, args.latency_ms, at_ms))
    print(explain([*ok, *after], base))
    mismatch = [
        o.scenario
        for o, b in zip(ok, base, strict=True)
        for what in ("jira_values", "jira_properties")
        if o.extra[what] != b.extra[what]
    ]
    print(
        "  both clients leave identical okrsync field values and properties in Jira after every scenario: "
        + ("yes" if not mismatch else f"NO, in {sorted(set(mismatch))}")
    )
    counted = [
        (r.client, r.scenario, r.client_count, r.requests)
        for r in (*runs, *base)
        if r.client_count != r.requests
    ]
    if counted:
        print(f"  client-side counts differ from the simulator's: {counted}")
    else:
        print(
            "  client-side request counts (gateway stats, naive counter) equal the simulator's /_sim/requests"
        )
    print(f"\nwhole benchmark: {time.perf_counter() - started:.0f} s")
    if args.json:
        data = {
            "args": {k: str(v) for k, v in vars(args).items()},
            "runs": [r.__dict__ for r in (*runs, *base)],
        }
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
