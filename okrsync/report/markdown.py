"""The OKR report as Markdown (CommonMark with GitHub tables and task lists).

Pure: snapshot document → text. One heading per objective (nested by alignment), a table of its
key results, then each KR's action plans as a task list. Every user string is escaped, so a title
can neither break a table nor inject HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from okrsync.report.outline import (
    HEALTH_ORDER,
    LastSync,
    ObjectiveNode,
    TreeDoc,
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
    walk,
)

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: Any) -> str:
    """``text`` as inert Markdown: punctuation backslash-escaped, ``<``/``>``/``&`` as entities."""
    s = "" if text is None else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = " ".join(s.split())  # no newline may end a table row or a list item
    return _SPECIAL.sub(r"\\\1", s)


def _objective_line(obj: Mapping[str, Any]) -> str:
    parts = [
        f"**{fmt_pct(obj.get('progress'))}** (expected {fmt_pct(obj.get('expected'))})",
        health_in(obj).label,
    ]
    if obj.get("owner"):
        parts.append(f"owner {md(obj['owner'])}")
    if obj.get("level"):
        parts.append(f"{md(obj['level'])} objective")
    if obj.get("score") is not None:
        parts.append(f"score {fmt_score(obj['score'])}")
    return " · ".join(parts)


def _kr_table(krs: tuple[Mapping[str, Any], ...]) -> list[str]:
    lines = [
        "| Key result | Owner | Measure | Progress | Expected | Health | Score |",
        "| --- | --- | --- | ---: | ---: | --- | ---: |",
    ]
    for kr in krs:
        title = f"**{md(kr['id'])}** {md(kr.get('title'))}"
        lines.append(
            f"| {title} | {md(kr.get('owner') or '–')} | {md(kr.get('measure'))} | "
            f"{fmt_pct(kr.get('progress'))} | {fmt_pct(kr.get('expected'))} | {health_in(kr).label}"
            f"{f' ⚠ {md(note)}' if (note := stale_note(kr)) else ''}"
            f"{f' · ✎ {md(said)}' if (said := checkin_note(kr)) else ''} | "
            f"{fmt_score(kr.get('score'))} |"
        )
    return lines


def _action_plans(kr: Mapping[str, Any]) -> list[str]:
    plans = kr.get("action_plans") or []
    if not plans:
        return []
    done = sum(1 for p in plans if ap_done(p))
    summary = (kr.get("explanation") or {}).get("summary") or f"{done} of {len(plans)} done"
    lines = [f"- **{md(kr['id'])}** — {md(summary)}"]
    for p in plans:
        text = f"{md(p['key'])} {md(p.get('summary'))} ({md(ap_state(p))})"
        if p.get("cancelled"):
            text = f"~~{text}~~ cancelled"
        if p.get("owner"):
            text += f" · {md(p['owner'])}"
        if p.get("due"):
            text += f" · due {md(p['due'])}"
        lines.append(f"  - [{'x' if ap_done(p) else ' '}] {text}")
    return lines


def render_markdown(doc: TreeDoc, *, last_sync: LastSync | None = None) -> str:
    """The whole report as one Markdown document."""
    period = period_of(doc)
    day = as_of(doc)
    elapsed = period.elapsed_share(day)
    lines = [f"# OKRs {md(period.name)}", ""]
    header = (
        f"As of {day.isoformat()}: day {max(0, min(period.days, (day - period.start).days + 1))} of "
        f"{period.days} of the period ({period.start.isoformat()} to {period.end.isoformat()}), "
        f"expected progress {fmt_pct(round(elapsed * 100, 1))}."
    )
    if last_sync is not None:
        header += f" Last sync: {md(last_sync.describe())}."
    lines += [header, ""]

    roots = outline(doc)
    objectives = [n.data for n in walk(roots)]
    krs = list(doc["key_results"])
    obj_counts, kr_counts = health_counts(objectives), health_counts(krs)
    lines += [
        "## Health",
        "",
        "| | " + " | ".join(h.label for h in HEALTH_ORDER) + " | Total |",
        "| --- |" + " ---: |" * (len(HEALTH_ORDER) + 1),
        "| Objectives | " + " | ".join(str(obj_counts[h]) for h in HEALTH_ORDER) + f" | {len(objectives)} |",
        "| Key results | " + " | ".join(str(kr_counts[h]) for h in HEALTH_ORDER) + f" | {len(krs)} |",
        "",
    ]

    def objective(node: ObjectiveNode) -> None:
        level = "#" * min(6, node.depth + 2)
        lines.extend(
            [f"{level} {md(node.id)} · {md(node.data.get('title'))}", "", _objective_line(node.data), ""]
        )
        if node.parent and node.depth == 0:
            lines.extend([f"Aligns to {md(node.parent)} (in an alignment cycle).", ""])
        if node.key_results:
            lines.extend([*_kr_table(node.key_results), ""])
            plans = [line for kr in node.key_results for line in _action_plans(kr)]
            if plans:
                lines.extend(["Action plans:", "", *plans, ""])
        for child in node.children:
            objective(child)

    for root in roots:
        objective(root)

    warnings = list(doc.get("warnings") or [])
    if warnings:
        lines += ["## Warnings", "", *(f"- {md(w)}" for w in warnings), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
