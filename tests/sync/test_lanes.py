"""Unit tests of okrsync/sync/lanes.py: lanes in order, at once, under one lock let go of only
while a (stand-in) request waits."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from okrsync.sync.lanes import BigLock, in_lanes, parallel_map, run_lanes, unlocked


@pytest.mark.parametrize(
    ("keys", "lanes"),
    [
        ([], []),
        (["A"], [[0]]),
        (["A", "A", "B", "A", "C", "B"], [[0, 1, 3], [2, 5], [4]]),
    ],
)
def test_changes_are_grouped_by_issue_in_first_seen_order(keys: list[str], lanes: list[list[int]]) -> None:
    assert in_lanes(keys) == lanes


class FakeGateway:
    """Records who holds the lock while it "waits for Jira", and how many calls overlap."""

    def __init__(self, lock: BigLock) -> None:
        self.lock = lock
        self.in_flight = 0
        self.most = 0
        self.held_during_call: list[bool] = []
        self._count = threading.Lock()
        self.answer = "ok"
        self.fields = FakeRegistry()

    def edit(self, key: str, wait: float = 0.02) -> str:
        self.held_during_call.append(self.lock.owned())
        with self._count:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(wait)
        with self._count:
            self.in_flight -= 1
        return key


class FakeRegistry:
    def __contains__(self, item: object) -> bool:
        return item == "customfield_1"


FakeRegistry.__module__ = "okrsync.jira.fields"  # wrapped as the gateway's sub-objects are


def test_calls_through_the_unlocked_gateway_let_go_of_the_lock_and_overlap() -> None:
    lock = BigLock()
    raw = FakeGateway(lock)
    gateway = unlocked(raw, lock)
    order: list[tuple[str, int]] = []
    bookkeeping_overlaps: list[int] = []
    inside = [0]

    def lane(key: str) -> None:
        for step in range(3):
            inside[0] += 1  # only one worker at a time may be here
            bookkeeping_overlaps.append(inside[0])
            inside[0] -= 1
            gateway.edit(key)
            order.append((key, step))

    run_lanes([f"K-{i}" for i in range(8)], lane, lock=lock, workers=4)
    assert raw.most == 4  # the calls overlapped
    assert not any(raw.held_during_call)  # ... and none held the lock
    assert set(bookkeeping_overlaps) == {1}  # the bookkeeping never did
    for i in range(8):  # each lane's steps in order
        assert [s for k, s in order if k == f"K-{i}"] == [0, 1, 2]
    assert gateway.answer == "ok" and "customfield_1" in gateway.fields  # values pass through


def test_one_worker_runs_the_lanes_in_order_on_the_calling_thread() -> None:
    lock = BigLock()
    seen: list[tuple[str, int]] = []
    run_lanes(["a", "b", "c"], lambda lane: seen.append((lane, threading.get_ident())), lock=lock, workers=1)
    assert [lane for lane, _ in seen] == ["a", "b", "c"]
    assert {ident for _, ident in seen} == {threading.get_ident()}


def test_lanes_not_started_when_halted_are_skipped() -> None:
    lock = BigLock()
    done: list[int] = []
    halt = threading.Event()

    def lane(i: int) -> None:
        done.append(i)
        if i == 2:
            halt.set()

    run_lanes(list(range(20)), lane, lock=lock, workers=1, halted=halt.is_set)
    assert done == [0, 1, 2]
    done.clear()
    halt.clear()
    run_lanes(list(range(20)), lane, lock=lock, workers=3, halted=halt.is_set)
    assert 2 in done and len(done) < 20


class Died(BaseException):
    pass


def test_an_exception_in_a_lane_stops_the_lanes_not_started_and_is_raised() -> None:
    lock = BigLock()
    gateway = unlocked(FakeGateway(lock), lock)
    done: list[int] = []

    def lane(i: int) -> None:
        gateway.edit(str(i), wait=0.01)
        if i == 3:
            raise Died()
        done.append(i)

    with pytest.raises(Died):
        run_lanes(list(range(100)), lane, lock=lock, workers=4)
    assert len(done) < 20  # the rest never started


def test_parallel_map_keeps_the_order_and_hands_back_exceptions() -> None:
    lock = BigLock()
    gateway = unlocked(FakeGateway(lock), lock)

    def fn(i: int) -> Any:
        if i == 5:
            raise ValueError("five")
        return gateway.edit(str(i), wait=0.005)

    with lock.held():  # the caller may hold the lock: it lets go of it while the workers run
        out = parallel_map(list(range(10)), fn, lock=lock, workers=4)
        assert lock.owned()
    assert [o for i, o in enumerate(out) if i != 5] == [str(i) for i in range(10) if i != 5]
    assert isinstance(out[5], ValueError)


def test_the_big_lock_is_reentrant_for_its_owner_and_released_only_where_held() -> None:
    lock = BigLock()
    with lock.released():  # not held: a no-op
        assert not lock.owned()
    with lock.held():
        with lock.held():
            assert lock.owned()
        assert lock.owned()
        with lock.released():
            assert not lock.owned()
            got = []
            t = threading.Thread(target=lambda: got.append(lock._lock.acquire(timeout=1)))
            t.start()
            t.join()
            assert got == [True]  # another thread could take it meanwhile
            lock._lock.release()
        assert lock.owned()
    assert not lock.owned()


def test_many_lanes_start_in_order_with_no_future_per_lane(monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 lanes (a Data Center first sync) are taken one by one by the workers: a future and
    a queue entry each were ~150 MiB of its peak."""
    import concurrent.futures

    submitted = 0
    real_submit = concurrent.futures.ThreadPoolExecutor.submit

    def counting(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        nonlocal submitted
        submitted += 1
        return real_submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(concurrent.futures.ThreadPoolExecutor, "submit", counting)
    lock = BigLock()
    started: list[int] = []
    run_lanes(list(range(100_000)), started.append, lock=lock, workers=4)
    # each once (lanes are independent issues: which of two workers takes the lock first is free)
    assert sorted(started) == list(range(100_000))
    assert submitted == 4
    run_lanes([1, 2], started.append, lock=lock, workers=8)  # never more workers than lanes
    assert submitted == 6
