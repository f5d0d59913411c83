"""Process health at period end (pure): how the OKR process itself went, per closed period, from the
recorded closes (meta ``closed_periods``: each KR's final progress and score, the tree as it closed)
and the stored daily history. ``as_of`` is passed in; nothing here reads the clock.

Per closed period:

- achieved: the share of its KRs that reached their target (final progress 100 %);
- the mean score (0.0–1.0) and the distribution of scores (below 0.3, 0.3 to below 0.7, 0.7 to
  below 1.0, 1.0). Every KR at 1.0 is a finding (``targets_too_easy``), every KR below 0.3 too
  (``targets_too_hard``); both need at least :data:`MIN_KRS` scored KRs;
- late movers: KRs whose progress never moved until the period's last two weeks (history from
  before them is needed: a KR okrsync began watching in the last two weeks is not judged);
- stale weeks per owner: the period's weeks (7 days from its start) in which a KR of the owner's,
  not yet done, recorded no movement, summed over the owner's KRs.

Trends: the periods in order of their end, each with its achieved share and mean score and the
change from the period before.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from okrsync.core.closing import PeriodClose
from okrsync.domain.model import Period
from okrsync.domain.records import ProgressPoint

LATE_DAYS = 14
"""The last two weeks of a period."""
MIN_KRS = 2
"""A distribution finding needs at least this many scored KRs."""
BUCKETS = ("<0.3", "0.3-0.7", "0.7-1.0", "1.0")
NO_OWNER = "(no owner)"


@dataclass(frozen=True, slots=True)
class PeriodHealth:
    period: Period
    key_results: int
    achieved: int
    mean_score: float | None
    distribution: Mapping[str, int]
    findings: tuple[str, ...] = ()
    late_movers: tuple[str, ...] = ()
    stale_weeks: Mapping[str, int] = field(default_factory=dict)
    """Owner → stale weeks over their KRs (owners with none left out)."""

    @property
    def achieved_share(self) -> float | None:
        return self.achieved / self.key_results if self.key_results else None


@dataclass(frozen=True, slots=True)
class Trend:
    period: str
    achieved_share: float | None
    mean_score: float | None
    achieved_change: float | None = None
    score_change: float | None = None


@dataclass(frozen=True, slots=True)
class ProcessHealth:
    periods: tuple[PeriodHealth, ...] = ()
    trends: tuple[Trend, ...] = ()


def bucket(score: float) -> str:
    if score >= 1.0:
        return "1.0"
    if score >= 0.7:
        return "0.7-1.0"
    if score >= 0.3:
        return "0.3-0.7"
    return "<0.3"


def distribution_findings(scores: Sequence[float]) -> tuple[str, ...]:
    """``targets_too_easy`` when every score is 1.0, ``targets_too_hard`` when every one is below 0.3."""
    if len(scores) < MIN_KRS:
        return ()
    if all(s >= 1.0 for s in scores):
        return ("targets_too_easy",)
    if all(s < 0.3 for s in scores):
        return ("targets_too_hard",)
    return ()


def _series(points: Iterable[ProgressPoint], period: Period, ids: set[str]) -> dict[str, list[ProgressPoint]]:
    out: dict[str, list[ProgressPoint]] = defaultdict(list)
    for p in points:
        if p.node_id in ids and period.contains(p.day):
            out[p.node_id].append(p)
    for series in out.values():
        series.sort(key=lambda p: p.day)
    return out


def first_move(series: Sequence[ProgressPoint]) -> date | None:
    """The first day the progress differs from the day recorded before it (``None``: never)."""
    for before, p in itertools.pairwise(series):
        if p.progress != before.progress:
            return p.day
    return None


def late_movers(series: Mapping[str, Sequence[ProgressPoint]], period: Period) -> tuple[str, ...]:
    """KRs that first moved in the period's last :data:`LATE_DAYS` days, watched from before them."""
    late_from = period.end - timedelta(days=LATE_DAYS - 1)
    out = []
    for kr_id, s in series.items():
        if not s or s[0].day >= late_from:
            continue
        moved = first_move(s)
        if moved is not None and moved >= late_from:
            out.append(kr_id)
    return tuple(sorted(out))


