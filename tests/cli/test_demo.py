"""``okrsync demo`` never ages: on any day its company sits on day 56 of its period, with every live
health state, a celebration, a stale reminder, and trend charts rebuilt from the changelogs."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from okrsync.cli.demo import run_demo
from okrsync.jira_sim.datasets import demo as dataset

LIVE_HEALTH = ("done", "on_track", "at_risk", "off_track")


def run(tmp_path: Path, *, as_of: date | None = None, clock: datetime | None = None) -> tuple[str, str]:
    out = io.StringIO()
    report = tmp_path / "report.html"
    code = run_demo(Console(file=out, width=160, no_color=True), as_of=as_of, report_path=report, clock=clock)
    assert code == 0, out.getvalue()
    return out.getvalue(), report.read_text(encoding="utf-8")


def kr_health(html: str) -> dict[str, int]:
    states = re.findall(r'<tr class="kr" id="[^"]*" data-health="([a-z_]+)"', html)
    return {state: states.count(state) for state in set(states)}


def trend_lengths(html: str) -> list[int]:
    return [
        len(points.split()) for points in re.findall(r'<polyline class="progress" points="([^"]*)"', html)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("day", [date(2027, 3, 9), date(2029, 8, 31)])
def test_a_demo_of_any_year_shows_every_live_health_and_real_trends(tmp_path: Path, day: date) -> None:
    text, html = run(tmp_path, as_of=day)
    start = dataset.start_for(day)
    assert f"okrsync sync as of {day}, day 56 of" in text
    assert f"({start} .. {start + timedelta(days=91)})" in text
    assert f"OKRs {dataset.period_name(start)} — as of {day}" in text
    health = kr_health(html)
    assert set(health) == set(LIVE_HEALTH), health
    assert health["done"] == 1 and health["at_risk"] == 3 and health["off_track"] == 4
    lengths = trend_lengths(html)
    assert len(lengths) == 8, "one trend chart per objective"
    assert min(lengths) == 56, "a point for every day of the period so far, from the backfill"
    assert "Key result achieved" in text  # the celebration on PLAT-4
    assert "Check-in reminder" in text  # the stale MOB-3
    assert re.search(r"Backfill: 56 days of history rebuilt from \d+ changelog entries", text)
    assert re.search(r"A sync right after: \d+ requests, 0 writes, 0 comments", text)


def test_without_a_day_the_demo_runs_on_the_clock_it_is_given(tmp_path: Path) -> None:
    moment = datetime(2031, 5, 17, 8, 42, tzinfo=UTC)
    text, html = run(tmp_path, clock=moment)
    assert "okrsync sync as of 2031-05-17, day 56 of" in text
    assert set(kr_health(html)) == set(LIVE_HEALTH)
    assert "08:42" in html  # the real moment of the sync, not a made-up noon
