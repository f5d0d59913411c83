"""KR sources given by JQL, read incrementally: one search for all of them when nothing changed.

A source's epics are searched whole on a first sync, a full reconcile, or when its JQL changed;
the epics it matched are kept (``META_SOURCE_EPICS``: its JQL and its epics' keys). A later cycle
asks once, for every source whose JQL is *stable* (its result changes only when an issue changes):

    ((jql 1) OR (jql 2) ... OR key in (the epics they matched)) AND updated >= <watermark>

which returns the epics that joined a source and the member epics that changed (and may have left).
Nothing changed: that one request is the whole read (10 sources searched whole were 10 requests a
cycle at 100,000 issues: bench/README.md). Something changed: the sources are asked which of those
epics each matches (on Cloud all at once, ``POST /rest/api/3/jql/match``; on Data Center
``(jql i) AND key in (...)``, one search a source), and each one's members are the ones it kept and
the ones that joined; the others are the mirror's copies.

A JQL is not stable when it calls a function (``now()``, ``currentUser()``, ``openSprints()``,
``membersOf()``...) or names a relative date (``-7d``, ``"2w"``): its result moves with the clock
or with things that are not issues. Those sources are searched whole every cycle, as are all of
them when any of these searches fails (the whole search then reports which source Jira refused).
Changes that move no issue's ``updated`` (a renamed component or version a JQL names) are seen at
the next full reconcile (``sync.full_reconcile_hours``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from okrsync.core.mappers import issue_fields
from okrsync.jira.jql import batch_values, jql_quote, split_order_by

log = logging.getLogger(__name__)

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_CALL = re.compile(r"([A-Za-z_][\w]*)\s*\(")
_KEYWORDS = frozenset(
    [
        "in",
        "not",
        "and",
        "or",
        "was",
        "changed",
        "by",
        "during",
        "before",
        "after",
        "on",
        "from",
        "to",
        "is",
        "empty",
        "null",
        "order",
    ]
)
_RELATIVE = re.compile(r"(?<![\w.-])[-+]?\d+\s*[wdhm]\b", re.IGNORECASE)


def is_stable(jql: str) -> bool:
    """Whether ``jql``'s result can change only when an issue it matches (or matched) changes."""
    text = split_order_by(jql)[0]
    quoted = [m.group(0)[1:-1] for m in _QUOTED.finditer(text)]
    bare = _QUOTED.sub('""', text)
    if any(m.group(1).lower() not in _KEYWORDS for m in _CALL.finditer(bare)) or _RELATIVE.search(bare):
        return False
    return not any(_RELATIVE.fullmatch(q.strip()) for q in quoted)


@dataclass(frozen=True, slots=True)
class Members:
    """What a source matched when it was last read: its JQL then, and its epics' keys."""

    jql: str
    epics: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"jql": self.jql, "epics": list(self.epics)}


def members_from(raw: object) -> dict[int, Members]:
    """``META_SOURCE_EPICS`` as stored: ``{"<index>": {"jql", "epics"}}``."""
    out: dict[int, Members] = {}
    for index, entry in raw.items() if isinstance(raw, Mapping) else ():
        if not isinstance(entry, Mapping) or not str(index).isdigit():
            continue
        jql, epics = entry.get("jql"), entry.get("epics")
        if isinstance(jql, str) and isinstance(epics, list):
            out[int(index)] = Members(jql, tuple(str(e) for e in epics))
    return out


Search = Callable[[str], list[issue_fields.RawIssue]]
"""Runs one search (its JQL) and returns every issue it matches, as records."""

Match = Callable[[Sequence[issue_fields.RawIssue], Sequence[str]], list[set[str]]]
"""Which of some issues each of some JQL queries matches (their keys), in one request where Jira
can (Cloud's ``jql/match``: :mod:`okrsync.jira.jql_match`)."""


def read_incrementally(
    search: Search,
    sources: Mapping[int, str],
    known: Mapping[int, Members],
    changed_since: str,
    *,
    max_values: int,
    max_chars: int,
    match: Match | None = None,
) -> tuple[dict[int, list[str]], list[issue_fields.RawIssue]]:
    """Each source's epics now (index → keys, in the order kept) and the issues read to tell.

    ``sources``: the stable ones (index → JQL), each with its ``known`` members. Which of the changed
    epics each source matches: ``match`` (one request for all of them) where given, else one search
    a source. Raises what a search raises (the caller then searches them whole)."""
    wheres = {i: split_order_by(jql)[0] for i, jql in sources.items()}
    members = list(dict.fromkeys(k for i in sources for k in known[i].epics))
    read: dict[str, issue_fields.RawIssue] = {}
    for jql in _changed_queries(list(wheres.values()), members, changed_since, max_values, max_chars):
        for raw in search(jql):
            read[issue_fields.key_of(raw)] = raw
    now = {i: list(known[i].epics) for i in sources}
    if not read:
        return now, []
    changed = sorted(read, key=issue_fields.key_order)
    order = list(wheres)
    if match is not None:
        matches = dict(zip(order, match([read[k] for k in changed], [wheres[i] for i in order]), strict=True))
    else:
        room = max(200, max_chars - max(len(w) for w in wheres.values()) - 40)
        matches = {
            index: {
                issue_fields.key_of(raw)
                for chunk in batch_values(changed, max_values=max_values, max_chars=room)
                for raw in search(f"({wheres[index]}) AND key in ({_in(chunk)}) ORDER BY key ASC")
            }
            for index in order
        }
    for index in order:
        matched = matches[index]
        kept = [k for k in known[index].epics if k not in read or k in matched]
        joined = [k for k in changed if k in matched and k not in set(kept)]
        now[index] = [*kept, *joined]
    return now, list(read.values())


def _changed_queries(
    wheres: Sequence[str], members: Sequence[str], changed_since: str, max_values: int, max_chars: int
) -> list[str]:
    """``((jql 1) OR ... OR key in (members)) AND updated >= since``, split to stay within bounds:
    the JQLs go with the first share of members; other members get queries of their own."""
    suffix = f") AND updated >= {changed_since} ORDER BY key ASC"
    ors = " OR ".join(f"({w})" for w in wheres)
    room = max(200, max_chars - len(ors) - len(suffix) - 20)
    chunks = batch_values(members, max_values=max_values, max_chars=room) or [[]]
    queries = []
    for n, chunk in enumerate(chunks):
        parts = [ors] if n == 0 and ors else []
        if chunk:
            parts.append(f"key in ({_in(chunk)})")
        queries.append(f"({' OR '.join(parts)}{suffix}")
    return queries


def _in(keys: Sequence[str]) -> str:
    return ", ".join(jql_quote(k) for k in keys)
