"""pytest fixtures for the Jira simulator (``tests/conftest.py`` registers this plugin).

- ``sim_cloud`` / ``sim_datacenter``: a fresh demo-dataset simulator per test;
- ``sim``: parametrized over both dialects;
- ``sim_okr`` : both dialects, with the OKR fields pre-created (``okr_fields=True``);
- ``sim_factory``: any number of simulators with custom arguments, each as its dataset was built
  (running servers are reused within a module and reset between tests: :class:`SimPool`);
- ``jira_auth``: the demo admin's basic-auth pair;
- :func:`live_demo`: the demo company around today, for tests whose subprocesses read the real clock;
- :func:`ticking_clock`: a clock that starts at a pinned moment and runs.
"""

from __future__ import annotations

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
