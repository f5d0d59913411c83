"""A tiny, safe document model for the comments okrsync writes.

Comments are built from data (:class:`Doc` of paragraphs, headings and bullet lists holding text,
links and mentions), never by pasting user text into markup. :func:`to_adf` renders Atlassian
Document Format for Jira Cloud's v3 API; :func:`to_wiki` renders Jira wiki markup for Data
Center's v2 API with every piece of user text escaped, so an objective called
``*bold* {code} [link|http://x] h1. ![img]`` shows exactly that text and nothing else.

ADF reference: https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/
Wiki markup reference: https://jira.atlassian.com/secure/WikiRendererHelpAction.jspa?section=all
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

# The model itself is pure and lives in the core (okrsync.domain.doc); it is re-exported here.
from okrsync.domain.doc import (
    Block,
    BulletList,
    Doc,
    Heading,
    Inline,
    Link,
    Mention,
    Paragraph,
    Text,
)

__all__ = [
    "Block",
    "BulletList",
    "Doc",
    "Heading",
    "Inline",
    "Link",
    "Mention",
    "Paragraph",
    "Text",
    "from_adf_text",
    "from_wiki_text",
    "plain_text",
    "safe_url",
    "to_adf",
    "to_plain",
    "to_wiki",
]

SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})


def safe_url(url: str) -> str | None:
    """The URL if it is an absolute http(s)/mailto URL without control characters, else ``None``."""
    url = url.strip()
    if not url or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_URL_SCHEMES:
        return None
    if parts.scheme.lower() != "mailto" and not parts.netloc:
        return None
    return url


# ------------------------------------------------------------------------------- ADF (Cloud)


def _adf_text_nodes(text: str, marks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines):
        if i:
            nodes.append({"type": "hardBreak"})
        if line:  # ADF forbids empty text nodes
            node: dict[str, Any] = {"type": "text", "text": line}
            if marks:
                node["marks"] = [dict(m) for m in marks]
            nodes.append(node)
    return nodes


def _adf_inline(inline: Inline) -> list[dict[str, Any]]:
    if isinstance(inline, Text):
        marks: list[dict[str, Any]] = []
        if inline.code:  # the code mark combines with link only
            marks.append({"type": "code"})
        else:
            if inline.bold:
                marks.append({"type": "strong"})
            if inline.italic:
                marks.append({"type": "em"})
        return _adf_text_nodes(inline.text, marks)
    if isinstance(inline, Link):
        url = safe_url(inline.url)
        label = inline.text or inline.url
        if url is None:
            return _adf_text_nodes(label, [])
        return _adf_text_nodes(label, [{"type": "link", "attrs": {"href": url}}])
    if inline.account_id:
        display = inline.display or inline.name or inline.account_id
        return [{"type": "mention", "attrs": {"id": inline.account_id, "text": "@" + display.lstrip("@")}}]
    return _adf_text_nodes("@" + (inline.display or inline.name or ""), [])


def _adf_inlines(inlines: Iterable[Inline]) -> list[dict[str, Any]]:
    return [node for inline in inlines for node in _adf_inline(inline)]


def to_adf(doc: Doc) -> dict[str, Any]:
    """Atlassian Document Format: ``{"version": 1, "type": "doc", "content": [...]}``."""
    content: list[dict[str, Any]] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            content.append({"type": "paragraph", "content": _adf_inlines(block.inlines)})
        elif isinstance(block, Heading):
            content.append(
                {"type": "heading", "attrs": {"level": block.level}, "content": _adf_inlines(block.inlines)}
            )
        elif block.items:  # ADF needs at least one listItem
            content.append(
                {
                    "type": "bulletList",
                    "content": [
                        {
                            "type": "listItem",
                            "content": [{"type": "paragraph", "content": _adf_inlines(item)}],
                        }
                        for item in block.items
                    ],
                }
            )
    return {"version": 1, "type": "doc", "content": content}


# ------------------------------------------------------------------------------- wiki (Data Center)

# Characters with a meaning in Jira wiki markup; a backslash before them shows them literally.
_WIKI_SPECIAL = frozenset("*_-+^~{}[]|!#?")
# A backslash cannot be escaped with a backslash ("\\" is a line break), so it becomes an HTML
# entity, as pandoc's Jira writer does.
_ENTITY_LIKE = re.compile(r"&#?[A-Za-z0-9]+;")
# Emoticons: (y) (n) (i) (/) (x) (!) (?) (+) (-) (*) (on) (off) (*r) and :) :( :P :D ;)
_EMOTICON = re.compile(r"\((?:[ynix/!?+\-*]|on|off|\*[rgby])\)|[:;][()PpDd]", re.IGNORECASE)
# Line starts with a block meaning that survive character escaping: "h1." ... "h6.", "bq.".
_BLOCK_START = re.compile(r"^([ \t]*)(h[1-6]|bq)\.", re.IGNORECASE | re.MULTILINE)


def escape_wiki(text: str) -> str:
    """Jira wiki markup showing exactly ``text``: no formatting, link, image, macro or block start."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == "\\":
            out.append("&#92;")
        elif ch in _WIKI_SPECIAL:
            out.append("\\" + ch)
        elif ch == "&" and _ENTITY_LIKE.match(text, i):
            out.append("&amp;")  # so that user text like "&lt;" is not decoded
        elif ch in "(:;" and _EMOTICON.match(text, i):
            out.append(f"&#{ord(ch)};")
        else:
            out.append(ch)
    return _BLOCK_START.sub(r"\1\2&#46;", "".join(out))


