"""Fixtures of the report tests: a browser, and the demo company synced on four days (demostore)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from demostore import DemoStore, build_demo_store


@pytest.fixture(scope="module")
def browser() -> str:
    """Debian's Chromium (installed where missing and possible), or the test is skipped."""
    from reportkit import find_browser

    path = find_browser()
    if path is None:
        pytest.skip("no Chromium found and apt-get install -y chromium was not possible here")
    return path


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStore]:
    yield build_demo_store(tmp_path_factory.mktemp("report-store") / "state.db")
