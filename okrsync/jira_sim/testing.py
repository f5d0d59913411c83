"""pytest fixtures for the Jira simulator (registered by ``tests/conftest.py``).

- ``sim_cloud`` / ``sim_datacenter``: a fresh demo-dataset simulator per test;
- ``sim``: parametrized over both dialects;
- ``sim_okr`` : both dialects, with the OKR fields pre-created (``okr_fields=True``);
- ``sim_factory``: start any number of simulators with custom arguments, stopped after the test;
- ``jira_auth``: the demo admin's basic-auth pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from okrsync.jira_sim import catalog
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
