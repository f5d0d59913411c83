"""pytest fixtures for the Jira simulator (``tests/conftest.py`` registers this plugin).

- ``sim_cloud`` / ``sim_datacenter``: a fresh demo-dataset simulator per test;
- ``sim``: parametrized over both dialects;
- ``sim_okr`` : both dialects, with the OKR fields pre-created (``okr_fields=True``);
- ``sim_factory``: start any number of simulators with custom arguments, stopped after the test;
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


@pytest.fixture
def sim_factory() -> Iterator[SimFactory]:
    started: list[JiraSimulator] = []

    def make(flavor: catalog.Flavor = "cloud", dataset: str = "demo", **kwargs: Any) -> JiraSimulator:
        sim = JiraSimulator(flavor=flavor, dataset=dataset, **kwargs).start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


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
