"""Atlassian Document Format (v3 bodies) to and from plain / wiki-markup text (v2 bodies).

The conversion is approximate, as the issue allows: paragraphs, hard breaks, headings, bullet
and ordered lists, code blocks and inline marks (strong, em, code, link) survive a round trip
well enough for comments written by okrsync.
"""

from __future__ import annotations

from typing import Any

from okrsync.jira_sim.errors import ApiError


def is_doc(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "doc"
        and value.get("version") == 1
        and isinstance(value.get("content"), list)
    )


def validate_doc(value: Any, field: str = "comment") -> dict[str, Any]:
    """Return ``value`` if it is an ADF document, else raise Jira's 400."""
    if not is_doc(value):
        raise ApiError(
            400,
            errors={
                field: "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            },
        )
    assert isinstance(value, dict)
    return value


def text_to_adf(text: str | None) -> dict[str, Any]:
    """Plain or wiki text to an ADF doc: blank-line separated paragraphs, newlines as hard breaks."""
    content: list[dict[str, Any]] = []
    for para in (text or "").split("\n\n"):
        if not para:
            continue
        inline: list[dict[str, Any]] = []
        for i, line in enumerate(para.split("\n")):
            if i:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def _inline(node: dict[str, Any]) -> str:
    kind = node.get("type")
    if kind == "text":
        text = str(node.get("text", ""))
        for mark in node.get("marks", []) or []:
            mtype = mark.get("type")
            if mtype == "strong":
                text = f"*{text}*"
            elif mtype == "em":
                text = f"_{text}_"
            elif mtype == "code":
                text = "{{" + text + "}}"
            elif mtype == "link":
                text = f"[{text}|{mark.get('attrs', {}).get('href', '')}]"
        return text
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return f"[~accountid:{node.get('attrs', {}).get('id', '')}]"
    if kind == "emoji":
        return str(node.get("attrs", {}).get("text", node.get("attrs", {}).get("shortName", "")))
    if kind == "inlineCard":
        return str(node.get("attrs", {}).get("url", ""))
    return "".join(_inline(c) for c in node.get("content", []) or [])


def _block(node: dict[str, Any], bullet: str = "") -> str:
    kind = node.get("type")
    children = node.get("content", []) or []
    if kind == "paragraph":
        return "".join(_inline(c) for c in children)
    if kind == "heading":
        level = node.get("attrs", {}).get("level", 1)
        return f"h{level}. " + "".join(_inline(c) for c in children)
    if kind in ("bulletList", "orderedList"):
        mark = (bullet or "") + ("*" if kind == "bulletList" else "#")
        lines = []
        for item in children:
            parts = [_block(c, mark) for c in item.get("content", []) or []]
            first, *rest = parts or [""]
            lines.append(f"{mark} {first}")
            lines.extend(rest)
        return "\n".join(lines)
    if kind == "codeBlock":
        return "{code}\n" + "".join(_inline(c) for c in children) + "\n{code}"
    if kind == "blockquote":
        return "{quote}" + "\n\n".join(_block(c) for c in children) + "{quote}"
    if kind == "rule":
        return "----"
    return "".join(_inline(c) for c in children)


def adf_to_text(doc: Any) -> str:
    """An ADF doc to wiki-ish text (paragraphs separated by a blank line)."""
    if isinstance(doc, str):
        return doc
    if not isinstance(doc, dict):
        return ""
    return "\n\n".join(_block(c) for c in doc.get("content", []) or [])
