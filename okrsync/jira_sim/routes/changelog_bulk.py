"""Cloud's bulk changelog fetch: ``POST /rest/api/{2,3}/changelog/bulkfetch``.

https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-changelog-bulkfetch-post
Body ``{"issueIdsOrKeys": [...] (1..1000), "fieldIds"?: [...] (up to 10), "maxResults"?: 1000,
"nextPageToken"?}``. The answer holds every changelog of those issues "sorted by changelog date and
issue IDs, starting from the oldest changelog and smallest issue ID", ``maxResults`` changelogs a
page, grouped per issue: ``{"issueChangeLogs": [{"issueId", "changeHistories": [...]}],
"nextPageToken"}``; the last page has no token. With ``fieldIds`` only the items of those fields
are kept (a changelog left without items is left out). Issues that do not exist are skipped.
Each history's ``created`` is a number (epoch milliseconds), as the spec's example shows it. Data
Center has no such endpoint (404 there): its search returns full changelogs.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from okrsync.jira_sim import render
from okrsync.jira_sim.errors import ApiError
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.store import Json

MAX_ISSUES = 1000
MAX_FIELD_IDS = 10
DEFAULT_PAGE = 1000
MAX_PAGE = 1000


def _strings(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ApiError(400, f"'{name}' must be a list of strings.")
    return [str(v) for v in value]


def _epoch_ms(created: str) -> int:
    at = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(at.timestamp() * 1000)


def _token(offset: int, request_key: str) -> str:
    raw = json.dumps({"o": offset, "r": request_key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(token: str, request_key: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, "The provided next page token is invalid or expired.") from None
    if data.get("r") != request_key:
        raise ApiError(400, "The provided next page token is invalid or expired.")
    return offset


@route("POST", "/rest/api/{ver}/changelog/bulkfetch", flavors=("cloud",))
def bulk_changelogs(req: Request) -> Response:
    body = req.json_object()
    refs = _strings(body, "issueIdsOrKeys")
    field_ids = _strings(body, "fieldIds")
    if not refs:
        raise ApiError(400, "issueIdsOrKeys must contain at least one issue ID or key.")
    if len(refs) > MAX_ISSUES:
        raise ApiError(400, f"You can request the changelogs of up to {MAX_ISSUES} issues.")
    if len(field_ids) > MAX_FIELD_IDS:
        raise ApiError(400, f"You can filter changelogs by up to {MAX_FIELD_IDS} field IDs.")
    size = body.get("maxResults", DEFAULT_PAGE)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ApiError(400, "maxResults must be a positive number.")
    size = min(size, MAX_PAGE)
    store = req.store
    issues: list[Json] = []
    seen: set[str] = set()
    for ref in refs:
        key = store.ids.get(ref, ref)
        issue = store.issues.get(key) or store.issues.get(key.upper())
        if issue is None or issue["key"] in seen or req.sim.faults.forbidden(issue["key"]):
            continue
        seen.add(issue["key"])
        issues.append(issue)
    wanted = set(field_ids)
    entries: list[tuple[str, int, int, Json]] = []
    for issue in issues:
        histories = render.changelog(store, issue["key"], req.base, req.version)["histories"]
        for full in histories:
            hist = full
            if wanted:
                items = [i for i in full.get("items", []) if i.get("fieldId") in wanted]
                if not items:
                    continue
                hist = {**full, "items": items}
            entries.append((str(hist["created"]), int(issue["id"]), int(hist["id"]), hist))
    # ISO timestamps of one site share a format and offset, so they sort as text
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    request_key = json.dumps([sorted(seen), sorted(wanted), size])
    token = body.get("nextPageToken")
    start = _offset(str(token), request_key) if token else 0
    page = entries[start : start + size]
    groups: list[Json] = []
    by_issue: dict[int, Json] = {}
    for _created, issue_id, _hid, hist in page:
        group = by_issue.get(issue_id)
        if group is None:
            group = {"issueId": str(issue_id), "changeHistories": []}
            by_issue[issue_id] = group
            groups.append(group)
        # the spec's example sends `created` as a number where its schema says a date-time string
        # (the jira-specs README: accept both); the simulator sends what the example shows, in
        # epoch milliseconds, as Jira's other numeric times are
        group["changeHistories"].append({**hist, "created": _epoch_ms(str(hist["created"]))})
    out: Json = {"issueChangeLogs": groups}
    if start + len(page) < len(entries):
        out["nextPageToken"] = _token(start + len(page), request_key)
    return Response(200, out)
