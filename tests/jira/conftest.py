"""Fixtures for the HTTP-level gateway tests: a fake clock, `responses`, gateways of both flavors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses
from gwkit import FakeClock, GatewayFactory, make_cfg

from okrsync.jira.gateway import JiraGateway
from okrsync.jira.stats import RequestStats


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def make_gateway(clock: FakeClock) -> GatewayFactory:
    def factory(flavor: str = "cloud", **overrides: Any) -> JiraGateway:
        return JiraGateway(
            make_cfg(flavor, **overrides),
            sleep=clock.sleep,
            clock=clock.monotonic,
            wall_clock=clock.wall,
            stats=RequestStats(keep_records=True),
        )

    return factory
