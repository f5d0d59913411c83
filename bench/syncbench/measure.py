"""One client's measurements of one scenario, from the simulator's and the process's records.

Memory: the client process's peak resident set size during the run (Linux ``VmHWM`` after
resetting it with ``/proc/self/clear_refs``; elsewhere ``getrusage`` max RSS, which cannot be
reset). ``use_tracemalloc`` adds the Python-heap peak of the run. Requests: the simulator's
``/_sim/requests`` counts (a ``POST`` to a search is a read). Writes a perfect client needs: what
changed in Jira's state (``minimum.py``).
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncbench.minimum import min_writes
from syncbench.sim import SimProcess


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
    flavor: str = "cloud"
    estimated: bool = False
    """Not run: requests from the baseline's formula, wall time from requests × a request's time."""

    @property
    def requests(self) -> int:
        return self.reads + self.writes

    @property
    def minimum(self) -> int:
        return self.min_reads + self.min_writes


def reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def _status_mib(name: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mib() -> float:
    peak = _status_mib("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    return _status_mib("VmRSS") or 0.0


READING_POSTS = ("/search", "/jql/match", "/comment/list", "/issue/bulkfetch", "/changelog/bulkfetch")
"""POSTs that only read: searches and counts, Cloud's jql/match, comments by id, bulk issue and
changelog reads."""


def is_read(endpoint: str) -> bool:
    method, _, path = endpoint.partition(" ")
    return method == "GET" or (method == "POST" and any(p in path for p in READING_POSTS))


def measured(run: Run, sim: SimProcess, body: Callable[[], None], *, use_tracemalloc: bool) -> None:
    """Run ``body`` (one sync) and fill ``run`` from the simulator's and the process's records."""
    sim.call("mark")  # the fingerprint stays in the simulator's process (~30 MiB at 100,000 issues)
    sim.reset_counters()
    resettable = reset_peak_rss()
    run.extra["rss_before_mib"] = current_rss_mib()
    heap0 = 0
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
    diff = sim.call("compare")
    fill_minimum_writes(run, diff)
    run.extra["jira_values"] = diff["values_digest"]
    run.extra["jira_properties"] = diff["properties_digest"]


def fill_minimum_writes(run: Run, diff: Mapping[str, Any]) -> None:
    """The minimum writes from what changed in Jira (the simulator's ``compare``)."""
    parts = min_writes(run.flavor, diff["groups"], diff["properties"], diff["comments"])
    run.min_writes = parts["writes"]
    run.min_detail.update({f"min_{k}": v for k, v in parts.items() if k != "writes"})
    run.min_reads += parts["task_polls"]  # the reads' other parts are added by the client's run


def growth(run: Run) -> float:
    """MiB the peak RSS of the run rose above the process's RSS when the run began."""
    return max(0.0, run.peak_rss_mib - float(run.extra.get("rss_before_mib", 0.0)))
