"""Cloud's ``POST /rest/api/3/jql/match``: which of some issues each of some JQL queries matches,
in one request ("Checks whether one or more issues would be returned by one or more JQL queries",
Cloud platform v3 spec, ``matchIssues``; body ``IssuesAndJQLQueries`` ``{"issueIds": [int64],
"jqls": [str]}``, both required; answer ``IssueMatches`` ``{"matches": [{"matchedIssues": [int64],
"errors": [str]}]}`` in the order of the queries). Data Center has no such operation.

The spec names limits without stating them (400 "if `jqls` exceeds the maximum number of JQL queries
or `issueIds` exceeds the maximum number of issue IDs"): okrsync sends at most ``MAX_ISSUE_IDS``
issues and ``MAX_JQLS`` queries a request, well inside any bound a site could set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from okrsync.jira.client import BROWSE, JiraClient
from okrsync.jira.errors import JiraBadRequest

MAX_ISSUE_IDS = 100
MAX_JQLS = 10


@dataclass(frozen=True, slots=True)
class JqlMatch:
    """What one query matched among the issues asked about, or why Jira could not tell."""

    matched: frozenset[int]
    errors: tuple[str, ...] = ()


def match_jql(client: JiraClient, issue_ids: Sequence[int], jqls: Sequence[str]) -> list[JqlMatch]:
    """Each of ``jqls``' matches among ``issue_ids``, in batches within the bounds above. A query
    Jira reports in error matches nothing and carries its errors (the caller judges it)."""
    ids = list(dict.fromkeys(int(i) for i in issue_ids))
    matched: list[set[int]] = [set() for _ in jqls]
    errors: list[list[str]] = [[] for _ in jqls]
    for q0 in range(0, len(jqls), MAX_JQLS):
        queries = list(jqls[q0 : q0 + MAX_JQLS])
        for i0 in range(0, len(ids), MAX_ISSUE_IDS):
            batch = ids[i0 : i0 + MAX_ISSUE_IDS]
            data = client.json(
                client.call(
                    "POST",
                    "/rest/api/3/jql/match",
                    body={"issueIds": batch, "jqls": queries},
                    idempotent=True,
                    operation=f"match {len(batch)} issues against {len(queries)} JQL queries",
                    permission=BROWSE,
                )
            )
            found = data.get("matches") if isinstance(data, dict) else None
            if not isinstance(found, list) or len(found) != len(queries):
                raise JiraBadRequest(
                    "Jira's jql/match answer does not list one match per query",
                    method="POST",
                    path="/rest/api/3/jql/match",
                )
            for offset, answer in enumerate(found):
                entry = answer if isinstance(answer, dict) else {}
                matched[q0 + offset] |= {int(i) for i in entry.get("matchedIssues") or [] if str(i).isdigit()}
                errors[q0 + offset] += [str(e) for e in entry.get("errors") or []]
    return [JqlMatch(frozenset(m), tuple(dict.fromkeys(e))) for m, e in zip(matched, errors, strict=True)]
