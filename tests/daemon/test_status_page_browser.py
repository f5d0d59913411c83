"""The status page in a real headless browser (Debian's chromium): the tree, the bars, the runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from daemonkit import LIVE, env_for, running, wait_for
from simkit import SimFactory

from okrsync.state.store import StateStore

pytestmark = pytest.mark.slow  # real subprocesses and waits: seconds each

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> str:
    path = find_browser()
    if path is None and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"],
            capture_output=True,
            timeout=900,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        path = find_browser()
    if path is None:
        pytest.skip(
            "no headless browser: chromium is not installed and cannot be installed here (needs root and apt-get)"
        )
    return path


def headless(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


class Tree(HTMLParser):
    """For each objective / KR node: the objectives it is nested under; the width of its bar."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []  # one entry per open <section>: the objective it holds, if any
        self.parents: dict[str, list[str]] = {}
        self.bars: dict[str, str] = {}
        self.health: dict[str, str] = {}
        self._last: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.stack.append(None)
        node = a.get("data-objective") if tag == "section" else a.get("data-kr") if tag == "tr" else None
        if node:
            self.parents[node] = [o for o in (self.stack[:-1] if tag == "section" else self.stack) if o]
            self.health[node] = a.get("data-health") or ""
            if tag == "section" and self.stack:
                self.stack[-1] = node
            self._last = node
        if tag == "span" and "fill" in (a.get("class") or "") and self._last and self._last not in self.bars:
            self.bars[self._last] = f"{a.get('class')} {a.get('style')}"

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.stack:
            self.stack.pop()


def test_the_status_page_in_headless_chromium(browser: str, sim_factory: SimFactory, tmp_path: Path) -> None:
    sim = sim_factory("cloud", okr_fields=True, demo_start=LIVE.start)
    db = tmp_path / "state.db"
    with running(env_for(sim, f"sqlite:///{db}"), tmp_path / "daemon.log", "--interval-seconds", "600") as d:
        d.wait_ready()

        def synced() -> bool:
            with StateStore.open(f"sqlite:///{db}") as store:
                last = store.last_run()
                return last is not None and not last.running

        wait_for("the first cycle", synced, timeout=20)
        dom = headless(browser, tmp_path, "--dump-dom", d.url + "/")
        assert dom.returncode == 0, dom.stderr[-2000:]
        shot = tmp_path / "status.png"
        headless(browser, tmp_path, "--window-size=1280,1400", f"--screenshot={shot}", d.url + "/")
        assert d.stop() == 0

    tree = Tree()
    tree.feed(dom.stdout)
    assert f"<title>okrsync · OKRs {LIVE.env['OKRSYNC_PERIOD__NAME']}</title>" in dom.stdout
    # the alignment tree as the browser built it: company → department → team objective → KR
    assert tree.parents["ENG"] == ["CO-1"]
    assert tree.parents["PLAT-O"] == ["CO-1", "ENG"]
    assert tree.parents["PLAT-2"] == ["CO-1", "ENG", "PLAT-O"]
    assert tree.parents["DATA-3"] == ["CO-3", "DATA-O"]
    assert (
        len(
            [
                n
                for n, p in tree.parents.items()
                if p and n not in {"ENG", "PLAT-O", "MOB-O", "WEB-O", "DATA-O"}
            ]
        )
        == 15
    )
    # progress bars as wide as the progress, coloured by health
    assert "width:16.7%" in tree.bars["MOB-1"]
    assert "width:100%" in tree.bars["PLAT-4"] and tree.health["PLAT-4"] == "done"
    assert "h-done" in tree.bars["PLAT-4"]
    assert 'data-run="1"' in dom.stdout
    assert shot.exists() and shot.stat().st_size > 20_000
