"""A cycle's memory given back to the system once the cycle is over.

CPython frees small objects into its own arenas and large ones to the C allocator, which keeps most
of what it got (glibc returns only the top of its heap). A daemon's resident memory then stays at
its largest cycle's peak: at 100,000 issues the cycles after a first sync started some 400 MiB above
a fresh process (bench/README.md). After each cycle glibc's ``malloc_trim(0)`` returns the free
pages (elsewhere, musl or macOS, nothing is done). No forced collection: reference counting has
freed a cycle's data when it returns, and a full ``gc.collect()`` in a process holding many objects
costs more than it gives (a quarter of the test suite's time).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from functools import cache
from typing import Any

log = logging.getLogger(__name__)


@cache
def _malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)  # glibc only


def release() -> None:
    """Hand the allocator's free pages back to the system where it can."""
    trim = _malloc_trim()
    if trim is not None:
        try:
            trim(0)
        except OSError as exc:  # never worth failing a cycle over
            log.debug("malloc_trim failed: %s", exc)
