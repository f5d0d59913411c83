"""The compact record the mirror keeps per issue, and sharing what records have in common (pure).

A search returns each field as Jira renders it: a status is ``{"self", "description", "iconUrl",
"name", "id", "statusCategory": {"self", "id", "key", "colorName", "name"}}``, a user carries four
avatar URLs, a parent its own summary, status, priority and issue type (Cloud platform v3
``IssueBean.fields``; the same shapes on Data Center). okrsync reads a few of those values: the
mappers (:mod:`okrsync.core.mappers.issue_fields`) the names, keys, ids, hierarchy levels and the
values of its own fields; the planner the write-back fields and the ``okrsync`` property. The
record is the issue's raw JSON with the presentation keys removed at every nesting level below
``fields`` (:data:`PRESENTATION_KEYS`) and the fields Jira shows empty (``null``) left out, the
``properties`` (okrsync's own values) as they are,
and nothing else at the top but ``id`` and ``key``: the same shape, so every reader of raw issues
reads a record unchanged.

Loading 10,000 records makes 10,000 copies of the same status, issue type, project and user
objects, and of every dict key: :class:`RecordSharing` hands out one shared instance of each equal
value below ``fields`` (and of each string), never sharing an issue's own ``fields`` or
``properties`` dict (the apply step updates those in place).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

PRESENTATION_KEYS: Final = frozenset(
    {
        "self",  # the REST URL of the object
        "iconUrl",
        "avatarUrls",
        "avatarId",
        "colorName",
        "expand",
        "entityId",
        "timeZone",  # a user's; okrsync reads its own from /myself
        "description",  # of a status, issue type, resolution or priority: text for people
        "accountType",
        "avatarUrl",
    }
)
"""Keys of nested Jira objects that okrsync never reads: links, icons, colours and descriptions."""

TOP_LEVEL_KEYS: Final = ("id", "key", "fields", "properties")
"""What a record keeps of an issue's top level (``self``, ``expand``, ``changelog``... are dropped)."""


def _prune(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _prune(v) for k, v in value.items() if k not in PRESENTATION_KEYS}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def compact_issue(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The record of one raw issue: its ``id``, ``key``, ``fields`` (each value without
    presentation keys, the empty ones left out) and ``properties`` (okrsync's own values, as they
    are)."""
    record: dict[str, Any] = {}
    for name in TOP_LEVEL_KEYS:
        if name not in raw:
            continue
        value = raw[name]
        if name == "fields" and isinstance(value, Mapping):
            # a field Jira shows empty (null) is left out: every reader takes a missing field
            # as empty (``fields.get(id)``), and a dict of 13 keys is 464 bytes, of 23 832 (an
            # action plan of the bench's site has 10 empty fields of 23)
            record[name] = {k: _prune(v) for k, v in value.items() if v is not None}
        else:  # the properties are okrsync's own values: kept as they are
            record[name] = value
    return record


def sharing_key(value: Any) -> Any:
    """A hashable key of a JSON value, equal for equal values (equal as JSON text: ``1``, ``1.0``,
    ``true``, ``0.0`` and ``-0.0`` stay apart; a string is its own key). Cheaper than the value's JSON
    text: most values are strings, which need no encoding."""
    kind = type(value)
    if kind is dict:
        return ("{", *[(k, v if type(v) is str else sharing_key(v)) for k, v in value.items()])
    if kind is list:
        return ("[", *[v if type(v) is str else sharing_key(v) for v in value])
    if kind is float:
        return (float, repr(value))  # -0.0 == 0.0 in Python, not as JSON text
    return (kind, value)  # int, bool, None (and any other scalar) by type and value


class RecordSharing:
    """Makes equal values of many records one shared object (for the records of one load).

    ``share(record)`` returns the record with its own top-level dict and its own ``fields`` and
    ``properties`` dicts; each value in those that is a JSON object or array is the one object
    shared by every record with an equal value (equal as JSON text: ``1``, ``1.0`` and ``true``
    stay apart; keyed by :func:`sharing_key`, not by the text itself), and each string and dict
    key is one shared string. Shared values must not be changed in place: nothing in okrsync does
    (the apply step replaces a field's value in ``fields`` and a property in ``properties``, it
    never edits the value).
    """

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}
        self._values: dict[Any, Any] = {}

    def share(self, record: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        strings = self._strings
        for given, value in record.items():
            name = strings.setdefault(given, given)
            if name in ("fields", "properties") and isinstance(value, Mapping):
                out[name] = {strings.setdefault(k, k): self._value(v) for k, v in value.items()}
            else:
                out[name] = self._value(value)
        return out

    def _value(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self._strings.setdefault(value, value)
        if kind is dict or kind is list:
            return self._values.setdefault(sharing_key(value), value)
        return value
