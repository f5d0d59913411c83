"""One renderer for the OKR tree in HTML: the report file and the daemon's status page.

Pure: snapshot document (``okrsync.tree/1``) + what else the page shows → text. Jinja2 templates
with autoescaping (``okrsync/report/templates``: ``tree.html.j2`` draws the tree for both pages,
one stylesheet ``okrsync.css``, a few lines of script for the filters); every value from Jira or
the configuration reaches the page escaped. Inline everything, load nothing from elsewhere: the
report opens the same offline. Links go to the Jira site (``<site>/browse/KEY``) when it is known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote

from jinja2 import ChainableUndefined, Environment, PackageLoader
from markupsafe import Markup

from okrsync import __version__
from okrsync.core.coverage import Coverage
from okrsync.domain.model import Health
from okrsync.domain.records import RunRecord
from okrsync.report import html_parts as parts
from okrsync.report.html_style import CSS
from okrsync.report.outline import (
    HEALTH_ORDER,
    LastSync,
    ObjectiveNode,
    TreeDoc,
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
from okrsync.report.people import name_mentions

FILTERS_JS = (resources.files("okrsync.report") / "templates" / "filters.js").read_text(encoding="utf-8")
"""The pages' one script: the filters by owner, objective and health (``templates/filters.js``)."""


@dataclass(frozen=True)
class Score:
    text: str
    projected: bool


@dataclass(frozen=True)
class TreeView:
    """What the tree of either page needs besides the snapshot."""

    site: str = ""
    """The Jira site's base URL (``https://acme.atlassian.net``); empty: no links."""
    people: Mapping[str, str] = field(default_factory=dict)
    """Account id (or user name) → display name, for owners and mentions."""
    findings: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    """Subject (KR or objective id) → the coach's findings on it (``severity``, ``code``,
    ``message``, ``fix``)."""


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("okrsync.report", "templates"),
        autoescape=True,
        undefined=ChainableUndefined,  # a field an older snapshot lacks shows as nothing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        version=__version__,
        css=Markup(CSS),  # noqa: S704 - our own stylesheet, no user data in it
        filters_js=Markup(FILTERS_JS),  # noqa: S704 - our own script, no user data in it
        health_order=HEALTH_ORDER,
        health_in=health_in,
        health_counts=health_counts,
        fmt_pct=fmt_pct,
        stamp=stamp,
        share_pct=lambda share: fmt_pct(None if share is None else share * 100),
        checkin_note=checkin_note,
        stale_note=stale_note,
        ap_state=ap_state,
        anchor=parts.anchor,
        num=parts.num,
        badge=lambda h: Markup(parts.badge(h)),  # noqa: S704 - parts escape every value
        progress_bar=lambda item, large=False: Markup(parts.progress_bar(item, large=large)),  # noqa: S704
        colour=lambda h: parts.COLOURS[h],
        ap_class=lambda p: "done" if ap_done(p) else "cancelled" if p.get("cancelled") else "open",
        path_of=lambda node: " ".join(node.path),
    )
    return env


def stamp(iso: str) -> str:
    """An ISO timestamp for people, in UTC: ``2026-11-26 12:00 UTC`` (unreadable: as it is)."""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if at.tzinfo is not None:
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M UTC")


def browse_url(site: str, key: str) -> str:
    """The Jira page of an issue: ``<site>/browse/KEY``."""
    return f"{site.rstrip('/')}/browse/{quote(str(key))}"


def is_final(doc: TreeDoc) -> bool:
    """True once the period is over (closed, or its last day passed): scores are final."""
    closed = doc.get("closed")
    return (isinstance(closed, Mapping) and bool(closed.get("on"))) or as_of(doc) > period_of(doc).end


def closed_with(doc: TreeDoc, item: Mapping[str, Any]) -> str | None:
    """The period a KR or objective closed with (``""``: a period not named), ``None`` while live:
    the node's own ``closed`` (frozen by a close), or the whole document's (a closed period's tree)."""
    own = item.get("closed")
    if isinstance(own, Mapping):
        return str(own.get("period") or "")
    whole = doc.get("closed")
    if isinstance(whole, Mapping) and whole.get("on"):
        return str(doc["period"]["name"])
    return None


def state_badge(doc: TreeDoc, item: Mapping[str, Any]) -> Markup:
    """A node's badge: its health while live; once its period closed, closed and its final state."""
    period = closed_with(doc, item)
    if period is None:
        return Markup(parts.badge(health_in(item)))  # noqa: S704 - parts escape every value
    return Markup(parts.closed_badge(item, period or None))  # noqa: S704 - parts escape every value


def score_of(item: Mapping[str, Any], final: bool) -> Score:
    """The final score after the period; while it runs, the score its progress projects."""
    if item.get("score") is not None:
        return Score(fmt_score(item["score"]), False)
    progress = item.get("progress")
    if final or progress is None:
        return Score("–", False)
    return Score(fmt_score(max(0.0, min(1.0, float(progress) / 100))), True)


def _display(people: Mapping[str, str]) -> Callable[[Any], str]:
    def display(name: Any) -> str:
        text = "" if name is None else str(name)
        return people.get(text, text)

    return display


def _mentions(people: Mapping[str, str]) -> Callable[[str], str]:
    return lambda text: name_mentions(text, people)


