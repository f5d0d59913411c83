"""The daemon's read-only status page: the OKR tree with progress bars and health, the last runs.

Rendered on the server from the last sync's tree snapshot (``okrsync.tree/1``) and the run records;
plain HTML and CSS, no script, nothing loaded from elsewhere. Every value is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from okrsync.domain.model import Health
from okrsync.domain.records import RunRecord
from okrsync.report.outline import HEALTH_ORDER, checkin_note, stale_note

_CSS = """
:root { --done:#1f7a3f; --on_track:#2e8540; --at_risk:#b7791f; --off_track:#c53030; --overdue:#742a2a;
        --not_started:#718096; --no_data:#a0aec0; --ink:#1a202c; --muted:#5a6578; --line:#e2e8f0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0; background: #f7fafc; }
header { background: #1a365d; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #cbd5e0; }
main { padding: 16px 24px; max-width: 1200px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 22px; }
ul.tree { padding-left: 0; }
.node { display: grid; grid-template-columns: minmax(240px, 1fr) 220px 60px 100px; gap: 10px;
        align-items: center; padding: 5px 8px; border-bottom: 1px solid var(--line); background: #fff; }
.node.objective { font-weight: 600; }
.node .title small { color: var(--muted); font-weight: 400; }
.stale { color: #b42318; font-size: 0.9em; margin: 2px 0 4px 24px; }
.checkin { color: #5b21b6; font-size: 0.9em; margin: 2px 0 4px 24px; }
.bar { position: relative; height: 12px; background: #edf2f7; border-radius: 6px; overflow: hidden; }
.bar .fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 6px; }
.bar .expected { position: absolute; top: -2px; bottom: -2px; width: 2px; background: var(--ink);
                 opacity: .6; }
.pct { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px;
         font-weight: 600; text-align: center; }
table.runs { border-collapse: collapse; background: #fff; width: 100%; }
table.runs th, table.runs td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
         font-variant-numeric: tabular-nums; }
.status-ok { color: var(--done); } .status-partial { color: var(--at_risk); }
.status-failed { color: var(--off_track); } .status-running { color: var(--muted); }
.muted { color: var(--muted); }
a { color: #2b6cb0; text-decoration: none; }
"""


def _health(value: Any) -> Health:
    try:
        return Health(str(value))
    except ValueError:
        return Health.NO_DATA


def _pct(value: Any) -> str:
    return f"{float(value):.1f} %" if isinstance(value, (int, float)) else "–"


def _bar(progress: Any, expected: Any, health: Health) -> str:
    width = max(0.0, min(100.0, float(progress))) if isinstance(progress, (int, float)) else 0.0
    marker = ""
    if isinstance(expected, (int, float)):
        at = max(0.0, min(100.0, float(expected)))
        marker = f'<span class="expected" style="left:{at:.1f}%" title="expected {at:.1f} %"></span>'
    return (
        f'<div class="bar" role="progressbar" aria-valuenow="{width:.1f}" aria-valuemin="0" '
        f'aria-valuemax="100"><span class="fill" style="width:{width:.1f}%;'
        f'background:var(--{health.value})"></span>{marker}</div>'
    )


def _badge(health: Health) -> str:
    return (
        f'<span class="badge health-{health.value}" style="background:var(--{health.value})">'
        f"{escape(health.label)}</span>"
    )


def _link(jira_url: str, key: str | None, text: str) -> str:
    if not key or not jira_url:
        return escape(text)
    return f'<a href="{escape(jira_url.rstrip("/"))}/browse/{quote(key)}">{escape(text)}</a>'


def _kr_html(kr: Mapping[str, Any], jira_url: str) -> str:
    health = _health(kr.get("health"))
    plans = kr.get("action_plans") or []
    done = sum(1 for p in plans if p.get("status_category") == "done" and not p.get("cancelled"))
    counted = sum(1 for p in plans if not p.get("cancelled"))
    owner = f" · {escape(str(kr['owner']))}" if kr.get("owner") else ""
    key = kr.get("jira_key") or kr.get("id")
    title = f"{key}: {kr.get('title') or ''}" if key else str(kr.get("title") or "")
    return (
        f'<li><div class="node kr" data-kr="{escape(str(kr.get("id")))}" data-health="{health.value}">'
        f'<span class="title">{_link(jira_url, kr.get("jira_key"), title)} '
        f"<small>{escape(str(kr.get('measure') or ''))} · {done}/{counted} done{owner}</small></span>"
        f"{_bar(kr.get('progress'), kr.get('expected'), health)}"
        f'<span class="pct">{_pct(kr.get("progress"))}</span>{_badge(health)}</div>'
        f"{f'<div class=checkin>✎ {escape(said)}</div>' if (said := checkin_note(kr)) else ''}"
        f"{f'<div class=stale>⚠ {escape(note)}</div>' if (note := stale_note(kr)) else ''}</li>"
    )


def _objective_html(
    obj: Mapping[str, Any],
    children: Mapping[str | None, list[Mapping[str, Any]]],
    krs: Mapping[str, list[Mapping[str, Any]]],
    jira_url: str,
    seen: set[str],
) -> str:
    oid = str(obj.get("id"))
    seen.add(oid)
    health = _health(obj.get("health"))
    owner = f" · {escape(str(obj['owner']))}" if obj.get("owner") else ""
    inner = "".join(
        _objective_html(c, children, krs, jira_url, seen)
        for c in children.get(oid, [])
        if str(c.get("id")) not in seen
    )
    inner += "".join(_kr_html(kr, jira_url) for kr in krs.get(oid, []))
    nested = f"<ul>{inner}</ul>" if inner else ""
    return (
        f'<li><div class="node objective" data-objective="{escape(oid)}" data-health="{health.value}">'
        f'<span class="title">{_link(jira_url, obj.get("jira_key"), str(obj.get("title") or oid))} '
        f"<small>{escape(str(obj.get('level') or ''))}{owner}</small></span>"
        f"{_bar(obj.get('progress'), obj.get('expected'), health)}"
        f'<span class="pct">{_pct(obj.get("progress"))}</span>{_badge(health)}</div>{nested}</li>'
    )


def tree_html(snapshot: Mapping[str, Any], jira_url: str = "") -> str:
    objectives: list[Mapping[str, Any]] = list(snapshot.get("objectives") or [])
    ids = {str(o.get("id")) for o in objectives}
    children: dict[str | None, list[Mapping[str, Any]]] = {}
    for o in objectives:
        parent = o.get("aligns_to")
        children.setdefault(str(parent) if parent in ids else None, []).append(o)
    krs: dict[str, list[Mapping[str, Any]]] = {}
    for kr in snapshot.get("key_results") or []:
        krs.setdefault(str(kr.get("objective")), []).append(kr)
    seen: set[str] = set()
    items = "".join(_objective_html(o, children, krs, jira_url, seen) for o in children.get(None, []))
    # objectives in an alignment cycle have no root: show them rather than lose them
    items += "".join(
        _objective_html(o, children, krs, jira_url, seen) for o in objectives if str(o.get("id")) not in seen
    )
    return f'<ul class="tree">{items}</ul>'


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at is not None else "–"


def runs_html(runs: Iterable[RunRecord]) -> str:
    rows = []
    for r in runs:
        duration = r.duration_seconds
        rows.append(
            f'<tr data-run="{r.run_id}"><td>{r.run_id}</td><td>{escape(r.mode)}</td>'
            f'<td class="status-{escape(r.status)}">{escape(r.status)}</td><td>{_when(r.started_at)}</td>'
            f"<td>{f'{duration:.1f} s' if duration is not None else '–'}</td><td>{r.requests}</td>"
            f"<td>{r.writes}</td><td>{r.errors}</td></tr>"
        )
    if not rows:
        return '<p class="muted">No runs yet.</p>'
    head = (
        "<tr><th>run</th><th>mode</th><th>status</th><th>started</th><th>duration</th>"
        "<th>requests</th><th>writes</th><th>errors</th></tr>"
    )
    return f'<table class="runs">{head}{"".join(rows)}</table>'


def render_status_page(
    snapshot: Mapping[str, Any] | None,
    runs: Sequence[RunRecord],
    info: Mapping[str, Any],
    *,
    jira_url: str = "",
    now: datetime,
) -> str:
    """The whole page (a complete HTML document)."""
    if isinstance(snapshot, Mapping) and snapshot.get("objectives") is not None:
        period = snapshot.get("period") or {}
        heading = f"OKRs {escape(str(period.get('name') or ''))}"
        sub = (
            f"as of {escape(str(snapshot.get('as_of') or ''))} · period {escape(str(period.get('start')))} → "
            f"{escape(str(period.get('end')))}"
        )
        counts: dict[Health, int] = {}
        for kr in snapshot.get("key_results") or []:
            h = _health(kr.get("health"))
            counts[h] = counts.get(h, 0) + 1
        summary = " ".join(f"{_badge(h)} {counts[h]}" for h in HEALTH_ORDER if h in counts)
        body = (
            f"<h2>Key results by health</h2><p>{summary}</p><h2>Objectives and key results</h2>"
            '<p class="muted">bar: progress · mark: progress expected by now</p>'
        )
        body += tree_html(snapshot, jira_url)
    else:
        heading, sub = "OKRs", "no sync has finished yet"
        body = '<p class="muted">No OKR tree yet: it appears after the first sync cycle.</p>'
    leader = info.get("leader_info") if isinstance(info.get("leader_info"), Mapping) else None
    who = (
        f"leader: pid {escape(str(leader.get('pid')))} on {escape(str(leader.get('host')))}"
        if leader
        else "leader: none yet"
    )
    role = "this replica leads" if info.get("leader") else "this replica stands by"
    schedule = (
        f"cron {escape(str(info['cron']))}"
        if info.get("cron")
        else f"every {float(info.get('interval_seconds') or 0) / 60:g} min"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="refresh" content="60">'
        f"<title>okrsync · {heading}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{heading}</h1><p>{sub}</p></header><main>{body}"
        f"<h2>Last runs</h2>{runs_html(runs)}"
        f'<p class="muted">{who} · {role} · sync {schedule} · page rendered {_when(now)}</p>'
        "</main></body></html>"
    )
