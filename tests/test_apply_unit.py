"""How apply recognises okrsync's own comments: the property first, else the footer line."""

from __future__ import annotations

from typing import Any

import pytest

from okrsync.doc import Doc, Paragraph, Text
from okrsync.jira.markup import to_adf, to_wiki
from okrsync.sync.apply import identity_of, with_footer

DOC = with_footer(Doc(Paragraph(Text("Check-in reminder: "), Text("*not bold* [x|y]"))), "stale:2026-10-28")

CASES: list[tuple[str, dict[str, Any], str | None]] = [
    (
        "property",
        {
            "properties": [{"key": "okrsync", "value": {"identity": "celebrate", "hash": "h"}}],
            "body": "anything",
        },
        "celebrate",
    ),
    (
        "other property only",
        {"properties": [{"key": "other", "value": {"identity": "x"}}], "body": "hi"},
        None,
    ),
    ("footer in wiki (Data Center, property lost)", {"body": to_wiki(DOC)}, "stale:2026-10-28"),
    ("footer in ADF (Cloud)", {"body": to_adf(DOC)}, "stale:2026-10-28"),
    ("a person's comment", {"body": "Thanks all — okrsync is great"}, None),
    ("footer text quoted mid-comment", {"body": "see — okrsync · status\nabove"}, None),
    ("empty", {}, None),
]


@pytest.mark.parametrize(("comment", "identity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_identity_of(comment: dict[str, Any], identity: str | None) -> None:
    assert identity_of(comment) == identity
