"""The comments of many issues in one search, instead of one comment read per issue.

Before okrsync posts a comment the state store does not know of, it reads the issue's comments, so
that a comment it posted before (a crash, a new or lost state database) is adopted, never posted
twice (:func:`okrsync.sync.writeback.plan_with_jira_comments`). On a first sync that is one read per
KR epic, and every one of them finds nothing. Both dialects return the ``comment`` field in a
search: a PageOfComments (``comments``, ``maxResults``, ``total``, ``startAt``; Cloud platform v3
and Data Center 10.3 specs), so one search of ``key in (...)`` with ``fields: ["comment"]`` shows the
comments of many issues at once.

What a search's comments can and cannot stand in for:

* a search returns no comment properties, and may cap the comments it returns per issue (``total``
  still counts them all): an issue whose page is complete and shows no okrsync footer
  (``— okrsync · <identity>``: every comment okrsync posts carries it) has no okrsync comment, and
  its comments count as read; any other issue is read as before, with its comment properties, so
  that its markers are judged right;
* Cloud's search is eventually consistent ("subsequent search operations ... may return stale or
  outdated data", Atlassian, "Search after write with search and reconcile"): a comment posted
  seconds before a crash, or before a state database was lost, may be missing from an indexed
  copy. So every search here sends the ids of the issues it names as ``reconcileIssues`` (at most
  50 a request, :data:`okrsync.jira.search.MAX_RECONCILE_ISSUES`), which returns them as they are
  now. For the same reason the ``comment`` field is not added to the sync's own searches (they
  run before the ids are known, on a first sync); the price is ⌈issues ÷ 50⌉ searches on Cloud
  (4 for 200 KR epics) and ⌈issues ÷ 500⌉ on Data Center, whose search is consistent.

Only the issues whose comments the state store knows nothing of are searched (on a first sync or
after a lost database, all of them), and only when there are at least :data:`MIN_ISSUES`: an issue
with okrsync comments on record shows their footers, and would be read anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from okrsync.core.mappers import issue_fields
from okrsync.domain.keys import COMMENT_FOOTER
from okrsync.jira.errors import JiraError
from okrsync.jira.gateway import JiraGateway
from okrsync.jira.jql import batch_values, jql_quote
from okrsync.jira.markup import plain_text
from okrsync.jira.search import MAX_RECONCILE_ISSUES

log = logging.getLogger(__name__)

MIN_ISSUES = 2
"""Fewer issues than this are read one by one: a search would save no request."""


def complete_comments(page: Any) -> list[dict[str, Any]] | None:
    """The comments of a searched ``comment`` field, if it holds all of them and none is okrsync's
    (carries its footer); else None: the issue must be read."""
    if not isinstance(page, Mapping):
        return None
    comments = page.get("comments")
    total = page.get("total")
    if not isinstance(comments, list) or not isinstance(total, int) or isinstance(total, bool):
        return None
    if page.get("startAt", 0) != 0 or len(comments) < total:
        return None  # capped: the rest are not shown
    out = [c for c in comments if isinstance(c, dict)]
    if len(out) != len(comments) or any(COMMENT_FOOTER in plain_text(c.get("body")) for c in out):
        return None
    return out


def _chunks(gateway: JiraGateway, keys: Sequence[str]) -> list[list[str]]:
    most = gateway.max_in_values
    if gateway.flavor == "cloud":
        most = min(most, MAX_RECONCILE_ISSUES)
    return batch_values(keys, max_values=most, max_chars=gateway.max_jql_chars - 80, fixed_chars=2)


def searched_comments(
    gateway: JiraGateway, keys: Iterable[str], issues: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Issue key → its comments, for each of ``keys`` whose search shows them all and none of
    okrsync's (:func:`complete_comments`); ``issues``: the raw issues by key (their ids are
    reconciled on Cloud). A search that fails leaves its issues to be read one by one."""
    wanted = sorted(dict.fromkeys(keys), key=issue_fields.key_order)
    if len(wanted) < MIN_ISSUES:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for chunk in _chunks(gateway, wanted):
        ids = [int(i) for k in chunk if (i := str((issues.get(k) or {}).get("id") or "")).isdigit()]
        jql = f"key in ({', '.join(jql_quote(k) for k in chunk)}) ORDER BY key ASC"
        try:
            found = list(gateway.search(jql, ["comment"], reconcile=ids))
        except JiraError as exc:  # e.g. a key Jira no longer knows: those issues are read as before
            log.info("could not search the comments of %d issues: %s", len(chunk), exc)
            continue
        for raw in found:
            key = str(raw.get("key") or "")
            comments = complete_comments((raw.get("fields") or {}).get("comment"))
            if key in chunk and comments is not None:
                out[key] = comments
    return out
