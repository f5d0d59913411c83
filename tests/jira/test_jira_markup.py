"""The safe comment model: ADF for Cloud, escaped wiki markup for Data Center, plain text back."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okrsync.jira.markup import (
    BulletList,
    Doc,
    Heading,
    Link,
    Mention,
    Paragraph,
    Text,
    escape_wiki,
    from_adf_text,
    plain_text,
    to_adf,
    to_plain,
    to_wiki,
)


@pytest.mark.parametrize(
    ("user_text", "wiki"),
    [
        ("*bold*", "\\*bold\\*"),
        ("_it_", "\\_it\\_"),
        ("{code}x{code}", "\\{code\\}x\\{code\\}"),
        ("{{mono}}", "\\{\\{mono\\}\\}"),
        ("[link|http://x]", "\\[link\\|http://x\\]"),
        ("![img.png]!", "\\!\\[img.png\\]\\!"),
        ("h1. Title", "h1&#46; Title"),
        ("  bq. quote", "  bq&#46; quote"),
        ("line\nh3. again", "line\nh3&#46; again"),
        ("# one", "\\# one"),
        ("* item", "\\* item"),
        ("----", "\\-\\-\\-\\-"),
        ("-strike- +under+ ^sup^ ~sub~", "\\-strike\\- \\+under\\+ \\^sup\\^ \\~sub\\~"),
        ("??cite??", "\\?\\?cite\\?\\?"),
        ("||a||b||", "\\|\\|a\\|\\|b\\|\\|"),
        ("[~admin]", "\\[\\~admin\\]"),
        ("a \\ b \\\\ c \\*", "a &#92; b &#92;&#92; c &#92;\\*"),
        ("&lt;script&gt; & co", "&amp;lt;script&amp;gt; & co"),
        ("(y) (!) :) ;P", "&#40;y) &#40;\\!) &#58;) &#59;P"),
        ("plain words, 42 %", "plain words, 42 %"),
    ],
)
def test_escape_wiki_neutralises_markup(user_text: str, wiki: str) -> None:
    assert escape_wiki(user_text) == wiki


def test_wiki_document() -> None:
    doc = Doc(
        Heading(2, "KR: ", Text("Ship *it*", bold=True)),
        Paragraph(
            "Progress ",
            Text("42 %", bold=True),
            " vs ",
            Text("50 %", italic=True),
            " ",
            Text("x{y}", code=True),
        ),
        BulletList("one [x]", [Link("docs|evil]", "https://e.com/a|b]c d"), " and ", Mention(name="ada.l")]),
        Paragraph(Link("bad", "javascript:alert(1)"), " ", Mention(name="bad]name", display="Bad")),
    )
    assert to_wiki(doc) == (
        "h2. KR: *Ship \\*it\\**\n\n"
        "Progress *42 %* vs _50 %_ {{x\\{y\\}}}\n\n"
        "* one \\[x\\]\n"
        "* [docs\\|evil\\]|https://e.com/a%7Cb%5Dc%20d] and [~ada.l]\n\n"
        "bad @Bad"
    )


def test_emphasis_keeps_surrounding_spaces_outside_the_markers() -> None:
    assert to_wiki(Doc(Paragraph("a", Text(" b ", bold=True), "c"))) == "a *b* c"


def test_adf_document_is_valid_shape() -> None:
    doc = Doc(
        Heading(1, "Title"),
        Paragraph(
            Text("code", code=True, bold=True), "\nnext line", Mention(account_id="557058:abc", display="Ada")
        ),
        BulletList(["x"], [Link("", "mailto:a@b.c")]),
        Paragraph(Link("bad", "javascript:alert(1)")),
        BulletList(),
    )
    assert to_adf(doc) == {
        "version": 1,
        "type": "doc",
        "content": [
            {"type": "heading", "attrs": {"level": 1}, "content": [{"type": "text", "text": "Title"}]},
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "code", "marks": [{"type": "code"}]},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "next line"},
                    {"type": "mention", "attrs": {"id": "557058:abc", "text": "@Ada"}},
                ],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}],
                    },
                    {
                        "type": "listItem",
                        "content": [
                            {
                                "type": "paragraph",
                                "content": [
                                    {
                                        "type": "text",
                                        "text": "mailto:a@b.c",
                                        "marks": [{"type": "link", "attrs": {"href": "mailto:a@b.c"}}],
                                    }
                                ],
                            }
                        ],
                    },
                ],
            },
            {"type": "paragraph", "content": [{"type": "text", "text": "bad"}]},
        ],
    }


def test_plain_text_reads_adf_and_wiki_back() -> None:
    doc = Doc(Heading(3, "KR *1*"), Paragraph("Progress ", Text("42 %", bold=True)), BulletList("a", "b"))
    assert from_adf_text(to_adf(doc)) == "KR *1*\nProgress 42 %\n- a\n- b"
    assert plain_text(to_wiki(doc)) == "KR *1*\nProgress 42 %\n- a\n- b"
    assert to_plain(doc) == "KR *1*\nProgress 42 %\n- a\n- b"
    assert plain_text(None) == ""


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@given(_text)
def test_escaped_wiki_has_no_live_markup(text: str) -> None:
    wiki = escape_wiki(text)
    # Every markup character is escaped by a backslash, and no backslash escapes anything else.
    unescaped = re.sub(r"\\[*_\-+^~{}\[\]|!#?]|&#\d+;|&amp;", "", wiki)
    assert not re.search(r"[*_\-+^~{}\[\]|!#?\\]", unescaped)
    assert not re.search(r"(?im)^\s*(h[1-6]|bq)\.", wiki)


@given(_text)
def test_wiki_round_trips_to_the_same_text(text: str) -> None:
    assert plain_text(to_wiki(Doc(Paragraph(text)))) == text.strip("\n") or "\n" in text


@given(_text)
def test_adf_round_trips_to_the_same_text(text: str) -> None:
    assert from_adf_text(to_adf(Doc(Paragraph(text)))) == text or "\n" in text or "\r" in text
