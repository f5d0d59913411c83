"""The structure of an Atlassian Document (ADF), as Jira Cloud's v3 API refuses a broken one.

From "Atlassian Document Format: document structure"
(https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/): the root is
``{"version": 1, "type": "doc", "content": [...]}`` holding *top-level block nodes* only; inline
nodes (``text``, ``hardBreak``, ``mention`` ...) live inside a paragraph or heading; a ``text`` node
carries a non-empty ``text`` (the ADF JSON schema: ``minLength: 1``) and no ``content``; lists hold
``listItem`` s; marks are objects naming a known mark type.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

TOP_LEVEL_BLOCKS = frozenset(
    {
        "blockquote",
        "bulletList",
        "codeBlock",
        "expand",
        "heading",
        "mediaGroup",
        "mediaSingle",
        "orderedList",
        "panel",
        "paragraph",
        "rule",
        "table",
        "multiBodiedExtension",
        "blockCard",
        "embedCard",
        "extension",
        "bodiedExtension",
        "decisionList",
        "taskList",
        "layoutSection",
    }
)
CHILD_BLOCKS = frozenset(
    {
        "listItem",
        "media",
        "nestedExpand",
        "tableCell",
        "tableHeader",
        "tableRow",
        "decisionItem",
        "taskItem",
        "layoutColumn",
        "extensionFrame",
        "caption",
    }
)
INLINE = frozenset(
    {
        "date",
        "emoji",
        "hardBreak",
        "inlineCard",
        "mention",
        "status",
        "text",
        "mediaInline",
        "placeholder",
        "inlineExtension",
    }
)
MARKS = frozenset(
    {
        "code",
        "em",
        "link",
        "strike",
        "strong",
        "subsup",
        "textColor",
        "underline",
        "backgroundColor",
        "border",
        "alignment",
        "indentation",
        "breakout",
        "annotation",
        "dataConsumer",
        "fragment",
    }
)
# What a node may hold where the structure page says so (others: not checked deeper than types).
_INLINE_HOLDERS = frozenset({"paragraph", "heading", "decisionItem", "taskItem", "caption"})
_LIST_HOLDERS = frozenset({"bulletList", "orderedList"})
_LEAVES = frozenset({"text", "hardBreak", "rule", "mention", "emoji", "date", "status", "inlineCard"})

MAX_PROBLEMS = 5


def problems(value: Any, where: str) -> Iterator[str]:
    """What is wrong with ``value`` as an ADF document (at most a few lines; nothing when valid)."""
    found = list(_doc(value, where))
    yield from found[:MAX_PROBLEMS]


def _doc(value: Any, where: str) -> Iterator[str]:
    if not isinstance(value, dict) or value.get("type") != "doc":
        expected = "{'type': 'doc', 'version': 1, 'content': [...]}"
        yield f"{where}: not an Atlassian Document (expected {expected})"
        return
    if value.get("version") != 1:
        yield f"{where}.version: an Atlassian Document has version 1, not {value.get('version')!r}"
    content = value.get("content")
    if not isinstance(content, list):
        yield f"{where}.content: a document's content is a list of block nodes"
        return
    for i, node in enumerate(content):
        here = f"{where}.content[{i}]"
        kind = node.get("type") if isinstance(node, dict) else None
        if kind in INLINE:
            yield f"{here}: a {kind!r} node at document level; inline nodes belong in a paragraph"
        elif kind not in TOP_LEVEL_BLOCKS:
            yield f"{here}: {kind!r} is not a top-level block node of the Atlassian Document Format"
        else:
            yield from _node(node, here)


def _node(node: dict[str, Any], where: str) -> Iterator[str]:
    kind = node["type"]
    marks = node.get("marks")
    if marks is not None:
        if not isinstance(marks, list):
            yield f"{where}.marks: a list of marks"
        else:
            for j, mark in enumerate(marks):
                if not isinstance(mark, dict) or mark.get("type") not in MARKS:
                    yield f"{where}.marks[{j}]: {mark!r} is not a mark of the Atlassian Document Format"
    if kind == "text":
        text = node.get("text")
        if not isinstance(text, str) or not text:
            yield f"{where}.text: a text node's text must be a non-empty string"
    content = node.get("content")
    if content is None:
        if kind in _LIST_HOLDERS or kind == "listItem":
            yield f"{where}: a {kind!r} needs content"
        return
    if kind in _LEAVES:
        yield f"{where}: a {kind!r} node has no content"
        return
    if not isinstance(content, list):
        yield f"{where}.content: a list of nodes"
        return
    if (kind in _LIST_HOLDERS or kind == "listItem") and not content:
        yield f"{where}: a {kind!r} needs content"
    for i, child in enumerate(content):
        here = f"{where}.content[{i}]"
        child_kind = child.get("type") if isinstance(child, dict) else None
        if not isinstance(child_kind, str) or child_kind not in INLINE | TOP_LEVEL_BLOCKS | CHILD_BLOCKS:
            yield f"{here}: {child_kind!r} is not a node of the Atlassian Document Format"
            continue
        if kind in _INLINE_HOLDERS and child_kind not in INLINE:
            yield f"{here}: a {kind!r} holds inline nodes, not a {child_kind!r}"
        elif kind in _LIST_HOLDERS and child_kind != "listItem":
            yield f"{here}: a {kind!r} holds listItem nodes, not a {child_kind!r}"
        elif kind == "codeBlock" and child_kind != "text":
            yield f"{here}: a codeBlock holds text nodes only"
        elif child_kind in INLINE and kind not in _INLINE_HOLDERS | {"codeBlock"}:
            yield f"{here}: a {child_kind!r} inline node directly in a {kind!r}; wrap it in a paragraph"
        else:
            yield from _node(child, here)
