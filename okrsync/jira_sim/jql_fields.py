"""Field resolution and value extraction for the JQL engine.

A JQL field name resolves to a :class:`FieldDef` (the field id in ``issue["fields"]`` plus a
:class:`Kind` that decides the supported operators, how values are read from an issue, and how
they sort).  Equality-style kinds read an issue into a tuple of lower-cased *aliases* (e.g. a status
gives its name and id, a user gives accountId, e-mail, display name, DC name and key); an empty tuple
means the field is EMPTY.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any

from okrsync.jira_sim.jql_dates import stored_minutes
from okrsync.jira_sim.jql_text import flatten_text

__all__ = [
    "ALIAS_KINDS",
    "ORDERED_KINDS",
    "TEXT_KINDS",
    "FieldDef",
    "FieldResolver",
    "Issue",
    "Kind",
    "alias_extractor",
    "key_tuple",
    "minutes_extractor",
    "number_extractor",
    "sort_key",
    "text_extractor",
    "user_aliases",
]

Issue = Mapping[str, Any]
Aliases = tuple[str, ...]

SUBTASK_MARK = "\x00subtask"
STANDARD_MARK = "\x00standard"
SPRINT_STATE_MARK = "\x00sprint:"


class Kind(Enum):
    KEY = "key"
    PROJECT = "project"
    ISSUETYPE = "issuetype"
    STATUS = "status"
    STATUSCATEGORY = "statuscategory"
    RESOLUTION = "resolution"
    PRIORITY = "priority"
    USER = "user"
    LABELS = "labels"  # array of strings
    OPTION = "option"  # select / multi-select / cascading
    NAMED = "named"  # objects with name/id (components, versions, unknown objects)
    PARENT = "parent"
    EPIC_LINK = "epiclink"
    SPRINT = "sprint"
    STRING = "string"  # custom string fields: exact (=, in) and text (~) operators
    TEXT = "text"  # system text fields: ~ and !~ only
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"


ALIAS_KINDS = frozenset(
    {
        Kind.KEY,
        Kind.PROJECT,
        Kind.ISSUETYPE,
        Kind.STATUS,
        Kind.STATUSCATEGORY,
        Kind.RESOLUTION,
        Kind.PRIORITY,
        Kind.USER,
        Kind.LABELS,
        Kind.OPTION,
        Kind.NAMED,
        Kind.PARENT,
        Kind.EPIC_LINK,
        Kind.SPRINT,
        Kind.STRING,
    }
)
ORDERED_KINDS = frozenset({Kind.KEY, Kind.NUMBER, Kind.DATE, Kind.DATETIME})
TEXT_KINDS = frozenset({Kind.TEXT, Kind.STRING})


@dataclass(frozen=True, slots=True)
class FieldDef:
    id: str  # key in issue["fields"]; "issuekey" for the key, "text" for the all-text clause
    kind: Kind
    canonical: str  # canonical clause name ("project", "issuetype", ...) used for known_values
    sortable: bool = True
    text_ids: tuple[str, ...] = ()  # for the "text" clause: every text field to search


_SYSTEM: dict[str, tuple[str, Kind]] = {
    "key": ("issuekey", Kind.KEY),
    "issuekey": ("issuekey", Kind.KEY),
    "id": ("issuekey", Kind.KEY),
    "issue": ("issuekey", Kind.KEY),
    "project": ("project", Kind.PROJECT),
    "issuetype": ("issuetype", Kind.ISSUETYPE),
    "type": ("issuetype", Kind.ISSUETYPE),
    "status": ("status", Kind.STATUS),
    "statuscategory": ("statusCategory", Kind.STATUSCATEGORY),
    "resolution": ("resolution", Kind.RESOLUTION),
    "priority": ("priority", Kind.PRIORITY),
    "labels": ("labels", Kind.LABELS),
    "summary": ("summary", Kind.TEXT),
    "description": ("description", Kind.TEXT),
    "environment": ("environment", Kind.TEXT),
    "comment": ("comment", Kind.TEXT),
    "text": ("text", Kind.TEXT),
    "assignee": ("assignee", Kind.USER),
    "reporter": ("reporter", Kind.USER),
    "creator": ("creator", Kind.USER),
    "parent": ("parent", Kind.PARENT),
    "duedate": ("duedate", Kind.DATE),
    "due": ("duedate", Kind.DATE),
    "created": ("created", Kind.DATETIME),
    "createddate": ("created", Kind.DATETIME),
    "updated": ("updated", Kind.DATETIME),
    "updateddate": ("updated", Kind.DATETIME),
    "resolutiondate": ("resolutiondate", Kind.DATETIME),
    "resolved": ("resolutiondate", Kind.DATETIME),
    "statuscategorychangeddate": ("statuscategorychangedate", Kind.DATETIME),
    "component": ("components", Kind.NAMED),
    "fixversion": ("fixVersions", Kind.NAMED),
    "affectedversion": ("versions", Kind.NAMED),
}
_SYSTEM_TEXT_IDS = ("summary", "description", "environment", "comment")
_UNSORTABLE = frozenset({"text", "comment"})
_TEXT_CUSTOM_TYPES = ("textfield", "textarea")


def _custom_type(entry: Mapping[str, Any]) -> str:
    schema = entry.get("schema") or {}
    return str(schema.get("custom") or "")


def _kind_from_schema(entry: Mapping[str, Any]) -> Kind:
    schema = entry.get("schema") or {}
    ctype = _custom_type(entry)
    stype = str(schema.get("type") or "")
    items = str(schema.get("items") or "")
    if ctype.endswith(":gh-epic-link"):
        return Kind.EPIC_LINK
    if ctype.endswith(":gh-sprint"):
        return Kind.SPRINT
    if stype == "number":
        return Kind.NUMBER
    if stype == "date":
        return Kind.DATE
    if stype == "datetime":
        return Kind.DATETIME
    if stype == "user" or (stype == "array" and items == "user"):
        return Kind.USER
    if stype.startswith("option") or (stype == "array" and items.startswith("option")):
        return Kind.OPTION
    if stype == "array" and items == "string":
        return Kind.LABELS
    if stype == "string":
        if not entry.get("custom") and not ctype:
            return Kind.TEXT
        return Kind.STRING
    return Kind.NAMED


class FieldResolver:
    """Resolves JQL field names (clause names, names, ids, ``cf[n]``) against the field catalogue."""

    def __init__(self, catalogue: Sequence[Mapping[str, Any]]) -> None:
        self._by_name: dict[str, Mapping[str, Any]] = {}
        self._by_id: dict[str, Mapping[str, Any]] = {}
        text_ids = list(_SYSTEM_TEXT_IDS)
        for entry in catalogue:
            fid = str(entry.get("id", ""))
            if not fid:
                continue
            self._by_id.setdefault(fid.lower(), entry)
            for name in [*(entry.get("clauseNames") or ()), entry.get("name"), fid]:
                if name:
                    self._by_name.setdefault(str(name).lower(), entry)
            if entry.get("custom") and any(_custom_type(entry).endswith(t) for t in _TEXT_CUSTOM_TYPES):
                text_ids.append(fid)
        self._text_ids = tuple(text_ids)

    def resolve(self, name: str) -> FieldDef | None:
        low = name.strip().lower()
        if low in _SYSTEM:
            fid, kind = _SYSTEM[low]
            text_ids = self._text_ids if fid == "text" else ()
            return FieldDef(fid, kind, fid.lower(), fid not in _UNSORTABLE, text_ids)
        m = re.fullmatch(r"cf\[(\d+)\]", low)
        entry = self._by_id.get(f"customfield_{m.group(1)}") if m else self._by_name.get(low)
        if entry is None:
            return None
        fid = str(entry["id"])
        return FieldDef(fid, _kind_from_schema(entry), fid.lower())


# ---------------------------------------------------------------------------------------------
# value extraction


def _fields(issue: Issue) -> Mapping[str, Any]:
    f = issue.get("fields")
    return f if isinstance(f, Mapping) else {}


def _aliases(obj: Any, keys: tuple[str, ...]) -> Aliases:
    if obj is None or obj == "":
        return ()
    if isinstance(obj, Mapping):
        return tuple(str(obj[k]).lower() for k in keys if obj.get(k) not in (None, ""))
    return (str(obj).lower(),)


def _multi(value: Any, keys: tuple[str, ...]) -> Aliases:
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(_aliases(item, keys))
        return tuple(out)
    return _aliases(value, keys)


_USER_KEYS = ("accountId", "emailAddress", "displayName", "name", "key")
_NAMED_KEYS = ("name", "id", "key", "value")


def user_aliases(user: Mapping[str, Any] | None) -> Aliases:
    """Identifying aliases of a user for ``currentUser()`` (accountId / DC name and key, else e-mail)."""
    if not user:
        return ()
    ids = _aliases(user, ("accountId", "name", "key"))
    return ids or _aliases(user, ("emailAddress",))


def _parent_is_epic(f: Mapping[str, Any], parent: Mapping[str, Any]) -> bool:
    ptype = (parent.get("fields") or {}).get("issuetype")
    if isinstance(ptype, Mapping) and ("hierarchyLevel" in ptype or "name" in ptype):
        return ptype.get("hierarchyLevel") == 1 or str(ptype.get("name", "")).lower() == "epic"
    own = f.get("issuetype")
    return not (isinstance(own, Mapping) and own.get("subtask"))


_SPRINT_ATTR = re.compile(r"(id|name|state)=([^,\]]*)")


def _sprint_aliases(value: Any) -> Aliases:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            data = {k: item.get(k) for k in ("id", "name", "state")}
        elif isinstance(item, str):  # Data Center legacy "...Sprint@1a2b[id=1,state=ACTIVE,name=S1,...]"
            data = dict(_SPRINT_ATTR.findall(item))
        else:
            continue
        out.extend(str(data[k]).lower() for k in ("id", "name") if data.get(k) not in (None, ""))
        if data.get("state"):
            out.append(SPRINT_STATE_MARK + str(data["state"]).lower())
    return tuple(out)


def alias_extractor(fd: FieldDef) -> Callable[[Issue], Aliases]:
    fid, kind = fd.id, fd.kind
    if kind is Kind.KEY:
        return lambda issue: tuple(str(issue[k]).lower() for k in ("key", "id") if issue.get(k))
    if kind is Kind.PROJECT:
        return lambda issue: _aliases(_fields(issue).get("project"), ("key", "name", "id"))
    if kind is Kind.ISSUETYPE:

        def issuetype(issue: Issue) -> Aliases:
            it = _fields(issue).get("issuetype")
            if not isinstance(it, Mapping):
                return _aliases(it, ())
            mark = SUBTASK_MARK if it.get("subtask") or it.get("hierarchyLevel") == -1 else STANDARD_MARK
            return (*_aliases(it, ("name", "id")), mark)

        return issuetype
    if kind is Kind.STATUSCATEGORY:

        def category(issue: Issue) -> Aliases:
            status = _fields(issue).get("status")
            cat = status.get("statusCategory") if isinstance(status, Mapping) else None
            return _aliases(cat, ("key", "name", "id"))

        return category
    if kind in (Kind.STATUS, Kind.RESOLUTION, Kind.PRIORITY):
        return lambda issue: _aliases(_fields(issue).get(fid), ("name", "id"))
    if kind is Kind.USER:
        return lambda issue: _multi(_fields(issue).get(fid), _USER_KEYS)
    if kind is Kind.OPTION:

        def option(issue: Issue) -> Aliases:
            value = _fields(issue).get(fid)
            out = list(_multi(value, ("value", "id")))
            if isinstance(value, Mapping) and isinstance(value.get("child"), Mapping):
                out.extend(_aliases(value["child"], ("value", "id")))
            return tuple(out)

        return option
    if kind is Kind.PARENT:
        return lambda issue: _aliases(_fields(issue).get("parent"), ("key", "id"))
    if kind is Kind.EPIC_LINK:

        def epic_link(issue: Issue) -> Aliases:
            f = _fields(issue)
            out = _aliases(f.get(fid), ("key", "id"))
            parent = f.get("parent")
            if isinstance(parent, Mapping) and _parent_is_epic(f, parent):
                out = (*out, *_aliases(parent, ("key", "id")))
            return out

        return epic_link
    if kind is Kind.SPRINT:
        return lambda issue: _sprint_aliases(_fields(issue).get(fid))
    if kind in (Kind.LABELS, Kind.STRING):
        return lambda issue: _multi(_fields(issue).get(fid), ())
    return lambda issue: _multi(_fields(issue).get(fid), _NAMED_KEYS)


def number_extractor(fd: FieldDef) -> Callable[[Issue], float | None]:
    fid = fd.id

    def number(issue: Issue) -> float | None:
        value = _fields(issue).get(fid)
        if value is None or isinstance(value, bool):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            return None

    return number


def minutes_extractor(fd: FieldDef) -> Callable[[Issue], int | None]:
    fid = fd.id

    def minutes(issue: Issue) -> int | None:
        value = _fields(issue).get(fid)
        return stored_minutes(value) if isinstance(value, str) and value else None

    return minutes


def _field_text(f: Mapping[str, Any], fid: str) -> str:
    value = f.get(fid)
    if fid == "comment" and isinstance(value, Mapping):
        value = value.get("comments")
    return flatten_text(value)


def text_extractor(fd: FieldDef) -> Callable[[Issue], str]:
    if fd.id == "text":
        ids = fd.text_ids
        return lambda issue: "\n".join(_field_text(_fields(issue), i) for i in ids).strip()
    fid = fd.id
    return lambda issue: _field_text(_fields(issue), fid)


# ---------------------------------------------------------------------------------------------
# sorting

_KEY_RE = re.compile(r"^(.*)-(\d+)$")
_CATEGORY_ORDER = {"new": 0, "indeterminate": 1, "done": 2}


@lru_cache(maxsize=65536)
def key_tuple(key: str) -> tuple[str, int]:
    """Sort key for an issue key: project first, then number (PLAT-10 after PLAT-9)."""
    m = _KEY_RE.match(key)
    return (m.group(1).upper(), int(m.group(2))) if m else (key.upper(), -1)


def _name(obj: Any) -> str | None:
    if isinstance(obj, Mapping):
        for k in ("displayName", "name", "value", "key"):
            if obj.get(k) not in (None, ""):
                return str(obj[k]).lower()
        return None
    return None if obj in (None, "") else str(obj).lower()


def sort_key(fd: FieldDef) -> Callable[[Issue], Any]:
    """Key function for ORDER BY; returns None for EMPTY (sorted last ascending)."""
    fid, kind = fd.id, fd.kind
    if kind is Kind.KEY:
        return lambda issue: key_tuple(str(issue.get("key", "")))
    if kind is Kind.NUMBER:
        return number_extractor(fd)
    if kind in (Kind.DATE, Kind.DATETIME):
        return minutes_extractor(fd)
    if kind is Kind.STATUSCATEGORY:

        def category(issue: Issue) -> int | None:
            status = _fields(issue).get("status")
            cat = status.get("statusCategory") if isinstance(status, Mapping) else None
            return _CATEGORY_ORDER.get(str(cat.get("key")), 3) if isinstance(cat, Mapping) else None

        return category
    if kind is Kind.PRIORITY:

        def priority(issue: Issue) -> tuple[int, str] | None:
            p = _fields(issue).get("priority")
            if not isinstance(p, Mapping):
                return None
            pid = str(p.get("id", ""))
            # Jira sorts by priority sequence: the highest priority (lowest id) is the "largest"
            return (-int(pid), "") if pid.isdigit() else (0, str(p.get("name", "")).lower())

        return priority
    if kind is Kind.PARENT:

        def parent_key(issue: Issue) -> tuple[str, int] | None:
            parent = _fields(issue).get("parent")
            return (
                key_tuple(str(parent["key"])) if isinstance(parent, Mapping) and parent.get("key") else None
            )

        return parent_key
    if kind is Kind.EPIC_LINK:

        def epic_key(issue: Issue) -> tuple[str, int] | None:
            f = _fields(issue)
            value = f.get(fid)
            if isinstance(value, Mapping):
                value = value.get("key")
            if value in (None, ""):
                parent = f.get("parent")
                if isinstance(parent, Mapping) and _parent_is_epic(f, parent):
                    value = parent.get("key")
            return key_tuple(str(value)) if value not in (None, "") else None

        return epic_key
    if kind is Kind.TEXT:
        text = text_extractor(fd)
        return lambda issue: text(issue).lower() or None

    def named(issue: Issue) -> tuple[str, ...] | None:
        value = _fields(issue).get(fid)
        items = value if isinstance(value, list) else [value]
        names = sorted(n for n in (_name(v) for v in items) if n is not None)
        return tuple(names) or None

    return named
