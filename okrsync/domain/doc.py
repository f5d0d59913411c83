"""A tiny document model for the comments okrsync writes (pure values).

Comments are built from data — paragraphs, headings and bullet lists of text, links and user
mentions — never by pasting user text into markup. The Jira gateway renders a :class:`Doc` as
Atlassian Document Format (Cloud) or escaped wiki markup (Data Center).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A user mention: ``account_id`` on Cloud, ``name`` (the username) on Data Center."""

    account_id: str | None = None
    name: str | None = None
    display: str = ""


Inline = Text | Link | Mention


def _inlines(items: Iterable[Inline | str]) -> tuple[Inline, ...]:
    return tuple(Text(i) if isinstance(i, str) else i for i in items)


@dataclass(frozen=True, slots=True, init=False)
class Paragraph:
    inlines: tuple[Inline, ...]

    def __init__(self, *inlines: Inline | str) -> None:
        object.__setattr__(self, "inlines", _inlines(inlines))


@dataclass(frozen=True, slots=True, init=False)
class Heading:
    level: int
    inlines: tuple[Inline, ...]

    def __init__(self, level: int, *inlines: Inline | str) -> None:
        if not 1 <= level <= 6:
            raise ValueError("heading level must be 1..6")
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "inlines", _inlines(inlines))


@dataclass(frozen=True, slots=True, init=False)
class BulletList:
    """A flat bullet list; each item is a run of inlines."""

    items: tuple[tuple[Inline, ...], ...]

    def __init__(self, *items: Sequence[Inline | str] | Inline | str) -> None:
        norm: list[tuple[Inline, ...]] = []
        for item in items:
            if isinstance(item, str | Text | Link | Mention):
                norm.append(_inlines([item]))
            else:
                norm.append(_inlines(item))
        object.__setattr__(self, "items", tuple(norm))


Block = Paragraph | Heading | BulletList


@dataclass(frozen=True, slots=True, init=False)
class Doc:
    blocks: tuple[Block, ...]

    def __init__(self, *blocks: Block) -> None:
        object.__setattr__(self, "blocks", tuple(blocks))
