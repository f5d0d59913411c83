"""Process health at period end (okrsync.core.process_health): table-driven, ``as_of`` passed in."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from okrsync.core.closing import FinalScore, PeriodClose
from okrsync.core.process_health import (
    bucket,
    describe,
    distribution_findings,
    late_movers,
    process_health,
    stale_weeks,
)
from okrsync.domain.model import Health, Period
from okrsync.domain.records import ProgressPoint

Q3 = Period("2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
Q4 = Period("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))


def series(period: Period, values: list[tuple[int, float]], node: str = "K1") -> list[ProgressPoint]:
    """Points on period.start + day for (day, progress)."""
    return [
        ProgressPoint(period.start + timedelta(days=d), node, "key_result", v, 0.0, "On track")
        for d, v in values
    ]


@pytest.mark.parametrize(
    ("score", "expected"), [(0.0, "<0.3"), (0.29, "<0.3"), (0.3, "0.3-0.7"), (0.7, "0.7-1.0"), (1.0, "1.0")]
)
def test_bucket(score: float, expected: str) -> None:
    assert bucket(score) == expected


@pytest.mark.parametrize(
    ("scores", "findings"),
    [
        ([1.0, 1.0, 1.0], ("targets_too_easy",)),
        ([0.1, 0.2, 0.0], ("targets_too_hard",)),
        ([1.0, 0.2], ()),
        ([0.7, 0.6], ()),
        ([1.0], ()),  # one KR is no distribution
        ([], ()),
    ],
)
def test_distribution_findings(scores: list[float], findings: tuple[str, ...]) -> None:
    assert distribution_findings(scores) == findings


@pytest.mark.parametrize(
    ("values", "late"),
    [
        ([(0, 0.0), (40, 0.0), (85, 0.5), (91, 1.0)], True),  # first moved on day 85 of 92
        ([(0, 0.0), (20, 0.2), (85, 0.5)], False),  # moved early
        ([(0, 0.0), (40, 0.0), (91, 0.0)], False),  # never moved: not a late mover
        ([(80, 0.0), (85, 0.5)], False),  # watched only from the last two weeks: not judged
        ([(0, 0.0), (76, 0.0), (77, 0.3)], False),  # day 77 = Dec 17: before the last 14 days
        ([(0, 0.0), (78, 0.3)], True),  # Dec 18: the first of the last 14 days (Dec 18-31)
    ],
)
def test_late_movers(values: list[tuple[int, float]], late: bool) -> None:
    assert late_movers({"K1": series(Q4, values)}, Q4) == (("K1",) if late else ())


@pytest.mark.parametrize(
    ("values", "weeks"),
    [
        ([(d, 0.0) for d in range(0, 28)], 3),  # 4 weeks recorded, none moved: the 3 after the first
        ([(d, d / 100) for d in range(0, 28)], 0),  # moving every day
        ([(0, 0.0), (7, 0.1), (14, 0.1), (21, 0.2)], 1),  # week 3 (day 14) did not move
        ([(0, 1.0), (7, 1.0), (14, 1.0)], 0),  # done: never stale
        ([], 0),
    ],
)
def test_stale_weeks(values: list[tuple[int, float]], weeks: int) -> None:
    assert stale_weeks(series(Q4, values), Q4) == weeks


def close(period: Period, finals: dict[str, tuple[float, float]], owners: dict[str, str]) -> PeriodClose:
    return PeriodClose(
        period,
        period.end + timedelta(days=1),
        {
            k: FinalScore(k, "key_result", progress, score, Health.ON_TRACK)
            for k, (progress, score) in finals.items()
        }
        | {"O1": FinalScore("O1", "objective", 0.5, 0.5, Health.ON_TRACK)},
        {"key_results": [{"id": k, "owner": o} for k, o in owners.items()]},
    )


def test_process_health_per_period_and_trends() -> None:
    q3 = close(Q3, {"K1": (1.0, 1.0), "K2": (1.0, 1.0)}, {"K1": "alice", "K2": "bob"})
    q4 = close(Q4, {"K1": (0.5, 0.5), "K2": (1.0, 1.0), "K3": (0.2, 0.2)}, {"K1": "alice", "K2": "bob"})
    points = [
        *series(Q4, [(0, 0.0), (7, 0.0), (14, 0.0), (21, 0.5)], "K1"),  # 2 stale weeks, alice
        *series(Q4, [(0, 0.0), (50, 0.0), (88, 1.0)], "K2"),  # bob: a late mover, 1 stale week
        *series(Q3, [(0, 0.0), (7, 0.0)], "K1"),  # Q3: alice 1
    ]
    health = process_health({"2026-Q4": q4, "2026-Q3": q3}, points, as_of=date(2027, 1, 2))
    assert [p.period.name for p in health.periods] == ["2026-Q3", "2026-Q4"]
    p3, p4 = health.periods
    assert (p3.key_results, p3.achieved, p3.mean_score, p3.findings) == (2, 2, 1.0, ("targets_too_easy",))
    assert p3.stale_weeks == {"alice": 1}
    assert (p4.key_results, p4.achieved, p4.mean_score, p4.findings) == (3, 1, 0.57, ())
    assert dict(p4.distribution) == {"<0.3": 1, "0.3-0.7": 1, "0.7-1.0": 0, "1.0": 1}
    assert p4.late_movers == ("K2",)
    assert p4.stale_weeks == {"alice": 2, "bob": 1}
    t3, t4 = health.trends
    assert (t3.achieved_share, t3.mean_score, t3.achieved_change) == (1.0, 1.0, None)
    assert (t4.achieved_share, t4.mean_score, t4.achieved_change, t4.score_change) == (
        0.33,
        0.57,
        -0.67,
        -0.43,
    )
    text = "\n".join(describe(health))
    assert "2026-Q3: 2 of 2 KRs achieved (100 %), mean score 1.00" in text
    assert "targets too easy" in text
    assert "moved only in the last two weeks: K2" in text
    assert "Trend (achieved / mean score): 2026-Q3 100 % / 1.00 → 2026-Q4 33 % / 0.57" in text


@pytest.mark.parametrize(("as_of", "periods"), [(date(2026, 12, 31), 1), (date(2027, 1, 1), 2)])
def test_only_periods_closed_by_as_of(as_of: date, periods: int) -> None:
    closes = {
        "2026-Q3": close(Q3, {"K1": (1.0, 1.0)}, {}),
        "2026-Q4": close(Q4, {"K1": (0.0, 0.0)}, {}),
    }
    assert len(process_health(closes, [], as_of).periods) == periods
