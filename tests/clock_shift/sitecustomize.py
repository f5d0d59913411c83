"""Moves the clock of every Python process of a test run, subprocesses included (CI's second run).

With ``CLOCK_SHIFT_DAYS=N`` in the environment and this folder on ``PYTHONPATH``, each Python
interpreter that starts (pytest, and every ``okrsync`` subprocess the tests start, since they
inherit the environment) travels N days ahead before anything else runs, and its clock keeps
ticking: ``datetime.now``, ``date.today``, ``time.time`` and friends, through ``time-machine``.
``time.monotonic`` is left alone, so timeouts and sleeps behave.

Why not Debian's faketime: libfaketime 0.9.10 fakes ``CLOCK_MONOTONIC`` too and Python 3.11's
timed waits (``threading.Event.wait``, ``Lock.acquire(timeout=...)``, via ``sem_clockwait``) then
wait until the real monotonic clock reaches the faked deadline, i.e. forever; with
``FAKETIME_DONT_FAKE_MONOTONIC=1`` every ``time.sleep`` fails with EINVAL instead.
"""

from __future__ import annotations

import os
import sys

_days = os.environ.get("CLOCK_SHIFT_DAYS")
if _days:
    try:
        import time_machine
    except ImportError:  # a shift that silently did not happen would make CI green for nothing
        sys.exit("CLOCK_SHIFT_DAYS is set but time-machine is not installed: pip install -e '.[test]'")
    from datetime import UTC, datetime, timedelta

    time_machine.travel(datetime.now(UTC) + timedelta(days=float(_days)), tick=True).start()