@dataclass(frozen=True)
class _Node:
    """An outline node with the ids of the objectives above it (for the filters)."""

    inner: ObjectiveNode
    path: tuple[str, ...]
    children: tuple[_Node, ...]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _nodes(roots: Iterable[ObjectiveNode], above: tuple[str, ...] = ()) -> tuple[_Node, ...]:
    return tuple(_Node(n, (*above, n.id), _nodes(n.children, (*above, n.id))) for n in roots)


@dataclass(frozen=True)
class Distribution:
    """One line of the health summary: its items, the live ones by health, how many closed."""

    name: str
    items: Sequence[Mapping[str, Any]]
    counts: Mapping[Health, int]
    closed: int


def _distribution(doc: TreeDoc, name: str, items: Sequence[Mapping[str, Any]]) -> Distribution:
    live = [i for i in items if closed_with(doc, i) is None]
    return Distribution(name, items, health_counts(live), len(items) - len(live))


def tree_context(
    doc: TreeDoc, view: TreeView, history: Trends | None = None, *, charts: bool
) -> dict[str, Any]:
    """The values ``tree.html.j2`` and ``summary.html.j2`` use."""
    period, day, final = period_of(doc), as_of(doc), is_final(doc)
    roots = _nodes(outline(doc))
    display = _display(view.people)
    objectives = [n.data for n in walk(outline(doc))]
    krs = list(doc["key_results"])
    owners = sorted({display(kr.get("owner")) for kr in krs if kr.get("owner")}, key=str.casefold)
    both = (("Key results", krs), ("Objectives", objectives))
    worst_first = (Health.OVERDUE, Health.OFF_TRACK, Health.AT_RISK)
    attention = [kr for kr in krs if health_in(kr) in worst_first and closed_with(doc, kr) is None]
    attention.sort(key=lambda kr: (worst_first.index(health_in(kr)), kr.get("progress") or 0.0))

    def chart(node: _Node) -> Markup:
        o = node.data
        svg = parts.trend_svg(
            trend(o, history or {}, day), period, day, health_in(o), f"{o['id']} {o.get('title') or ''}"
        )
        return Markup(svg)  # noqa: S704 - trend_svg escapes every value

    return {
        "roots": roots,
        "site": view.site.rstrip("/"),
        "browse": lambda key: browse_url(view.site, key),
        "display": display,
        "mentions": _mentions(view.people),
        "findings": view.findings,
        "score_of": lambda item: score_of(item, final),
        "state": lambda item: state_badge(doc, item),
        "closed_with": lambda item: closed_with(doc, item),
        "charts": charts,
        "chart": chart,
        "owners": owners,
        "objectives": objectives,
        "distributions": (dists := [_distribution(doc, name, items) for name, items in both]),
        "any_closed": any(d.closed for d in dists),
        "attention": attention,
        "period": period,
        "day": day,
    }


def render_report_page(
    doc: TreeDoc,
    history: Trends | None = None,
    *,
    last_sync: LastSync | None = None,
    view: TreeView | None = None,
    extra: str = "",
) -> str:
    """The HTML report: one self-contained document. ``extra``: sections already rendered as
    escaped HTML (the OKR process) that go after the tree."""
    ctx = tree_context(doc, view or TreeView(), history, charts=True)
    period, day = ctx["period"], ctx["day"]
    elapsed = period.elapsed_share(day) * 100
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            ctx,
            title=f"OKRs {period.name} — as of {day.isoformat()}",
            day_no=max(0, min(period.days, (day - period.start).days + 1)),
            elapsed=elapsed,
            elapsed_rounded=round(elapsed, 1),
            last_sync=last_sync.describe() if last_sync is not None else "",
            warnings=list(doc.get("warnings") or []),
            schema=doc.get("schema"),
            extra=Markup(extra),  # noqa: S704 - rendered by process_section, escaped there
        )
    )


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at is not None else "–"


def render_status_document(
    snapshot: Mapping[str, Any] | None,
    runs: Sequence[RunRecord],
    info: Mapping[str, Any],
    *,
    now: datetime,
    view: TreeView | None = None,
    coverage: Coverage | None = None,
) -> str:
    """The daemon's status page: the same tree, the alignment coverage of its period (one of
    another period is left out), the last runs, who leads."""
    view = view or TreeView()
    ctx: dict[str, Any]
    if isinstance(snapshot, Mapping) and snapshot.get("objectives") is not None:
        ctx = tree_context(snapshot, view, charts=False)
        period = snapshot.get("period") or {}
        heading = f"OKRs {period.get('name') or ''}"
        if coverage is not None and coverage.period.name == period.get("name"):
            ctx["coverage"] = coverage
        sub = f"as of {snapshot.get('as_of') or ''} · period {period.get('start')} → {period.get('end')}"
    else:
        ctx = {"roots": (), "site": view.site.rstrip("/")}
        heading, sub = "OKRs", "no sync has finished yet"
    leader = info.get("leader_info") if isinstance(info.get("leader_info"), Mapping) else None
    newest = max(runs, key=lambda r: r.run_id, default=None)
    return (
        environment()
        .get_template("status.html.j2")
        .render(
            ctx,
            heading=heading,
            sub=sub,
            runs=list(runs),
            when=when,
            now=now,
            last_sync=last.describe() if (last := LastSync.of(newest)) is not None else "",
            who=(
                f"leader: pid {leader.get('pid')} on {leader.get('host')}" if leader else "leader: none yet"
            ),
            role="this replica leads" if info.get("leader") else "this replica stands by",
            schedule=(
                f"cron {info['cron']}"
                if info.get("cron")
                else f"every {float(info.get('interval_seconds') or 0) / 60:g} min"
            ),
        )
    )
