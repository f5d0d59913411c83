"""The small drawn parts of the HTML pages: health badges, progress bars, the SVG trend chart.

Pure; every value goes through :func:`html.escape`. The templates (:mod:`okrsync.report.page`) put
them in place as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from okrsync.domain.model import Health, Period
from okrsync.report.outline import TrendPoint, fmt_pct, health_in

COLOURS: Mapping[Health, str] = {
    Health.DONE: "#8250df",
    Health.ON_TRACK: "#2da44e",
    Health.AT_RISK: "#bf8700",
    Health.OFF_TRACK: "#cf222e",
    Health.OVERDUE: "#82071e",
    Health.NOT_STARTED: "#8c959f",
    Health.NO_DATA: "#afb8c1",
}
EXPECTED_COLOUR = "#57606a"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def e(value: Any) -> str:
    """Any value as escaped HTML text (quotes too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def clamp(value: float | None) -> float:
    return 0.0 if value is None else max(0.0, min(100.0, float(value)))


# ------------------------------------------------------------------------------- small parts


def badge(health: Health) -> str:
    return f'<span class="badge h-{health.value}">{e(health.label)}</span>'


def closed_badge(item: Mapping[str, Any], period: str | None) -> str:
    """The badge of a KR or objective whose period closed: its final state, not a live health
    ("Closed · achieved" at 100 %, else "Closed · score 0.4"); its final health in the title."""
    health, score, progress = health_in(item), item.get("score"), item.get("progress")
    if health is Health.DONE or (progress is not None and float(progress) >= 100):
        text, cls = "Closed · achieved", " h-done"
    else:
        text, cls = ("Closed" if score is None else f"Closed · score {float(score):.1f}"), ""
    title = f"closed with {period or 'its period'}; final health {health.label}"
    return (
        f'<span class="badge closed{cls}" data-final="{e(health.value)}" title="{e(title)}">{e(text)}</span>'
    )


def progress_bar(item: Mapping[str, Any], *, large: bool = False) -> str:
    """A bar filled to the progress in the health's colour, with a tick at the expected progress."""
    health = health_in(item)
    progress, expected = item.get("progress"), item.get("expected")
    label = f"progress {fmt_pct(progress)}, expected {fmt_pct(expected)}"
    now = f' aria-valuenow="{num(clamp(progress))}"' if progress is not None else ""
    tick = f'<span class="exp" style="left:{num(clamp(expected))}%"></span>' if expected is not None else ""
    return (
        f'<div class="bar{" large" if large else ""}" role="progressbar" aria-valuemin="0" '
        f'aria-valuemax="100"{now} aria-label="{e(label)}" title="{e(label)}">'
        f'<span class="fill h-{health.value}" style="width:{num(clamp(progress))}%"></span>{tick}</div>'
    )


def trend_svg(points: Sequence[TrendPoint], period: Period, day: date, health: Health, label: str) -> str:
    """An inline SVG line chart: progress by day (health colour) against the expected line (dashed)."""
    width, height = 380, 160
    left, right, top, bottom = 34, 12, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max(1, period.days - 1)

    def x(d: date) -> float:
        return left + max(0, min(span, (d - period.start).days)) / span * plot_w

    def y(v: float) -> float:
        return top + (1 - clamp(v) / 100) * plot_h

    colour = COLOURS[health]
    last = points[-1] if points else None
    desc = f"{label}: progress by day over {period.name}"
    if last is not None:
        desc += f"; {fmt_pct(last.progress)} on {last.day.isoformat()}, expected {fmt_pct(last.expected)}"
    out = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{e(desc)}">',
        f"<title>{e(desc)}</title>",
    ]
    for v in (0, 25, 50, 75, 100):
        cls = "axis" if v == 0 else "grid"
        out.append(
            f'<line class="{cls}" x1="{left}" x2="{width - right}" y1="{num(y(v))}" y2="{num(y(v))}"/>'
        )
        if v % 50 == 0:
            out.append(f'<text class="ylab" x="{left - 5}" y="{num(y(v) + 3.5)}">{v}%</text>')
    # a tick and a label at each month's first day (and at the period's first day)
    d = period.start
    while d <= period.end:
        if d == period.start or d.day == 1:
            out.append(
                f'<line class="tick" x1="{num(x(d))}" x2="{num(x(d))}" '
                f'y1="{top + plot_h}" y2="{top + plot_h + 4}"/>'
            )
            if (period.end - d).days >= 7 or d == period.start:
                out.append(
                    f'<text class="xlab" x="{num(x(d))}" y="{height - 6}">'
                    f"{_MONTHS[d.month - 1]} {d.day}</text>"
                )
        d += timedelta(days=1)
    if period.contains(day):
        out.append(
            f'<line class="today" x1="{num(x(day))}" x2="{num(x(day))}" y1="{top}" y2="{top + plot_h}"/>'
            f'<text class="todaylab" x="{num(x(day) - 3)}" y="{top + 9}">'
            f"{_MONTHS[day.month - 1]} {day.day}</text>"
        )
    # expected: the straight line from the first day's share to 100 % on the last day
    first_expected = period.elapsed_share(period.start) * 100
    out.append(
        f'<line class="expected" x1="{num(x(period.start))}" y1="{num(y(first_expected))}" '
        f'x2="{num(x(period.end))}" y2="{num(y(100))}" stroke="{EXPECTED_COLOUR}"/>'
    )
    # progress: one line per run of days with data (no data breaks the line)
    segments: list[list[TrendPoint]] = [[]]
    for p in points:
        if p.progress is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(p)
    base = num(y(0))
    for seg in (s for s in segments if s):
        coords = " ".join(f"{num(x(p.day))},{num(y(p.progress or 0))}" for p in seg)
        if len(seg) > 1:
            area = f"{num(x(seg[0].day))},{base} {coords} {num(x(seg[-1].day))},{base}"
            out.append(f'<polygon class="area" points="{area}" fill="{colour}"/>')
            out.append(f'<polyline class="progress" points="{coords}" stroke="{colour}"/>')
    if last is not None and last.progress is not None:
        out.append(
            f'<circle class="now" cx="{num(x(last.day))}" cy="{num(y(last.progress))}" r="4" '
            f'fill="{colour}">'
            f"<title>{e(last.day.isoformat())}: {e(fmt_pct(last.progress))} "
            f"(expected {e(fmt_pct(last.expected))})</title></circle>"
        )
    elif last is not None:
        out.append(
            f'<text class="nodata" x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}">no data</text>'
        )
    out.append("</svg>")
    return "".join(out)


def anchor(kr_id: Any) -> str:
    """A fragment id for a KR, safe in an attribute and a URL whatever characters the id has."""
    return "kr-" + re.sub(r"[^A-Za-z0-9_-]", lambda m: f".{ord(m.group()):x}", str(kr_id))