_WIKI_USERNAME = re.compile(r"^[A-Za-z0-9._@+\-]+$")
_WIKI_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9:_\-]+$")


def _wiki_url(url: str) -> str:
    # Characters that would end or split a [text|url] link are percent-encoded.
    return url.replace("|", "%7C").replace("[", "%5B").replace("]", "%5D").replace(" ", "%20")


def _wiki_emphasis(text: str, marker_open: str, marker_close: str) -> str:
    core = text.strip()
    if not core:
        return escape_wiki(text)
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{escape_wiki(lead)}{marker_open}{escape_wiki(core)}{marker_close}{escape_wiki(trail)}"


def _wiki_inline(inline: Inline) -> str:
    if isinstance(inline, Text):
        if "\n" in inline.text and (inline.bold or inline.italic or inline.code):
            # Emphasis cannot span lines in wiki markup: apply it per line.
            return "\n".join(
                _wiki_inline(Text(line, inline.bold, inline.italic, inline.code))
                for line in inline.text.split("\n")
            )
        if inline.code:
            return _wiki_emphasis(inline.text, "{{", "}}")
        rendered = inline.text
        if inline.bold and inline.italic:
            return _wiki_emphasis(rendered, "*_", "_*")
        if inline.bold:
            return _wiki_emphasis(rendered, "*", "*")
        if inline.italic:
            return _wiki_emphasis(rendered, "_", "_")
        return escape_wiki(rendered)
    if isinstance(inline, Link):
        url = safe_url(inline.url)
        label = inline.text or inline.url
        if url is None:
            return escape_wiki(label)
        return f"[{escape_wiki(label)}|{_wiki_url(url)}]"
    if inline.name and _WIKI_USERNAME.match(inline.name):
        return f"[~{inline.name}]"
    if inline.account_id and _WIKI_ACCOUNT_ID.match(inline.account_id):
        return f"[~accountid:{inline.account_id}]"
    return escape_wiki("@" + (inline.display or inline.name or ""))


def _wiki_line(inlines: Iterable[Inline]) -> str:
    """Inlines of a heading or list item, which must stay on one line."""
    return "".join(_wiki_inline(i) for i in inlines).replace("\n", " ")


def to_wiki(doc: Doc) -> str:
    """Jira wiki markup; every user text escaped (see :func:`escape_wiki`)."""
    parts: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            text = "".join(_wiki_inline(i) for i in block.inlines)
            parts.append(re.sub(r"\n{2,}", "\n", text))
        elif isinstance(block, Heading):
            parts.append(f"h{block.level}. {_wiki_line(block.inlines)}")
        elif block.items:
            parts.append("\n".join(f"* {_wiki_line(item)}" for item in block.items))
    return "\n\n".join(parts)


