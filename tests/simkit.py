"""pytest fixtures for the Jira simulator (``tests/conftest.py`` registers this plugin).

- ``sim_cloud`` / ``sim_datacenter``: a fresh demo-dataset simulator per test;
- ``sim``: parametrized over both dialects;
- ``sim_okr`` : both dialects, with the OKR fields pre-created (``okr_fields=True``);
- ``sim_factory``: any number of simulators with custom arguments, each as its dataset was built
  (running servers are reused within a module and reset between tests: :class:`SimPool`);
- ``jira_auth``: the demo admin's basic-auth pair;
- :func:`live_demo`: the demo company around today, for tests whose subprocesses read the real clock;
- :func:`ticking_clock`: a clock that starts at a pinned moment and runs.

The contract test: every simulator a test starts or takes is checked when the test ends, and the
test fails on any deviation from Jira's contract it saw (a request the spec refuses; see
``okrsync/jira_sim/contract``), except the still-open ones in :data:`KNOWN_OPEN_DEVIATIONS`. A test
that sends invalid requests on purpose says so with ``@pytest.mark.deviations_expected``: its
simulators are then lenient (the simulator's own, Jira-worded checks answer those requests) and
their deviations are not checked; ``deviations_expected(strict=True)`` keeps them strict. With
``OKRSYNC_DEVIATIONS_LOG=FILE`` every deviation is also appended to FILE (JSON lines), for a survey;
``OKRSYNC_SIM_CHECK_RESPONSES=1`` checks every simulator answer against the spec's response schemas too.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from okrsync.jira_sim import catalog
from okrsync.jira_sim.datasets import demo as demo_dataset
from okrsync.jira_sim.simulator import JiraSimulator

SimFactory = Callable[..., JiraSimulator]


class SimPool:
    """Running simulators kept for one test module and handed to each test reset.

    A simulator made with hashable arguments (no ``clock``, no ``load``) is reused: ``take`` hands out
    a free one with the same arguments, :meth:`JiraSimulator.reset` to the site it started as, or
    starts one. What a test has taken is given back when it ends; a simulator the test stopped is
    dropped. Starting and stopping one costs ~70 ms, and the suite starts several hundred.
    """

    def __init__(self) -> None:
        self._free: dict[tuple[Any, ...], list[JiraSimulator]] = {}
        self._taken: list[tuple[tuple[Any, ...] | None, JiraSimulator]] = []

    @staticmethod
    def _key(flavor: str, dataset: str, kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
        if "clock" in kwargs or "load" in kwargs or kwargs.get("port", 0):
            return None
        try:
            key = (flavor, dataset, tuple(sorted((k, _frozen(v)) for k, v in kwargs.items())))
            hash(key)
        except TypeError:
            return None
        return key

    def take(self, flavor: catalog.Flavor, dataset: str, **kwargs: Any) -> JiraSimulator:
        key = self._key(flavor, dataset, kwargs)
        free = self._free.get(key, []) if key is not None else []
        while free:
            sim = free.pop()
            if sim.running:
                self._taken.append((key, sim.reset()))
                _note(sim)
                return sim
        sim = JiraSimulator(flavor=flavor, dataset=dataset, **kwargs).start()
        self._taken.append((key, sim))
        return sim

    def give_back(self) -> None:
        for key, sim in self._taken:
            if key is not None and sim.running:
                self._free.setdefault(key, []).append(sim)
            else:
                sim.stop()
        self._taken.clear()

    def close(self) -> None:
        self.give_back()
        for sims in self._free.values():
            for sim in sims:
                sim.stop()
        self._free.clear()


# ------------------------------------------------------------------ Jira's contract, in every test


@dataclass(frozen=True)
class KnownDeviation:
    """A deviation okrsync still makes, allowed until its issue item is done (see KNOWN_OPEN_DEVIATIONS)."""

    dialect: str  # "cloud" or "datacenter"
    operation: str  # as deviations name it: "GET /api/2/issue/{issueIdOrKey}/comment"
    reason: str  # a part of the reason's text
    item: str  # the issue item that removes it

    def matches(self, dialect: str, deviation: dict[str, Any]) -> bool:
        return (
            dialect == self.dialect
            and deviation["operation"] == self.operation
            and all(self.reason in r for r in deviation["reasons"])
        )


# The one allowlist: deviations the suite still triggers, each removed when its item is done.
KNOWN_OPEN_DEVIATIONS: tuple[KnownDeviation, ...] = ()

# Whether a deviation fails the test that saw it (the contract test), or is only recorded.
CONTRACT_TEST_ENFORCED = True


@dataclass
class _TestSims:
    """The simulators the running test has started or taken (the contract check reads their
    deviations), and whether the test made them lenient (``deviations_expected``)."""

    lenient: bool
    sims: list[JiraSimulator]


_current: list[_TestSims] = []


def _note(sim: JiraSimulator) -> None:
    if _current and all(s is not sim for s in _current[-1].sims):
        _current[-1].sims.append(sim)
        if _current[-1].lenient:
            sim.contract.strict = False  # JiraSimulator.reset makes it strict again for the next test
        if os.environ.get("OKRSYNC_SIM_CHECK_RESPONSES"):  # a survey: every answer against the spec too
            sim.contract.validate_responses = True


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "deviations_expected(strict=False): the test sends requests that break Jira's contract on "
        "purpose: its simulators are lenient (unless strict=True) and their deviations not checked",
    )


@pytest.fixture(autouse=True)
def _jira_contract(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test on a deviation from Jira's contract seen by any simulator it used."""
    marker = request.node.get_closest_marker("deviations_expected")
    seen = _TestSims(lenient=marker is not None and not marker.kwargs.get("strict", False), sims=[])
    original = JiraSimulator.start

    def start(self: JiraSimulator) -> JiraSimulator:
        _note(self)
        return original(self)

    monkeypatch.setattr(JiraSimulator, "start", start)
    _current.append(seen)
    try:
        yield
    finally:
        _current.remove(seen)
    found = [(sim.flavor, d) for sim in seen.sims for d in sim.deviations()]
    if not found:
        return
    log = os.environ.get("OKRSYNC_DEVIATIONS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            for flavor, dev in found:
                fh.write(json.dumps({"test": request.node.nodeid, "dialect": flavor, **dev}) + "\n")
    if not CONTRACT_TEST_ENFORCED or marker is not None:
        return
    unexpected = [
        (flavor, d) for flavor, d in found if not any(k.matches(flavor, d) for k in KNOWN_OPEN_DEVIATIONS)
    ]
    if unexpected:
        lines = [
            f"  {flavor}: {d['method']} {d['path']}{'?' + d['query'] if d['query'] else ''} "
            f"({d['kind']}, answered {d['status']}): {'; '.join(d['reasons'])}"
            for flavor, d in unexpected[:10]
        ]
        more = f"\n  ... and {len(unexpected) - 10} more" if len(unexpected) > 10 else ""
        pytest.fail(
            f"{len(unexpected)} request(s) broke Jira's contract (okrsync/jira_sim/contract):\n"
            + "\n".join(lines)
            + more
            + "\nFix the request, or mark a test that sends it on purpose @pytest.mark.deviations_expected.",
            pytrace=False,
        )


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


@pytest.fixture(scope="module")
def sim_pool() -> Iterator[SimPool]:
    pool = SimPool()
    yield pool
    pool.close()


@pytest.fixture
def sim_factory(sim_pool: SimPool) -> Iterator[SimFactory]:
    """Simulators for this test: ``make(flavor, dataset, **JiraSimulator kwargs)``, each a distinct
    site as it was built (reused across the module's tests, reset)."""

    def make(flavor: catalog.Flavor = "cloud", dataset: str = "demo", **kwargs: Any) -> JiraSimulator:
        return sim_pool.take(flavor, dataset, **kwargs)

    yield make
    sim_pool.give_back()


@pytest.fixture
def sim_cloud(sim_factory: SimFactory) -> JiraSimulator:
    return sim_factory("cloud")


@pytest.fixture
def sim_datacenter(sim_factory: SimFactory) -> JiraSimulator:
    return sim_factory("datacenter")


@pytest.fixture(params=["cloud", "datacenter"])
def sim(request: pytest.FixtureRequest, sim_factory: SimFactory) -> JiraSimulator:
    return sim_factory(request.param)


@pytest.fixture(params=["cloud", "datacenter"])
def sim_okr(request: pytest.FixtureRequest, sim_factory: SimFactory) -> JiraSimulator:
    return sim_factory(request.param, okr_fields=True)


@pytest.fixture
def jira_auth() -> tuple[str, str]:
    return catalog.DEMO_EMAIL, catalog.DEMO_TOKEN


@dataclass(frozen=True)
class LiveDemo:
    """The demo company built around ``today`` and the configuration overrides that match it."""

    today: date
    start: date

    @property
    def env(self) -> dict[str, str]:
        """``OKRSYNC_PERIOD__*`` overrides of the packaged demo configuration's pinned period."""
        first, last = demo_dataset.period_of(self.start)
        return {
            "OKRSYNC_PERIOD__NAME": demo_dataset.period_name(self.start),
            "OKRSYNC_PERIOD__START": first.isoformat(),
            "OKRSYNC_PERIOD__END": last.isoformat(),
        }


def live_demo(today: date | None = None) -> LiveDemo:
    """The demo company as ``okrsync demo`` builds it on ``today`` (default: the real UTC day).

    For tests that run okrsync in a subprocess on the real clock: start the simulator with
    ``demo_start=live.start`` and give the subprocess ``live.env``; the picture is the same on any day.
    """
    day = today or datetime.now(UTC).date()
    return LiveDemo(day, demo_dataset.start_for(day))


def ticking_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that reads ``start`` now and runs on with the monotonic clock."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


class IndexClock:
    """The seconds a simulator's search-index lag is measured in (``index_clock=``), moved by the test."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
