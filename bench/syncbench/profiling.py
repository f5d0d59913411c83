"""``--profile DIR``: where okrsync's time and heap go in each scenario (measurement only).

Time: each scenario's sync runs under ``cProfile``; ``DIR/<flavor>-<n>-<scenario>.pstats`` and a
text summary beside it (the top functions by cumulative and by own time). Heap (with
``--tracemalloc``): the engine's phases are wrapped (the mirror load, the fetch, the tree, the
roll-up, the plan, the apply) to note the traced heap when each ends; in the scenarios
``--profile-heap`` names (default: 4, the steady re-sync) a ``tracemalloc`` snapshot (6 frames) is
kept from the end of the phase that left the most allocated, and what it holds beyond the run's
start goes into the summary by okrsync line, allocating line and file (slow: minutes at 100,000
issues). Wall times of a profiled run are not the ones to quote.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PHASES = (
    ("okrsync.state.store", "StateStore", "issues"),
    ("okrsync.sync.fetch", "Fetcher", "fetch"),
    ("okrsync.sync.engine", None, "build_tree"),
    ("okrsync.sync.engine", None, "roll_up"),
    ("okrsync.sync.engine", None, "_plan"),
    ("okrsync.sync.engine", None, "apply_plan"),
    ("okrsync.sync.engine", None, "_record_scores"),
)


class HeapPhases:
    """Notes the traced heap at the end of each phase; a snapshot at the fullest one."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float, float]] = []
        self.best = -1.0
        self.snapshot: tracemalloc.Snapshot | None = None
        self.snapshot_phase = ""
        self.base: tracemalloc.Snapshot | None = None
        self.base_mib = 0.0
        self.snapshots = False

    def reset(self, *, snapshots: bool) -> None:
        """At a run's start: marks and the snapshot are relative to what is allocated now;
        ``snapshots``: also find where the fullest phase's heap was allocated (slow)."""
        self.marks, self.best, self.snapshot, self.snapshot_phase = [], -1.0, None, ""
        tracing = tracemalloc.is_tracing()
        self.snapshots = snapshots and tracing
        self.base = tracemalloc.take_snapshot() if self.snapshots else None
        self.base_mib = tracemalloc.get_traced_memory()[0] / 2**20 if tracing else 0.0

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **kw: Any) -> Any:
            out = fn(*a, **kw)
            if tracemalloc.is_tracing():
                now, peak = tracemalloc.get_traced_memory()
                current = now / 2**20 - self.base_mib
                self.marks.append((name, current, peak / 2**20 - self.base_mib))
                if current > self.best:
                    self.best, self.snapshot_phase = current, name
                    if self.snapshots:
                        self.snapshot = tracemalloc.take_snapshot()
            return out

        return wrapped

    def install(self) -> None:
        import importlib

        for module_name, cls, attr in PHASES:
            module = importlib.import_module(module_name)
            owner = getattr(module, cls) if cls else module
            if hasattr(owner, attr):
                setattr(
                    owner,
                    attr,
                    self.wrap(f"{cls or module_name.rsplit('.', 1)[1]}.{attr}", getattr(owner, attr)),
                )

    def summary(self, top: int = 25) -> str:
        marks = ", ".join(f"{n} {m:+.1f} (peak {p:+.1f})" for n, m, p in self.marks)
        out = [f"heap at the end of each phase, MiB above the run's start ({self.base_mib:.1f}): {marks}"]
        if self.snapshot is None or self.base is None:
            return out[0]
        # one grouping (Python-level, slow at this size), every view derived from it
        okrsync: dict[str, int] = {}
        lines: dict[str, int] = {}
        files: dict[str, int] = {}
        for st in self.snapshot.compare_to(self.base, "traceback"):
            frames = list(st.traceback)  # oldest first
            mine = [f for f in frames if "/okrsync/" in f.filename]
            where = (
                f"okrsync/{mine[-1].filename.split('/okrsync/', 1)[1]}:{mine[-1].lineno}"
                if mine
                else "(none)"
            )
            okrsync[where] = okrsync.get(where, 0) + st.size_diff
            inner = frames[-1]
            line = f"{inner.filename}:{inner.lineno}"
            lines[line] = lines.get(line, 0) + st.size_diff
            files[inner.filename] = files.get(inner.filename, 0) + st.size_diff
        out.append(
            f"allocated since the run began, at the end of {self.snapshot_phase} ({self.best:+.1f} MiB)"
        )
        for title, sizes in (
            ("by the innermost okrsync line on the allocating stack", okrsync),
            ("by the allocating line", lines),
            ("by the allocating file", files),
        ):
            out.append(title + ":")
            ranked = sorted(sizes.items(), key=lambda kv: -kv[1])[:top]
            out += [f"  {size / 2**20:+8.1f} MiB  {where}" for where, size in ranked]
        return "\n".join(out)


@contextmanager
def profiled(
    directory: Path | None, name: str, heap: HeapPhases | None, *, snapshots: bool = False
) -> Iterator[None]:
    if directory is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / re.sub(r"[^A-Za-z0-9.-]+", "-", name)
    if heap is not None:
        heap.reset(snapshots=snapshots)
    prof = cProfile.Profile()
    prof.enable()
    try:
        yield
    finally:
        prof.disable()
        prof.dump_stats(str(stem) + ".pstats")
        text = io.StringIO()
        stats = pstats.Stats(prof, stream=text).strip_dirs()
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(30)
        parts = [heap.summary()] if heap is not None and heap.marks else []
        stem.with_suffix(".txt").write_text("\n".join([*parts, text.getvalue()]), encoding="utf-8")
