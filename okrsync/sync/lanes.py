"""Run independent pieces of an apply at once, while okrsync's own bookkeeping stays single-file.

Jira answers in ~100 ms or more on a real site; one request at a time, okrsync can never use more
than ~10 requests a second of what Jira allows (Cloud lets API-token traffic burst far beyond that;
Data Center's limits are the admin's). The apply therefore runs *lanes* (all the changes of one
issue, in the plan's order: its field edit, its comments in order, then its property) on a small
pool of worker threads (``jira.max_concurrency``).

Only the requests run in parallel. Everything else the apply does (recording writes in the state
store, the outbox, the mirror, the outcome's counts, progress) runs under one lock, the
:class:`BigLock`, which a worker holds except while it waits for Jira: the gateway the apply sees is
wrapped (:func:`unlocked`) so that each of its calls lets go of the lock for the call's duration.
So the apply's logic stays what it was sequentially (a comment is recorded the moment it lands,
before its issue's next change), two writes to one issue never run at once, and the pacing, the
retry budget and the rate-limit state are those of the one client every worker shares: a 429 met
by one worker slows them all as its ``RateLimit-Reason`` says (:mod:`okrsync.jira.pacing`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_PASS_THROUGH = (str, bytes, int, float, bool, type(None), tuple, list, dict, set, frozenset)


class BigLock:
    """A lock that knows its owner, so that a call can let go of it only where it is held."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def owned(self) -> bool:
        return self._owner == threading.get_ident()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock (re-entrant for its owner: a no-op there)."""
        if self.owned():
            yield
            return
        self._lock.acquire()
        self._owner = threading.get_ident()
        try:
            yield
        finally:
            self._owner = None
            self._lock.release()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let go of the lock for the block if this thread holds it (else a no-op)."""
        if not self.owned():
            yield
            return
        self._owner = None
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._owner = threading.get_ident()


class _Unlocked:
    """``target`` with every call made outside ``lock`` (and its sub-objects wrapped the same)."""

    __slots__ = ("_lock", "_target")

    def __init__(self, target: Any, lock: BigLock) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_lock", lock)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, _PASS_THROUGH):
            return value
        if callable(value):
            lock = self._lock

            def call(*args: Any, **kwargs: Any) -> Any:
                with lock.released():
                    return value(*args, **kwargs)

            return call
        if type(value).__module__.startswith("okrsync.jira."):
            return _Unlocked(value, lock=self._lock)
        return value

    def __contains__(self, item: object) -> bool:
        return item in self._target

    def __iter__(self) -> Iterator[Any]:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)

    def __repr__(self) -> str:
        return f"unlocked({self._target!r})"


def unlocked(target: T, lock: BigLock) -> T:
    """``target`` (a gateway) whose calls let go of ``lock`` while they wait for Jira."""
    return _Unlocked(target, lock)  # type: ignore[return-value]


def run_lanes(
    lanes: Sequence[T],
    work: Callable[[T], None],
    *,
    lock: BigLock,
    workers: int,
    halted: Callable[[], bool] = lambda: False,
) -> None:
    """``work(lane)`` for every lane, on up to ``workers`` threads, each under ``lock``.

    With one worker (or one lane) the lanes run in order on the calling thread, exactly as a
    sequential apply. A lane not started when ``halted()`` turns true is skipped; an exception a
    lane raises (a bug: Jira's errors are the lanes' own business) stops the lanes not yet started
    and is raised here once the running ones have finished.
    """
    if workers <= 1 or len(lanes) <= 1:
        with lock.held():
            for lane in lanes:
                if halted():
                    break
                work(lane)
        return
    failed = threading.Event()

    def one(lane: T) -> None:
        if failed.is_set() or halted():
            return
        with lock.held():
            if failed.is_set() or halted():
                return
            try:
                work(lane)
            except BaseException:
                failed.set()
                raise

    # each worker takes the next lane not started, in order: no future or queue entry per lane
    # (Data Center's first sync of 100,000 issues has as many lanes: a future each was ~150 MiB)
    taking = threading.Lock()
    todo = iter(lanes)

    def worker() -> None:
        while not failed.is_set() and not halted():
            with taking:
                lane = next(todo, _DONE)
            if lane is _DONE:
                return
            one(lane)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="okrsync-apply") as pool:
        futures = [pool.submit(worker) for _ in range(min(workers, len(lanes)))]
        with lock.released():
            try:
                wait(futures, return_when=FIRST_EXCEPTION)
                wait(futures)
            except BaseException:  # interrupted while waiting: start no more lanes
                failed.set()
                raise
    for future in futures:
        future.result()


_DONE: Any = object()


def in_lanes(keys: Sequence[str]) -> list[list[int]]:
    """The indexes of ``keys`` grouped by key, in the order each key first appears."""
    lanes: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        lanes.setdefault(key, []).append(index)
    return list(lanes.values())


def parallel_map(
    items: Sequence[T], fn: Callable[[T], R], *, lock: BigLock, workers: int
) -> list[BaseException | R]:
    """``fn(item)`` for every item on up to ``workers`` threads under ``lock`` (as :func:`run_lanes`);
    each result, or the exception it raised, in the items' order."""
    results: list[BaseException | R] = [RuntimeError("not run")] * len(items)

    def one(index: int) -> None:
        try:
            results[index] = fn(items[index])
        except Exception as exc:  # handed back to the caller, which judges it
            results[index] = exc

    run_lanes(list(range(len(items))), one, lock=lock, workers=workers)
    return results