# ------------------------------------------------------------------------------- reading back


def to_plain(doc: Doc) -> str:
    """The text a reader sees, one line per paragraph, heading and list item."""
    lines: list[str] = []

    def text_of(inlines: Iterable[Inline]) -> str:
        out = []
        for i in inlines:
            if isinstance(i, Text | Link):
                out.append(i.text or (i.url if isinstance(i, Link) else ""))
            else:
                out.append("@" + (i.display or i.name or i.account_id or "").lstrip("@"))
        return "".join(out)

    for block in doc.blocks:
        if isinstance(block, Paragraph | Heading):
            lines.append(text_of(block.inlines))
        else:
            lines.extend("- " + text_of(item) for item in block.items)
    return "\n".join(lines)


_BLOCK_NODES = frozenset(
    {"paragraph", "heading", "blockquote", "codeBlock", "rule", "panel", "table", "tableRow", "mediaSingle"}
)


def from_adf_text(adf: Mapping[str, Any] | Any) -> str:
    """Plain text of an ADF document (comment bodies read back from Cloud)."""
    lines: list[str] = []
    current: list[str] = []
    pending_prefix: list[str] = []  # the bullet of the list item whose paragraph comes next

    def flush() -> None:
        if current:
            lines.append("".join(pending_prefix) + "".join(current))
            current.clear()
            pending_prefix.clear()

    def walk(node: Any, prefix: str = "") -> None:
        if not isinstance(node, Mapping):
            return
        kind = node.get("type")
        raw_attrs = node.get("attrs")
        attrs: Mapping[str, Any] = raw_attrs if isinstance(raw_attrs, Mapping) else {}
        if kind == "text":
            current.append(str(node.get("text", "")))
            return
        if kind == "hardBreak":
            current.append("\n")
            return
        if kind == "mention":
            current.append(str(attrs.get("text") or "@" + str(attrs.get("id", ""))))
            return
        if kind in ("emoji", "status", "date", "inlineCard"):
            current.append(str(attrs.get("text") or attrs.get("shortName") or attrs.get("url") or ""))
            return
        if kind == "listItem":
            flush()
            pending_prefix[:] = [prefix]
            for child in node.get("content") or []:
                walk(child, prefix)
            flush()
            return
        is_block = kind in _BLOCK_NODES
        if is_block:
            flush()
        child_prefix = "- " if kind == "bulletList" else "1. " if kind == "orderedList" else prefix
        for child in node.get("content") or []:
            walk(child, child_prefix)
        if is_block:
            flush()

    walk(adf)
    flush()
    return "\n".join(lines)


_WIKI_UNESCAPE = re.compile(r"\\([*_\-+^~{}\[\]|!#?()])")


def from_wiki_text(wiki: str) -> str:
    """Plain text of wiki markup okrsync wrote (undoes :func:`escape_wiki`; strips simple markup)."""
    text = re.sub(r"^h[1-6]\. ", "", wiki, flags=re.MULTILINE)
    text = re.sub(r"^\* ", "- ", text, flags=re.MULTILINE)
    text = re.sub(r"\[~(?:accountid:)?([^\]|]+)\]", r"@\1", text)
    text = re.sub(r"(?<!\\)\[([^\]|]*)\|[^\]]*\]", r"\1", text)
    text = re.sub(r"(?<!\\)\{\{|(?<!\\)\}\}", "", text)
    text = re.sub(r"(?<![\\\w])[*_]+(?=\S)|(?<=\S)(?<!\\)[*_]+(?!\w)", "", text)
    text = _WIKI_UNESCAPE.sub(r"\1", text)
    text = re.sub(r"\n{2,}", "\n", text)
    return html.unescape(text)


def plain_text(body: Any) -> str:
    """Plain text of a comment body as Jira returns it: ADF (Cloud v3) or wiki markup (v2)."""
    if isinstance(body, Mapping):
        return from_adf_text(body)
    if isinstance(body, str):
        return from_wiki_text(body)
    return ""
