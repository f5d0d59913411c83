"""serverInfo, myself, mypermissions, projects and the static catalogues."""

from __future__ import annotations

from typing import Any

from okrsync.jira_sim import catalog, render
from okrsync.jira_sim.errors import ApiError
from okrsync.jira_sim.routing import Request, Response, route
from okrsync.jira_sim.tasks import may_bulk_change
from okrsync.jira_sim.timeutil import fmt

CLOUD_VERSION = [1001, 0, 0]
DC_VERSION = [9, 12, 15]


@route("GET", "/rest/api/{ver}/serverInfo", auth=False)
def server_info(req: Request) -> Response:
    cloud = req.store.flavor == "cloud"
    numbers = CLOUD_VERSION if cloud else DC_VERSION
    body: dict[str, Any] = {
        "baseUrl": req.base,
        "version": "1001.0.0-SNAPSHOT" if cloud else ".".join(map(str, numbers)),
        "versionNumbers": numbers,
        # Data Center reports "Server" here too; only Cloud says "Cloud"
        "deploymentType": "Cloud" if cloud else "Server",
        "buildNumber": 100290 if cloud else 9120015,
        "buildDate": "2026-11-01T00:00:00.000+0000",
        "serverTime": fmt(req.store.now()),
        "scmInfo": "0123456789abcdef0123456789abcdef01234567",
        "serverTitle": "Jira" if cloud else "Jira Data Center (simulated)",
        "serverTimeZone": "Etc/UTC",
    }
    if not cloud:  # Cloud's ServerInformation has no defaultLocale (additionalProperties: false)
        body["defaultLocale"] = {"locale": "en_US"}
    return Response(200, body)


@route("GET", "/rest/api/{ver}/myself")
def myself(req: Request) -> Response:
    out = render.user(req.me, req.base, req.version, req.store.flavor) or {}
    out["locale"] = "en_US"
    out["groups"] = {"size": 2 if req.store.is_admin(req.me) else 1, "items": []}
    return Response(200, out)


PERMISSIONS = {
    "ADMINISTER": ("GLOBAL", "Administer Jira", True),
    "BROWSE_PROJECTS": ("PROJECT", "Browse Projects", False),
    "EDIT_ISSUES": ("PROJECT", "Edit Issues", True),
    "ADD_COMMENTS": ("PROJECT", "Add Comments", False),
    "EDIT_OWN_COMMENTS": ("PROJECT", "Edit Own Comments", False),
    "EDIT_ALL_COMMENTS": ("PROJECT", "Edit All Comments", True),
    "CREATE_SHARED_OBJECTS": ("GLOBAL", "Create Shared Objects", True),
    "MANAGE_WEBHOOKS": ("GLOBAL", "Manage Webhooks", True),
    "ADMINISTER_PROJECTS": ("PROJECT", "Administer Projects", True),
    "TRANSITION_ISSUES": ("PROJECT", "Transition Issues", True),
    "BULK_CHANGE": ("GLOBAL", "Bulk Change", False),
}


EDITOR_PERMISSIONS = frozenset({"EDIT_ISSUES", "TRANSITION_ISSUES"})
"""What an editor (``Store.editors``) has beyond everyone: not ADMINISTER_PROJECTS."""


@route("GET", "/rest/api/{ver}/mypermissions")
def mypermissions(req: Request) -> Response:
    """Cloud: the ``permissions`` listed (required); Data Center declares no such parameter and
    "Returns all permissions in the system" (optionally in a ``projectKey`` / ``issueKey`` context)."""
    if req.store.flavor != "cloud":
        wanted = list(PERMISSIONS)
    else:
        wanted = [p for p in (req.q("permissions") or "").split(",") if p]
        if not wanted:
            raise ApiError(400, "The permissions query parameter is required.")
    admin = req.store.is_admin(req.me)
    editor = str(req.me["accountId"]) in req.store.editors
    out = {}
    for i, key in enumerate(wanted):
        ptype, name, admin_only = PERMISSIONS.get(key, ("PROJECT", key.replace("_", " ").title(), True))
        if editor and key in EDITOR_PERMISSIONS:
            admin_only = False
        out[key] = {
            "id": str(i + 1),
            "key": key,
            "name": name,
            "type": ptype,
            "description": name,
            "havePermission": (admin or not admin_only)
            and (key != "BULK_CHANGE" or may_bulk_change(req.store, req.me)),
        }
    return Response(200, {"permissions": out})


@route("GET", "/rest/api/{ver}/project")
def projects(req: Request) -> Response:
    return Response(
        200,
        [
            {**p, "self": f"{render.api(req.base, req.version)}/project/{p['id']}"}
            for p in req.store.projects.values()
        ],
    )


PROJECT_KEYS_LIMIT = 50
"""``GET /project/search``: "Up to 50 project keys can be provided" (its ``keys`` parameter)."""


@route("GET", "/rest/api/{ver}/project/search", flavors=("cloud",))
def project_search(req: Request) -> Response:
    keys = [k for k in req.q_all("keys") if k]
    if len(keys) > PROJECT_KEYS_LIMIT:
        raise ApiError(400, f"Up to {PROJECT_KEYS_LIMIT} project keys can be provided.")
    wanted = {k.upper() for k in keys}
    values = [
        {**p, "self": f"{render.api(req.base, req.version)}/project/{p['id']}"}
        for p in req.store.projects.values()
        if not wanted or p["key"] in wanted
    ]
    start = max(req.q_int("startAt", 0), 0)
    size = min(max(req.q_int("maxResults", 50), 1), 100)  # "If a value greater than 100 …, 100"
    page = values[start : start + size]
    return Response(
        200,
        {
            "self": f"{render.api(req.base, req.version)}/project/search",
            "maxResults": size,
            "startAt": start,
            "total": len(values),
            "isLast": start + len(page) >= len(values),
            "values": page,
        },
    )


@route("GET", "/rest/api/{ver}/project/{projectIdOrKey}")
def project(req: Request) -> Response:
    ref = req.params["projectIdOrKey"]
    for p in req.store.projects.values():
        if ref in (p["id"], p["key"]):
            types = [catalog.issue_type(n) for n in catalog.ISSUE_TYPES]
            return Response(
                200,
                {**p, "self": f"{render.api(req.base, req.version)}/project/{p['id']}", "issueTypes": types},
            )
    raise ApiError(404, f"No project could be found with key '{ref}'.")


@route("GET", "/rest/api/{ver}/status")
def statuses(req: Request) -> Response:
    return Response(200, [catalog.status(n) for n in catalog.STATUSES])


@route("GET", "/rest/api/{ver}/statuscategory")
def status_categories(req: Request) -> Response:
    return Response(200, list(catalog.STATUS_CATEGORIES.values()))


@route("GET", "/rest/api/{ver}/issuetype")
def issue_types(req: Request) -> Response:
    return Response(200, [catalog.issue_type(n) for n in catalog.ISSUE_TYPES])


@route("GET", "/rest/api/{ver}/resolution")
def resolutions(req: Request) -> Response:
    return Response(200, [catalog.resolution(n) for n in catalog.RESOLUTIONS])


@route("GET", "/rest/api/{ver}/priority")
def priorities(req: Request) -> Response:
    return Response(200, [catalog.priority(n) for n in catalog.PRIORITIES])


@route("GET", "/rest/api/{ver}/issueLinkType")
def link_types(req: Request) -> Response:
    return Response(200, {"issueLinkTypes": list(catalog.LINK_TYPES.values())})
