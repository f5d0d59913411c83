"""bench/memory_phases.py runs okrsync's cycles on the bench's simulator and says where the RSS went."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from memory_phases import Phases, malloc_stats, rss_mib

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "memory_phases.py"


def test_two_runs_on_a_small_site_name_every_step() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--epics",
            "6",
            "--issues-per-epic",
            "4",
            "--runs",
            "2",
            "--malloc-stats",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    runs = [line for line in lines if line.startswith("run ")]
    assert [r.split(":")[0] for r in runs] == ["run 1", "run 2"]
    assert all(": ok, " in r for r in runs), runs
    peaks = [line for line in lines if "peak RSS MiB by step" in line]
    for step in ("mirror load", "fetch", "plan_cycle", "apply_plan", "_record_scores", "mirror upsert"):
        assert all(f"{step} " in p for p in peaks), (step, peaks)
    ends = [line for line in lines if "at each step's end" in line]
    assert len(ends) == 2 and re.search(r"fetch \d+/\d+/\d+", ends[0])


def test_the_readings_are_of_this_process() -> None:
    assert rss_mib() > 10
    arenas, live = malloc_stats()
    assert arenas >= 1 and 1 < live < 10_000


def test_a_wrapped_step_is_noted_with_its_rss_at_the_end() -> None:
    class Owner:
        @staticmethod
        def step(x: int) -> int:
            return x + 1

    phases = Phases(stats=False)
    phases.wrap(Owner, "step", "the step")
    assert Owner.step(1) == 2
    assert phases.ends and phases.ends[0].startswith("the step ")
    assert phases.peaks["the step"] > 0 and phases.step == "start"
    with pytest.raises(TypeError):
        Owner.step("x")  # type: ignore[arg-type]
    assert phases.step == "start"  # put back after a failure too
