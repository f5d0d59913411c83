"""The simulator child process (``sync_bench.py --serve-sim``) and the driver the clients use.

The child serves the generated site over real HTTP with ``latency_ms`` slept on every Jira request
(``okrsync/jira_sim/faults.py`` decides it, ``server.py`` sleeps it in the request's own thread,
holding no lock: the server is a ``ThreadingHTTPServer``, so concurrent requests wait their latency
side by side; ``tests/bench/test_sync_bench_sim.py`` checks it). JSON commands on stdin, one JSON
answer a line on stdout: ``advance`` (the clock offset), ``change`` (1 % of the issues, as users
would), ``mark`` (keep a fingerprint of Jira's okrsync state here, in the simulator's process),
``compare`` (what changed since the mark: the counts the minimum needs, and digests), ``stop``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import random
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ENTRY = Path(__file__).resolve().parents[1] / "sync_bench.py"
STORY_POINTS = {"cloud": "customfield_10016", "datacenter": "customfield_10106"}
WRITEBACK = ("OKR Progress", "OKR Expected", "OKR Status", "OKR Objective", "OKR Key Result")


def reply(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def compared(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed in Jira between two fingerprints, as ``measure.fill_minimum_writes`` takes it."""
    from syncbench.minimum import value_groups

    def changed(kind: str) -> int:
        return sum(1 for k, v in after[kind].items() if before[kind].get(k) != v)

    return {
        "groups": value_groups(before["values"], after["values"]),
        "properties": changed("properties"),
        "comments": changed("comments"),
        "values_digest": digest(after["values"]),
        "properties_digest": digest(after["properties"]),
    }


def serve_sim(args: argparse.Namespace) -> None:
    """Child process: a simulator on a free port; JSON commands on stdin, one JSON answer a line."""
    from okrsync.jira_sim import server
    from okrsync.jira_sim.simulator import JiraSimulator

    # With Nagle's algorithm on, a response body that fits in one segment waits for the client's
    # delayed ACK (~40 ms on Linux): latency no real Jira adds. The simulator now switches it off
    # itself; --keep-nagle puts it back (socketserver's own switch).
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

    marked: list[dict[str, Any]] = [{"values": {}, "properties": {}, "comments": {}}]
    for line in sys.stdin:
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "advance":
            offset[0] += timedelta(seconds=float(cmd["seconds"]))
            reply({"now": clock().isoformat()})
        elif op == "change":
            reply({"changed": change_issues(sim, kids, float(cmd["share"]), int(cmd["seed"]))})
        elif op == "mark":  # the state before a run, kept here: not in the measured client's memory
            marked[0] = fingerprint()
            reply({})
        elif op == "compare":  # what changed since "mark": the counts the minimum needs
            reply(compared(marked[0], fingerprint()))
        elif op == "stop":
            break
    sim.stop()


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


def sim_argv(args: argparse.Namespace) -> list[str]:
    return [
        *("--flavor", args.flavor),
        *("--epics", str(args.epics)),
        *("--issues-per-epic", str(args.issues_per_epic)),
        *("--latency-ms", str(args.latency_ms)),
        *("--seed", str(args.seed)),
        *(["--keep-nagle"] if args.keep_nagle else []),
    ]


class SimProcess:
    """The simulator child, driven over its stdin/stdout."""

    def __init__(self, args: argparse.Namespace) -> None:
        cmd = [sys.executable, str(ENTRY), "--serve-sim", *sim_argv(args)]
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
