"""CI's second run moves the clock of every test process: the mechanism itself, checked."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from time_machine import escape_hatch

SHIFT_DIR = Path(__file__).resolve().parent / "clock_shift"
PROBE = (
    "import datetime, subprocess, sys, time\n"
    "print(datetime.date.today(), datetime.datetime.fromtimestamp(time.time(), datetime.UTC).date())\n"
    "print(subprocess.run([sys.executable, '-c', 'import datetime; print(datetime.date.today())'],"
    " capture_output=True, text=True).stdout.strip())\n"
    "t = time.monotonic(); time.sleep(0.05); print(round(time.monotonic() - t, 1))\n"
)


def test_a_shifted_process_and_its_children_live_days_ahead_with_a_working_monotonic_clock() -> None:
    env = {**os.environ, "CLOCK_SHIFT_DAYS": "400", "PYTHONPATH": str(SHIFT_DIR)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    today_line, child_line, slept = out.stdout.split("\n")[:3]
    # from the real clock: this process may itself be shifted already (CI's second run)
    real_now = escape_hatch.datetime.datetime.now if escape_hatch.is_travelling() else datetime.now
    expected = real_now(UTC).date() + timedelta(days=400)
    local, utc = (date.fromisoformat(d) for d in today_line.split())
    assert abs((utc - expected).days) <= 1 and abs((local - expected).days) <= 1
    assert abs((date.fromisoformat(child_line) - expected).days) <= 1
    assert slept == "0.1" or slept == "0.0"
