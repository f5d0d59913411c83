"""A :class:`~okrsync.core.digest.Digest` as a message: Markdown for chat, plain text and HTML for email.

Pure. Every user string is escaped for its format (Markdown punctuation, HTML entities), so a title
can neither break the message nor inject markup; links go to the Jira issue (``/browse/KEY``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from okrsync.core.digest import Attention, Digest, Item, Move

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~<>#])")

REASONS = {
    "overdue": "Overdue",
    "off_track": "Off track",
    "at_risk": "At risk",
    "stale": "Stale",
    "low_confidence": "Low confidence",
}


@dataclass(frozen=True, slots=True)
class Message:
    """One digest ready for a channel: its title, chat Markdown, and the email's text and HTML."""

    audience: str
    title: str
    markdown: str
    text: str
    html: str


def _md(text: object) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{float(value):.0f} %"


def _md_item(item: Item) -> str:
    name = f"{_md(item.id)} {_md(item.title)}"
    return f"[{name}]({item.url})" if item.url else name


def _owner(item: Item) -> str:
    return item.owner or "no owner"


def _sign(move: Move) -> str:
    return f"{move.delta:+.0f} pts"


def _sections(d: Digest) -> list[tuple[str, list[tuple[Item, str]]]]:
    """The digest as (heading, [(item, the line's text after the item)]) in message order."""
    objectives = [
        (o, f"{_pct(o.progress)} (expected {_pct(o.expected)}), {o.health.label} · {_owner(o)}")
        if o.closed is None
        else (o, f"{_closed(o)}, {_pct(o.progress)} · {_owner(o)}")
        for o in d.objectives
    ]
    moved = [(m.item, f"{_pct(m.before)} → {_pct(m.after)} ({_sign(m)}) · {_owner(m.item)}") for m in d.moved]
    achieved = [(i, f"reached {_pct(i.progress)} · {_owner(i)}") for i in d.achieved]
    attention = [(a.item, _attention_line(a)) for a in d.attention]
    return [
        ("Objectives", objectives),
        (f"Moved since {d.since.isoformat()}", moved),
        ("Achieved 🎉", achieved),
        ("Needs attention", attention),
    ]


def _closed(item: Item) -> str:
    """A closed period's item: "closed with 2026-Q4, final score 0.5"."""
    score = "no score" if item.score is None else f"final score {float(item.score):.1f}"
    return f"closed with {item.closed}, {score}"


def _attention_line(a: Attention) -> str:
    return f"{REASONS.get(a.reason, a.reason)}: {a.note} · owner {_owner(a.item)}"


_EMPTY = {
    "Objectives": "No objectives.",
    "Achieved 🎉": "Nothing reached 100 % this week.",
    "Needs attention": "Nothing at risk, overdue or stale.",
}


def _empty(heading: str) -> str:
    return _EMPTY.get(heading, "Nothing moved.")


def render_markdown(d: Digest) -> str:
    """The chat message's body; its title goes separately (apprise shows it as the heading)."""
    lines: list[str] = []
    for heading, rows in _sections(d):
        lines.append(f"**{_md(heading)}**")
        lines += [f"- {_md_item(item)}: {_md(rest)}" for item, rest in rows] or [f"_{_md(_empty(heading))}_"]
        lines.append("")
    if d.alignment:
        lines += ["**Alignment**", *(f"- {_md(line)}" for line in d.alignment), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_text(d: Digest) -> str:
    lines = [d.title, "=" * len(d.title), ""]
    for heading, rows in _sections(d):
        lines += [heading, "-" * len(heading)]
        for item, rest in rows:
            lines.append(f"* {item.id} {' '.join(item.title.split())}: {rest}")
            if item.url:
                lines.append(f"  {item.url}")
        if not rows:
            lines.append(_empty(heading))
        lines.append("")
    if d.alignment:
        lines += ["Alignment", "-" * len("Alignment"), *(f"* {line}" for line in d.alignment), ""]
    return "\n".join(lines).rstrip() + "\n"


def _html_item(item: Item) -> str:
    name = f"<b>{html.escape(item.id)}</b> {html.escape(item.title)}"
    return f'<a href="{html.escape(item.url, quote=True)}">{name}</a>' if item.url else name


def render_html(d: Digest) -> str:
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8">',
        f"<title>{html.escape(d.title)}</title></head>",
        '<body style="font-family:sans-serif;max-width:40em">',
        f"<h1>{html.escape(d.title)}</h1>",
    ]
    for heading, rows in _sections(d):
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if rows:
            items = "".join(f"<li>{_html_item(i)}: {html.escape(rest)}</li>" for i, rest in rows)
            parts.append(f"<ul>{items}</ul>")
        else:
            parts.append(f"<p><i>{html.escape(_empty(heading))}</i></p>")
    if d.alignment:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in d.alignment)
        parts.append(f"<h2>Alignment</h2><ul>{items}</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render_message(d: Digest) -> Message:
    return Message(d.audience, d.title, render_markdown(d), render_text(d), render_html(d))
