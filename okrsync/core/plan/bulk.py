"""Which field edits of a plan go out together as one bulk edit (pure).

Jira Cloud's bulk edit sets the *same* values on up to 1000 issues and 200 fields in one request
(``POST /rest/api/3/bulk/issues/fields``). The action plans of one key result share their okrsync
values (OKR Key Result, OKR Objective, OKR Objective ID), so a first sync's 10,000 action-plan edits
under 200 KRs are 200 groups. A bulk edit costs a submit and the polls of its task: a group of fewer
than ``min_issues`` edits stays per issue, as does an edit with a field
no bulk input takes (``bulkable`` says which).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from okrsync.core.plan.changes import FieldEdit

MAX_ISSUES = 1000
""""A single request can accommodate a maximum of 1000 issues (including subtasks) and 200 fields"
(Cloud platform spec, POST /rest/api/3/bulk/issues/fields)."""
MAX_FIELDS = 200
MIN_ISSUES = 20
"""A bulk edit is asynchronous: Jira runs its task for seconds, okrsync polls it with backoff (50 ms
doubling to 2 s: some 6-8 polls for a task of 3 s) and learns each issue's outcome only from the
task's result. Below about this many issues, per-issue edits cost as many requests, land sooner and
answer each error directly."""


@dataclass(frozen=True, slots=True)
class BulkEdit:
    """Field edits that set the same values on several issues: one bulk edit request."""

    fields: Mapping[str, Any]
    """Field id → the value every one of these issues gets (Jira's JSON for ``PUT /issue``)."""
    edits: tuple[FieldEdit, ...]

    @property
    def issue_keys(self) -> tuple[str, ...]:
        return tuple(e.issue_key for e in self.edits)


def _value_set(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)


def group_bulk_edits(
    edits: Iterable[FieldEdit],
    bulkable: Callable[[str], bool],
    *,
    min_issues: int = MIN_ISSUES,
    max_issues: int = MAX_ISSUES,
    max_fields: int = MAX_FIELDS,
) -> tuple[tuple[BulkEdit, ...], tuple[FieldEdit, ...]]:
    """(the bulk edits, the edits left per issue), each in the plan's order.

    Edits are grouped by identical value sets (the same field ids with the same values); a group is
    cut into bulk edits of at most ``max_issues``; an edit of more than ``max_fields`` fields, of a
    field ``bulkable`` refuses, or in a group (or last cut) smaller than ``min_issues`` stays single.
    """
    groups: dict[str, list[FieldEdit]] = {}
    singles: list[FieldEdit] = []
    listed = list(edits)
    order = {id(e): i for i, e in enumerate(listed)}
    for edit in listed:
        if not edit.fields or len(edit.fields) > max_fields or not all(bulkable(f) for f in edit.fields):
            singles.append(edit)
            continue
        groups.setdefault(_value_set(edit.fields), []).append(edit)
    bulks: list[BulkEdit] = []
    for members in groups.values():
        for start in range(0, len(members), max_issues):
            chunk = members[start : start + max_issues]
            if len(chunk) < min_issues:
                singles.extend(chunk)
            else:
                bulks.append(BulkEdit(dict(chunk[0].fields), tuple(chunk)))
    return tuple(bulks), tuple(sorted(singles, key=lambda e: order[id(e)]))
