"""The OKR report as one self-contained HTML file.

Pure: snapshot document (+ progress history) → text. Inline CSS, an inline SVG trend chart per
objective (progress against the expected line over the period's days), progress bars, a health
summary, and the alignment tree company → objectives → key results → action plans (action plans
in collapsible ``<details>``). No script, no font, no image, no link to anything outside the file:
it opens the same offline, in a mail attachment or on an intranet. Every user string goes through
:func:`html.escape`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from okrsync import __version__
from okrsync.domain.model import Health, Period
from okrsync.report.html_style import CSS
from okrsync.report.outline import (
    HEALTH_ORDER,
    LastSync,
    ObjectiveNode,
    TreeDoc,
    TrendPoint,
    Trends,
    ap_done,
    ap_state,
    as_of,
    checkin_note,
    fmt_pct,
    fmt_score,
    health_counts,
    health_in,
    outline,
    period_of,
    stale_note,
    trend,
    walk,
)

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


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _clamp(value: float | None) -> float:
    return 0.0 if value is None else max(0.0, min(100.0, float(value)))


# ------------------------------------------------------------------------------- small parts


def badge(health: Health) -> str:
    return f'<span class="badge h-{health.value}">{e(health.label)}</span>'


def progress_bar(item: Mapping[str, Any], *, large: bool = False) -> str:
    """A bar filled to the progress in the health's colour, with a tick at the expected progress."""
    health = health_in(item)
    progress, expected = item.get("progress"), item.get("expected")
    label = f"progress {fmt_pct(progress)}, expected {fmt_pct(expected)}"
    now = f' aria-valuenow="{_num(_clamp(progress))}"' if progress is not None else ""
    tick = f'<span class="exp" style="left:{_num(_clamp(expected))}%"></span>' if expected is not None else ""
    return (
        f'<div class="bar{" large" if large else ""}" role="progressbar" aria-valuemin="0" '
        f'aria-valuemax="100"{now} aria-label="{e(label)}" title="{e(label)}">'
        f'<span class="fill h-{health.value}" style="width:{_num(_clamp(progress))}%"></span>{tick}</div>'
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
        return top + (1 - _clamp(v) / 100) * plot_h

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
            f'<line class="{cls}" x1="{left}" x2="{width - right}" y1="{_num(y(v))}" y2="{_num(y(v))}"/>'
        )
        if v % 50 == 0:
            out.append(f'<text class="ylab" x="{left - 5}" y="{_num(y(v) + 3.5)}">{v}%</text>')
    # a tick and a label at each month's first day (and at the period's first day)
    d = period.start
    while d <= period.end:
        if d == period.start or d.day == 1:
            out.append(
                f'<line class="tick" x1="{_num(x(d))}" x2="{_num(x(d))}" '
                f'y1="{top + plot_h}" y2="{top + plot_h + 4}"/>'
            )
            if (period.end - d).days >= 7 or d == period.start:
                out.append(
                    f'<text class="xlab" x="{_num(x(d))}" y="{height - 6}">'
                    f"{_MONTHS[d.month - 1]} {d.day}</text>"
                )
        d += timedelta(days=1)
    if period.contains(day):
        out.append(
            f'<line class="today" x1="{_num(x(day))}" x2="{_num(x(day))}" y1="{top}" y2="{top + plot_h}"/>'
            f'<text class="todaylab" x="{_num(x(day) - 3)}" y="{top + 9}">'
            f"{_MONTHS[day.month - 1]} {day.day}</text>"
        )
    # expected: the straight line from the first day's share to 100 % on the last day
    first_expected = period.elapsed_share(period.start) * 100
    out.append(
        f'<line class="expected" x1="{_num(x(period.start))}" y1="{_num(y(first_expected))}" '
        f'x2="{_num(x(period.end))}" y2="{_num(y(100))}" stroke="{EXPECTED_COLOUR}"/>'
    )
    # progress: one line per run of days with data (no data breaks the line)
    segments: list[list[TrendPoint]] = [[]]
    for p in points:
        if p.progress is None:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(p)
    base = _num(y(0))
    for seg in (s for s in segments if s):
        coords = " ".join(f"{_num(x(p.day))},{_num(y(p.progress or 0))}" for p in seg)
        if len(seg) > 1:
            area = f"{_num(x(seg[0].day))},{base} {coords} {_num(x(seg[-1].day))},{base}"
            out.append(f'<polygon class="area" points="{area}" fill="{colour}"/>')
            out.append(f'<polyline class="progress" points="{coords}" stroke="{colour}"/>')
    if last is not None and last.progress is not None:
        out.append(
            f'<circle class="now" cx="{_num(x(last.day))}" cy="{_num(y(last.progress))}" r="4" '
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


# ------------------------------------------------------------------------------------ sections


def _summary(roots: tuple[ObjectiveNode, ...], doc: TreeDoc) -> str:
    objectives = [n.data for n in walk(roots)]
    krs = list(doc["key_results"])
    out = ['<section class="summary" aria-labelledby="health-h"><h2 id="health-h">Health</h2>']
    for name, items in (("Key results", krs), ("Objectives", objectives)):
        counts = health_counts(items)
        total = max(1, len(items))
        out.append(f'<div class="dist"><div class="dist-name">{e(name)} <b>{len(items)}</b></div>')
        out.append('<div class="stack" aria-hidden="true">')
        out.extend(
            f'<span class="h-{h.value}" style="width:{_num(counts[h] / total * 100)}%" '
            f'title="{e(h.label)}: {counts[h]}"></span>'
            for h in HEALTH_ORDER
            if counts[h]
        )
        out.append('</div><ul class="chips">')
        out.extend(
            f'<li class="chip" data-health="{h.value}"><span class="dot h-{h.value}"></span>'
            f'{e(h.label)} <b class="count">{counts[h]}</b></li>'
            for h in HEALTH_ORDER
        )
        out.append("</ul></div>")
    worst_first = (Health.OVERDUE, Health.OFF_TRACK, Health.AT_RISK)
    attention = [kr for kr in krs if health_in(kr) in worst_first]
    attention.sort(key=lambda kr: (worst_first.index(health_in(kr)), kr.get("progress") or 0.0))
    if attention:
        out.append('<div class="attention"><h3>Needs attention</h3><ul>')
        out.extend(
            f'<li>{badge(health_in(kr))} <a href="#{anchor(kr["id"])}">{e(kr["id"])}</a> '
            f"{e(kr.get('title'))} — "
            f"{e(fmt_pct(kr.get('progress')))} (expected {e(fmt_pct(kr.get('expected')))})"
            f"{' · ' + e(kr['owner']) if kr.get('owner') else ''}</li>"
            for kr in attention
        )
        out.append("</ul></div>")
    out.append("</section>")
    return "".join(out)


def anchor(kr_id: Any) -> str:
    """A fragment id for a KR, safe in an attribute and a URL whatever characters the id has."""
    return "kr-" + re.sub(r"[^A-Za-z0-9_-]", lambda m: f".{ord(m.group()):x}", str(kr_id))


def _action_plans(kr: Mapping[str, Any]) -> str:
    plans = kr.get("action_plans") or []
    if not plans:
        return ""
    done = sum(1 for p in plans if ap_done(p))
    items = []
    for p in plans:
        cls = "done" if ap_done(p) else "cancelled" if p.get("cancelled") else "open"
        extra = "".join(
            f'<span class="who">{e(v)}</span>'
            for v in (p.get("owner"), p.get("due") and f"due {p['due']}")
            if v
        )
        items.append(
            f'<li class="ap {cls}"><span class="key">{e(p["key"])}</span> '
            f'<span class="ap-title">{e(p.get("summary"))}</span> '
            f'<span class="status">{e(ap_state(p))}</span>{extra}</li>'
        )
    return (
        f'<details class="aps"><summary>{len(plans)} action plan{"s" if len(plans) != 1 else ""} · '
        f"{done} done</summary><ul>{''.join(items)}</ul></details>"
    )


def _kr_rows(doc: TreeDoc, krs: Sequence[Mapping[str, Any]]) -> str:
    if not krs:
        return ""
    rows = []
    for kr in krs:
        health = health_in(kr)
        explanation = (kr.get("explanation") or {}).get("summary")
        notes = [n for n in (stale_note(kr),) if n] + list(kr.get("warnings") or ())
        warnings = "".join(f'<div class="warn">{e(w)}</div>' for w in notes)
        if said := checkin_note(kr):
            warnings = f'<div class="checkin">✎ {e(said)}</div>{warnings}'
        meta = " · ".join(
            e(v) for v in (kr.get("owner"), kr.get("measure"), kr.get("due") and f"due {kr['due']}") if v
        )
        rows.append(
            f'<tr class="kr" id="{anchor(kr["id"])}" data-health="{health.value}">'
            f'<td class="kr-main"><div><span class="id">{e(kr["id"])}</span> '
            f'<span class="kr-title">{e(kr.get("title"))}</span></div>'
            f'<div class="meta">{meta}</div>'
            f"{f'<div class=expl>{e(explanation)}</div>' if explanation else ''}{warnings}"
            f"{_action_plans(kr)}</td>"
            f'<td class="kr-bar">{progress_bar(kr)}</td>'
            f'<td class="num progress">{e(fmt_pct(kr.get("progress")))}</td>'
            f'<td class="num expected">{e(fmt_pct(kr.get("expected")))}</td>'
            f"<td>{badge(health)}</td>"
            f'<td class="num score">{e(fmt_score(kr.get("score")))}</td></tr>'
        )
    return (
        '<table class="krs"><thead><tr><th>Key result</th><th>Progress</th><th class="num">Now</th>'
        '<th class="num">Expected</th><th>Health</th><th class="num">Score</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _objective(node: ObjectiveNode, doc: TreeDoc, history: Trends, period: Period, day: date) -> str:
    o = node.data
    health = health_in(o)
    tag = "h2" if node.depth == 0 else "h3"
    meta = [f"{e(o.get('level') or 'team')} objective"]
    if o.get("owner"):
        meta.append(f"owner {e(o['owner'])}")
    if node.parent:
        meta.append(f"aligns to {e(node.parent)}")
    if o.get("jira_key"):
        meta.append(f"Jira {e(o['jira_key'])}")
    score = (
        f'<span class="score">score {e(fmt_score(o.get("score")))}</span>'
        if o.get("score") is not None
        else ""
    )
    chart = trend_svg(trend(o, history, day), period, day, health, f"{o['id']} {o.get('title') or ''}")
    children = "".join(_objective(child, doc, history, period, day) for child in node.children)
    return (
        f'<section class="objective depth-{min(node.depth, 3)}" data-id="{e(o["id"])}" '
        f'data-health="{health.value}">'
        f'<div class="obj-head"><div class="obj-text">'
        f'<{tag}><span class="id">{e(o["id"])}</span> {e(o.get("title"))}</{tag}>'
        f'<div class="meta">{" · ".join(meta)}</div>'
        f'<div class="obj-progress">{progress_bar(o, large=True)}'
        f'<div class="obj-nums"><b class="progress">{e(fmt_pct(o.get("progress")))}</b> '
        f'<span class="expected">expected {e(fmt_pct(o.get("expected")))}</span> '
        f"{badge(health)}{score}</div></div>"
        f'<div class="meta expl">{e((o.get("explanation") or {}).get("summary"))}</div>'
        f'</div><figure class="chart">{chart}<figcaption>'
        f'<span class="key-progress" style="border-color:{COLOURS[health]}"></span>progress '
        f'<span class="key-expected"></span>expected</figcaption></figure></div>'
        f"{_kr_rows(doc, node.key_results)}"
        f"{f'<div class=children>{children}</div>' if children else ''}</section>"
    )


def render_html(doc: TreeDoc, history: Trends | None = None, *, last_sync: LastSync | None = None) -> str:
    """The whole report as one self-contained HTML document."""
    period = period_of(doc)
    day = as_of(doc)
    roots = outline(doc)
    elapsed = period.elapsed_share(day) * 100
    day_no = max(0, min(period.days, (day - period.start).days + 1))
    sub = (
        f"As of {e(day.isoformat())} · day {day_no} of {period.days} "
        f"({e(period.start.isoformat())} to {e(period.end.isoformat())}) · expected progress "
        f"{e(fmt_pct(round(elapsed, 1)))}"
    )
    if last_sync is not None:
        sub += f" · last sync {e(last_sync.describe())}"
    warnings = list(doc.get("warnings") or [])
    warn_html = (
        f'<details class="warnings"><summary>{len(warnings)} warning{"s" if len(warnings) != 1 else ""} '
        f"from the last sync</summary><ul>{''.join(f'<li>{e(w)}</li>' for w in warnings)}</ul></details>"
        if warnings
        else ""
    )
    body = "".join(_objective(root, doc, history or {}, period, day) for root in roots)
    title = f"OKRs {period.name} — as of {day.isoformat()}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="okrsync {e(__version__)}">'
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>"
        f'<header class="top"><h1>OKRs {e(period.name)}</h1><div class="sub">{sub}</div>'
        f'<div class="period">{progress_bar({"progress": elapsed, "expected": None, "health": "on_track"})}'
        f"</div></header><main>{_summary(roots, doc)}{warn_html}{body}</main>"
        f"<footer>Made by okrsync {e(__version__)} from the state store (snapshot schema "
        f"{e(doc.get('schema'))}); numbers as of the last sync.</footer></body></html>\n"
    )
