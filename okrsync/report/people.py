"""Mentions in check-in notes by display name (pure): who an account id is, from what the report has.

A KR owner's check-in note (the ``OKR Check-in`` text field) is plain text as Jira stores it; a
mention in it is an account id in one of the forms people and Jira leave in plain text:

- ``@712020:<uuid>`` / ``@<24 hex digits>``: a Cloud mention read back as text (``@accountId``);
- ``[~accountid:712020:<uuid>]``: a Cloud mention in wiki markup (what the editor's text mode,
  the v2 API and automation write into a text field);
- ``[~username]``: a Data Center mention in wiki markup (the user name, not the display name).

The report shows each as ``@Display Name`` when it knows the account: from the recorded check-ins
(meta ``checkins``: author id → author) and from the user objects in the mirror records of the
tree's issues (``assignee``, ``reporter``, ``creator``, user custom fields: ``accountId`` on Cloud,
``name`` and ``key`` on Data Center, each with its ``displayName``). An account it does not know
stays as it is written: no name is invented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from okrsync.core.checkins import history_of

_CLOUD_ID = r"\d+:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{24}"
MENTION = re.compile(rf"\[~accountid:(?P<wiki>[^\]\s]+)\]|\[~(?P<user>[^\]\s:]+)\]|@(?P<id>{_CLOUD_ID})\b")
"""A mention in plain text: ``[~accountid:ID]``, ``[~username]`` or ``@accountId``."""

People = Mapping[str, str]
"""Account id (Cloud) or user name / key (Data Center) → display name."""


def _account(match: re.Match[str]) -> str:
    return match.group("wiki") or match.group("user") or match.group("id")


def name_mentions(text: str, people: People) -> str:
    """``text`` with each mention of a known account as ``@Display Name`` (unknown ones stay)."""

    def named(match: re.Match[str]) -> str:
        name = people.get(_account(match))
        return match.group(0) if name is None else "@" + name

    return MENTION.sub(named, text)


def mentioned(texts: Iterable[str | None]) -> set[str]:
    """The account ids (and user names) mentioned in ``texts``."""
    return {_account(m) for text in texts if text for m in MENTION.finditer(text)}


def checkin_notes(doc: Mapping[str, Any]) -> dict[str, str]:
    """KR id → its latest check-in's note (KRs with a note only)."""
    out: dict[str, str] = {}
    for kr in doc.get("key_results") or ():
        checkin = kr.get("checkin")
        note = checkin.get("note") if isinstance(checkin, Mapping) else None
        if isinstance(note, str) and note:
            out[str(kr["id"])] = note
    return out


def people_in_records(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Every user object in the ``fields`` of ``records`` (raw issues or mirror records): its
    ``accountId`` (Cloud), ``name`` and ``key`` (Data Center) and, where Jira shows it, its
    ``emailAddress`` → its ``displayName``."""
    out: dict[str, str] = {}

    def visit(value: Any) -> None:
        if isinstance(value, Mapping):
            display = value.get("displayName")
            if isinstance(display, str) and display:
                idents = ("accountId", "name", "key", "emailAddress")
                for ident in (value.get(k) for k in idents):
                    if isinstance(ident, str) and ident:
                        out.setdefault(ident, display)
            for v in value.values():
                if isinstance(v, Mapping | list):
                    visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    for record in records:
        visit(record.get("fields"))
    return out


def people_in_checkins(stored: Any) -> dict[str, str]:
    """The recorded check-ins' authors (meta ``checkins``): author id → display name."""
    return {
        c.author_id: c.author
        for checkins in history_of(stored).values()
        for c in checkins
        if c.author_id and c.author
    }


def record_keys(doc: Mapping[str, Any], krs: Iterable[str]) -> list[str]:
    """The issues whose records may name who ``krs`` (KR ids) mention: every objective's and KR's
    issue, and the action plans of ``krs``."""
    wanted = set(krs)
    keys = [o.get("jira_key") for o in doc.get("objectives") or ()]
    for kr in doc.get("key_results") or ():
        keys.append(kr.get("jira_key"))
        if kr["id"] in wanted:
            keys += [p.get("key") for p in kr.get("action_plans") or ()]
    return list(dict.fromkeys(k for k in keys if isinstance(k, str) and k))


def owner_addresses(doc: Mapping[str, Any]) -> set[str]:
    """The owners given by e-mail address (an objective's owner in the configuration): shown by the
    display name of the Jira user with that address, where a record of the tree shows one."""
    nodes = [*(doc.get("objectives") or ()), *(doc.get("key_results") or ())]
    return {
        owner
        for node in nodes
        if isinstance(owner := node.get("owner"), str) and "@" in owner and " " not in owner.strip()
    }


def people_for(
    doc: Mapping[str, Any],
    checkins: Any,
    read_records: Callable[[Sequence[str]], Iterable[Mapping[str, Any]]],
) -> dict[str, str]:
    """The accounts the check-in notes of ``doc`` mention, and the owners it gives by e-mail address
    → their display names, as far as known.

    ``checkins``: the meta value ``checkins``; ``read_records``: the mirror records of the issues
    given (called once, only when a mention is not known from the check-ins)."""
    notes = checkin_notes(doc)
    wanted = mentioned(notes.values()) | owner_addresses(doc)
    if not wanted:
        return {}
    people = {k: v for k, v in people_in_checkins(checkins).items() if k in wanted}
    unknown = wanted - people.keys()
    if unknown:
        krs = [kr for kr, note in notes.items() if mentioned([note]) & unknown]
        found = people_in_records(read_records(record_keys(doc, krs)))
        people.update({k: v for k, v in found.items() if k in unknown})
    return people


def with_named_mentions(doc: Mapping[str, Any], people: People) -> dict[str, Any]:
    """``doc`` with each check-in note's mentions by display name (for the formats people read)."""
    if not people:
        return dict(doc)

    def named(kr: Mapping[str, Any]) -> Mapping[str, Any]:
        checkin = kr.get("checkin")
        if not isinstance(checkin, Mapping) or not isinstance(checkin.get("note"), str):
            return kr
        return {**kr, "checkin": {**checkin, "note": name_mentions(checkin["note"], people)}}

    return {**doc, "key_results": [named(kr) for kr in doc.get("key_results") or ()]}
