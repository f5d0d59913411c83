"""Cloud's bulk issue read: ``POST /rest/api/{2,3}/issue/bulkfetch``.

From the Cloud platform spec (``bulkFetchIssues``, ``BulkFetchIssueRequestBean``,
``BulkIssueResults``): "You can request up to 100 issues" (400 "if no issue IDs/keys were present,
or more than 100 issue IDs/keys were requested"); ``fields`` as a search takes them (default
``*navigable``); ``properties`` "A maximum of 5 issue property keys can be specified"; "Issues will
be returned in ascending `id` order"; "Issues which aren't found or that the user doesn't have
permission to view won't be returned" (the fault ``forbidden_issues``: not visible). A direct read
of the issues (not the search index). Data Center has no such route.
"""

from __future__ import annotations

from typing import Any

from okrsync.jira_sim import render
from okrsync.jira_sim.errors import ApiError
from okrsync.jira_sim.fields import FieldSelection
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.store import Json

MAX_ISSUES = 100
MAX_PROPERTIES = 5


def _strings(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"'{name}' must be a list of strings.")
    return list(value)


@route("POST", "/rest/api/{ver}/issue/bulkfetch", flavors=("cloud",))
def bulk_fetch_issues(req: Request) -> Response:
    body = req.json_object()
    refs = _strings(body, "issueIdsOrKeys")
    properties = _strings(body, "properties")
    if not refs:
        raise ApiError(400, "No issue IDs or keys were provided.")
    if len(refs) > MAX_ISSUES:
        raise ApiError(400, f"You can request up to {MAX_ISSUES} issues.")
    if len(properties) > MAX_PROPERTIES:
        raise ApiError(400, f"A maximum of {MAX_PROPERTIES} issue property keys can be specified.")
    selection = FieldSelection.parse(_strings(body, "fields"), "*navigable")
    expand = _strings(body, "expand")
    store = req.store
    found: dict[str, Json] = {}
    for ref in refs:
        key = store.ids.get(ref, ref)
        issue = store.issues.get(key) or store.issues.get(key.upper())
        if issue is None or req.sim.faults.forbidden(issue["key"]):
            continue
        found[issue["key"]] = issue
    ordered = sorted(found.values(), key=lambda i: int(i["id"]))
    issues = [
        render.issue(store, i, req.base, req.version, selection, expand=expand, properties=properties)
        for i in ordered
    ]
    return Response(200, {"issues": issues, "issueErrors": []})
