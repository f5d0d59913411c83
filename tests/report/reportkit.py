"""Helpers of the report tests: a hand-built scored tree, its history, a demo store and a browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from corekit import Q4

from okrsync.core.rollup import RollupPolicy, ScoredTree, roll_up
from okrsync.core.stored_tree import stored_tree_of
from okrsync.domain.model import (
    ActionPlan,
    KeyResult,
    Level,
    Measure,
    MetricTarget,
    Objective,
    OkrTree,
    StatusCategory,
)
from okrsync.domain.records import ProgressPoint
from okrsync.report.outline import TrendPoint, trends_of

AS_OF = date(2026, 11, 26)  # day 57 of 92: expected 62.0 %
POLICY = RollupPolicy(in_progress_credit=0.0, tolerance=0.1, off_track_gap=0.2)
HOSTILE = '<script>alert("x")</script> & | *bold* [link](javascript:x) <img src=x onerror=alert(1)>'
DONE, DOING, TODO = StatusCategory.DONE, StatusCategory.IN_PROGRESS, StatusCategory.TODO


def _plans(prefix: str, done: int, doing: int, todo: int, cancelled: int = 0) -> tuple[ActionPlan, ...]:
    cats = [DONE] * done + [DOING] * doing + [TODO] * (todo + cancelled)
    return tuple(
        ActionPlan(
            key=f"{prefix}-{i + 10}",
            summary=f"Task {i + 1} of {prefix}",
            status={DONE: "Done", DOING: "In Progress", TODO: "To Do"}[c],
            status_category=c,
            cancelled=i >= done + doing + todo,
            points=float(i % 3 + 1),
            owner="Dana Lee" if i % 2 else None,
        )
        for i, c in enumerate(cats)
    )


def hand_tree() -> OkrTree:
    """Company → department → team objectives; KRs of every measure; one hostile title."""
    objectives = (
        Objective("CO-1", "Delight customers", Level.COMPANY, owner="ceo@example.com"),
        Objective("CO-2", "Grow revenue", Level.COMPANY, owner="cfo@example.com"),
        Objective("ENG", "Engineering ships reliably", Level.DEPARTMENT, "cto@example.com", aligns_to="CO-1"),
        Objective("MOB-O", "A mobile app customers rave about", Level.TEAM, "carla@example.com", "ENG", 2.0),
        Objective("WEB-O", HOSTILE, Level.TEAM, None, "CO-2", jira_key="WEB-100"),
        Objective("EMPTY", "Nothing here yet", Level.TEAM, aligns_to="CO-2"),
    )
    krs = (
        # 2 of 12 issues done: 16.7 %, off track
        KeyResult(
            "MOB-1",
            "MOB-O",
            "Ship offline mode",
            Measure.ISSUES,
            _plans("MOB", 2, 3, 7),
            owner="Carla Diaz",
            due=date(2026, 12, 18),
            jira_key="MOB-1",
        ),
        # points: done 1+2+3 = 6 of 1+2+3+1+2+3 = 12: 50.0 %, at risk
        KeyResult(
            "MOB-2",
            "MOB-O",
            "Raise store rating",
            Measure.POINTS,
            _plans("MR", 3, 1, 2, 1),
            owner="Deepak Rao",
            jira_key="MOB-2",
        ),
        # metric 800 -> 300, now 520: 56.0 %
        KeyResult(
            "PERF",
            "ENG",
            "Cut p95 latency",
            Measure.METRIC,
            metric=MetricTarget("OKR Current", 800, 300, 520),
            weight=1.0,
        ),
        KeyResult(
            "WEB-3", "WEB-O", HOSTILE, Measure.ISSUES, _plans("WEB", 4, 0, 0), owner=HOSTILE, jira_key="WEB-3"
        ),
        # every plan cancelled: no data
        KeyResult("WEB-4", "WEB-O", "Checkout in one click", Measure.ISSUES, _plans("WC", 0, 0, 0, 2)),
    )
    return OkrTree(Q4, objectives, krs)


def scored_tree(as_of: date = AS_OF) -> ScoredTree:
    return roll_up(hand_tree(), as_of, POLICY)


def stored_snapshot(scored: ScoredTree) -> dict[str, Any]:
    """The snapshot as the store gives it back (through JSON)."""
    doc: dict[str, Any] = json.loads(json.dumps(stored_tree_of(scored)))
    return doc


def hand_history(days: int = 4, step: int = 7) -> tuple[list[ProgressPoint], dict[str, list[TrendPoint]]]:
    """Progress points of every node on ``days`` days a ``step`` apart before AS_OF, rising."""
    scored = scored_tree()
    points: list[ProgressPoint] = []
    for n in range(days, 0, -1):
        day = AS_OF - timedelta(days=n * step)
        share = (days - n + 1) / (days + 1)
        expected = Q4.elapsed_share(day)
        for kind, scores in (("key_result", scored.key_results), ("objective", scored.objectives)):
            for s in scores.values():
                progress = None if s.progress is None else s.progress * share
                points.append(ProgressPoint(day, s.id, kind, progress, expected, s.health.value))
    return points, trends_of(points, Q4)


def pct_text(share: float | None) -> str:
    """How a roll-up share shows in a report: one decimal and a percent sign."""
    return "–" if share is None else f"{round(share * 100, 1):.1f} %"


# ------------------------------------------------------------------------------------ browser

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_browser() -> str | None:
    """A headless-capable Chromium; installs Debian's chromium with apt-get when it can."""
    for name in BROWSER_NAMES:
        if path := shutil.which(name):
            return path
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"],
            capture_output=True,
            timeout=900,
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        return shutil.which("chromium")
    return None


def chromium(
    browser: str, profile: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
