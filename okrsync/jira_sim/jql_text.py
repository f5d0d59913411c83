"""Text search (``~`` / ``!~``) for the JQL engine.

Jira's ``~`` is a word search, not a substring test.  The simulator approximates Lucene's analyser:
text is split into lower-case word tokens, a light English stemmer folds plurals and ``-ing``/``-ed``
endings, every term of the query must occur (any order), ``*``/``?`` are wildcards inside a term,
and a query wrapped in double quotes (``summary ~ "\\"exact phrase\\""``) is a phrase search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

__all__ = ["flatten_text", "text_matcher", "words"]

_WORD = re.compile(r"\w+")
_TERM = re.compile(r"[\w*?]+")


def _undouble(stem: str) -> str:
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "aeioulsz":
        return stem[:-1]  # running -> run, stopped -> stop
    return stem


def _suffix(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return _undouble(word[:-3])
    if len(word) > 4 and word.endswith("ed"):
        return _undouble(word[:-2])
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _stem(word: str) -> str:
    """A light English stemmer: runs/running -> run, rotated/rotating/rotate -> rotat."""
    stem = _suffix(word)
    return stem[:-1] if len(stem) > 4 and stem.endswith("e") else stem


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def flatten_text(value: Any) -> str:
    """Plain text of a stored value: a string, an Atlassian Document Format node, or a list of them."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if value.get("type") == "text":
            return str(value.get("text", ""))
        if "content" in value:
            return " ".join(flatten_text(child) for child in value["content"])
        if "body" in value:  # a comment
            return flatten_text(value["body"])
        return ""
    if isinstance(value, list):
        return " ".join(flatten_text(v) for v in value)
    return str(value)


def _term_test(term: str) -> Callable[[str], bool]:
    if "*" in term or "?" in term:
        pattern = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in term))
        return lambda word: pattern.fullmatch(word) is not None
    stem = _stem(term)
    return lambda word: word == term or _stem(word) == stem


def text_matcher(query: str) -> Callable[[str], bool]:
    """A predicate telling whether a text contains ``query`` in Jira's ``~`` sense."""
    q = query.strip()
    if len(q) >= 2 and q[0] == '"' and q[-1] == '"':
        phrase = [_stem(w) for w in words(q[1:-1])]
        if not phrase:
            return lambda _text: False
        n = len(phrase)

        def phrase_match(text: str) -> bool:
            stems = [_stem(w) for w in words(text)]
            return any(stems[i : i + n] == phrase for i in range(len(stems) - n + 1))

        return phrase_match

    terms = [t for t in _TERM.findall(q.lower()) if t.strip("*?")]
    if not terms:
        return lambda _text: False
    tests = [_term_test(t) for t in terms]
    plain = [t for t in terms if "*" not in t and "?" not in t]
    # cheap pre-filter: every word matching a plain term starts with its stem minus the last letter
    prefixes = [p for p in (_stem(t)[:-1][:4] for t in plain) if p]

    def match(text: str) -> bool:
        low = text.lower()
        for p in prefixes:
            if p not in low:
                return False
        ws = _WORD.findall(low)
        return all(any(test(w) for w in ws) for test in tests)

    return match