def stale_weeks(series: Sequence[ProgressPoint], period: Period) -> int:
    """Weeks of ``period`` (from its start) in which the KR, recorded and not done, did not move."""
    by_week: dict[int, list[ProgressPoint]] = defaultdict(list)
    for p in series:
        by_week[(p.day - period.start).days // 7].append(p)
    last: float | None = None
    seen = False
    count = 0
    for week in sorted(by_week):
        points = by_week[week]
        values = [p.progress for p in points]
        moved = (seen and values[0] != last) or any(a != b for a, b in itertools.pairwise(values))
        done = last is not None and last >= 1.0
        if seen and not moved and not done:
            count += 1
        last, seen = values[-1], True
    return count


def owners_of(close: PeriodClose) -> dict[str, str]:
    """KR id → owner, from the tree the period closed with."""
    tree: Mapping[str, Any] = close.tree or {}
    out: dict[str, str] = {}
    for kr in tree.get("key_results") or []:
        if isinstance(kr, Mapping) and kr.get("id"):
            out[str(kr["id"])] = str(kr.get("owner") or NO_OWNER)
    return out


def period_health(close: PeriodClose, points: Iterable[ProgressPoint]) -> PeriodHealth:
    finals = [f for f in close.finals.values() if f.kind == "key_result"]
    scores = [f.score for f in finals if f.score is not None]
    dist = dict.fromkeys(BUCKETS, 0)
    for s in scores:
        dist[bucket(s)] += 1
    ids = {f.id for f in finals}
    series = _series(points, close.period, ids)
    owners = owners_of(close)
    stale: dict[str, int] = defaultdict(int)
    for kr_id in sorted(ids):
        weeks = stale_weeks(series.get(kr_id, []), close.period)
        if weeks:
            stale[owners.get(kr_id, NO_OWNER)] += weeks
    return PeriodHealth(
        close.period,
        len(finals),
        sum(1 for f in finals if f.progress is not None and f.progress >= 1.0),
        round(sum(scores) / len(scores), 2) if scores else None,
        dist,
        distribution_findings(scores),
        late_movers(series, close.period),
        dict(sorted(stale.items())),
    )


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 2)


def process_health(
    closes: Mapping[str, PeriodClose], points: Iterable[ProgressPoint], as_of: date
) -> ProcessHealth:
    """Every period closed by ``as_of``, oldest end first, and the trends across them."""
    listed = sorted((c for c in closes.values() if c.closed_on <= as_of), key=lambda c: c.period.end)
    history = list(points)
    periods = tuple(period_health(c, history) for c in listed)
    trends: list[Trend] = []
    for i, ph in enumerate(periods):
        share = None if ph.achieved_share is None else round(ph.achieved_share, 2)
        prev = trends[i - 1] if i else None
        trends.append(
            Trend(
                ph.period.name,
                share,
                ph.mean_score,
                _change(share, prev.achieved_share) if prev else None,
                _change(ph.mean_score, prev.mean_score) if prev else None,
            )
        )
    return ProcessHealth(periods, tuple(trends))


FINDING_TEXT = {
    "targets_too_easy": "every KR scored 1.0: targets too easy? aim higher",
    "targets_too_hard": "every KR scored below 0.3: targets too hard, or not worked on?",
}


def describe(health: ProcessHealth) -> list[str]:
    """Lines a person reads (report, digest)."""
    lines: list[str] = []
    for ph in health.periods:
        share = "–" if ph.achieved_share is None else f"{ph.achieved_share * 100:.0f} %"
        mean = "–" if ph.mean_score is None else f"{ph.mean_score:.2f}"
        dist = ", ".join(f"{k}: {v}" for k, v in ph.distribution.items())
        lines.append(
            f"{ph.period.name}: {ph.achieved} of {ph.key_results} KRs achieved ({share}), "
            f"mean score {mean}; scores {dist}"
        )
        lines.extend(f"  finding: {FINDING_TEXT[f]}" for f in ph.findings)
        if ph.late_movers:
            lines.append(f"  moved only in the last two weeks: {', '.join(ph.late_movers)}")
        if ph.stale_weeks:
            owners = ", ".join(f"{o} {n}" for o, n in ph.stale_weeks.items())
            lines.append(f"  stale weeks by owner: {owners}")
    if len(health.trends) > 1:
        parts = []
        for t in health.trends:
            share = "–" if t.achieved_share is None else f"{t.achieved_share * 100:.0f} %"
            mean = "–" if t.mean_score is None else f"{t.mean_score:.2f}"
            parts.append(f"{t.period} {share} / {mean}")
        lines.append("Trend (achieved / mean score): " + " → ".join(parts))
    return lines
