"""The HTML report of the demo company in a real browser: headless Chromium renders it offline.

Set OKRSYNC_REPORT_SCREENSHOT=docs/report-screenshot.png to keep the screenshot for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
from dataclasses import replace
from pathlib import Path

import pytest
from demostore import DemoStore
from reportkit import chromium, pct_text

from okrsync.cli.report import load_report_data, render
from okrsync.state.store import StateStore

pytestmark = pytest.mark.slow  # real subprocesses and waits: seconds each


@pytest.fixture(scope="module")
def report_file(demo_store: DemoStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with StateStore.open(demo_store.url) as store:
        # a site like a customer's in the picture, not the simulator's port of the day
        page = render("html", replace(load_report_data(store), site="https://acme.atlassian.net"))
    path = tmp_path_factory.mktemp("html") / "okrsync-report.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_chromium_renders_every_objective_with_its_trend_chart(
    browser: str, report_file: Path, demo_store: DemoStore, tmp_path: Path
) -> None:
    out = chromium(browser, tmp_path / "profile", "--dump-dom", report_file.as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    scored = demo_store.scored
    sections = re.findall(r'<section class="objective[^"]*" data-id="([^"]+)"', dom)
    assert sorted(sections) == sorted(scored.objectives)
    # the browser built one SVG chart per objective, each with a progress line over the four syncs
    assert dom.count('<svg class="trend"') == len(scored.objectives)
    lines = re.findall(r'<polyline class="progress" points="([^"]+)"', dom)
    assert len(lines) == len(scored.objectives)
    assert all(len(points.split()) == 4 for points in lines), lines
    # the numbers a reader sees are the roll-up's
    for kr_id, s in scored.key_results.items():
        row = re.search(rf'<tr class="kr" id="kr-{kr_id}".*?</tr>', dom, flags=re.DOTALL)
        assert row, kr_id
        assert f'<td class="num progress">{pct_text(s.progress)}</td>' in row.group(0), kr_id
    assert '<td class="num progress">16.7 %</td>' in dom  # MOB-1: 2 of 12 issues done


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chromium_takes_a_screenshot_of_the_report(browser: str, report_file: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    out = chromium(
        browser,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        report_file.as_uri(),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert _png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 50_000  # a page full of text, bars and charts, not a blank one
    if keep := os.environ.get("OKRSYNC_REPORT_SCREENSHOT"):
        shutil.copyfile(shot, keep)
