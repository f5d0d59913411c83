"""The fewest requests a scenario needs (pure): the ``minimum`` and ``÷ min`` columns.

reads  = 1 serverInfo + 1 field list (+ 1 myself on a re-sync: the user's time zone for the JQL
         date) + the JQL sources: on a first sync Σ over them max(1, ⌈epics it matches ÷ P⌉), on a
         re-sync 1 (one search for the epics that joined or changed in any of them; asking which
         source matches a changed epic is not in the minimum) + max(1, ⌈N ÷ P⌉), where N =
         every in-scope issue not returned by a JQL-source search on a first sync, and the issues
         users changed since the previous sync on a re-sync; P = the page Jira grants a search with
         fields: 100 on Cloud, 1000 on Data Center.
writes, per issue (the definition before bulk edits, kept as ``per_issue``; Data Center's minimum):
         the issues whose okrsync field values differ in Jira after the run (one PUT each) + the
         issues whose ``okrsync`` property differs + the comments that appear or change.
writes on Cloud (dialect-aware, the ``÷ min`` column): the issues whose values changed are grouped
         by the values they end with (issues that end with identical okrsync values could share
         one bulk edit that sets all of them); each group is cut into bulk edits of at most 1000
         issues, and a cut of at least 20 (okrsync's own threshold, ``core/plan/bulk.py``
         MIN_ISSUES) costs 2 requests, the submit (a write) and one poll of its task (a read, added
         to the reads' minimum; the simulator finishes a task at once, a real one may need more
         polls), a smaller cut one PUT an issue. The
         properties cost min(n, 2 ⌈n ÷ 100⌉): ``POST /issue/properties/multi`` takes 100 issues
         and is asynchronous too. Comments: one request each.
Reads a bulk path needs beyond these (``mypermissions`` for Bulk change) are not in the minimum.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

CLOUD_PAGE = 100  # Jira Cloud's (and the simulator's) page for searches that ask for fields
DC_PAGE = 1000  # Data Center's jira.search.views.default.max
BULK_MAX_ISSUES = 1000  # POST /rest/api/3/bulk/issues/fields: "a maximum of 1000 issues"
BULK_MIN_ISSUES = 20  # okrsync/core/plan/bulk.py MIN_ISSUES
PROPERTIES_MULTI = 100  # POST /rest/api/3/issue/properties/multi: "up to 100 issues"
TASK_REQUESTS = 2  # the submit and one poll of the task


def page_for(flavor: str) -> int:
    return CLOUD_PAGE if flavor == "cloud" else DC_PAGE


def min_reads(
    *, first: bool, page: int, in_scope_not_jql: int, user_changed: int, jql_epic_counts: Sequence[int]
) -> dict[str, int]:
    scope = in_scope_not_jql if first else user_changed
    return {
        "serverInfo": 1,
        "fields": 1,
        "myself": 0 if first else 1,
        "jql_sources": sum(max(1, math.ceil(n / page)) for n in jql_epic_counts)
        if first
        else int(bool(jql_epic_counts)),
        "scope_pages": max(1, math.ceil(scope / page)),
    }


def bulk_edit_requests(group: int) -> int:
    """Requests to set identical values on ``group`` issues on Cloud (bulk edits of ≤ 1000)."""
    return sum(bulk_edit_parts(group))


def bulk_edit_parts(group: int) -> tuple[int, int]:
    """(writes, task polls) to set identical values on ``group`` issues on Cloud."""
    writes = polls = 0
    for start in range(0, group, BULK_MAX_ISSUES):
        cut = min(BULK_MAX_ISSUES, group - start)
        if cut >= BULK_MIN_ISSUES:
            writes, polls = writes + 1, polls + 1
        else:
            writes += cut
    return writes, polls


def properties_requests(n: int) -> int:
    return sum(properties_parts(n))


def properties_parts(n: int) -> tuple[int, int]:
    """(writes, task polls) for ``n`` properties on Cloud: per issue, or 100 a ``properties/multi``."""
    batches = math.ceil(n / PROPERTIES_MULTI)
    return (batches, batches) if TASK_REQUESTS * batches < n else (n, 0)


def value_groups(before: Mapping[str, str], after: Mapping[str, str]) -> list[int]:
    """Sizes of the groups of issues whose values changed, grouped by the values they end with."""
    changed: Iterable[str] = (v for k, v in after.items() if before.get(k) != v)
    return sorted(Counter(changed).values(), reverse=True)


def min_writes(flavor: str, groups: Sequence[int], properties: int, comments: int) -> dict[str, int]:
    """The writes' minimum: ``values`` / ``properties`` / ``comments`` per issue (Jira's changes),
    ``per_issue`` their sum; ``writes`` and ``task_polls`` (reads: ``GET`` of an async task) the
    dialect's minimum, Cloud's by bulk edits and ``properties/multi``."""
    values = sum(groups)
    per_issue = values + properties + comments
    writes, polls = per_issue, 0
    if flavor == "cloud":
        parts = [bulk_edit_parts(g) for g in groups] + [properties_parts(properties)]
        writes = sum(w for w, _p in parts) + comments
        polls = sum(p for _w, p in parts)
    return {
        "values": values,
        "properties": properties,
        "comments": comments,
        "per_issue": per_issue,
        "writes": writes,
        "task_polls": polls,
    }
