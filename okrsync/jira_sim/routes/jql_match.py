"""Cloud's ``POST /rest/api/{2,3}/jql/match`` (``matchIssues``): which of the given issues each JQL
query matches.

From the Cloud platform spec: body ``IssuesAndJQLQueries`` (``issueIds``: int64, unique, and
``jqls``: strings, both required, no other property); answer ``IssueMatches`` ``{"matches":
[{"matchedIssues", "errors"}]}``, one per query in their order, a query in error answered with its
errors and no match ("Invalid JQL: broken = value" in the spec's example) rather than a 400;
"issues are only matched against JQL queries where the user has" Browse projects (the
``forbidden_issues`` fault: never matched). The 400 for "the maximum number of JQL queries" or "of
issue IDs" states no number; the simulator refuses more than ``MAX_JQLS`` queries or
``MAX_ISSUE_IDS`` ids (its assumption, above what okrsync sends: 10 and 100). Data Center has no
such operation.
"""

from __future__ import annotations

from typing import Any

from okrsync.jira_sim.errors import ApiError
from okrsync.jira_sim.routing import Request, Response, route

MAX_JQLS = 50
MAX_ISSUE_IDS = 1000


def _ints(body: dict[str, Any], name: str) -> list[int]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ApiError(400, f"'{name}' must be a list of issue IDs (numbers).")
    if len(set(value)) != len(value):
        raise ApiError(400, f"'{name}' must not repeat an issue ID.")
    return list(value)


@route("POST", "/rest/api/{ver}/jql/match", flavors=("cloud",))
def match_issues(req: Request) -> Response:
    from okrsync.jira_sim.jql import JqlError

    body = req.json_object()
    unknown = sorted(set(body) - {"issueIds", "jqls"})
    if unknown:
        raise ApiError(400, f"Unrecognized field {unknown[0]!r}.")
    ids = _ints(body, "issueIds")
    jqls = body.get("jqls")
    if not isinstance(jqls, list) or not all(isinstance(j, str) for j in jqls):
        raise ApiError(400, "'jqls' must be a list of JQL queries.")
    if len(jqls) > MAX_JQLS or len(ids) > MAX_ISSUE_IDS:
        raise ApiError(400, "The number of JQL queries or of issue IDs is over the maximum.")
    store, faults = req.store, req.sim.faults
    by_id = {
        str(issue["id"]): key
        for key, issue in store.issues.items()
        if not (faults.config.forbidden_issues and faults.forbidden(key))
    }
    asked = {i: by_id.get(str(i)) for i in ids}
    matches: list[dict[str, list[Any]]] = []
    for jql in jqls:
        try:
            keys = set(store.search_keys(jql, req.user))
        except JqlError as exc:
            matches.append({"matchedIssues": [], "errors": list(exc.messages) or [str(exc)]})
            continue
        matches.append({"matchedIssues": [i for i in ids if asked[i] in keys], "errors": []})
    return Response(200, {"matches": matches})
